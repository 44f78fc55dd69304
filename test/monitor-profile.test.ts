/** DriftProfile: statistics against plain float64 references, merging, JSON, input checks. */
import { describe, expect, it } from 'vitest';

import { CsrMatrix, DriftProfile, GnnError, Graph, KllSketch, Random, Tensor, rmat } from '../lib/index';
import type { DriftModel, Features } from '../lib/index';
import { expectError } from './helpers/errors';

const EPS = KllSketch.rankErrorBound(200);

/** [rows, F] features: column f is normal with mean f and sd 1 + f / 4; some columns have NaN / ±Infinity. */
function features(rows: number, F: number, seed: number, nonFinite = 0): Tensor<'float32'> {
  const rng = new Random(seed);
  const d = new Float32Array(rows * F);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) {
      let v = f + (1 + f / 4) * rng.normal();
      if (f % 3 === 1 && rng.float() < nonFinite) v = [NaN, Infinity, -Infinity][rng.int(3)];
      d[r * F + f] = v;
    }
  }
  return Tensor.from(d, [rows, F]);
}

/** Column f of x as float64, split into finite values and a non-finite count. */
function column(x: Tensor<'float32'>, f: number): { values: Float64Array; nonFinite: number } {
  const [rows, F] = x.shape;
  const values: number[] = [];
  let nonFinite = 0;
  for (let r = 0; r < rows; r++) {
    const v = x.data[r * F + f];
    if (Number.isFinite(v)) values.push(v);
    else nonFinite++;
  }
  return { values: Float64Array.from(values), nonFinite };
}

function exactMoments(values: Float64Array): { mean: number; variance: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { mean, variance: ss / values.length };
}

/** Largest |rank error| of the profile's feature-f sketch over the sorted finite values. */
function featureRankError(p: DriftProfile, f: number, values: Float64Array): number {
  const sorted = values.slice().sort();
  let worst = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i + 1 < sorted.length && sorted[i + 1] === sorted[i]) continue;
    worst = Math.max(worst, Math.abs(p.featureRank(f, sorted[i]) - (i + 1) / sorted.length));
  }
  return worst;
}

/** Rows of `x` in [from, to). */
function rowSlice(x: Tensor<'float32'>, from: number, to: number): Tensor<'float32'> {
  const F = x.shape[1];
  return Tensor.from(x.data.slice(from * F, to * F), [to - from, F]);
}

/** A model whose output is fixed: `logits` whatever the input. */
function fixedModel(logits: Tensor<'float32'>): DriftModel {
  return { forwardSync: () => logits };
}

function randomLogits(rows: number, classes: number, seed: number): Tensor<'float32'> {
  const rng = new Random(seed);
  const d = new Float32Array(rows * classes);
  for (let i = 0; i < d.length; i++) d[i] = 3 * rng.normal();
  return Tensor.from(d, [rows, classes]);
}

describe('DriftProfile statistics', () => {
  const x = features(6000, 9, 1, 0.05);
  const profile = DriftProfile.fromData(null, x);

  it('has each feature\'s count, non-finite count, mean, variance, min and max as float64 computes them', () => {
    expect(profile.rows).toBe(6000);
    for (let f = 0; f < 9; f++) {
      const { values, nonFinite } = column(x, f);
      const s = profile.featureStats(f);
      const m = exactMoments(values);
      expect(s.count).toBe(values.length);
      expect(s.nonFinite).toBe(nonFinite);
      if (f % 3 === 1) expect(nonFinite).toBeGreaterThan(200);
      else expect(nonFinite).toBe(0);
      expect(Math.abs(s.mean - m.mean)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(m.mean)));
      expect(Math.abs(s.variance - m.variance) / m.variance).toBeLessThan(1e-11);
      expect(s.min).toBe(Math.min(...values));
      expect(s.max).toBe(Math.max(...values));
    }
  });

  it('answers quantile queries within the sketch bound', () => {
    for (let f = 0; f < 9; f++) {
      const { values } = column(x, f);
      expect(featureRankError(profile, f, values)).toBeLessThanOrEqual(EPS);
      const sorted = values.slice().sort();
      const median = profile.featureQuantile(f, 0.5);
      const below = sorted.filter((v) => v <= median).length / sorted.length;
      expect(Math.abs(below - 0.5)).toBeLessThanOrEqual(EPS + 1 / sorted.length);
    }
  });

  it('records in- and out-degrees of a graph (R-MAT: power law, hubs)', () => {
    const g = rmat({ scale: 12, edgeFactor: 8, seed: 4 });
    const p = DriftProfile.fromData(g, features(g.numNodes, 2, 5));
    for (const [dir, degrees] of [['in', g.inDegrees()], ['out', g.outDegrees()]] as const) {
      const values = Float64Array.from(degrees);
      const m = exactMoments(values);
      const s = p.degreeStats(dir);
      expect(s.count).toBe(g.numNodes);
      expect(s.mean).toBeCloseTo(m.mean, 12);
      expect(Math.abs(s.variance - m.variance) / m.variance).toBeLessThan(1e-12);
      expect(s.max).toBe(Math.max(...values));
      const sorted = values.slice().sort();
      for (const q of [0.1, 0.5, 0.9, 0.99]) {
        const v = p.degreeQuantile(dir, q);
        const lo = sorted.filter((d) => d < v).length / sorted.length;
        const hi = sorted.filter((d) => d <= v).length / sorted.length;
        expect(q).toBeGreaterThanOrEqual(lo - EPS);
        expect(q).toBeLessThanOrEqual(hi + EPS);
      }
    }
    expect(p.degreeStats('in').mean).toBeCloseTo(8, 12); // edges / nodes
    expect(DriftProfile.fromData(null, features(10, 2, 5)).degreeStats('in')).toEqual({ count: 0, mean: NaN, variance: NaN, min: NaN, max: NaN });
  });

  it('counts predicted classes and the softmax confidence like a plain float64 softmax', () => {
    const rows = 3000;
    const logits = randomLogits(rows, 5, 8);
    logits.data[5 * 7 + 2] = NaN; // row 7: non-finite
    logits.data[5 * 9 + 0] = -Infinity; // row 9: a legal logit (probability 0)
    const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 0]), rows);
    const p = DriftProfile.fromData(g, features(rows, 3, 2), fixedModel(logits), { confidenceBins: 20 });
    const classCounts = new Array<number>(5).fill(0);
    const confidence = new Array<number>(20).fill(0);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(logits.data.slice(r * 5, r * 5 + 5));
      if (row.some((v) => Number.isNaN(v))) continue;
      const probs = row.map((v) => Math.exp(v));
      const total = probs.reduce((a, b) => a + b, 0);
      const best = probs.indexOf(Math.max(...probs));
      classCounts[best]++;
      confidence[Math.min(19, Math.floor((probs[best] / total) * 20))]++;
    }
    const s = p.predictionStats()!;
    expect(s).toEqual({ numClasses: 5, rows, nonFiniteRows: 1, classCounts, confidence });
    expect(DriftProfile.fromData(null, features(5, 1, 1)).predictionStats()).toBeNull();
  });

  it('gives a sparse CsrMatrix exactly the profile of its dense form', () => {
    const rng = new Random(3);
    const d = new Float32Array(500 * 40);
    for (let i = 0; i < d.length; i++) d[i] = rng.float() < 0.05 ? rng.normal() : 0;
    const dense = Tensor.from(d, [500, 40]);
    const sparse = CsrMatrix.fromDense(dense);
    expect(DriftProfile.fromData(null, sparse).toJSON()).toEqual(DriftProfile.fromData(null, dense).toJSON());
  });

  it('keeps its size independent of the number of rows', () => {
    const small = JSON.stringify(DriftProfile.fromData(null, features(20000, 4, 6)));
    const large = JSON.stringify(DriftProfile.fromData(null, features(160000, 4, 7)));
    expect(large.length).toBeLessThan(small.length * 1.3);
  });
});

describe('DriftProfile.merge', () => {
  const x = features(9000, 6, 11, 0.02);
  const logits = randomLogits(9000, 4, 12);

  function part(from: number, to: number): DriftProfile {
    const g = rmat({ scale: 8, edgeFactor: 4, seed: from + 1 });
    const p = DriftProfile.create(6, { seed: from + 1 });
    return p.observe({ x: rowSlice(x, from, to), output: Tensor.from(logits.data.slice(from * 4, to * 4), [to - from, 4]) }).observe({ graph: g });
  }

  it('of two halves matches profiling the whole: counts exactly, moments to rounding, quantiles within the bound', () => {
    const whole = DriftProfile.create(6).observe({ x, output: logits });
    const merged = DriftProfile.merge(part(0, 4000), part(4000, 9000));
    expect(merged.rows).toBe(9000);
    for (let f = 0; f < 6; f++) {
      const a = merged.featureStats(f);
      const b = whole.featureStats(f);
      expect(a.count).toBe(b.count);
      expect(a.nonFinite).toBe(b.nonFinite);
      expect(a.min).toBe(b.min);
      expect(a.max).toBe(b.max);
      expect(Math.abs(a.mean - b.mean)).toBeLessThan(1e-12 * Math.max(1, Math.abs(b.mean)));
      expect(Math.abs(a.variance - b.variance) / b.variance).toBeLessThan(1e-12);
      const { values } = column(x, f);
      expect(featureRankError(merged, f, values)).toBeLessThanOrEqual(EPS);
      for (const q of [0.05, 0.25, 0.5, 0.75, 0.95]) {
        const v = merged.featureQuantile(f, q);
        expect(Math.abs(whole.featureRank(f, v) - merged.featureRank(f, v))).toBeLessThanOrEqual(2 * EPS);
      }
    }
    expect(merged.predictionStats()).toEqual(whole.predictionStats());
    expect(merged.degreeStats('in').count).toBe(2 * 256);
  });

  it('is associative (within rounding and the sketch bound) and leaves its inputs alone', () => {
    const a = part(0, 2000);
    const b = part(2000, 2500);
    const c = part(2500, 9000);
    const aJSON = JSON.stringify(a);
    const left = DriftProfile.merge(DriftProfile.merge(a, b), c);
    const right = DriftProfile.merge(a, DriftProfile.merge(b, c));
    expect(JSON.stringify(a)).toBe(aJSON);
    expect(left.rows).toBe(right.rows);
    expect(left.predictionStats()).toEqual(right.predictionStats());
    for (const dir of ['in', 'out'] as const) {
      expect(left.degreeStats(dir).count).toBe(right.degreeStats(dir).count);
      expect(left.degreeStats(dir).mean).toBeCloseTo(right.degreeStats(dir).mean, 12);
    }
    for (let f = 0; f < 6; f++) {
      const l = left.featureStats(f);
      const r = right.featureStats(f);
      expect(l.count).toBe(r.count);
      expect(l.mean).toBeCloseTo(r.mean, 12);
      expect(l.variance / r.variance).toBeCloseTo(1, 12);
      const { values } = column(x, f);
      expect(featureRankError(left, f, values)).toBeLessThanOrEqual(EPS);
      expect(featureRankError(right, f, values)).toBeLessThanOrEqual(EPS);
    }
  });

  it('takes the predictions of whichever side has them, and refuses profiles that do not fit', () => {
    const withPredictions = part(0, 100);
    const without = DriftProfile.create(6).observe({ x: rowSlice(x, 0, 50) });
    expect(DriftProfile.merge(without, withPredictions).predictionStats()).toEqual(withPredictions.predictionStats());
    expectError(() => DriftProfile.merge(without, DriftProfile.create(5)), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /b: expected a profile of 6 features \(a's\), got 5/);
    expectError(() => DriftProfile.merge(without, DriftProfile.create(6, { sketchK: 100 })), 'ERR_INVALID_ARG_VALUE', TypeError, /b\.config\.sketchK: expected 200 \(a's\), got the number 100/);
    const other = DriftProfile.create(6).observe({ output: randomLogits(3, 3, 1) });
    expectError(() => DriftProfile.merge(withPredictions, other), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /4 classes/);
    expectError(() => DriftProfile.merge(without, {} as DriftProfile), 'ERR_INVALID_ARG_TYPE', TypeError);
  });
});

describe('DriftProfile JSON', () => {
  const g = rmat({ scale: 9, edgeFactor: 6, seed: 2 });
  const x = features(g.numNodes, 5, 4, 0.03);
  const profile = DriftProfile.fromData(g, x, fixedModel(randomLogits(g.numNodes, 3, 5)), { sketchK: 64, seed: 9, confidenceBins: 8 });

  it('round-trips exactly (object or string), and the copy keeps evolving identically', () => {
    const text = JSON.stringify(profile);
    const back = DriftProfile.fromJSON(JSON.parse(text));
    expect(back.toJSON()).toEqual(profile.toJSON());
    expect(DriftProfile.fromJSON(text).toJSON()).toEqual(profile.toJSON());
    expect(back.config).toEqual({ sketchK: 64, seed: 9, confidenceBins: 8, nonFinite: 'count' });
    const more = features(g.numNodes, 5, 8);
    const a = profile.clone().observe({ graph: g, x: more });
    const b = back.observe({ graph: g, x: more });
    expect(b.toJSON()).toEqual(a.toJSON());
    const empty = DriftProfile.create(0);
    expect(DriftProfile.fromJSON(JSON.stringify(empty)).toJSON()).toEqual(empty.toJSON());
  });

  it('rejects a damaged document with a coded error naming the field', () => {
    const good = profile.toJSON();
    const edit = (fn: (j: Record<string, any>) => void): unknown => {
      const j = JSON.parse(JSON.stringify(good));
      fn(j);
      return j;
    };
    const cases: Array<[unknown, string, RegExp]> = [
      ['{not json', 'ERR_INVALID_ARG_VALUE', /json: expected a JSON document/],
      [[], 'ERR_INVALID_ARG_TYPE', /profile: expected a drift profile object/],
      [edit((j) => (j.format = 'other')), 'ERR_INVALID_ARG_VALUE', /profile\.format/],
      [edit((j) => (j.version = 2)), 'ERR_INVALID_ARG_VALUE', /profile\.version: expected 1, got the number 2/],
      [edit((j) => (j.config.extra = 1)), 'ERR_INVALID_ARG_VALUE', /profile\.config options: expected only the keys/],
      [edit((j) => (j.config.sketchK = 3)), 'ERR_OUT_OF_RANGE', /profile\.config\.sketchK/],
      [edit((j) => (j.numFeatures = 4)), 'ERR_INVALID_ARG_VALUE', /profile\.features\.count: expected an array of 4 numbers/],
      [edit((j) => (j.rows += 1)), 'ERR_INVALID_ARG_VALUE', /profile\.features\.count\[0\]: expected the sketch's count|profile's rows/],
      [edit((j) => (j.features.mean[2] = 'x')), 'ERR_INVALID_ARG_VALUE', /profile\.features\.mean\[2\]: expected a finite number/],
      [edit((j) => (j.features.m2[0] = -1)), 'ERR_INVALID_ARG_VALUE', /profile\.features\.m2\[0\]: expected a finite number ≥ 0/],
      [edit((j) => (j.features.count[1] -= 1)), 'ERR_INVALID_ARG_VALUE', /profile\.features\.count\[1\]: expected the sketch's count/],
      [edit((j) => (j.features.sketches[3].levels[0][0] = NaN)), 'ERR_INVALID_ARG_VALUE', /profile\.features\.sketches\[3\]\.levels\[0\]\[0\]/],
      [edit((j) => (j.features.sketches[0].k = 200)), 'ERR_INVALID_ARG_VALUE', /profile\.features\.sketches\[0\]/],
      [edit((j) => delete j.degrees.out), 'ERR_INVALID_ARG_TYPE', /profile\.degrees\.out: expected a summary object/],
      [edit((j) => (j.degrees.in.count += 1)), 'ERR_INVALID_ARG_VALUE', /profile\.degrees\.in\.count: expected the sketch's count/],
      [edit((j) => (j.predictions.classCounts[0] += 1)), 'ERR_INVALID_ARG_VALUE', /profile\.predictions\.classCounts: expected counts summing to/],
      [edit((j) => (j.predictions.confidence = [1])), 'ERR_INVALID_ARG_VALUE', /profile\.predictions\.confidence: expected an array of 8 counts/],
    ];
    for (const [json, code, message] of cases) {
      expectError(() => DriftProfile.fromJSON(json), code, code === 'ERR_OUT_OF_RANGE' ? RangeError : TypeError, message);
    }
  });
});

describe('DriftProfile input checks', () => {
  const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 2, 1, 2, 0]), 3);

  it('names the argument, the expected and the actual value', () => {
    const p = DriftProfile.create(4);
    const x34 = Tensor.from(new Float32Array(12), [3, 4]);
    expectError(() => p.observe({ graph: g, x: Tensor.from(new Float32Array(16), [4, 4]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /batch\.x: expected 3 rows \(one per source node of the graph\), got shape \[4, 4\]/);
    expectError(() => p.observe({ x: Tensor.from(new Float32Array(15), [3, 5]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /batch\.x: expected 4 columns \(the profile's features\), got shape \[3, 5\]/);
    expectError(() => p.observe({ x: Tensor.from(new Float32Array(12), [12]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /rank 2/);
    expectError(() => p.observe({ x: Tensor.from(new Int32Array(12), [3, 4]) as unknown as Features }), 'ERR_INVALID_ARG_TYPE', TypeError, /a float32 Tensor/);
    expectError(() => p.observe({ x: [1, 2] as unknown as Features }), 'ERR_INVALID_ARG_TYPE', TypeError);
    expectError(() => p.observe({}), 'ERR_INVALID_ARG_VALUE', TypeError, /at least one of graph, x, output/);
    expectError(() => p.observe({ graph: g, y: 1 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /only the keys graph, x, output/);
    expectError(() => p.observe({ graph: {} as Graph }), 'ERR_INVALID_ARG_TYPE', TypeError, /batch\.graph: expected a Graph/);
    p.observe({ output: randomLogits(2, 3, 1) });
    expectError(() => p.observe({ output: randomLogits(2, 4, 1) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /batch\.output: expected 3 columns/);
    expectError(() => p.observe({ output: Tensor.from(new Float32Array(0), [2, 0]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError);
    expect(p.rows).toBe(0);
    p.observe({ graph: g, x: x34 });
    expect(p.rows).toBe(3);
    expectError(() => p.featureStats(4), 'ERR_OUT_OF_RANGE', RangeError, /feature: expected an integer in \[0, 3\]/);
    expectError(() => p.degreeStats('both' as 'in'), 'ERR_INVALID_ARG_VALUE', TypeError, /direction/);
    expectError(() => DriftProfile.create(-1), 'ERR_OUT_OF_RANGE', RangeError, /numFeatures/);
    expectError(() => DriftProfile.create(2, { nonFinite: 'drop' as 'count' }), 'ERR_INVALID_ARG_VALUE', TypeError, /nonFinite: expected 'count' or 'reject'/);
    expectError(() => DriftProfile.create(2, { bins: 3 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /DriftProfile\.create options/);
    expectError(() => DriftProfile.fromData(g, x34, { forward: () => x34 } as never), 'ERR_INVALID_ARG_TYPE', TypeError, /model: expected an object with forwardSync/);
    expectError(() => DriftProfile.fromData(null, x34, fixedModel(randomLogits(3, 2, 1))), 'ERR_INVALID_ARG_VALUE', TypeError, /graph: expected a Graph to run the model on/);
    expectError(() => DriftProfile.fromData(g, x34, fixedModel(Tensor.from(new Float32Array(3), [3]))), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /model output: expected a Tensor of rank 2/);
  });

  it("counts NaN and ±Infinity by default; with nonFinite: 'reject' throws at the first and changes nothing", () => {
    const x = Tensor.from(new Float32Array([1, 2, 3, NaN, 5, Infinity]), [3, 2]);
    const counted = DriftProfile.fromData(g, x);
    expect(counted.featureStats(1)).toMatchObject({ count: 1, nonFinite: 2, mean: 2 });
    const strict = DriftProfile.create(2, { nonFinite: 'reject' });
    strict.observe({ x: Tensor.from(new Float32Array([1, 2]), [1, 2]) });
    const before = JSON.stringify(strict);
    expectError(() => strict.observe({ graph: g, x }), 'ERR_INVALID_ARG_VALUE', TypeError, /x: expected finite values \(the profile's nonFinite policy is 'reject'\), got NaN at row 1, column 1/);
    expect(JSON.stringify(strict)).toBe(before);
    const sparse = CsrMatrix.fromDense(Tensor.from(new Float32Array([0, 0, 0, -Infinity]), [2, 2]));
    expectError(() => strict.observe({ x: sparse }), 'ERR_INVALID_ARG_VALUE', TypeError, /-Infinity at row 1, column 1/);
    expect(JSON.stringify(strict)).toBe(before);
  });
});
