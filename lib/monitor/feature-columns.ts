/**
 * Per-feature state of a drift profile, one slot per column in parallel typed arrays: finite count,
 * non-finite count, Welford mean and m2, and a KLL sketch. Rows are walked in memory order and each
 * value updates its column's slots, so a [N, F] matrix costs one pass with no transposition and
 * memory O(F · k), whatever N.
 *
 * Non-finite values (NaN, ±Infinity) are counted per feature and kept out of the moments and the
 * sketch; the drift report gives them their own PSI bin.
 * @internal
 */
import { described, invalidArgType, invalidArgValue } from '../errors';
import type { CsrMatrix } from '../csr-matrix';
import { checkInteger } from '../validate';
import { KllSketch } from './kll';
import type { KllSketchJSON } from './kll';
import { combineMoments } from './summary';
import type { SummaryStats } from './summary';

/** Statistics of one feature. */
export interface FeatureStats extends SummaryStats {
  /** Values that were NaN or ±Infinity (not in count, mean, variance or the sketch). */
  nonFinite: number;
}

/** JSON form of the per-feature state. */
export interface FeatureColumnsJSON {
  count: number[];
  nonFinite: number[];
  mean: number[];
  m2: number[];
  sketches: KllSketchJSON[];
}

/** The seed of feature f's sketch: distinct per feature so their coin flips are independent. */
export function featureSeed(seed: number, f: number): number {
  return (seed + Math.imul(f + 1, 0x9e3779b9)) >>> 0;
}

export class FeatureColumns {
  readonly numFeatures: number;
  /** Rows seen. */
  rows = 0;
  readonly count: Float64Array;
  readonly nonFinite: Float64Array;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  readonly sketches: KllSketch[];

  private constructor(numFeatures: number, sketches: KllSketch[]) {
    this.numFeatures = numFeatures;
    this.count = new Float64Array(numFeatures);
    this.nonFinite = new Float64Array(numFeatures);
    this.mean = new Float64Array(numFeatures);
    this.m2 = new Float64Array(numFeatures);
    this.sketches = sketches;
  }

  static create(numFeatures: number, k: number, seed: number): FeatureColumns {
    const sketches = new Array<KllSketch>(numFeatures);
    for (let f = 0; f < numFeatures; f++) sketches[f] = new KllSketch({ k, seed: featureSeed(seed, f) });
    return new FeatureColumns(numFeatures, sketches);
  }

  /** Adds `rows` rows of a row-major [rows, F] array starting at `offset`. */
  addDense(data: Float32Array, rows: number, offset = 0): void {
    const F = this.numFeatures;
    const { count, nonFinite, mean, m2, sketches } = this;
    let base = offset;
    for (let r = 0; r < rows; r++, base += F) {
      for (let f = 0; f < F; f++) {
        const v = data[base + f];
        // v - v is 0 for finite v and NaN for NaN and ±Infinity.
        if (v - v === 0) {
          const c = count[f] + 1;
          count[f] = c;
          const mu = mean[f];
          const delta = v - mu;
          const next = mu + delta / c;
          mean[f] = next;
          m2[f] += delta * (v - next);
          sketches[f].update(v);
        } else {
          nonFinite[f]++;
        }
      }
    }
    this.rows += rows;
  }

  /** Adds the rows of a sparse matrix, each expanded into one dense row buffer (zeros included). */
  addCsr(x: CsrMatrix): void {
    const [rows, F] = x.shape;
    const g = x.graph;
    const indptr = g.indptr;
    const indices = g.indices;
    const values = g.edgeWeight as Float32Array;
    const row = new Float32Array(F);
    for (let r = 0; r < rows; r++) {
      const start = Number(indptr[r]);
      const end = Number(indptr[r + 1]);
      for (let p = start; p < end; p++) row[indices[p]] = values[p];
      this.addDense(row, 1);
      for (let p = start; p < end; p++) row[indices[p]] = 0;
    }
  }

  /** Merges another feature state of the same width into this one. */
  merge(other: FeatureColumns): void {
    for (let f = 0; f < this.numFeatures; f++) {
      combineMoments(this.count, this.mean, this.m2, f, other.count[f], other.mean[f], other.m2[f]);
      this.nonFinite[f] += other.nonFinite[f];
      this.sketches[f].merge(other.sketches[f]);
    }
    this.rows += other.rows;
  }

  clone(): FeatureColumns {
    const c = new FeatureColumns(
      this.numFeatures,
      this.sketches.map((s) => s.clone()),
    );
    c.rows = this.rows;
    c.count.set(this.count);
    c.nonFinite.set(this.nonFinite);
    c.mean.set(this.mean);
    c.m2.set(this.m2);
    return c;
  }

  stats(f: number): FeatureStats {
    const n = this.count[f];
    const sketch = this.sketches[f];
    if (n === 0) return { count: 0, nonFinite: this.nonFinite[f], mean: NaN, variance: NaN, min: NaN, max: NaN };
    return { count: n, nonFinite: this.nonFinite[f], mean: this.mean[f], variance: Math.max(0, this.m2[f] / n), min: sketch.min, max: sketch.max };
  }

  toJSON(): FeatureColumnsJSON {
    return {
      count: Array.from(this.count),
      nonFinite: Array.from(this.nonFinite),
      mean: Array.from(this.mean),
      m2: Array.from(this.m2),
      sketches: this.sketches.map((s) => s.toJSON()),
    };
  }

  /** Restores the state of `numFeatures` features seen over `rows` rows, checking every field. */
  static fromJSON(json: unknown, name: string, numFeatures: number, rows: number, sketchK: number): FeatureColumns {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalidArgType(name, 'an object of per-feature arrays', json);
    const j = json as Record<string, unknown>;
    const arrays: Record<'count' | 'nonFinite' | 'mean' | 'm2', Float64Array> = {
      count: new Float64Array(numFeatures),
      nonFinite: new Float64Array(numFeatures),
      mean: new Float64Array(numFeatures),
      m2: new Float64Array(numFeatures),
    };
    for (const key of ['count', 'nonFinite', 'mean', 'm2'] as const) {
      const raw = j[key];
      if (!Array.isArray(raw) || raw.length !== numFeatures) {
        throw invalidArgValue(`${name}.${key}`, `an array of ${numFeatures} numbers (one per feature)`, raw);
      }
      for (let f = 0; f < numFeatures; f++) {
        const v: unknown = raw[f];
        const where = `${name}.${key}[${f}]`;
        if (key === 'count' || key === 'nonFinite') checkInteger(where, v, 0, rows);
        else if (typeof v !== 'number' || !Number.isFinite(v) || (key === 'm2' && v < 0)) {
          throw invalidArgValue(where, key === 'm2' ? 'a finite number ≥ 0' : 'a finite number', v);
        }
        arrays[key][f] = v as number;
      }
    }
    if (!Array.isArray(j.sketches) || j.sketches.length !== numFeatures) {
      throw invalidArgValue(`${name}.sketches`, `an array of ${numFeatures} sketches (one per feature)`, j.sketches);
    }
    const sketches = new Array<KllSketch>(numFeatures);
    for (let f = 0; f < numFeatures; f++) {
      const s = KllSketch.fromJSON(j.sketches[f], `${name}.sketches[${f}]`);
      if (s.k !== sketchK) throw invalidArgValue(`${name}.sketches[${f}].k`, `the profile's sketchK ${sketchK}`, s.k);
      if (s.n !== arrays.count[f]) throw invalidArgValue(`${name}.count[${f}]`, `the sketch's count ${s.n}`, arrays.count[f]);
      if (arrays.count[f] + arrays.nonFinite[f] !== rows) {
        throw invalidArgValue(`${name}.count[${f}] + ${name}.nonFinite[${f}]`, `the profile's rows ${rows}`, described(String(arrays.count[f] + arrays.nonFinite[f])));
      }
      sketches[f] = s;
    }
    const c = new FeatureColumns(numFeatures, sketches);
    c.rows = rows;
    c.count.set(arrays.count);
    c.nonFinite.set(arrays.nonFinite);
    c.mean.set(arrays.mean);
    c.m2.set(arrays.m2);
    return c;
  }
}
