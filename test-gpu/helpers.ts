/**
 * Shared pieces of the GPU suite (npm run test:gpu): whether a device is there, the seed of this
 * run's random inputs, poisoned outputs, and the comparison against a per-element bound.
 *
 * Error model (the bounds each test states): u = 2^-24 is float32's unit roundoff. A sum of k
 * terms computed in any order is within γ_k·Σ|terms| of the exact sum, γ_k = k·u/(1 − k·u) ≤
 * (k + 1)·u for k·u < 1/2 (Higham, Accuracy and Stability of Numerical Algorithms, §4.2). The CPU
 * and the GPU each satisfy that, in different orders, so they differ by at most 2·γ_k·Σ|terms|;
 * every product rounded before it is summed adds u per term. Ops that round once per element in a
 * stated order (copies, max/min, add's fma, columnAffine's fma, quantize) must match bit for bit.
 */
import { expect } from 'vitest';

import { Tensor, backendInfo } from '../lib/index';
import { cudaNative } from '../lib/device';
import { deviceBuffer } from '../lib/tensor';

/** float32's unit roundoff. */
export const U = 2 ** -24;

const info = backendInfo();
const cuda = info.cuda as { available: boolean; reason?: string };
/** True when this process can run ops on cuda:0. */
export const gpu: boolean = cuda.available;

/** The seed of this run's inputs: GNN_GPU_SEED, else fresh each run (printed, to replay a failure). */
export const SEED = Number(process.env.GNN_GPU_SEED ?? Date.now() % 1_000_000_007);

let announced = false;
/** Prints, once per file, what this run is (or why it is skipped). */
export function announce(file: string): void {
  if (announced) return;
  announced = true;
  if (!gpu) console.log(`[test:gpu] ${file}: SKIPPED, no CUDA device: ${cuda.reason ?? 'backendInfo().cuda.available is false'}`);
  else console.log(`[test:gpu] ${file}: on cuda:0 with seed ${SEED} (replay with GNN_GPU_SEED=${SEED})`);
}

/** A float32 tensor on cuda:0 whose every byte is 0xFF (NaN in every lane): an `out` that shows any element a kernel does not write. */
export function poisoned(shape: readonly number[]): Tensor<'float32'> {
  const t = Tensor.zeros(shape, 'float32', { device: 'cuda' });
  cudaNative(0).fill(deviceBuffer('out', t), 0, t.byteLength, 0xff);
  return t;
}

/** Host elements of a tensor wherever it is. */
export function host(t: Tensor<'float32'>): Float32Array {
  return t.device === 'cpu' ? t.data : t.to('cpu').data;
}

/**
 * |got − want| ≤ bound element by element; NaN must meet NaN and infinities the same infinity.
 * `bound` is per element (a Float64Array) or one number; 0 asks for the same bits.
 */
export function expectWithin(got: Float32Array, want: Float32Array, bound: Float64Array | number, label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  const g32 = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w32 = new Uint32Array(want.buffer, want.byteOffset, want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    const b = typeof bound === 'number' ? bound : bound[i];
    if (b === 0) {
      if (g32[i] !== w32[i] && !(Number.isNaN(g) && Number.isNaN(w))) {
        expect.fail(`${label}[${i}]: GPU ${g} (0x${g32[i].toString(16)}), CPU ${w} (0x${w32[i].toString(16)}): expected the same bits (seed ${SEED})`);
      }
      continue;
    }
    if (Number.isNaN(w) || Number.isNaN(g) || !Number.isFinite(w) || !Number.isFinite(g)) {
      if (!(Number.isNaN(g) && Number.isNaN(w)) && g !== w) expect.fail(`${label}[${i}]: GPU ${g}, CPU ${w} (seed ${SEED})`);
      continue;
    }
    const d = Math.abs(g - w);
    if (!(d <= b)) expect.fail(`${label}[${i}]: GPU ${g}, CPU ${w}, |diff| ${d} > bound ${b} (seed ${SEED})`);
    if (b > 0) worst = Math.max(worst, d / b);
  }
  expect(worst).toBeLessThanOrEqual(1);
}

/** Bytes of a tensor of any dtype, for bitwise comparisons. */
export function bytes(t: Tensor): Uint8Array {
  const d = (t.device === 'cpu' ? t : t.to('cpu')).data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Same bytes, with the first difference named. */
export function expectSameBytes(got: Tensor, want: Tensor, label: string): void {
  const a = bytes(got);
  const b = bytes(want);
  expect(a.length, `${label}: bytes`).toBe(b.length);
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) expect.fail(`${label}: byte ${i}: GPU ${a[i]}, CPU ${b[i]} (seed ${SEED})`);
}
