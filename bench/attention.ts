/**
 * `npm run bench:attention`: the fused gatAggregate against the unfused chain (sddmm add ->
 * leaky relu -> edgeSoftmax -> spmm with [E, H] weights) on R-MAT scale 18 (average degree 16),
 * H = 8 with F = 8 and 32; and sddmm / edgeSoftmax alone with their effective bandwidth. Every
 * path writes into preallocated outputs; memory is what each path must allocate per call.
 */
import { Graph, Tensor, getNumThreads, measureMemoryBandwidth, ops, randomValues, rmat, setNumThreads } from '../lib/index';
import { environment, fmt, time } from './harness';

const SCALE = Number(process.env.BENCH_SCALE ?? 18);
const THREADS = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);

function aligned(n: number, seed: number, low = -1, high = 1): Float32Array {
  const t = Tensor.zeros([n]).data;
  t.set(randomValues(n, seed, { low, high }));
  return t;
}

function main(): void {
  const env = environment();
  const g = rmat({ scale: SCALE, edgeFactor: 16, seed: 1 });
  const n = g.numNodes;
  const e = g.numEdges;
  const threadsBefore = getNumThreads();
  const bw: Record<number, number> = {};
  for (const t of THREADS) bw[t] = measureMemoryBandwidth({ threads: t, bytes: 256 * 2 ** 20 }).copy;
  console.log(`Machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores; SIMD ${String(env.simd)}; Node ${String(env.node)}; ${String(env.date).slice(0, 10)}; commit ${String(env.gitSha)}.`);
  console.log(`Graph: R-MAT scale ${SCALE}, ${n} nodes, ${e} edges. Copy bandwidth: ${THREADS.map((t) => `${t} thread(s) ${fmt(bw[t])} GB/s`).join(', ')}.`);
  console.log('');
  console.log('| H x F | threads | fused ms | unfused ms | speed-up | fused extra memory | unfused extra memory |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const heads = 8;
  for (const f of [8, 32]) {
    const x = Tensor.from(aligned(n * heads * f, 1), [n, heads * f]);
    const aSrc = Tensor.from(aligned(n * heads, 2, -2, 2), [n, heads]);
    const aDst = Tensor.from(aligned(n * heads, 3, -2, 2), [n, heads]);
    const out = Tensor.zeros([n, heads * f]);
    const out2 = Tensor.zeros([n, heads * f]);
    const scores = Tensor.zeros([e, heads]);
    for (const t of THREADS) {
      setNumThreads(t);
      const fused: number[] = [];
      const unfused: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        fused.push(time(() => ops.gatAggregateSync(g, x, aSrc, aDst, { out }), 1, r === 0 ? 2 : 0).medianMs);
        unfused.push(
          time(
            () => {
              ops.sddmmSync(g, aSrc, aDst, { op: 'add', out: scores });
              ops.activationSync(scores, 'leaky_relu', { alpha: 0.2, out: scores });
              ops.edgeSoftmaxSync(g, scores, { out: scores });
              ops.spmmSync(g, x, { weights: scores, out: out2 });
            },
            1,
            r === 0 ? 2 : 0,
          ).medianMs,
        );
      }
      const med = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
      const ratio = med(fused.map((v, i) => unfused[i] / v));
      console.log(
        `| ${heads} x ${f} | ${t} | ${fmt(med(fused))} | ${fmt(med(unfused))} | ${fmt(ratio)}x | 0 (output only) | ${fmt((e * heads * 4) / 2 ** 20, 0)} MiB (the E x H scores) |`,
      );
    }
  }
  console.log('');
  console.log('| op | edge order | shape | threads | ms | bytes moved (model) | GB/s | of copy bandwidth |');
  console.log('|---|---|---|---:|---:|---:|---:|---:|');
  // The same graph with its edges given in CSR order: per-edge data is then read and written
  // sequentially instead of at random positions.
  const csrOrder = Graph.fromCSR(g.indptr, g.indices);
  for (const [order, gg] of [['random (as generated)', g], ['CSR (sorted by target)', csrOrder]] as const) for (const h of [1, 8]) {
    const u = Tensor.from(aligned(n * h, 4), [n, h]);
    const v = Tensor.from(aligned(n * h, 5), [n, h]);
    const s = Tensor.zeros([e, h]);
    const scores = Tensor.from(aligned(e * h, 6, -5, 5), [e, h]);
    const soft = Tensor.zeros([e, h]);
    for (const t of THREADS) {
      setNumThreads(t);
      // sddmm add: per edge an index, an edge id, the source's H floats (gathered) and H written;
      // the destination's row once per node.
      const sddmmBytes = e * (4 + 4 + 8 * h) + n * (8 + 4 * h);
      const ms1 = time(() => ops.sddmmSync(gg, u, v, { op: 'add', out: s }), REPEATS).medianMs;
      console.log(`| sddmm add | ${order} | [E, ${h}] | ${t} | ${fmt(ms1)} | ${fmt(sddmmBytes / 2 ** 20, 0)} MiB | ${fmt(sddmmBytes / ms1 / 1e6)} | ${fmt((100 * sddmmBytes) / ms1 / 1e6 / bw[t], 0)}% |`);
      // edgeSoftmax: scores read once from memory (the other two passes hit cache), written once.
      const softBytes = e * (4 + 4 + 8 * h) + n * 8;
      const ms2 = time(() => ops.edgeSoftmaxSync(gg, scores, { out: soft }), REPEATS).medianMs;
      console.log(`| edgeSoftmax | ${order} | [E, ${h}] | ${t} | ${fmt(ms2)} | ${fmt(softBytes / 2 ** 20, 0)} MiB | ${fmt(softBytes / ms2 / 1e6)} | ${fmt((100 * softBytes) / ms2 / 1e6 / bw[t], 0)}% |`);
    }
  }
  setNumThreads(threadsBefore);
}

main();
