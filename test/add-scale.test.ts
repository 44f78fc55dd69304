/**
 * ops.add (beta·a + alpha·b, b full or a broadcast row) and ops.scale (by a number or per row)
 * against float64 references, at every awkward width and SIMD level, into NaN-poisoned outputs.
 * Bounds: add within U·(|beta·a| + |result|), i.e. the two roundings of fma(alpha, b, beta·a)
 * (one when beta = 1; alpha = beta = 1 is the correctly rounded a + b); scale exact.
 */
import { describe, expect, it } from 'vitest';

import { Tensor, ops } from '../lib/index';
import { nanFilled } from './helpers/compare';
import { WIDTHS, expectClose, expectSameBits, values } from './helpers/rowops';
import { availableSimdLevels, withSimd } from './helpers/simd';
import { addReference, scaleReference } from './reference/rowops';

const LEVELS = availableSimdLevels();
const ROWS = 5;

describe('add', () => {
  const factors: Array<[number, number]> = [
    [1, 1],
    [-0.3, 1],
    [0.1, 0.9],
    [2.5, -1.75],
  ];
  for (const width of WIDTHS) {
    it(`[${ROWS}, ${width}] + [${ROWS}, ${width}] and + row [${width}], every alpha/beta and level`, () => {
      const a = values(ROWS * width, width, -4, 4);
      const full = values(ROWS * width, width + 1000, -4, 4);
      const row = values(width, width + 2000, -4, 4);
      for (const level of LEVELS) {
        for (const [alpha, beta] of factors) {
          for (const b of [full, row]) {
            const out = Tensor.from(nanFilled(ROWS * width), [ROWS, width]);
            const bt = b === full ? Tensor.from(b, [ROWS, width]) : Tensor.from(b);
            withSimd(level, () => ops.addSync(Tensor.from(a, [ROWS, width]), bt, { alpha, beta, out }));
            const ref = addReference(a, b, width, alpha, beta);
            expectClose(out.data, ref.out, ref.bound, `${level} alpha ${alpha} beta ${beta} ${b === full ? 'full' : 'row'}`);
            if (alpha === 1 && beta === 1) {
              const exact = Float32Array.from(ref.out);
              expectSameBits(out.data, exact, `${level} a + b is correctly rounded`);
            }
          }
        }
      }
    });
  }

  it('broadcasts [1, F] like [F], over any rank, and handles empty tensors', () => {
    const a = values(2 * 3 * 4, 1);
    const b = values(4, 2);
    const viaRow = ops.addSync(Tensor.from(a, [2, 3, 4]), Tensor.from(b, [1, 1, 4]));
    expect(viaRow.shape).toEqual([2, 3, 4]);
    expectSameBits(viaRow.data, ops.addSync(Tensor.from(a, [6, 4]), Tensor.from(b)).data, 'rank 3 vs rank 2');
    expect(ops.addSync(Tensor.zeros([0, 5]), Tensor.zeros([5])).shape).toEqual([0, 5]);
    expect(ops.addSync(Tensor.zeros([3, 0]), Tensor.zeros([0])).shape).toEqual([3, 0]);
    expect(ops.addSync(Tensor.zeros([0]), Tensor.zeros([0])).numel).toBe(0);
    const scalar = ops.addSync(Tensor.from(new Float32Array([2]), []), Tensor.from(new Float32Array([3]), []), { beta: 0.5 });
    expect(Array.from(scalar.data)).toEqual([4]);
  });

  it('works in place on a or b, and the layers’ forms give the reference', () => {
    const x = values(64 * 33, 5);
    const h0 = values(64 * 33, 6);
    const eps = 0.25;
    const gin = Tensor.from(x.slice(), [64, 33]);
    expect(ops.addSync(gin, Tensor.from(h0, [64, 33]), { beta: 1 + eps, out: gin })).toBe(gin);
    const ginRef = addReference(x, h0, 33, 1, 1 + eps);
    expectClose(gin.data, ginRef.out, ginRef.bound, 'GIN (1 + eps)·x + agg in place on a');
    const appnp = Tensor.from(h0.slice(), [64, 33]);
    ops.addSync(Tensor.from(x, [64, 33]), appnp, { beta: 0.9, alpha: 0.1, out: appnp });
    const appnpRef = addReference(x, h0, 33, 0.1, 0.9);
    expectClose(appnp.data, appnpRef.out, appnpRef.bound, 'APPNP (1 − α)·h + α·h0 in place on b');
    const same = Tensor.from(x.slice(), [64, 33]);
    ops.addSync(same, same, { out: same });
    expectSameBits(same.data, Float32Array.from(x, (v) => 2 * v), 'x + x in place');
  });

  it('follows IEEE arithmetic for special values (0·inf = NaN, NaN propagates)', () => {
    const a = Tensor.from(new Float32Array([Infinity, -Infinity, Number.NaN, 1, Infinity, 0]));
    const b = Tensor.from(new Float32Array([1, Infinity, 0, Number.NaN, -Infinity, -0]));
    const out = ops.addSync(a, b);
    expect(Array.from(out.data)).toEqual([Infinity, Number.NaN, Number.NaN, Number.NaN, Number.NaN, 0]);
    const zeroAlpha = ops.addSync(a, b, { alpha: 0 });
    expect(Array.from(zeroAlpha.data)).toEqual([Infinity, Number.NaN, Number.NaN, Number.NaN, Number.NaN, 0]);
  });
});

describe('scale', () => {
  for (const width of WIDTHS) {
    it(`[${ROWS}, ${width}] by a number and by one factor per row, every level`, () => {
      const x = values(ROWS * width, width, -4, 4);
      const perRow = values(ROWS, width + 7, -2, 2);
      for (const level of LEVELS) {
        for (const s of [0.37, -3, 1] as const) {
          const out = Tensor.from(nanFilled(ROWS * width), [ROWS, width]);
          withSimd(level, () => ops.scaleSync(Tensor.from(x, [ROWS, width]), s, { out }));
          expectSameBits(out.data, scaleReference(x, ROWS, s), `${level} s = ${s}`);
        }
        for (const shape of [[ROWS], [ROWS, 1]]) {
          const out = Tensor.from(nanFilled(ROWS * width), [ROWS, width]);
          withSimd(level, () => ops.scaleSync(Tensor.from(x, [ROWS, width]), Tensor.from(perRow, shape), { out }));
          expectSameBits(out.data, scaleReference(x, ROWS, perRow), `${level} per row [${shape.join(', ')}]`);
        }
      }
    });
  }

  it('in place, higher ranks (a row is everything after the first dimension) and empty tensors', () => {
    const x = values(4 * 3 * 5, 9);
    const s = values(4, 10);
    const t = Tensor.from(x.slice(), [4, 3, 5]);
    expect(ops.scaleSync(t, Tensor.from(s), { out: t })).toBe(t);
    expectSameBits(t.data, scaleReference(x, 4, s), 'rank 3 per row in place');
    expect(ops.scaleSync(Tensor.zeros([0, 3]), 2).shape).toEqual([0, 3]);
    expect(ops.scaleSync(Tensor.zeros([3, 0]), Tensor.zeros([3])).shape).toEqual([3, 0]);
    expect(Array.from(ops.scaleSync(Tensor.from(new Float32Array([Infinity, Number.NaN, 0, -0])), 0).data)).toEqual([Number.NaN, Number.NaN, 0, -0]);
  });
});
