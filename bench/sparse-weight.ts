/**
 * `npm run bench:sparse-weight`: the crossover between the sparse-weight linear
 * (ops.sparseWeightLinearSync, a pruned SparseWeight) and the dense linear (ops.linearSync on the
 * same weight with its zeros stored, packed once), at densities 1% .. 50%, on the GEMM benchmark's
 * layer shapes and Cora's first layer (1433 -> 16). Per repeat, the dense call and every density
 * are timed one after another (interleaved), so load bursts on a shared host hit all of them;
 * the table shows medians over the repeats. "crossover" is the density where the sparse time
 * meets the dense time, interpolated linearly between the two measured densities around it.
 * Prints a markdown table and writes JSON to bench/results/.
 *
 * Options (env): BENCH_N=10000,100000 BENCH_SHAPES=64x64,128x128,256x256,1433x16 (K x M)
 * BENCH_DENSITIES=0.01,0.02,0.05,0.1,0.2,0.3,0.5 BENCH_THREADS=1,2 BENCH_REPEATS=7
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Random, SparseWeight, Tensor, backendInfo, getNumThreads, ops, randomValues, setNumThreads } from '../lib/index';
import { environment, fmt } from './harness';

const list = (v: string | undefined, d: string): string[] => (v ?? d).split(',').filter((s) => s !== '');
const NS = list(process.env.BENCH_N, '10000,100000').map(Number);
const SHAPES = list(process.env.BENCH_SHAPES, '64x64,128x128,256x256,1433x16').map((s) => s.split('x').map(Number) as [number, number]);
const DENSITIES = list(process.env.BENCH_DENSITIES, '0.01,0.02,0.05,0.1,0.2,0.3,0.5').map(Number);
const THREADS = list(process.env.BENCH_THREADS, '1,2').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);

interface Row {
  n: number;
  k: number;
  m: number;
  threads: number;
  denseMs: number;
  sparseMs: number[];
  /** Median over repeats of dense / sparse time, per density. */
  speedup: number[];
  crossover: number | null;
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

function timeOnce(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** A weight [m, k] with round(density m k) nonzeros at uniformly random places (magnitude pruning leaves no structure to exploit). */
function prunedWeight(m: number, k: number, density: number, seed: number): { dense: Tensor<'float32'>; sparse: SparseWeight } {
  const rng = new Random(seed);
  const total = m * k;
  const keep = Math.round(density * total);
  const order = new Int32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  for (let i = 0; i < keep; i++) {
    const j = i + Math.floor(rng.float() * (total - i));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const dense = Tensor.zeros([m, k]);
  for (let i = 0; i < keep; i++) dense.data[order[i]] = 0.05 + rng.float();
  return { dense, sparse: SparseWeight.fromDense(dense) };
}

/** Density where the sparse time meets the dense time (speedup 1), linear between measured densities; null if never. */
function crossover(densities: number[], speedup: number[]): number | null {
  if (speedup[0] < 1) return densities[0] > 0 ? 0 : null;
  for (let i = 1; i < densities.length; i++) {
    if (speedup[i] < 1) {
      const t = (speedup[i - 1] - 1) / (speedup[i - 1] - speedup[i]);
      return densities[i - 1] + t * (densities[i] - densities[i - 1]);
    }
  }
  return null; // wins at every measured density
}

function main(): void {
  const env = environment();
  const threadsBefore = getNumThreads();
  console.error(`# machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores, ${backendInfo().simd}, node ${String(env.node)}`);
  const rows: Row[] = [];
  for (const n of NS) {
    for (const [k, m] of SHAPES) {
      const x = Tensor.zeros([n, k]);
      x.data.set(randomValues(n * k, k));
      const bias = Tensor.zeros([m]);
      bias.data.set(randomValues(m, m + 2));
      const weights = DENSITIES.map((d, i) => prunedWeight(m, k, d, 1000 * k + m + i));
      const full = Tensor.zeros([m, k]);
      full.data.set(randomValues(m * k, m + 1));
      ops.packLinearWeight(full);
      const out = Tensor.zeros([n, m]);
      for (const threads of THREADS) {
        setNumThreads(threads);
        const dense: number[] = [];
        const sparse: number[][] = DENSITIES.map(() => []);
        const ratio: number[][] = DENSITIES.map(() => []);
        // Warm-up: first use of each weight (the sparse form's private copy) and the caches.
        ops.linearSync(x, full, { bias, activation: 'relu', out });
        for (const w of weights) ops.sparseWeightLinearSync(x, w.sparse, { bias, activation: 'relu', out });
        for (let r = 0; r < REPEATS; r++) {
          const d = timeOnce(() => ops.linearSync(x, full, { bias, activation: 'relu', out }));
          dense.push(d);
          weights.forEach((w, i) => {
            const s = timeOnce(() => ops.sparseWeightLinearSync(x, w.sparse, { bias, activation: 'relu', out }));
            sparse[i].push(s);
            ratio[i].push(d / s);
          });
        }
        const speedup = ratio.map(median);
        const row: Row = { n, k, m, threads, denseMs: median(dense), sparseMs: sparse.map(median), speedup, crossover: crossover(DENSITIES, speedup) };
        rows.push(row);
        console.error(
          `N=${n} K=${k} M=${m} t=${threads}: dense ${fmt(row.denseMs)} ms; sparse ${DENSITIES.map((dd, i) => `${dd * 100}%: ${fmt(row.sparseMs[i])} (x${fmt(speedup[i])})`).join(', ')}; crossover ${row.crossover === null ? '> max' : `${fmt(100 * row.crossover, 1)}%`}`,
        );
      }
    }
  }
  setNumThreads(threadsBefore);

  const lines: string[] = [];
  lines.push(
    `Machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores, ${String(env.memoryGiB)} GiB; SIMD ${String(env.simd)}; ${String(env.compiler)}; Node ${String(env.node)}; ${String(env.date).slice(0, 10)}; commit ${String(env.gitSha)}.`,
  );
  lines.push('');
  lines.push(`| N | K | M | threads | dense ms | ${DENSITIES.map((d) => `${d * 100}%`).join(' | ')} | crossover |`);
  lines.push(`|---:|---:|---:|---:|---:|${DENSITIES.map(() => '---:|').join('')}---:|`);
  for (const r of rows) {
    const cells = r.sparseMs.map((s, i) => `${fmt(s)} (×${fmt(r.speedup[i])})`);
    lines.push(
      `| ${r.n} | ${r.k} | ${r.m} | ${r.threads} | ${fmt(r.denseMs)} | ${cells.join(' | ')} | ${r.crossover === null ? `> ${DENSITIES[DENSITIES.length - 1] * 100}%` : `${fmt(100 * r.crossover, 1)}%`} |`,
    );
  }
  console.log(lines.join('\n'));
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `sparse-weight-${String(env.host)}-${String(env.date).replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ env, densities: DENSITIES, rows }, null, 2));
  console.error(`# wrote ${file}`);
}

main();
