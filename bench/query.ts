/**
 * Receptive-field queries (model.forwardNodesSync): latency of a 2-layer SAGE (mean; 128 → 128 →
 * 16, random weights) for 1, 16 and 256 random query nodes on an R-MAT graph (scale 20, average
 * degree 16), over the full frontier and with fanout [10, 5], against full-graph inference; 1 and
 * 2 threads. Query nodes come from a seeded RNG, a new set per repeat; p50 and p99 over many
 * repeats after warm-up (the host is shared and noisy).
 *
 *   npm run bench:query
 *   env: BENCH_SCALE (20), BENCH_THREADS (1,2), BENCH_REPEATS (300), BENCH_FULL_REPEATS (5),
 *   BENCH_FRONTIERS (full,fanout), BENCH_CELL_BUDGET_MS (20000)
 */
import { Random } from '../lib/generators/random';
import { Tensor, getNumThreads, nn, randomValues, rmat, setNumThreads } from '../lib/index';
import { environment, fmt } from './harness';

const list = (v: string | undefined, d: string): string[] => (v ?? d).split(',').filter((s) => s !== '');
const SCALE = Number(process.env.BENCH_SCALE ?? 20);
const THREADS = list(process.env.BENCH_THREADS, '1,2').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 300);
const FULL_REPEATS = Number(process.env.BENCH_FULL_REPEATS ?? 5);
// A cell stops after this much time once it has MIN_REPEATS samples (large full-frontier queries
// cost close to a full pass each).
const CELL_BUDGET_MS = Number(process.env.BENCH_CELL_BUDGET_MS ?? 20000);
const MIN_REPEATS = 20;
const FRONTIERS = list(process.env.BENCH_FRONTIERS, 'full,fanout');
const SIZES = [1, 16, 256];

function percentile(samples: number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

function main(): void {
  const env = environment();
  const t0 = Date.now();
  const g = rmat({ scale: SCALE, edgeFactor: 16, seed: 1 });
  const n = g.numNodes;
  const x = Tensor.from(randomValues(n * 128, 7), [n, 128]);
  const model = new nn.Sequential([
    new nn.SAGEConv({ inChannels: 128, outChannels: 128 }),
    new nn.ReLU(),
    new nn.SAGEConv({ inChannels: 128, outChannels: 16 }),
  ]).resetParameters({ seed: 3 });
  const deg = g.inDegrees();
  console.error(`rmat-${SCALE}: ${n} nodes, ${g.numEdges} edges, max in-degree ${deg.reduce((m, d) => Math.max(m, d), 0)} (built in ${Date.now() - t0} ms)`);
  const before = getNumThreads();
  const rows: string[] = [];
  for (const threads of THREADS) {
    setNumThreads(threads);
    model.forwardSync(g, x);
    const full: number[] = [];
    for (let r = 0; r < FULL_REPEATS; r++) {
      const s = process.hrtime.bigint();
      model.forwardSync(g, x);
      full.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    const fullMs = percentile(full, 0.5);
    console.error(`t=${threads} full graph: p50 ${fmt(fullMs, 1)} ms`);
    const kinds = [null, [10, 5]] as const;
    for (const fanout of kinds.filter((f) => FRONTIERS.includes(f === null ? 'full' : 'fanout'))) {
      for (const size of SIZES) {
        const rng = new Random(1000 + size);
        const query = () => Int32Array.from({ length: size }, () => rng.int(n));
        const opts = fanout === null ? undefined : { fanout: [...fanout], seed: 1 };
        for (let i = 0; i < (fanout === null ? 3 : 30); i++) model.forwardNodesSync(g, x, query(), opts);
        const samples: number[] = [];
        const start = Date.now();
        for (let r = 0; r < REPEATS && (r < MIN_REPEATS || Date.now() - start < CELL_BUDGET_MS); r++) {
          const nodes = query();
          const s = process.hrtime.bigint();
          model.forwardNodesSync(g, x, nodes, opts);
          samples.push(Number(process.hrtime.bigint() - s) / 1e6);
        }
        const repeats = samples.length;
        const p50 = percentile(samples, 0.5);
        const p99 = percentile(samples, 0.99);
        const label = fanout === null ? 'full frontier' : `fanout [${fanout.join(', ')}]`;
        console.error(`t=${threads} ${label} ${size} nodes: p50 ${fmt(p50, 3)} ms, p99 ${fmt(p99, 3)} ms (${repeats} queries)`);
        rows.push(`| ${threads} | ${label} | ${size} | ${fmt(p50, 3)} | ${fmt(p99, 3)} | ${fmt(fullMs, 0)} | ${fmt(fullMs / p50, 0)}x |`);
      }
    }
  }
  setNumThreads(before);
  const lines = [
    `Machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores; SIMD ${String(env.simd)}; Node ${String(env.node)}; ${String(env.date).slice(0, 10)}; commit ${String(env.gitSha)}.`,
    `Graph: R-MAT scale ${SCALE} (${n} nodes, ${g.numEdges} edges); model: SAGEConv(mean) 128 → 128, ReLU, SAGEConv(mean) 128 → 16, random weights; dense fp32 features.`,
    '',
    '| threads | frontier | query nodes | p50 ms | p99 ms | full graph ms | full / p50 |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ];
  console.log(lines.join('\n'));
}

main();
