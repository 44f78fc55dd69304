/**
 * `npm run bench:qspmm`: spmmInt8 (int8 features, per-row scales) against our fp32 spmm on the
 * same graph and the same (dequantized-equivalent) features, measured side by side in one process:
 * every repeat runs one fp32 call and one int8 call back to back, and the speed-up is the median
 * of those pairs' ratios (a burst of load on the shared host hits both members of a pair).
 *
 * Byte model (what each kernel must move, counted per call):
 *   fp32: E · (4F gathered + 4 index [+ 4 weight]) + N · (4 indptr + 4F output)
 *   int8: E · (F gathered + 4 index + 4 scale [+ 4 weight]) + N · (4 indptr + 4F output)
 * Options (env): BENCH_GRAPHS=rmat-18 BENCH_WIDTHS=64,128,256 BENCH_THREADS=1,2 BENCH_REPEATS=9
 * BENCH_CASES=sum,mean,gcn,sum-weighted
 *   gcn: the graph's own weights (CSR order) of gcnNorm(graph); sum-weighted: a per-edge
 *   Float32Array [E] in the caller's edge order (read through the graph's edge ids, a random gather).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Tensor, getNumThreads, measureMemoryBandwidth, ops, randomValues, setNumThreads } from '../lib/index';
import { QuantizedTensor } from '../lib/quantized';
import { benchGraph } from './graphs';
import { environment, fmt, time } from './harness';

const list = (v: string | undefined, d: string): string[] => (v ?? d).split(',').filter((s) => s !== '');
const GRAPHS = list(process.env.BENCH_GRAPHS, 'rmat-18');
const WIDTHS = list(process.env.BENCH_WIDTHS, '64,128,256').map(Number);
const THREADS = list(process.env.BENCH_THREADS, '1,2').map(Number);
const CASES = list(process.env.BENCH_CASES, 'sum,mean,gcn,sum-weighted');
const REPEATS = Number(process.env.BENCH_REPEATS ?? 9);

interface Row {
  graph: string;
  edges: number;
  width: number;
  case: string;
  threads: number;
  fp32Ms: number;
  int8Ms: number;
  speedup: number;
  fp32GBs: number;
  int8GBs: number;
}

/** Per-row symmetric int8 of x (the bench's own; scale = max|x| / 127). */
function quantizeRows(x: Float32Array, rows: number, width: number): QuantizedTensor {
  const q = Tensor.zeros([rows, width], 'int8');
  const scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let amax = 0;
    for (let c = 0; c < width; c++) amax = Math.max(amax, Math.abs(x[r * width + c]));
    const s = amax === 0 ? 1 : amax / 127;
    scale[r] = s;
    for (let c = 0; c < width; c++) q.data[r * width + c] = Math.round(x[r * width + c] / s);
  }
  return new QuantizedTensor(q, scale);
}

function median(a: number[]): number {
  return [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
}

function main(): void {
  const env = environment();
  const threadsBefore = getNumThreads();
  console.error(`# machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores, ${String(env.simd)}, node ${String(env.node)}`);
  const bandwidth: Record<number, number> = {};
  for (const t of THREADS) {
    bandwidth[t] = measureMemoryBandwidth({ threads: t, bytes: 256 * 2 ** 20, repeats: 5 }).copy;
    console.error(`# bandwidth ${t} thread(s): copy ${fmt(bandwidth[t])} GB/s`);
  }
  const rows: Row[] = [];
  for (const name of GRAPHS) {
    const plain = benchGraph(name).graph;
    const normed = plain.gcnNorm();
    const weights = randomValues(plain.numEdges, 7);
    for (const width of WIDTHS) {
      const x = Tensor.zeros([plain.numSrcNodes, width]);
      x.data.set(randomValues(plain.numSrcNodes * width, width));
      const xq = quantizeRows(x.data, plain.numSrcNodes, width);
      const out = Tensor.zeros([plain.numNodes, width]);
      const outQ = Tensor.zeros([plain.numNodes, width]);
      for (const c of CASES) {
        const reduce = c.startsWith('mean') ? 'mean' : 'sum';
        const graph = c === 'gcn' ? normed : plain;
        const w = c === 'gcn' ? ('graph' as const) : c === 'sum-weighted' ? weights : undefined;
        const e = graph.numEdges;
        const n = graph.numNodes;
        for (const threads of THREADS) {
          setNumThreads(threads);
          const f: number[] = [];
          const q: number[] = [];
          for (let r = 0; r < REPEATS; r++) {
            const warm = r === 0 ? 2 : 0;
            f.push(time(() => ops.spmmSync(graph, x, { reduce, weights: w, out }), 1, warm).medianMs);
            q.push(time(() => ops.spmmInt8Sync(graph, xq, { reduce, weights: w, out: outQ }), 1, warm).medianMs);
          }
          const fp32Ms = median(f);
          const int8Ms = median(q);
          const perEdgeExtra = w === undefined ? 0 : 4;
          const fp32Bytes = e * (4 * width + 4 + perEdgeExtra) + n * (4 + 4 * width);
          const int8Bytes = e * (width + 8 + perEdgeExtra) + n * (4 + 4 * width);
          const row: Row = {
            graph: name,
            edges: plain.numEdges,
            width,
            case: c,
            threads,
            fp32Ms,
            int8Ms,
            speedup: median(f.map((t, i) => t / q[i])),
            fp32GBs: fp32Bytes / (fp32Ms / 1e3) / 1e9,
            int8GBs: int8Bytes / (int8Ms / 1e3) / 1e9,
          };
          rows.push(row);
          console.error(`${name} F=${width} ${c} t=${threads}: fp32 ${fmt(fp32Ms)} ms, int8 ${fmt(int8Ms)} ms (x${fmt(row.speedup)})`);
        }
      }
    }
  }
  setNumThreads(threadsBefore);

  const lines: string[] = [];
  lines.push(`Machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores, ${String(env.memoryGiB)} GiB; SIMD ${String(env.simd)}; ${String(env.compiler)}; Node ${String(env.node)}; ${String(env.date).slice(0, 10)}; commit ${String(env.gitSha)}.`);
  lines.push(`Measured bandwidth (STREAM copy, GB/s): ${THREADS.map((t) => `${t} thread${t > 1 ? 's' : ''} ${fmt(bandwidth[t])}`).join('; ')}.`);
  lines.push('');
  lines.push('| graph | edges | F | case | threads | fp32 ms | int8 ms | int8 speed-up | fp32 GB/s | int8 GB/s (of copy bw) |');
  lines.push('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(
      `| ${r.graph} | ${r.edges} | ${r.width} | ${r.case} | ${r.threads} | ${fmt(r.fp32Ms)} | ${fmt(r.int8Ms)} | ${fmt(r.speedup)}x | ${fmt(r.fp32GBs)} | ${fmt(r.int8GBs)} (${fmt((100 * r.int8GBs) / bandwidth[r.threads], 0)}%) |`,
    );
  }
  console.log(lines.join('\n'));
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `qspmm-${String(env.host)}-${String(env.date).replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ env, bandwidth, rows }, null, 2));
  console.error(`# wrote ${file}`);
}

main();
