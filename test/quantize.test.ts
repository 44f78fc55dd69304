/**
 * quantize / dequantize / quantizeWeight against test/reference/quant.ts: codes and scales bit for
 * bit (round-half-even ties, saturation, −128 never produced, zero and constant rows, huge dynamic
 * range), on every int8 path, 1 vs 2 threads, async forms, and the error codes of bad input.
 */
import { describe, expect, it } from 'vitest';

import { GnnError, Tensor, getNumThreads, ops, setNumThreads } from '../lib/index';
import { QuantizedTensor } from '../lib/quantized';
import { randomArray } from './fixtures/graphs';
import { expectBitwiseEqual, nanFilled } from './helpers/compare';
import { expectError } from './helpers/errors';
import { availableInt8Paths, withInt8Path } from './helpers/int8';
import { quantizeRef } from './reference/quant';

const PATHS = availableInt8Paths();
const WIDTHS = [1, 3, 5, 16, 17, 63, 64, 65, 130];

function t2(values: number[] | Float32Array, n: number, k: number): Tensor<'float32'> {
  return Tensor.from(Float32Array.from(values), [n, k]);
}

function expectQuant(q: QuantizedTensor, x: Float32Array, n: number, k: number, signed: boolean, perRow: boolean, label: string, fixed?: { scale: number; zp: number }): void {
  const ref = quantizeRef(x, n, k, signed, perRow, fixed);
  expect(q.dtype, label).toBe(signed ? 'int8' : 'uint8');
  expect(Array.from(q.data.data), `${label} codes`).toEqual(ref.codes);
  expect(Array.from(q.scale), `${label} scale`).toEqual(ref.scale.map(Math.fround));
  if (signed) expect(q.zeroPoint).toBeNull();
  else expect(Array.from(q.zeroPoint ?? []), `${label} zeroPoint`).toEqual(ref.zp);
  if (signed) expect(q.data.data.includes(-128), `${label} -128`).toBe(false);
}

describe('quantize', () => {
  it('reports the int8 paths it can force', () => {
    expect(PATHS).toContain('scalar');
    expect(PATHS.length).toBeGreaterThan(1);
  });

  it('rounds ties to even and saturates; -128 is never produced', () => {
    const x = t2([127, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5], 1, 8);
    for (const path of PATHS) {
      const q = withInt8Path(path, () => ops.quantizeSync(x));
      expect(Array.from(q.data.data), path).toEqual([127, 0, 2, 2, 0, -2, -2, 126]);
      expect(q.scale[0]).toBe(1);
      const s = withInt8Path(path, () => ops.quantizeSync(t2([-1000, 1000, -127.6, 127.6, -128, 3.5], 1, 6), { scale: 1 }));
      expect(Array.from(s.data.data), path).toEqual([-127, 127, -127, 127, -127, 4]);
      const u = withInt8Path(path, () => ops.quantizeSync(t2([-1000, 1000, -10.5, 245.5, 0.5, 1.5], 1, 6), { dtype: 'uint8', scale: 1, zeroPoint: 10 }));
      expect(Array.from(u.data.data), path).toEqual([0, 255, 0, 255, 10, 12]);
      expect(Array.from(u.zeroPoint ?? [])).toEqual([10]);
    }
  });

  it('zero rows, constant rows, tiny rows and a huge dynamic range', () => {
    const x = t2([0, 0, 0, 5, 5, 5, -3, -3, -3, 1e-30, 1e30, -1e30, 1e-35, -1e-35, 0], 5, 3);
    for (const path of PATHS) {
      const s = withInt8Path(path, () => ops.quantizeSync(x));
      expectQuant(s, x.data, 5, 3, true, true, `${path} int8`);
      expect(Array.from(s.data.data)).toEqual([0, 0, 0, 127, 127, 127, -127, -127, -127, 0, 127, -127, 0, 0, 0]);
      expect(s.scale[0]).toBe(1);
      expect(s.scale[4]).toBe(1);
      const u = withInt8Path(path, () => ops.quantizeSync(x, { dtype: 'uint8' }));
      expectQuant(u, x.data, 5, 3, false, true, `${path} uint8`);
      expect(Array.from(u.data.data.slice(0, 9))).toEqual([0, 0, 0, 255, 255, 255, 0, 0, 0]);
      expect(Array.from(u.zeroPoint ?? [])).toEqual([0, 0, 255, 127, 0]);
      const d = ops.dequantizeSync(s);
      expect(Array.from(d.data.slice(0, 3))).toEqual([0, 0, 0]);
    }
  });

  it('sweeps widths, dtypes and granularities on every path, bit for bit', () => {
    for (const path of PATHS) {
      for (const k of WIDTHS) {
        for (const n of [1, 2, 7]) {
          const x = randomArray(n * k, 31 * k + n, -3, 5);
          if (n * k > 4) x[3] = 0;
          const xt = t2(x, n, k);
          withInt8Path(path, () => {
            for (const dtype of ['int8', 'uint8'] as const) {
              for (const granularity of ['row', 'tensor'] as const) {
                expectQuant(ops.quantizeSync(xt, { dtype, granularity }), x, n, k, dtype === 'int8', granularity === 'row', `${path} ${dtype} ${granularity} [${n}, ${k}]`);
              }
            }
            expectQuant(ops.quantizeSync(xt, { scale: 0.03 }), x, n, k, true, false, `${path} static int8`, { scale: 0.03, zp: 0 });
            expectQuant(ops.quantizeSync(xt, { dtype: 'uint8', scale: 0.02, zeroPoint: 77 }), x, n, k, false, false, `${path} static uint8`, { scale: 0.02, zp: 77 });
          });
        }
      }
    }
  });

  it('dequantizes exactly as float32(q - zp) * scale, into a poisoned out', () => {
    const x = t2(randomArray(5 * 33, 3, -2, 2), 5, 33);
    for (const dtype of ['int8', 'uint8'] as const) {
      for (const granularity of ['row', 'tensor'] as const) {
        const q = ops.quantizeSync(x, { dtype, granularity });
        const out = Tensor.from(nanFilled(5 * 33), [5, 33]);
        ops.dequantizeSync(q, { out });
        const want = new Float32Array(5 * 33);
        for (let i = 0; i < 5 * 33; i++) {
          const g = granularity === 'row' ? Math.floor(i / 33) : 0;
          want[i] = Math.fround((q.data.data[i] - (q.zeroPoint?.[g] ?? 0)) * q.scale[g]);
        }
        expectBitwiseEqual(out.data, want, `${dtype} ${granularity}`);
        for (let i = 0; i < want.length; i++) expect(Math.abs(out.data[i] - x.data[i])).toBeLessThanOrEqual(q.scale[granularity === 'row' ? Math.floor(i / 33) : 0] * 0.5001);
      }
    }
  });

  it('quantizeWeight is int8 per output channel; dequantizeWeight inverts it', () => {
    const w = t2(randomArray(7 * 19, 9), 7, 19);
    const q = ops.quantizeWeight(w);
    expect(q.shape).toEqual([7, 19]);
    const ref = quantizeRef(w.data, 7, 19, true, true);
    expect(Array.from(q.data.data)).toEqual(ref.codes);
    expect(Array.from(q.scale)).toEqual(ref.scale);
    const d = ops.dequantizeWeight(q);
    for (let i = 0; i < d.data.length; i++) expect(d.data[i]).toBe(Math.fround(q.data.data[i] * q.scale[Math.floor(i / 19)]));
  });

  it('is bitwise independent of the thread count, and async matches sync', async () => {
    const x = t2(randomArray(1500 * 130, 5, -4, 4), 1500, 130);
    const before = getNumThreads();
    try {
      for (const opts of [{}, { dtype: 'uint8' as const }, { granularity: 'tensor' as const }, { dtype: 'uint8' as const, granularity: 'tensor' as const }]) {
        setNumThreads(1);
        const a = ops.quantizeSync(x, opts);
        setNumThreads(2);
        const b = ops.quantizeSync(x, opts);
        const c = await ops.quantize(x, opts);
        for (const q of [b, c]) {
          expect(Array.from(q.data.data)).toEqual(Array.from(a.data.data));
          expectBitwiseEqual(q.scale, a.scale);
        }
        const d = await ops.dequantize(a);
        expectBitwiseEqual(d.data, ops.dequantizeSync(a).data);
      }
    } finally {
      setNumThreads(before);
    }
  });

  it('refuses NaN and infinities with ERR_INVALID_ARG_VALUE', async () => {
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const x = t2([1, 2, bad, 4], 2, 2);
      for (const path of PATHS) {
        withInt8Path(path, () => {
          expectError(() => ops.quantizeSync(x), 'ERR_INVALID_ARG_VALUE', TypeError, /finite/);
          expectError(() => ops.quantizeSync(x, { dtype: 'uint8', granularity: 'tensor' }), 'ERR_INVALID_ARG_VALUE', TypeError, /finite/);
          expectError(() => ops.quantizeSync(x, { scale: 1 }), 'ERR_INVALID_ARG_VALUE', TypeError, /finite/);
        });
      }
      await expect(ops.quantize(x)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    }
  });

  it('checks its arguments and options', () => {
    const x = t2([1, 2, 3, 4], 2, 2);
    expectError(() => ops.quantizeSync(Tensor.from(new Int32Array(4), [2, 2]) as never), 'ERR_INVALID_ARG_TYPE', TypeError);
    expectError(() => ops.quantizeSync(Tensor.from(new Float32Array(4))), 'ERR_GNN_SHAPE_MISMATCH', GnnError);
    expectError(() => ops.quantizeSync(x, { bits: 4 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /bits/);
    expectError(() => ops.quantizeSync(x, { dtype: 'int4' as never }), 'ERR_INVALID_ARG_VALUE', TypeError, /dtype/);
    expectError(() => ops.quantizeSync(x, { granularity: 'col' as never }), 'ERR_INVALID_ARG_VALUE', TypeError, /granularity/);
    expectError(() => ops.quantizeSync(x, { granularity: 'row', scale: 1 }), 'ERR_INVALID_ARG_VALUE', TypeError, /granularity/);
    expectError(() => ops.quantizeSync(x, { scale: 1, zeroPoint: 3 }), 'ERR_INVALID_ARG_VALUE', TypeError, /zeroPoint/);
    expectError(() => ops.quantizeSync(x, { dtype: 'uint8', zeroPoint: 3 }), 'ERR_INVALID_ARG_VALUE', TypeError, /zeroPoint/);
    expectError(() => ops.quantizeSync(x, { dtype: 'uint8', scale: 1, zeroPoint: 256 }), 'ERR_OUT_OF_RANGE', RangeError, /zeroPoint/);
    expectError(() => ops.quantizeSync(x, { scale: 0 }), 'ERR_OUT_OF_RANGE', RangeError, /scale/);
    expectError(() => ops.quantizeSync(x, { scale: 1e-45 }), 'ERR_OUT_OF_RANGE', RangeError, /scale/);
    expectError(() => ops.quantizeSync(x, { scale: Number.NaN }), 'ERR_OUT_OF_RANGE', RangeError, /scale/);
    const q8 = ops.quantizeSync(x);
    expectError(() => ops.quantizeSync(x, { dtype: 'uint8', out: q8 }), 'ERR_INVALID_ARG_VALUE', TypeError, /out/);
    expectError(() => ops.quantizeSync(t2([1, 2, 3, 4, 5, 6], 3, 2), { out: q8 }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /out/);
    expectError(() => ops.quantizeSync(x, { granularity: 'tensor', out: q8 }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /scale/);
    const shared = new Float32Array(6);
    const overlapped = new QuantizedTensor(Tensor.from(new Int8Array(shared.buffer, 0, 4), [2, 2]), new Float32Array(2));
    expectError(() => ops.quantizeSync(Tensor.from(shared.subarray(0, 4), [2, 2]), { out: overlapped }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /overlap/);
    const reuse = ops.quantizeSync(t2([9, 8, 7, 6], 2, 2), { out: q8 });
    expect(reuse).toBe(q8);
    expect(Array.from(q8.data.data)).toEqual([127, 113, 127, 109]);
    expectError(() => ops.dequantizeSync(x as never), 'ERR_INVALID_ARG_TYPE', TypeError);
    expectError(() => ops.dequantizeSync(q8, { out: Tensor.zeros([2, 3]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError);
    expectError(() => ops.quantizeWeight(Tensor.from(new Float32Array(4))), 'ERR_GNN_SHAPE_MISMATCH', GnnError);
  });
});
