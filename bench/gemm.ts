/**
 * `npm run bench:gemm`: linear (fp32 GEMM, out = act(x · Wᵀ + b)) against this machine's own fp32
 * FMA peak, measured by the addon's probe in the same run (per thread count, before and after the
 * table; the higher is used, so the fractions are conservative). Also the cost of packing a
 * weight, and of the fused epilogue: linear with bias + relu / gelu against plain x · Wᵀ, timed
 * interleaved with it so load bursts on a shared host hit both. Prints a markdown table and
 * writes JSON to bench/results/.
 *
 * Options (env): BENCH_N=10000,100000 BENCH_K=64,128,256,512 BENCH_M=64,128,256,512
 * BENCH_THREADS=1,2 BENCH_REPEATS=7
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Tensor, backendInfo, getNumThreads, measurePeakFlops, ops, randomValues, setNumThreads } from '../lib/index';
import { environment, fmt, time } from './harness';

const list = (v: string | undefined, d: string): number[] =>
  (v ?? d)
    .split(',')
    .filter((s) => s !== '')
    .map(Number);
const NS = list(process.env.BENCH_N, '10000,100000');
const KS = list(process.env.BENCH_K, '64,128,256,512');
const MS = list(process.env.BENCH_M, '64,128,256,512');
const THREADS = list(process.env.BENCH_THREADS, '1,2');
const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);

interface Row {
  n: number;
  k: number;
  m: number;
  threads: number;
  ms: number;
  gflops: number;
  peakFrac: number;
  reluMs: number;
  reluCost: number;
  geluMs: number;
  geluCost: number;
  packMs: number;
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

function peaks(): Record<number, number> {
  const r: Record<number, number> = {};
  for (const t of THREADS) r[t] = measurePeakFlops({ threads: t, ms: 200 });
  return r;
}

function main(): void {
  const env = environment();
  const threadsBefore = getNumThreads();
  console.error(`# machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores, ${backendInfo().simd}, node ${String(env.node)}`);
  const before = peaks();
  for (const t of THREADS) console.error(`# fp32 FMA peak, ${t} thread(s): ${fmt(before[t])} GFLOP/s`);
  const rows: Row[] = [];
  for (const n of NS) {
    for (const k of KS) {
      const x = Tensor.zeros([n, k]);
      x.data.set(randomValues(n * k, k));
      for (const m of MS) {
        const w = Tensor.zeros([m, k]);
        w.data.set(randomValues(m * k, m + 1));
        const bias = Tensor.zeros([m]);
        bias.data.set(randomValues(m, m + 2));
        // Packing: a fresh copy each time (what the first use of a weight pays).
        const packMs = time(() => ops.packLinearWeight(w), 9, 2).medianMs;
        const out = Tensor.zeros([n, m]);
        const flops = 2 * n * k * m;
        for (const threads of THREADS) {
          setNumThreads(threads);
          const none: number[] = [];
          const relu: number[] = [];
          const gelu: number[] = [];
          for (let r = 0; r < REPEATS; r++) {
            const warm = r === 0 ? 1 : 0;
            none.push(time(() => ops.linearSync(x, w, { out }), 1, warm).medianMs);
            relu.push(time(() => ops.linearSync(x, w, { bias, activation: 'relu', out }), 1, warm).medianMs);
            gelu.push(time(() => ops.linearSync(x, w, { bias, activation: 'gelu', out }), 1, warm).medianMs);
          }
          const ms = median(none);
          const gflops = flops / (ms / 1e3) / 1e9;
          const row: Row = {
            n,
            k,
            m,
            threads,
            ms,
            gflops,
            peakFrac: 0, // filled in once the closing peak is known
            reluMs: median(relu),
            reluCost: median(relu.map((t, i) => t / none[i])) - 1,
            geluMs: median(gelu),
            geluCost: median(gelu.map((t, i) => t / none[i])) - 1,
            packMs,
          };
          rows.push(row);
          console.error(
            `N=${n} K=${k} M=${m} t=${threads}: ${fmt(ms)} ms, ${fmt(gflops)} GFLOP/s (${fmt((100 * gflops) / before[threads], 0)}% of peak); bias+relu ${fmt(100 * row.reluCost, 1)}%, bias+gelu ${fmt(100 * row.geluCost, 1)}%; pack ${fmt(packMs, 3)} ms`,
          );
        }
        ops.releasePackedWeight(w);
      }
    }
  }
  const after = peaks();
  const peak: Record<number, number> = {};
  for (const t of THREADS) {
    peak[t] = Math.max(before[t], after[t]);
    console.error(`# fp32 FMA peak, ${t} thread(s): ${fmt(before[t])} before, ${fmt(after[t])} after`);
  }
  for (const r of rows) r.peakFrac = r.gflops / peak[r.threads];
  setNumThreads(threadsBefore);

  const lines: string[] = [];
  lines.push(
    `Machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores, ${String(env.memoryGiB)} GiB; SIMD ${String(env.simd)}; ${String(env.compiler)}; Node ${String(env.node)}; ${String(env.date).slice(0, 10)}; commit ${String(env.gitSha)}.`,
  );
  lines.push(`Measured fp32 FMA peak (GFLOP/s): ${THREADS.map((t) => `${t} thread${t > 1 ? 's' : ''} ${fmt(peak[t])}`).join('; ')}.`);
  lines.push('');
  lines.push('| N | K | M | threads | ms | GFLOP/s | % of peak | +bias+relu | +bias+gelu | pack W (ms) |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(
      `| ${r.n} | ${r.k} | ${r.m} | ${r.threads} | ${fmt(r.ms)} | ${fmt(r.gflops)} | ${fmt(100 * r.peakFrac, 0)}% | ${fmt(100 * r.reluCost, 1)}% | ${fmt(100 * r.geluCost, 1)}% | ${fmt(r.packMs, 3)} |`,
    );
  }
  console.log(lines.join('\n'));
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `gemm-${String(env.host)}-${String(env.date).replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ env, peak: { before, after }, rows }, null, 2));
  console.error(`# wrote ${file}`);
}

main();
