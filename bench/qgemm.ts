/**
 * `npm run bench:qgemm`: the int8 GEMM (quantizedLinear) against our fp32 linear on the same
 * shapes as bench/gemm.ts, side by side in one run: per shape and thread count the three are timed
 * interleaved (fp32 linear; int8 with fp32 x quantized per row inside the GEMM; int8 with x already
 * uint8 codes), REPEATS rounds after a warm-up, medians reported. GOP/s counts 2 N M K for all
 * three; the ratios are per-round time ratios against fp32 (medians), so load bursts on a shared
 * host hit both sides of a ratio.
 *
 * Prediction before optimizing (Zen 5, AVX512-VNNI): vpdpbusd does 64 multiply-adds per zmm
 * instruction vs 16 per fp32 FMA, so the micro-kernel's ceiling is 4x; with the broadcast loads
 * and the epilogue ~3x for pre-quantized x at K, M >= 128, and the fused per-row quantization
 * (two passes over K floats per row, ~M/16 dot instructions per 4 k to amortise it) costs most at
 * small M: ~1.5-2x at M = 64, ~2.5x at M >= 256.
 *
 * Options (env): BENCH_N=10000,100000 BENCH_K=64,128,256,512 BENCH_M=64,128,256,512
 * BENCH_THREADS=1,2 BENCH_REPEATS=7
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Tensor, backendInfo, getNumThreads, ops, randomValues, setNumThreads } from '../lib/index';
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
  fp32Ms: number;
  fusedMs: number;
  u8Ms: number;
  fp32Gops: number;
  fusedGops: number;
  u8Gops: number;
  fusedRatio: number;
  u8Ratio: number;
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

function main(): void {
  const env = environment();
  const threadsBefore = getNumThreads();
  const path8 = ops.int8Path();
  console.error(`# machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores, ${backendInfo().simd}, int8 path ${path8}, node ${String(env.node)}`);
  const rows: Row[] = [];
  for (const n of NS) {
    for (const k of KS) {
      const x = Tensor.zeros([n, k]);
      x.data.set(randomValues(n * k, k));
      const xq = ops.quantizeSync(x, { dtype: 'uint8' });
      for (const m of MS) {
        const w = Tensor.zeros([m, k]);
        w.data.set(randomValues(m * k, m + 1));
        const wq = ops.quantizeWeight(w);
        ops.packLinearWeight(w);
        ops.packQuantizedWeight(wq);
        const bias = Tensor.zeros([m]);
        bias.data.set(randomValues(m, m + 2));
        const out = Tensor.zeros([n, m]);
        const ops2 = 2 * n * k * m;
        for (const threads of THREADS) {
          setNumThreads(threads);
          const fp: number[] = [];
          const fused: number[] = [];
          const u8: number[] = [];
          for (let r = 0; r < REPEATS; r++) {
            const warm = r === 0 ? 1 : 0;
            fp.push(time(() => ops.linearSync(x, w, { bias, activation: 'relu', out }), 1, warm).medianMs);
            fused.push(time(() => ops.quantizedLinearSync(x, wq, { bias, activation: 'relu', out }), 1, warm).medianMs);
            u8.push(time(() => ops.quantizedLinearSync(xq, wq, { bias, activation: 'relu', out }), 1, warm).medianMs);
          }
          const g = (ms: number) => ops2 / (ms / 1e3) / 1e9;
          const row: Row = {
            n,
            k,
            m,
            threads,
            fp32Ms: median(fp),
            fusedMs: median(fused),
            u8Ms: median(u8),
            fp32Gops: g(median(fp)),
            fusedGops: g(median(fused)),
            u8Gops: g(median(u8)),
            fusedRatio: median(fp.map((t, i) => t / fused[i])),
            u8Ratio: median(fp.map((t, i) => t / u8[i])),
          };
          rows.push(row);
          console.error(
            `N=${n} K=${k} M=${m} t=${threads}: fp32 ${fmt(row.fp32Gops)} GFLOP/s; int8 fused ${fmt(row.fusedGops)} GOP/s (${fmt(row.fusedRatio)}x); int8 u8 x ${fmt(row.u8Gops)} GOP/s (${fmt(row.u8Ratio)}x)`,
          );
        }
        ops.releasePackedWeight(w);
        ops.releaseQuantizedWeight(wq);
      }
    }
  }
  setNumThreads(threadsBefore);
  const lines: string[] = [];
  lines.push(
    `Machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores, ${String(env.memoryGiB)} GiB; SIMD ${String(env.simd)}, int8 path ${path8}; ${String(env.compiler)}; Node ${String(env.node)}; ${String(env.date).slice(0, 10)}; commit ${String(env.gitSha)}.`,
  );
  lines.push('All three with bias + relu fused; medians of per-round times (ratios: medians of per-round fp32 / int8).');
  lines.push('');
  lines.push('| N | K | M | threads | fp32 GFLOP/s | int8 fused-quant GOP/s | ratio | int8 u8-x GOP/s | ratio |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(`| ${r.n} | ${r.k} | ${r.m} | ${r.threads} | ${fmt(r.fp32Gops)} | ${fmt(r.fusedGops)} | ${fmt(r.fusedRatio)}x | ${fmt(r.u8Gops)} | ${fmt(r.u8Ratio)}x |`);
  }
  console.log(lines.join('\n'));
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `qgemm-${String(env.host)}-${String(env.date).replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ env, int8Path: path8, rows }, null, 2));
  console.error(`# wrote ${file}`);
}

main();
