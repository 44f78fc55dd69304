/** Element-wise comparison of a float32 result with a float64 reference and a per-element bound. */
import { expect } from 'vitest';

export function expectWithin(
  got: Float32Array,
  want: Float64Array,
  bound: Float64Array | number,
  label = '',
): void {
  expect(got.length, `${label} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    const b = typeof bound === 'number' ? bound : bound[i];
    if (Number.isNaN(w) || Number.isNaN(g) || !Number.isFinite(w) || !Number.isFinite(g)) {
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w)) && g !== w) {
        expect.fail(`${label}[${i}]: got ${g}, expected ${w}`);
      }
      continue;
    }
    if (Math.abs(g - w) > b) {
      expect.fail(`${label}[${i}]: got ${g}, expected ${w} ± ${b} (off by ${Math.abs(g - w)})`);
    }
  }
}

/** Bitwise equality of two float32 arrays (NaN payloads included). */
export function expectBitwiseEqual(a: Float32Array, b: Float32Array, label = ''): void {
  expect(a.length, `${label} length`).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) expect.fail(`${label}[${i}]: ${a[i]} (0x${ua[i].toString(16)}) != ${b[i]} (0x${ub[i].toString(16)})`);
  }
}

export function nanFilled(n: number): Float32Array {
  return new Float32Array(n).fill(Number.NaN);
}
