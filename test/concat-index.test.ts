/**
 * ops.concat, ops.indexSelect, ops.indexCopy and ops.indexAdd against plain references at every
 * awkward width and SIMD level, into NaN-poisoned outputs. Copies are bitwise exact; indexAdd is
 * within one float32 rounding per update (each is one fma), duplicates applied in index order.
 */
import { describe, expect, it } from 'vitest';

import { Tensor, ops } from '../lib/index';
import { nanFilled } from './helpers/compare';
import { WIDTHS, expectClose, expectSameBits, indices, values } from './helpers/rowops';
import { availableSimdLevels, withSimd } from './helpers/simd';
import { concatReference, gatherReference, indexAddReference, indexCopyReference } from './reference/rowops';

const LEVELS = availableSimdLevels();

describe('concat', () => {
  for (const width of WIDTHS) {
    it(`[7, ${width}] with [7, 1], [7, ${width + 3}] and [7, 0]`, () => {
      const rows = 7;
      const widths = [width, 1, width + 3, 0, 5];
      const parts = widths.map((w, k) => values(rows * w, width * 10 + k));
      const want = concatReference(parts, rows);
      for (const level of LEVELS) {
        const out = Tensor.from(nanFilled(want.length), [rows, want.length / rows]);
        const r = withSimd(level, () =>
          ops.concatSync(
            parts.map((p, k) => Tensor.from(p, [rows, widths[k]])),
            { out },
          ),
        );
        expect(r).toBe(out);
        expectSameBits(out.data, want, `${level} concat`);
      }
    });
  }

  it('any rank with equal leading dimensions, a single tensor, empty tensors', () => {
    const a = values(2 * 3 * 4, 1);
    const b = values(2 * 3 * 5, 2);
    const r = ops.concatSync([Tensor.from(a, [2, 3, 4]), Tensor.from(b, [2, 3, 5])]);
    expect(r.shape).toEqual([2, 3, 9]);
    expectSameBits(r.data, concatReference([a, b], 6), 'rank 3');
    const v = ops.concatSync([Tensor.from(a.slice(0, 4)), Tensor.from(b.slice(0, 5))]);
    expect(v.shape).toEqual([9]);
    expectSameBits(v.data, Float32Array.from([...a.slice(0, 4), ...b.slice(0, 5)]), 'rank 1');
    expectSameBits(ops.concatSync([Tensor.from(a, [6, 4])]).data, a, 'one tensor is a copy');
    expect(ops.concatSync([Tensor.zeros([0, 3]), Tensor.zeros([0, 2])]).shape).toEqual([0, 5]);
    expect(ops.concatSync([Tensor.zeros([4, 0]), Tensor.zeros([4, 0])]).shape).toEqual([4, 0]);
  });

  it('the same tensor twice', () => {
    const a = values(3 * 8, 3);
    const t = Tensor.from(a, [3, 8]);
    expectSameBits(ops.concatSync([t, t]).data, concatReference([a, a], 3), 'x twice');
  });
});

describe('indexSelect', () => {
  for (const width of WIDTHS) {
    it(`rows of width ${width}: repeats, reversed, every row, from an Int32Array or an int32 Tensor`, () => {
      const rows = 37;
      const x = values(rows * width, width);
      const cases = [indices(50, rows, width), Int32Array.from({ length: rows }, (_, i) => rows - 1 - i), new Int32Array([rows - 1, 0, 0])];
      for (const level of LEVELS) {
        for (const index of cases) {
          const out = Tensor.from(nanFilled(index.length * width), [index.length, width]);
          const idx = index.length === 3 ? Tensor.from(index) : index;
          withSimd(level, () => ops.indexSelectSync(Tensor.from(x, [rows, width]), idx, { out }));
          expectSameBits(out.data, gatherReference(x, width, index), `${level} gather of ${index.length}`);
        }
      }
    });
  }

  it('any rank, rank 1 (scalars), empty index and zero-width rows', () => {
    const x = values(5 * 2 * 3, 4);
    const r = ops.indexSelectSync(Tensor.from(x, [5, 2, 3]), new Int32Array([4, 1]));
    expect(r.shape).toEqual([2, 2, 3]);
    expectSameBits(r.data, gatherReference(x, 6, new Int32Array([4, 1])), 'rank 3');
    const s = ops.indexSelectSync(Tensor.from(x.slice(0, 5)), new Int32Array([2, 2, 0]));
    expectSameBits(s.data, Float32Array.from([x[2], x[2], x[0]]), 'rank 1');
    expect(ops.indexSelectSync(Tensor.from(x, [5, 6]), new Int32Array(0)).shape).toEqual([0, 6]);
    expect(ops.indexSelectSync(Tensor.zeros([5, 0]), new Int32Array([4, 0])).shape).toEqual([2, 0]);
  });
});

describe('indexCopy and indexAdd', () => {
  for (const width of WIDTHS) {
    it(`rows of width ${width}, with duplicate indices applied in index order`, () => {
      const rows = 23;
      const n = 40; // more entries than rows: duplicates
      const target = values(rows * width, width);
      const src = values(n * width, width + 500, -3, 3);
      const index = indices(n, rows, width + 900);
      for (const level of LEVELS) {
        const copied = Tensor.from(target.slice(), [rows, width]);
        const r = withSimd(level, () => ops.indexCopySync(copied, index, Tensor.from(src, [n, width])));
        expect(r).toBe(copied);
        expectSameBits(copied.data, indexCopyReference(target, width, index, src), `${level} indexCopy`);
        for (const alpha of [1, -0.7]) {
          const added = Tensor.from(target.slice(), [rows, width]);
          withSimd(level, () => ops.indexAddSync(added, Tensor.from(index), Tensor.from(src, [n, width]), { alpha }));
          const ref = indexAddReference(target, width, index, src, alpha);
          expectClose(added.data, ref.out, ref.bound, `${level} indexAdd alpha ${alpha}`);
        }
      }
    });
  }

  it('touches only the indexed rows, keeps the last duplicate, sums duplicates in order', () => {
    const target = Tensor.from(nanFilled(4 * 3), [4, 3]);
    ops.indexCopySync(target, new Int32Array([2, 0, 2]), Tensor.from(Float32Array.from([1, 1, 1, 2, 2, 2, 3, 3, 3]), [3, 3]));
    const d = Array.from(target.data);
    expect(d.slice(0, 3)).toEqual([2, 2, 2]);
    expect(d.slice(6, 9)).toEqual([3, 3, 3]);
    expect(d.slice(3, 6).every(Number.isNaN) && d.slice(9).every(Number.isNaN)).toBe(true);
    // 1e8 + 1 + 1 − 1e8 in index order is 0 in float32 (1 is lost twice), not 2: order is observable.
    const acc = Tensor.from(new Float32Array([0]), [1, 1]);
    ops.indexAddSync(acc, new Int32Array([0, 0, 0, 0]), Tensor.from(Float32Array.from([1e8, 1, 1, -1e8]), [4, 1]));
    expect(acc.data[0]).toBe(0);
  });

  it('empty index, zero-width rows and rank 1 targets', () => {
    const t = Tensor.from(values(6, 1));
    const before = t.data.slice();
    ops.indexCopySync(t, new Int32Array(0), Tensor.zeros([0]));
    expectSameBits(t.data, before, 'empty index leaves target alone');
    ops.indexAddSync(t, new Int32Array([5, 5]), Tensor.from(Float32Array.from([1, 2])));
    expect(t.data[5]).toBe(Math.fround(Math.fround(before[5] + 1) + 2));
    ops.indexCopySync(Tensor.zeros([3, 0]), new Int32Array([2]), Tensor.zeros([1, 0]));
  });
});
