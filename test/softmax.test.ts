/**
 * ops.softmax / ops.logSoftmax against float64 references at every awkward width and SIMD level,
 * into NaN-poisoned outputs; logits where a naive softmax overflows; torch's special values.
 * Bounds (test/reference/rowops.ts): softmax within y·U·(|x − m| + Σ y|x − m| + 6 + chain),
 * i.e. a few ulp relative for logits near the max; log-softmax within
 * U·(|x − m| + |out| + 2|log Σ| + Σ y|x − m| + 6 + chain). `chain` is the length of the
 * sum's addition chain at the level's vector width (about F/64 + 9 with AVX-512).
 */
import { describe, expect, it } from 'vitest';

import { Tensor, ops } from '../lib/index';
import { nanFilled } from './helpers/compare';
import { LANES, WIDTHS, expectClose, expectSameBits, values } from './helpers/rowops';
import { availableSimdLevels, withSimd } from './helpers/simd';
import { U, softmaxReference } from './reference/rowops';

const LEVELS = availableSimdLevels();
const KINDS = [
  { name: 'softmax', log: false, run: ops.softmaxSync },
  { name: 'logSoftmax', log: true, run: ops.logSoftmaxSync },
] as const;

function check(x: Float32Array, width: number, label: string): void {
  const rows = width === 0 ? 0 : x.length / width;
  for (const level of LEVELS) {
    for (const kind of KINDS) {
      const out = Tensor.from(nanFilled(x.length), [rows, width]);
      withSimd(level, () => kind.run(Tensor.from(x, [rows, width]), { out }));
      const ref = softmaxReference(x, width, kind.log, LANES[level]);
      expectClose(out.data, ref.out, ref.bound, `${level} ${kind.name} ${label}`);
    }
  }
}

describe('softmax and logSoftmax match float64', () => {
  for (const width of WIDTHS) {
    it(`[6, ${width}]: ordinary logits, wide logits, one dominant entry`, () => {
      check(values(6 * width, width, -3, 3), width, 'in [-3, 3]');
      check(values(6 * width, width + 50, -30, 30), width, 'in [-30, 30]');
      const peaked = values(6 * width, width + 100, -1, 1);
      for (let r = 0; r < 6; r++) peaked[r * width + ((r * 5) % width)] = 25;
      check(peaked, width, 'one entry 25 above the rest');
    });
  }

  it('logits of ±80 and beyond, where exp(x) itself overflows float32', () => {
    const width = 33;
    const ranges = [
      [80, 100],
      [-100, -80],
      [-120, 120],
      [1e4, 1e4 + 20],
      [-3e38, 3e38],
    ];
    ranges.forEach(([low, high], seed) => {
      const x = values(4 * width, 300 + seed, low, high);
      check(x, width, `in [${low}, ${high}]`);
      const s = ops.softmaxSync(Tensor.from(x, [4, width]));
      for (const v of s.data) expect(Number.isFinite(v)).toBe(true);
    });
    // Equal huge logits: exactly uniform probabilities, log-probabilities −log F.
    const same = new Float32Array(64).fill(88.5);
    for (const level of LEVELS) {
      withSimd(level, () => {
        for (const v of ops.softmaxSync(Tensor.from(same, [1, 64])).data) expect(v).toBe(1 / 64);
        for (const v of ops.logSoftmaxSync(Tensor.from(same, [1, 64])).data) {
          expect(Math.abs(v + Math.log(64))).toBeLessThanOrEqual(4 * U * Math.log(64));
        }
      });
    }
  });

  it('typical accuracy: within 3 ulp relative for logits within 4 of the row max (AVX-512 and AVX2)', () => {
    // The bound above is a worst case; this pins down what the kernels really achieve, so a
    // regression to, say, a float32 sum of 1000 terms would show.
    const width = 257;
    const x = values(64 * width, 77, -4, 0);
    for (const level of LEVELS.filter((l) => l !== 'scalar')) {
      const out = withSimd(level, () => ops.softmaxSync(Tensor.from(x, [64, width])));
      const ref = softmaxReference(x, width, false, LANES[level]);
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(out.data[i] - ref.out[i]) / (ref.out[i] * 2 * U));
      expect(worst, `${level} worst error in ulps`).toBeLessThanOrEqual(3);
    }
  });
});

describe('special values follow torch', () => {
  const inf = Infinity;
  const nan = Number.NaN;
  const rows: Array<{ x: number[]; softmax: number[]; log: number[]; why: string }> = [
    { x: [-inf, -inf, -inf], softmax: [nan, nan, nan], log: [nan, nan, nan], why: 'all −inf (torch: NaN)' },
    { x: [0, -inf, 1], softmax: [1 / (1 + Math.E), 0, Math.E / (1 + Math.E)], log: [-Math.log1p(Math.E), -inf, -Math.log1p(1 / Math.E)], why: '−inf entries' },
    { x: [1, inf, 2], softmax: [nan, nan, nan], log: [nan, nan, nan], why: '+inf' },
    { x: [inf, inf], softmax: [nan, nan], log: [nan, nan], why: 'all +inf' },
    { x: [1, nan, 2], softmax: [nan, nan, nan], log: [nan, nan, nan], why: 'NaN' },
    { x: [7], softmax: [1], log: [0], why: 'one element' },
    { x: [-inf], softmax: [nan], log: [nan], why: 'one −inf' },
  ];
  for (const row of rows) {
    it(row.why, () => {
      for (const level of LEVELS) {
        withSimd(level, () => {
          const x = Tensor.from(Float32Array.from(row.x), [1, row.x.length]);
          const s = ops.softmaxSync(x).data;
          const l = ops.logSoftmaxSync(x).data;
          row.softmax.forEach((v, i) => {
            if (Number.isNaN(v)) expect(s[i], `${level} softmax[${i}]`).toBeNaN();
            else expect(Math.abs(s[i] - v), `${level} softmax[${i}]`).toBeLessThanOrEqual(4 * U * Math.abs(v));
          });
          row.log.forEach((v, i) => {
            if (Number.isNaN(v)) expect(l[i], `${level} logSoftmax[${i}]`).toBeNaN();
            else if (!Number.isFinite(v)) expect(l[i]).toBe(v);
            else expect(Math.abs(l[i] - v), `${level} logSoftmax[${i}]`).toBeLessThanOrEqual(4 * U * (Math.abs(v) + 1));
          });
        });
      }
    });
  }

  it('a special row does not leak into its neighbours', () => {
    const width = 40;
    const x = values(3 * width, 3);
    x[width + 7] = Number.NaN;
    for (const level of LEVELS) {
      const s = withSimd(level, () => ops.softmaxSync(Tensor.from(x, [3, width]))).data;
      for (let j = 0; j < width; j++) {
        expect(Number.isFinite(s[j]) && Number.isFinite(s[2 * width + j]), `${level} rows 0 and 2`).toBe(true);
        expect(s[width + j]).toBeNaN();
      }
    }
  });
});

describe('shapes', () => {
  it('works over the last dimension of any rank, in place, and on empty tensors', () => {
    const x = values(2 * 3 * 10, 12, -5, 5);
    const flat = ops.softmaxSync(Tensor.from(x, [6, 10]));
    const t = Tensor.from(x.slice(), [2, 3, 10]);
    expect(ops.softmaxSync(t, { out: t })).toBe(t);
    expectSameBits(t.data, flat.data, 'rank 3 in place vs rank 2');
    const v = ops.logSoftmaxSync(Tensor.from(x.slice(0, 10)));
    expectSameBits(v.data, ops.logSoftmaxSync(Tensor.from(x, [6, 10])).data.slice(0, 10), 'rank 1 is one row');
    for (const shape of [[0, 5], [4, 0], [0]]) {
      expect(ops.softmaxSync(Tensor.zeros(shape)).shape).toEqual(shape);
      expect(ops.logSoftmaxSync(Tensor.zeros(shape)).shape).toEqual(shape);
    }
  });
});
