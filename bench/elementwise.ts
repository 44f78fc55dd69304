/**
 * `npm run bench:elementwise`: the elementwise and row ops against this machine's memory
 * bandwidth. For each size and thread count it times (median of BENCH_REPEATS runs after warm-up,
 * outputs reused so no page faults are timed) add, add of a broadcast row, scale, softmax,
 * logSoftmax, concat, indexSelect and indexAdd, and reports GB/s under each op's byte model and
 * the fraction of the STREAM copy bandwidth measured at the same thread count in the addon.
 *
 * Byte models (what must cross the memory bus at least once; float32 = 4 bytes):
 *   add 12·N·F, add row 8·N·F, scale 8·N·F, softmax 8·N·F, concat 8·N·F,
 *   indexSelect 8·K·F + 4·K, indexAdd 12·K·F + 4·K (K = N random rows, with repeats),
 *   columnAffine and layerNorm 8·N·F, graphLayerNorm 16·N·F (x read three times).
 * Options: BENCH_SIZES (e.g. "10000x64,100000x64,1000000x128"), BENCH_THREADS ("1,2"),
 * BENCH_REPEATS (default 9), BENCH_OPS (comma list of op names).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Tensor, getNumThreads, measureMemoryBandwidth, ops, randomValues, setNumThreads } from '../lib/index';
import { environment, fmt, time } from './harness';

interface Size {
  rows: number;
  width: number;
}

function parseSizes(text: string): Size[] {
  return text.split(',').map((s) => {
    const [rows, width] = s.split('x').map(Number);
    if (!Number.isInteger(rows) || !Number.isInteger(width) || rows <= 0 || width <= 0 || width % 2 !== 0) {
      throw new Error(`BENCH_SIZES: expected ROWSxWIDTH with an even width, got ${s}`);
    }
    return { rows, width };
  });
}

const sizes = parseSizes(process.env.BENCH_SIZES ?? '10000x64,100000x64,1000000x128');
const threadCounts = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);
const repeats = Number(process.env.BENCH_REPEATS ?? 9);
const only = process.env.BENCH_OPS?.split(',');

interface Row {
  op: string;
  rows: number;
  width: number;
  threads: number;
  ms: number;
  gbps: number;
  ofCopy: number;
}

function randomIndex(n: number, rows: number, seed: number): Int32Array {
  const r = randomValues(n, seed, { low: 0, high: 1 });
  return Int32Array.from(r, (v) => Math.min(rows - 1, Math.floor(v * rows)));
}

function main(): void {
  const env = environment();
  const defaultThreads = getNumThreads();
  const copy: Record<number, number> = {};
  for (const t of threadCounts) copy[t] = measureMemoryBandwidth({ threads: t }).copy;
  console.log(`# bench:elementwise  ${JSON.stringify(env)}`);
  console.log(`STREAM copy GB/s: ${threadCounts.map((t) => `${t} thread${t > 1 ? 's' : ''} ${fmt(copy[t])}`).join(', ')}`);

  const results: Row[] = [];
  console.log('\n| op | N × F | threads | ms | GB/s | of copy bw |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const { rows: n, width: f } of sizes) {
    const x = Tensor.from(randomValues(n * f, 1, { low: -4, high: 4 }), [n, f]);
    const y = Tensor.from(randomValues(n * f, 2, { low: -4, high: 4 }), [n, f]);
    const out = Tensor.zeros([n, f]);
    const bias = Tensor.from(randomValues(f, 3), [f]);
    const half = (t: Tensor<'float32'>): Tensor<'float32'> => Tensor.from(t.data.subarray(0, (n * f) / 2), [n, f / 2]);
    const xh = half(x);
    const yh = half(y);
    const index = randomIndex(n, n, 4);
    const graphIds = Int32Array.from({ length: n }, (_, i) => Math.floor((i * 64) / n));
    const bytes = 4 * n * f;
    const cases: Array<{ op: string; bytes: number; run: () => void }> = [
      { op: 'add', bytes: 3 * bytes, run: () => ops.addSync(x, y, { out }) },
      { op: 'add (alpha, beta)', bytes: 3 * bytes, run: () => ops.addSync(x, y, { alpha: 0.1, beta: 0.9, out }) },
      { op: 'add row', bytes: 2 * bytes + 4 * f, run: () => ops.addSync(x, bias, { out }) },
      { op: 'scale', bytes: 2 * bytes, run: () => ops.scaleSync(x, 0.5, { out }) },
      { op: 'softmax', bytes: 2 * bytes, run: () => ops.softmaxSync(x, { out }) },
      { op: 'logSoftmax', bytes: 2 * bytes, run: () => ops.logSoftmaxSync(x, { out }) },
      { op: 'concat', bytes: 2 * bytes, run: () => ops.concatSync([xh, yh], { out }) },
      { op: 'indexSelect', bytes: 2 * bytes + 4 * n, run: () => ops.indexSelectSync(x, index, { out }) },
      { op: 'indexAdd', bytes: 3 * bytes + 4 * n, run: () => ops.indexAddSync(out, index, x) },
      { op: 'columnAffine', bytes: 2 * bytes + 8 * f, run: () => ops.columnAffineSync(x, bias, bias, { out }) },
      { op: 'layerNorm', bytes: 2 * bytes + 8 * f, run: () => ops.layerNormSync(x, { weight: bias, bias, out }) },
      // Three passes over x (mean, variance, normalise) when x exceeds the caches: 4·N·F read, N·F written.
      { op: 'graphLayerNorm (64 graphs)', bytes: 4 * bytes, run: () => ops.graphLayerNormSync(x, { batch: graphIds, weight: bias, bias, out }) },
    ];
    for (const c of cases) {
      if (only !== undefined && !only.includes(c.op)) continue;
      for (const t of threadCounts) {
        setNumThreads(t);
        const timing = time(c.run, repeats, 2);
        const gbps = c.bytes / (timing.medianMs * 1e-3) / 1e9;
        const row: Row = { op: c.op, rows: n, width: f, threads: t, ms: timing.medianMs, gbps, ofCopy: gbps / copy[t] };
        results.push(row);
        console.log(`| ${c.op} | ${n} × ${f} | ${t} | ${fmt(row.ms, 3)} | ${fmt(gbps)} | ${(100 * row.ofCopy).toFixed(0)}% |`);
      }
    }
  }
  setNumThreads(defaultThreads);

  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `elementwise-${String(env.date).replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ environment: env, copyGBps: copy, repeats, results }, null, 2));
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}

main();
