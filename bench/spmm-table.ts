/**
 * `npm run bench`: spmm against two baselines measured side by side in this process (a
 * well-written pure-JS CSR loop and the plain register-blocked C++ loop), with the machine's own
 * memory bandwidth measured first. Prints a markdown table (BENCHMARKS.md) and writes JSON to
 * bench/results/.
 *
 * Options (env): BENCH_GRAPHS=rmat-16,... BENCH_WIDTHS=16,64 BENCH_THREADS=1,2 BENCH_REPEATS=9
 * BENCH_JS=0 (skip the JS loop).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Tensor, getNumThreads, measureMemoryBandwidth, ops, randomValues, setNumThreads } from '../lib/index';
import { graphHandle } from '../lib/graph';
import { native } from '../lib/native';
import { jsSpmm } from './baselines/js-spmm';
import { benchGraph } from './graphs';
import { environment, fmt, time } from './harness';

const list = (v: string | undefined, d: string): string[] => (v ?? d).split(',').filter((s) => s !== '');
const GRAPHS = list(process.env.BENCH_GRAPHS, 'rmat-16,rmat-18,uniform-16,uniform-18,cora,pubmed');
const WIDTHS = list(process.env.BENCH_WIDTHS, '16,64,128,256').map(Number);
const THREADS = list(process.env.BENCH_THREADS, '1,2').map(Number);
const REDUCES = list(process.env.BENCH_REDUCES, 'sum,max') as Array<'sum' | 'max'>;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 9);
const WITH_JS = process.env.BENCH_JS !== '0';

interface Row {
  graph: string;
  nodes: number;
  edges: number;
  width: number;
  reduce: string;
  threads: number;
  oursMs: number;
  baselineMs: number;
  ratio: number;
  jsMs: number | null;
  gflops: number;
  compulsoryGBs: number;
  gatherGBs: number;
  compulsoryFrac: number;
  gatherFrac: number;
}

function main(): void {
  const env = environment();
  const threadsBefore = getNumThreads();
  console.error(`# machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores, ${String(env.simd)}, node ${String(env.node)}`);
  const bandwidth: Record<number, { copy: number; triad: number }> = {};
  for (const t of THREADS) {
    const bw = measureMemoryBandwidth({ threads: t, bytes: 256 * 2 ** 20, repeats: 5 });
    bandwidth[t] = { copy: bw.copy, triad: bw.triad };
    console.error(`# bandwidth ${t} thread(s): copy ${fmt(bw.copy)} GB/s, triad ${fmt(bw.triad)} GB/s`);
  }
  const addon = native();
  const rows: Row[] = [];
  for (const name of GRAPHS) {
    const { graph } = benchGraph(name);
    const h = graphHandle(graph);
    const indptr = graph.indptr as Int32Array;
    const indices = graph.indices;
    for (const width of WIDTHS) {
      // Features and outputs as the package allocates them (64-byte aligned, like every tensor a
      // layer produces); all three implementations read the same x and write equal buffers.
      const x = Tensor.zeros([graph.numSrcNodes, width]);
      x.data.set(randomValues(graph.numSrcNodes * width, width));
      const out = Tensor.zeros([graph.numNodes, width]);
      const outBase = Tensor.zeros([graph.numNodes, width]).data;
      const outJs = Tensor.zeros([graph.numNodes, width]).data;
      for (const reduce of REDUCES) {
        const code = reduce === 'sum' ? 0 : 2;
        const js = WITH_JS ? time(() => jsSpmm(indptr, indices, x.data, width, outJs, reduce), 3, 1).medianMs : null;
        for (const threads of THREADS) {
          setNumThreads(threads);
          const ours: number[] = [];
          const base: number[] = [];
          for (let r = 0; r < REPEATS; r++) {
            const warm = r === 0 ? 2 : 0;
            ours.push(time(() => ops.spmmSync(graph, x, { reduce, out }), 1, warm).medianMs);
            base.push(time(() => addon.baselineSpmmSync(h, x.data, width, outBase, code), 1, warm).medianMs);
          }
          const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
          // The ratio is the median of the ratios of adjacent (interleaved) runs: on a shared host a
          // burst of load hits both members of a pair, so it cancels.
          const ratio = median(ours.map((t, i) => base[i] / t));
          const oursMs = median(ours);
          const baselineMs = median(base);
          const e = graph.numEdges;
          const n = graph.numNodes;
          const compulsory = (n + 1) * 4 + e * 4 + graph.numSrcNodes * width * 4 + n * width * 4;
          const gather = (n + 1) * 4 + e * 4 + e * width * 4 + n * width * 4;
          const gbs = (bytes: number): number => bytes / (oursMs / 1e3) / 1e9;
          rows.push({
            graph: name,
            nodes: n,
            edges: e,
            width,
            reduce,
            threads,
            oursMs,
            baselineMs,
            ratio,
            jsMs: js,
            gflops: (e * width) / (oursMs / 1e3) / 1e9,
            compulsoryGBs: gbs(compulsory),
            gatherGBs: gbs(gather),
            compulsoryFrac: gbs(compulsory) / bandwidth[threads].copy,
            gatherFrac: gbs(gather) / bandwidth[threads].copy,
          });
          console.error(
            `${name} F=${width} ${reduce} t=${threads}: ours ${fmt(oursMs)} ms, baseline ${fmt(baselineMs)} ms (x${fmt(ratio)}), js ${js === null ? '–' : fmt(js)} ms`,
          );
        }
      }
    }
  }
  setNumThreads(threadsBefore);

  const lines: string[] = [];
  lines.push(`Machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores, ${String(env.memoryGiB)} GiB; SIMD ${String(env.simd)}; ${String(env.compiler)}; Node ${String(env.node)}; ${String(env.date).slice(0, 10)}; commit ${String(env.gitSha)}.`);
  lines.push(
    `Measured bandwidth (STREAM copy / triad, GB/s): ${THREADS.map((t) => `${t} thread${t > 1 ? 's' : ''} ${fmt(bandwidth[t].copy)} / ${fmt(bandwidth[t].triad)}`).join('; ')}.`,
  );
  lines.push('');
  lines.push('| graph | nodes | edges | F | reduce | threads | ours ms | C++ loop ms | JS loop ms | vs C++ loop | vs JS | GFLOP/s | compulsory GB/s (of copy bw) | gather GB/s (of copy bw) |');
  lines.push('|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(
      `| ${r.graph} | ${r.nodes} | ${r.edges} | ${r.width} | ${r.reduce} | ${r.threads} | ${fmt(r.oursMs)} | ${fmt(r.baselineMs)} | ${r.jsMs === null ? '–' : fmt(r.jsMs)} | ${fmt(r.ratio)}x | ${r.jsMs === null ? '–' : `${fmt(r.jsMs / r.oursMs, 0)}x`} | ${fmt(r.gflops)} | ${fmt(r.compulsoryGBs)} (${fmt(100 * r.compulsoryFrac, 0)}%) | ${fmt(r.gatherGBs)} (${fmt(100 * r.gatherFrac, 0)}%) |`,
    );
  }
  console.log(lines.join('\n'));
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `spmm-${String(env.host)}-${String(env.date).replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ env, bandwidth, rows }, null, 2));
  console.error(`# wrote ${file}`);
}

main();
