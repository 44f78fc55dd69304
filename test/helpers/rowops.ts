/** Comparison and data helpers for the row-op tests. */
import { expect } from 'vitest';

import type { SimdLevel } from '../../lib/backend';
import { randomArray } from '../fixtures/graphs';

/** The feature widths every row op is swept over (DGL's awkward sizes). */
export const WIDTHS = [1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 128, 129, 257];

/** float32 lanes per vector at each SIMD level. */
export const LANES: Record<SimdLevel, number> = { scalar: 1, avx2: 8, avx512: 16 };

/**
 * Compares float32 results with a float64 reference and per-element bound. Where the reference
 * is NaN, or rounds to ±inf in float32, the result must be the same special value.
 */
export function expectClose(got: Float32Array, want: Float64Array, bound: Float64Array, label: string): void {
  expect(got.length, `${label} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    const w32 = Math.fround(w);
    if (Number.isNaN(w) || !Number.isFinite(w32)) {
      if (!(Number.isNaN(w) ? Number.isNaN(g) : g === w32)) expect.fail(`${label}[${i}]: got ${g}, expected ${w32}`);
      continue;
    }
    if (!(Math.abs(g - w) <= bound[i])) {
      expect.fail(`${label}[${i}]: got ${g}, expected ${w} ± ${bound[i]} (off by ${Math.abs(g - w)})`);
    }
  }
}

/** Bitwise equality of float32 arrays (NaN payloads included), one message for the first difference. */
export function expectSameBits(got: Float32Array, want: Float32Array, label: string): void {
  expect(got.length, `${label} length`).toBe(want.length);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) expect.fail(`${label}[${i}]: got ${got[i]} (0x${a[i].toString(16)}), expected ${want[i]} (0x${b[i].toString(16)})`);
  }
}

/** Values in [low, high) from a seed (float32). */
export function values(n: number, seed: number, low = -1, high = 1): Float32Array {
  return randomArray(n, seed, low, high);
}

/** n indices in [0, rows) from a seed, with repeats. */
export function indices(n: number, rows: number, seed: number): Int32Array {
  const r = randomArray(n, seed, 0, 1);
  return Int32Array.from(r, (v) => Math.min(rows - 1, Math.floor(v * rows)));
}
