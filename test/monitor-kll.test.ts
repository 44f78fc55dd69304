/** KllSketch: rank error against exact sorted data, merging, determinism, JSON, errors. */
import { describe, expect, it } from 'vitest';

import { KllSketch, Random } from '../lib/index';
import { expectError } from './helpers/errors';

type Dist = 'uniform' | 'normal' | 'sorted' | 'reversed' | 'ten-values' | 'mostly-zeros';

function data(dist: Dist, n: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    switch (dist) {
      case 'uniform':
        out[i] = rng.float();
        break;
      case 'normal':
        out[i] = rng.normal() * 3 + 1;
        break;
      case 'sorted':
        out[i] = i;
        break;
      case 'reversed':
        out[i] = n - i;
        break;
      case 'ten-values':
        out[i] = rng.int(10);
        break;
      case 'mostly-zeros':
        out[i] = rng.float() < 0.98 ? 0 : rng.float();
        break;
    }
  }
  return out;
}

function sketchOf(values: Float64Array, k: number, seed: number): KllSketch {
  const s = new KllSketch({ k, seed });
  for (const v of values) s.update(v);
  return s;
}

/** Largest |sketch rank − exact rank| over every distinct value (ranks inclusive, as fractions). */
function maxRankError(s: KllSketch, values: Float64Array): number {
  const sorted = values.slice().sort();
  const n = sorted.length;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && sorted[i + 1] === sorted[i]) continue;
    worst = Math.max(worst, Math.abs(s.rank(sorted[i]) - (i + 1) / n));
  }
  // Below every value the sketch must say 0.
  expect(s.rank(sorted[0] - 1)).toBe(0);
  return worst;
}

/** Largest distance from q to the exact rank interval [#(< x), #(≤ x)] / n of x = quantile(q). */
function maxQuantileError(s: KllSketch, values: Float64Array): number {
  const sorted = values.slice().sort();
  const n = sorted.length;
  let worst = 0;
  for (let q = 0.01; q < 1; q += 0.01) {
    const x = s.quantile(q);
    let lo = 0;
    while (lo < n && sorted[lo] < x) lo++;
    let hi = lo;
    while (hi < n && sorted[hi] === x) hi++;
    expect(hi).toBeGreaterThan(lo); // the answer is one of the inputs
    const below = lo / n;
    const upTo = hi / n;
    worst = Math.max(worst, q < below ? below - q : q > upTo ? q - upTo : 0);
  }
  return worst;
}

describe('KllSketch', () => {
  it('states its bound: 2.446 / k^0.9433', () => {
    expect(KllSketch.rankErrorBound(200)).toBeCloseTo(0.01652, 5);
    expect(KllSketch.rankErrorBound(1000)).toBeCloseTo(0.0036187, 6);
    expect(KllSketch.rankErrorBound(8)).toBeCloseTo(2.446 / 8 ** 0.9433, 12);
  });

  it('is exact while the values fit in the sketch', () => {
    const values = data('normal', 150, 3);
    const s = sketchOf(values, 200, 1);
    expect(s.retained).toBe(150);
    expect(maxRankError(s, values)).toBe(0);
    const sorted = values.slice().sort();
    expect(s.quantile(0.5)).toBe(sorted[74]); // smallest x with #(≤ x) ≥ 75
    expect(s.quantile(0)).toBe(sorted[0]);
    expect(s.quantile(1)).toBe(sorted[149]);
    expect(s.min).toBe(sorted[0]);
    expect(s.max).toBe(sorted[149]);
  });

  const dists: Dist[] = ['uniform', 'normal', 'sorted', 'reversed', 'ten-values', 'mostly-zeros'];
  for (const k of [50, 200]) {
    it(`keeps every rank and quantile within rankErrorBound(${k}) on ${dists.length} distributions`, () => {
      const bound = KllSketch.rankErrorBound(k);
      let worst = 0;
      for (const dist of dists) {
        for (const [n, seed] of [[5000, 1], [60000, 2], [60000, 3]] as const) {
          const values = data(dist, n, seed * 101 + k);
          const s = sketchOf(values, k, seed);
          expect(s.n).toBe(n);
          const e = Math.max(maxRankError(s, values), maxQuantileError(s, values));
          worst = Math.max(worst, e);
          expect(e, `${dist} n=${n} seed=${seed}`).toBeLessThanOrEqual(bound);
        }
      }
      // The sketch is really approximating (not storing everything), yet well inside the bound.
      expect(worst).toBeGreaterThan(0);
    });
  }

  it('keeps its memory bounded by k, not by n', () => {
    const s = new KllSketch({ k: 200, seed: 5 });
    const rng = new Random(9);
    let maxRetained = 0;
    for (let i = 0; i < 1_000_000; i++) {
      s.update(rng.float());
      maxRetained = Math.max(maxRetained, s.retained);
    }
    expect(s.n).toBe(1_000_000);
    // Σ_d max(8, ceil(200 · (2/3)^d)) over 13 levels: 604 + 8 per extra level.
    expect(s.capacity).toBeLessThanOrEqual(3 * 200 + 8 * 6);
    expect(maxRetained).toBeLessThanOrEqual(s.capacity);
  });

  it('merges shards within the bound, with exact n, min and max', () => {
    const values = data('normal', 80000, 17);
    const bound = KllSketch.rankErrorBound(200);
    const shards = Array.from({ length: 8 }, (_, i) => new KllSketch({ seed: i + 1 }));
    values.forEach((v, i) => shards[i % 8].update(v));
    const merged = shards.reduce((acc, s) => acc.merge(s), new KllSketch({ seed: 99 }));
    expect(merged.n).toBe(values.length);
    const sorted = values.slice().sort();
    expect(merged.min).toBe(sorted[0]);
    expect(merged.max).toBe(sorted[sorted.length - 1]);
    expect(merged.retained).toBeLessThanOrEqual(merged.capacity);
    expect(maxRankError(merged, values)).toBeLessThanOrEqual(bound);
    expect(maxQuantileError(merged, values)).toBeLessThanOrEqual(bound);
    // The inputs are unchanged.
    expect(shards[0].n).toBe(10000);
  });

  it('merges associatively within the bound (and uneven sizes, empty sketches)', () => {
    const a = data('uniform', 30000, 1);
    const b = data('normal', 500, 2);
    const c = data('ten-values', 12000, 3);
    const all = new Float64Array([...a, ...b, ...c]);
    const left = sketchOf(a, 200, 1).merge(sketchOf(b, 200, 2)).merge(sketchOf(c, 200, 3));
    const right = sketchOf(a, 200, 1).merge(sketchOf(b, 200, 2).merge(sketchOf(c, 200, 3)));
    const bound = KllSketch.rankErrorBound(200);
    for (const s of [left, right]) {
      expect(s.n).toBe(all.length);
      expect(maxRankError(s, all)).toBeLessThanOrEqual(bound);
    }
    const empty = new KllSketch();
    expect(empty.merge(new KllSketch()).n).toBe(0);
    const before = JSON.stringify(left);
    expect(JSON.stringify(left.merge(new KllSketch()))).toBe(before);
    const fromEmpty = new KllSketch().merge(left);
    expect(fromEmpty.n).toBe(left.n);
    expect(maxRankError(fromEmpty, all)).toBeLessThanOrEqual(bound);
  });

  it('is deterministic for a seed, and another seed flips other coins', () => {
    const values = data('uniform', 20000, 4);
    const a = JSON.stringify(sketchOf(values, 200, 7));
    expect(JSON.stringify(sketchOf(values, 200, 7))).toBe(a);
    expect(JSON.stringify(sketchOf(values, 200, 8))).not.toBe(a);
  });

  it('round-trips through JSON exactly, and the copy evolves identically', () => {
    const values = data('normal', 25000, 6);
    const s = sketchOf(values, 64, 3);
    const copy = KllSketch.fromJSON(JSON.parse(JSON.stringify(s)));
    expect(copy.toJSON()).toEqual(s.toJSON());
    expect(copy.capacity).toBe(s.capacity);
    const more = data('uniform', 5000, 7);
    for (const v of more) {
      s.update(v);
      copy.update(v);
    }
    expect(copy.toJSON()).toEqual(s.toJSON());
    const cloned = s.clone();
    cloned.update(1e9);
    expect(s.max).not.toBe(1e9);
    expect(KllSketch.fromJSON(new KllSketch().toJSON()).n).toBe(0);
    expect(new KllSketch().quantile(0.5)).toBeNaN();
    expect(new KllSketch().rank(0)).toBe(0);
  });

  it('rejects bad input with coded errors', () => {
    const s = new KllSketch();
    expectError(() => s.update(NaN), 'ERR_INVALID_ARG_VALUE', TypeError, /value: expected a finite number, got the number NaN/);
    expectError(() => s.update(Infinity), 'ERR_INVALID_ARG_VALUE', TypeError);
    expectError(() => s.update('1' as unknown as number), 'ERR_INVALID_ARG_TYPE', TypeError);
    expectError(() => new KllSketch({ k: 4 }), 'ERR_OUT_OF_RANGE', RangeError, /k: expected an integer in \[8, 65535\]/);
    expectError(() => new KllSketch({ kk: 4 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /only the keys k, seed/);
    expectError(() => s.quantile(1.5), 'ERR_OUT_OF_RANGE', RangeError);
    expectError(() => s.rank(NaN), 'ERR_INVALID_ARG_TYPE', TypeError);
    expectError(() => s.merge(new KllSketch({ k: 100 })), 'ERR_INVALID_ARG_VALUE', TypeError, /k = 200/);
    expectError(() => s.merge({} as KllSketch), 'ERR_INVALID_ARG_TYPE', TypeError);

    for (let i = 0; i < 1000; i++) s.update(i);
    const good = s.toJSON();
    const bad = (patch: Record<string, unknown>): unknown => ({ ...good, ...patch });
    const sortedLevel = good.levels.findIndex((l, h) => h > 0 && l.length > 1 && l[0] < l[l.length - 1]);
    expect(sortedLevel).toBeGreaterThan(0);
    const cases: Array<[unknown, string, RegExp]> = [
      [null, 'ERR_INVALID_ARG_TYPE', /sketch: expected a KLL sketch object/],
      [bad({ n: 999 }), 'ERR_INVALID_ARG_VALUE', /sketch\.n: expected the levels' total weight 1000/],
      [bad({ k: 7 }), 'ERR_OUT_OF_RANGE', /sketch\.k/],
      [bad({ rng: 0 }), 'ERR_OUT_OF_RANGE', /sketch\.rng/],
      [bad({ levels: [] }), 'ERR_INVALID_ARG_VALUE', /sketch\.levels/],
      [bad({ levels: good.levels.map((l, h) => (h === sortedLevel ? [...l].reverse() : l)) }), 'ERR_INVALID_ARG_VALUE', new RegExp(`sketch\\.levels\\[${sortedLevel}\\]: expected items in ascending order`)],
      [bad({ levels: good.levels.map((l, h) => (h === 0 ? [NaN, ...l.slice(1)] : l)) }), 'ERR_INVALID_ARG_VALUE', /sketch\.levels\[0\]\[0\]: expected a finite number/],
      [bad({ levels: [Array.from({ length: 1000 }, (_, i) => i)] }), 'ERR_INVALID_ARG_VALUE', /at most 200 items/],
      [bad({ min: 5 }), 'ERR_INVALID_ARG_VALUE', /sketch\.min: expected a finite number ≤ every item/],
      [bad({ max: null }), 'ERR_INVALID_ARG_VALUE', /sketch\.max/],
    ];
    for (const [json, code, message] of cases) {
      expectError(() => KllSketch.fromJSON(json), code, code === 'ERR_OUT_OF_RANGE' ? RangeError : TypeError, message);
    }
    expect(s.n).toBe(1000);
  });
});
