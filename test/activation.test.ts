/**
 * Activations against float64 references over dense grids, on every SIMD level: the bounds are
 * the accuracies stated in native/kernels/simd_math.h, in float32 ulps. Special values (±inf,
 * NaN, ±0, huge magnitudes) follow torch.
 */
import { describe, expect, it } from 'vitest';

import { GnnError, Tensor, ops } from '../lib/index';
import type { ActivationName } from '../lib/index';
import { nanFilled } from './helpers/compare';
import { availableSimdLevels, withSimd } from './helpers/simd';
import { activationReference, ulpError } from './reference/math';

const LEVELS = availableSimdLevels();

function grid(): Float32Array {
  const values: number[] = [];
  for (let i = -2000; i <= 2000; i++) values.push(i / 100); // [-20, 20] in steps of 0.01
  for (let e = -40; e <= 40; e++) for (const m of [1, 1.37, 1.9]) values.push(m * 2 ** e, -m * 2 ** e);
  for (const v of [0, -0, 88, 88.7, 89, 100, -87, -100, -104, -150, 1e30, -1e30, 1e-30, -1e-30, 3.4e38, -3.4e38]) values.push(v);
  return Float32Array.from(values);
}

// Max ulp error allowed per function (and where it is looser, why).
const BOUNDS: Record<ActivationName, number> = {
  none: 0,
  relu: 0,
  leaky_relu: 0.5, // one rounding of alpha * x
  elu: 2, // alpha * expm1(x) (measured 1.3)
  gelu: 14, // x/2 (1 + erf(x / sqrt 2)): 1 + erf cancels for x in [-1.41, 0) (measured 12)
  sigmoid: 3, // measured 2.5
  tanh: 2, // measured 1.5
};

describe('activations match float64 references', () => {
  const x = grid();
  for (const name of Object.keys(BOUNDS) as ActivationName[]) {
    for (const alpha of name === 'leaky_relu' ? [0.01, 0.2] : name === 'elu' ? [1, 0.5] : [1]) {
      it(`${name}${alpha !== 1 ? ` (alpha ${alpha})` : ''}`, () => {
        for (const level of LEVELS) {
          const out = Tensor.from(nanFilled(x.length));
          withSimd(level, () => ops.activationSync(Tensor.from(x), name, { alpha, out }));
          let worst = 0;
          let where = 0;
          for (let i = 0; i < x.length; i++) {
            const want = activationReference(name, x[i], Math.fround(alpha));
            let err = ulpError(out.data[i], want);
            // Results below the normal range: judge absolutely, at the subnormal spacing.
            if (Math.abs(want) < 2 ** -126 && Number.isFinite(err)) err = Math.abs(out.data[i] - want) / 2 ** -149 > 2 ? err : 0;
            if (err > worst) {
              worst = err;
              where = i;
            }
          }
          expect(worst, `${level} ${name}(${x[where]}) = ${out.data[where]}, want ${activationReference(name, x[where], Math.fround(alpha))}`).toBeLessThanOrEqual(BOUNDS[name]);
        }
      });
    }
  }

  it('special values follow torch', () => {
    const specials = Float32Array.from([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0]);
    const want: Record<string, number[]> = {
      relu: [Number.NaN, Infinity, 0, 0, 0],
      sigmoid: [Number.NaN, 1, 0, 0.5, 0.5],
      tanh: [Number.NaN, 1, -1, 0, -0],
      elu: [Number.NaN, Infinity, -1, 0, -0],
      gelu: [Number.NaN, Infinity, Number.NaN, 0, -0],
    };
    for (const level of LEVELS) {
      withSimd(level, () => {
        for (const [name, values] of Object.entries(want)) {
          const out = ops.activationSync(Tensor.from(specials.slice()), name as ActivationName).data;
          values.forEach((v, i) => {
            if (Number.isNaN(v)) expect(Number.isNaN(out[i]), `${level} ${name}(${specials[i]})`).toBe(true);
            else expect(out[i], `${level} ${name}(${specials[i]})`).toBe(v);
          });
        }
      });
    }
  });

  it('works in place, async, and on any shape', async () => {
    const data = Float32Array.from({ length: 1000 }, (_, i) => i / 100 - 5);
    const t = Tensor.from(data.slice(), [10, 100]);
    const r = await ops.activation(t, 'tanh', { out: t });
    expect(r).toBe(t);
    expect(r.shape).toEqual([10, 100]);
    for (let i = 0; i < data.length; i++) expect(ulpError(t.data[i], Math.tanh(data[i]))).toBeLessThanOrEqual(3);
    const big = Tensor.from(Float32Array.from({ length: 1 << 18 }, (_, i) => (i % 977) / 97 - 5));
    const s = ops.activationSync(big, 'sigmoid');
    for (let i = 0; i < big.numel; i += 1001) expect(ulpError(s.data[i], 1 / (1 + Math.exp(-big.data[i])))).toBeLessThanOrEqual(3);
  });

  it('rejects unknown activations, bad alpha and mismatched outputs', () => {
    const x = Tensor.zeros([4]);
    expect(() => ops.activationSync(x, 'swish' as ActivationName)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => ops.activationSync(x, 'elu', { alpha: Number.NaN })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => ops.activationSync(x, 'relu', { out: Tensor.zeros([5]) })).toThrow(GnnError);
    expect(() => ops.activationSync(Tensor.zeros([4], 'int32') as never, 'relu')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
