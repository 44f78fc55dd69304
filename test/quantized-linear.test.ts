/**
 * quantizedLinear against test/reference/quant.ts (integer sum exact, float32 epilogue mirrored,
 * activation within its documented error), on every int8 path (forced with setSimdLevel and
 * setInt8Vnni): awkward K and M (1, 3, 5, 17, 63, 65, 130 ...), N = 1 and N off the row tile,
 * every activation with and without bias, dynamic / static fp32 x, uint8 and int8 QuantizedTensor
 * x (per row and per tensor), int8 requantised output, K at the exactness limit, 1 vs 2 threads
 * bitwise, poisoned outputs, async forms and the error codes of bad input.
 */
import { describe, expect, it } from 'vitest';

import { GnnError, Tensor, getNumThreads, ops, setNumThreads } from '../lib/index';
import type { ActivationName } from '../lib/index';
import { QuantizedTensor, QuantizedWeight } from '../lib/quantized';
import { randomArray } from './fixtures/graphs';
import { expectBitwiseEqual, expectWithin, nanFilled } from './helpers/compare';
import { expectError } from './helpers/errors';
import { availableInt8Paths, withInt8Path } from './helpers/int8';
import { qlinearRef, quantizeRef } from './reference/quant';
import type { QLinearRef } from './reference/quant';

const PATHS = availableInt8Paths();
const ACTIVATIONS: ActivationName[] = ['none', 'relu', 'leaky_relu', 'elu', 'gelu', 'sigmoid', 'tanh'];

interface Problem {
  n: number;
  k: number;
  m: number;
  x: Tensor<'float32'>;
  w: QuantizedWeight;
  b: Tensor<'float32'>;
}

function problem(n: number, k: number, m: number, seed: number): Problem {
  const x = Tensor.from(randomArray(n * k, seed, -2, 3), [n, k]);
  const w = ops.quantizeWeight(Tensor.from(randomArray(m * k, seed + 1, -1, 1), [m, k]));
  const b = Tensor.from(randomArray(m, seed + 2, -1, 1), [m]);
  return { n, k, m, x, w, b };
}

/** Reference for a QuantizedTensor x (int8 codes shifted to unsigned with zero point 128, as the kernel). */
function refFor(q: QuantizedTensor, p: Problem, bias: Tensor<'float32'> | null, act: ActivationName = 'none', alpha?: number): QLinearRef {
  const signed = q.dtype === 'int8';
  const perRow = q.scale.length !== 1;
  const qa = Array.from(q.data.data, (v) => (signed ? v + 128 : v));
  const za = Array.from({ length: p.n }, (_, i) => (signed ? 128 : (q.zeroPoint as Int32Array)[perRow ? i : 0]));
  const sa = Array.from({ length: p.n }, (_, i) => q.scale[perRow ? i : 0]);
  return qlinearRef(qa, za, sa, q.data.data.length === 0 ? [] : p.w.data.data, p.w.scale, bias?.data ?? null, p.n, p.k, p.m, act, alpha);
}

/** The dynamic per-row uint8 quantization the GEMM fuses. */
function dynamicQ(p: Problem): QuantizedTensor {
  const r = quantizeRef(p.x.data, p.n, p.k, false, true);
  return new QuantizedTensor(Tensor.from(Uint8Array.from(r.codes), [p.n, p.k]), Float32Array.from(r.scale), Int32Array.from(r.zp));
}

function poisoned(n: number, m: number): Tensor<'float32'> {
  return Tensor.from(nanFilled(n * m), [n, m]);
}

describe('quantizedLinear', () => {
  it('sweeps awkward N, K and M on every int8 path (fused dynamic quantization, bias)', () => {
    const shapes = [
      [1, 1, 1],
      [1, 64, 16],
      [3, 3, 5],
      [7, 17, 63],
      [13, 65, 65],
      [9, 130, 17],
      [20, 5, 130],
      [33, 63, 200],
      [8, 0, 7],
    ];
    for (const [n, k, m] of shapes) {
      const p = problem(n, k, m, n * 1000 + k * 10 + m);
      const ref = refFor(dynamicQ(p), p, p.b);
      for (const path of PATHS) {
        const out = poisoned(n, m);
        const got = withInt8Path(path, () => ops.quantizedLinearSync(p.x, p.w, { bias: p.b, out }));
        expect(got).toBe(out);
        expectWithin(out.data, ref.out, ref.bound, `${path} [${n}x${k}]·[${m}x${k}]ᵀ`);
      }
    }
  });

  it('every activation, with and without bias, on every path', () => {
    const p = problem(11, 37, 70, 5);
    const q = dynamicQ(p);
    for (const act of ACTIVATIONS) {
      for (const bias of [p.b, null]) {
        const alpha = act === 'leaky_relu' ? 0.2 : act === 'elu' ? 1.5 : undefined;
        const ref = refFor(q, p, bias, act, alpha);
        for (const path of PATHS) {
          const out = poisoned(11, 70);
          withInt8Path(path, () => ops.quantizedLinearSync(p.x, p.w, { bias, activation: act, alpha, out }));
          expectWithin(out.data, ref.out, ref.bound, `${path} ${act} bias=${bias !== null}`);
        }
      }
    }
  });

  it('static fp32 input params, and uint8 / int8 QuantizedTensor x per row and per tensor', () => {
    const p = problem(10, 67, 33, 77);
    const staticQ = ops.quantizeSync(p.x, { dtype: 'uint8', scale: 0.021, zeroPoint: 97 });
    const inputs: [string, QuantizedTensor][] = [
      ['u8 row', ops.quantizeSync(p.x, { dtype: 'uint8' })],
      ['u8 tensor', ops.quantizeSync(p.x, { dtype: 'uint8', granularity: 'tensor' })],
      ['s8 row', ops.quantizeSync(p.x)],
      ['s8 tensor', ops.quantizeSync(p.x, { granularity: 'tensor' })],
      ['u8 K%4==0', ops.quantizeSync(Tensor.from(p.x.data.subarray(0, 640), [10, 64]), { dtype: 'uint8' })],
    ];
    const p64 = { ...p, k: 64, x: Tensor.from(p.x.data.subarray(0, 640), [10, 64]), w: ops.quantizeWeight(Tensor.from(randomArray(33 * 64, 4), [33, 64])) };
    for (const path of PATHS) {
      withInt8Path(path, () => {
        const ref = refFor(staticQ, p, p.b, 'relu');
        const out = ops.quantizedLinearSync(p.x, p.w, { bias: p.b, activation: 'relu', input: { scale: 0.021, zeroPoint: 97 }, out: poisoned(10, 33) });
        expectWithin(out.data, ref.out, ref.bound, `${path} static`);
        for (const [label, q] of inputs) {
          const pp = label === 'u8 K%4==0' ? p64 : p;
          const r = refFor(q, pp, pp.b, 'tanh');
          const o = ops.quantizedLinearSync(q, pp.w, { bias: pp.b, activation: 'tanh', out: poisoned(10, 33) });
          expectWithin(o.data, r.out, r.bound, `${path} ${label}`);
        }
      });
    }
  });

  it('fused dynamic quantization equals quantizing x first (uint8 per row)', () => {
    const p = problem(29, 45, 90, 8);
    for (const path of PATHS) {
      withInt8Path(path, () => {
        const a = ops.quantizedLinearSync(p.x, p.w, { bias: p.b, activation: 'gelu' });
        const b = ops.quantizedLinearSync(ops.quantizeSync(p.x, { dtype: 'uint8' }), p.w, { bias: p.b, activation: 'gelu' });
        expectBitwiseEqual(a.data, b.data, path);
      });
    }
  });

  it("output 'int8' requantises each row as quantizeSync would, in the kernel", () => {
    for (const [n, k, m] of [[1, 3, 1], [14, 33, 70], [7, 130, 17]]) {
      const p = problem(n, k, m, 3 * n + k);
      const ref = refFor(dynamicQ(p), p, p.b);
      const want = quantizeRef(ref.pre, n, m, true, true);
      for (const path of PATHS) {
        withInt8Path(path, () => {
          for (const act of ['none', 'relu', 'sigmoid'] as const) {
            const out = new QuantizedTensor(Tensor.from(new Int8Array(n * m).fill(-128), [n, m]), nanFilled(n));
            const q = ops.quantizedLinearSync(p.x, p.w, { bias: p.b, activation: act, output: 'int8', out });
            expect(q).toBe(out);
            const f = ops.quantizedLinearSync(p.x, p.w, { bias: p.b, activation: act });
            const again = ops.quantizeSync(f);
            expect(Array.from(q.data.data), `${path} ${act} codes`).toEqual(Array.from(again.data.data));
            expectBitwiseEqual(q.scale, again.scale, `${path} ${act} scale`);
            if (act === 'none') {
              // The reference mirrors the epilogue to within an ulp (a path may fuse the
              // multiply-add), so its requantised codes are within one step and its scale an ulp.
              for (let e = 0; e < n * m; e++) expect(Math.abs(q.data.data[e] - want.codes[e]), `${path} ref codes`).toBeLessThanOrEqual(1);
              for (let r = 0; r < n; r++) expect(Math.abs(q.scale[r] - want.scale[r]), `${path} ref scale`).toBeLessThanOrEqual(want.scale[r] * 2 ** -22);
            }
          }
          const fresh = ops.quantizedLinearSync(p.x, p.w, { output: 'int8' });
          expect(fresh).toBeInstanceOf(QuantizedTensor);
          expect(fresh.dtype).toBe('int8');
          expect(fresh.shape).toEqual([n, m]);
          expect(fresh.scale.length).toBe(n);
        });
      }
    }
  });

  it('keeps the integer sum exact at K = 65536 with extreme codes, and refuses K = 65537', () => {
    const k = 65536;
    const xq = new QuantizedTensor(Tensor.from(new Uint8Array(2 * k).fill(255), [2, k]), Float32Array.from([1, 0.5]), Int32Array.from([0, 255]));
    const wc = new Int8Array(3 * k);
    wc.fill(127, 0, k);
    wc.fill(-127, k, 2 * k);
    for (let i = 2 * k; i < 3 * k; i++) wc[i] = i % 2 === 0 ? 127 : -127;
    const w = new QuantizedWeight(Tensor.from(wc, [3, k]), Float32Array.from([1, 1, 1]));
    const p = { n: 2, k, m: 3, x: Tensor.zeros([2, k]), w, b: Tensor.zeros([3]) };
    const ref = refFor(xq, p, null);
    expect(ref.out[0]).toBe(Math.fround(255 * 127 * k));
    for (const path of PATHS) {
      const out = withInt8Path(path, () => ops.quantizedLinearSync(xq, w));
      expectWithin(out.data, ref.out, ref.bound, `${path} K=65536`);
    }
    const big = new QuantizedWeight(Tensor.zeros([1, k + 1], 'int8'), new Float32Array(1));
    expectError(() => ops.quantizedLinearSync(Tensor.zeros([1, k + 1]), big), 'ERR_OUT_OF_RANGE', RangeError, /65536/);
  });

  it('is bitwise independent of the thread count on every path', () => {
    const p = problem(301, 200, 100, 12);
    const before = getNumThreads();
    try {
      for (const path of PATHS) {
        withInt8Path(path, () => {
          for (const output of ['float32', 'int8'] as const) {
            setNumThreads(1);
            const a = ops.quantizedLinearSync(p.x, p.w, { bias: p.b, activation: 'elu', output });
            setNumThreads(2);
            const b = ops.quantizedLinearSync(p.x, p.w, { bias: p.b, activation: 'elu', output });
            if (a instanceof QuantizedTensor && b instanceof QuantizedTensor) {
              expect(Array.from(b.data.data)).toEqual(Array.from(a.data.data));
              expectBitwiseEqual(b.scale, a.scale, `${path} int8 scale`);
            } else {
              expectBitwiseEqual((b as Tensor<'float32'>).data, (a as Tensor<'float32'>).data, `${path} ${output}`);
            }
          }
        });
      }
    } finally {
      setNumThreads(before);
    }
  });

  it('async forms resolve to the sync results and reject with codes', async () => {
    const p = problem(40, 24, 19, 2);
    const sync = ops.quantizedLinearSync(p.x, p.w, { bias: p.b, activation: 'relu' });
    const got = await ops.quantizedLinear(p.x, p.w, { bias: p.b, activation: 'relu', out: poisoned(40, 19) });
    expectBitwiseEqual(got.data, sync.data, 'async');
    const q = await ops.quantizedLinear(ops.quantizeSync(p.x), p.w, { output: 'int8' });
    expect(q.dtype).toBe('int8');
    const bad = Tensor.from(p.x.data.slice(), [40, 24]);
    bad.data[7] = Number.NaN;
    await expect(ops.quantizedLinear(bad, p.w)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(ops.quantizedLinear(p.x, p.w, { output: 'int4' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('checks its arguments with stable codes', () => {
    const p = problem(4, 6, 5, 1);
    const x = p.x;
    expectError(() => ops.quantizedLinearSync(Tensor.from(new Int32Array(24), [4, 6]) as never, p.w), 'ERR_INVALID_ARG_TYPE', TypeError, /x/);
    expectError(() => ops.quantizedLinearSync(x, Tensor.zeros([5, 6]) as never), 'ERR_INVALID_ARG_TYPE', TypeError, /weight/);
    expectError(() => ops.quantizedLinearSync(Tensor.zeros([4, 7]), p.w), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /features/);
    expectError(() => ops.quantizedLinearSync(Tensor.zeros([24]), p.w), 'ERR_GNN_SHAPE_MISMATCH', GnnError);
    expectError(() => ops.quantizedLinearSync(x, p.w, { bias: Tensor.zeros([4]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /bias/);
    expectError(() => ops.quantizedLinearSync(x, p.w, { weight: 1 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /weight/);
    expectError(() => ops.quantizedLinearSync(x, p.w, { activation: 'swish' as never }), 'ERR_INVALID_ARG_VALUE', TypeError);
    expectError(() => ops.quantizedLinearSync(x, p.w, { output: 'uint8' as never }), 'ERR_INVALID_ARG_VALUE', TypeError, /output/);
    expectError(() => ops.quantizedLinearSync(x, p.w, { input: { scale: 0, zeroPoint: 0 } }), 'ERR_OUT_OF_RANGE', RangeError, /input.scale/);
    expectError(() => ops.quantizedLinearSync(x, p.w, { input: { scale: 1, zeroPoint: 300 } }), 'ERR_OUT_OF_RANGE', RangeError, /zeroPoint/);
    expectError(() => ops.quantizedLinearSync(x, p.w, { input: { scale: 1 } as never }), 'ERR_INVALID_ARG_TYPE', TypeError, /zeroPoint/);
    expectError(() => ops.quantizedLinearSync(ops.quantizeSync(x), p.w, { input: { scale: 1, zeroPoint: 0 } }), 'ERR_INVALID_ARG_VALUE', TypeError, /input/);
    expectError(() => ops.quantizedLinearSync(x, p.w, { out: Tensor.zeros([4, 6]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /out/);
    expectError(() => ops.quantizedLinearSync(x, p.w, { out: Tensor.zeros([4, 5], 'int8') as never }), 'ERR_INVALID_ARG_TYPE', TypeError, /out/);
    expectError(() => ops.quantizedLinearSync(x, p.w, { output: 'int8', out: Tensor.zeros([4, 5]) }), 'ERR_INVALID_ARG_TYPE', TypeError, /out/);
    const wrongScale = new QuantizedTensor(Tensor.zeros([4, 5], 'int8'), new Float32Array(1));
    expectError(() => ops.quantizedLinearSync(x, p.w, { output: 'int8', out: wrongScale }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /scale/);
    const shared = new Float32Array(24);
    expectError(() => ops.quantizedLinearSync(Tensor.from(shared, [4, 6]), p.w, { out: Tensor.from(shared.subarray(0, 20), [4, 5]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /overlap/);
    const bad = Tensor.from(x.data.slice(), [4, 6]);
    bad.data[3] = Infinity;
    for (const path of PATHS) {
      withInt8Path(path, () => {
        expectError(() => ops.quantizedLinearSync(bad, p.w), 'ERR_INVALID_ARG_VALUE', TypeError, /finite/);
        expectError(() => ops.quantizedLinearSync(bad, p.w, { input: { scale: 0.1, zeroPoint: 3 } }), 'ERR_INVALID_ARG_VALUE', TypeError, /finite/);
      });
    }
    const huge = new QuantizedWeight(p.w.data, new Float32Array(5).fill(3e38));
    expectError(() => ops.quantizedLinearSync(x, huge, { output: 'int8' }), 'ERR_INVALID_ARG_VALUE', TypeError, /finite/);
    expectError(() => ops.setInt8Vnni('no' as never), 'ERR_INVALID_ARG_TYPE', TypeError);
  });
});
