/**
 * Mergeable one-pass summaries: Welford's running mean and sum of squared deviations, combined
 * across parts with Chan et al.'s pairwise formula, beside a KLL sketch of the distribution. A
 * Summary describes one stream (a degree distribution); the profile keeps the same moments for every
 * feature in parallel typed arrays (profile-features.ts).
 * @internal
 */
import { invalidArgType, invalidArgValue } from '../errors';
import { checkInteger } from '../validate';
import { KllSketch } from './kll';
import type { KllSketchJSON } from './kll';

/** Count, mean and variance of a stream, with its extremes. */
export interface SummaryStats {
  /** Values seen. */
  count: number;
  /** NaN when count is 0. */
  mean: number;
  /** Population variance (sum of squared deviations / count); NaN when count is 0. */
  variance: number;
  /** NaN when count is 0. */
  min: number;
  max: number;
}

/** JSON form of a Summary. */
export interface SummaryJSON {
  count: number;
  mean: number;
  m2: number;
  sketch: KllSketchJSON;
}

/**
 * Chan's combination of two (count, mean, m2) triples, written into `out` at index `i` (a's side).
 * Exact in real arithmetic: merging the moments of two halves gives those of the whole.
 */
export function combineMoments(count: Float64Array, mean: Float64Array, m2: Float64Array, i: number, nb: number, mb: number, m2b: number): void {
  if (nb === 0) return;
  const na = count[i];
  if (na === 0) {
    count[i] = nb;
    mean[i] = mb;
    m2[i] = m2b;
    return;
  }
  const n = na + nb;
  const delta = mb - mean[i];
  mean[i] += (delta * nb) / n;
  m2[i] += m2b + (delta * delta * na * nb) / n;
  count[i] = n;
}

export class Summary {
  // One-element arrays so the stream shares combineMoments with the per-feature arrays.
  readonly #count = new Float64Array(1);
  readonly #mean = new Float64Array(1);
  readonly #m2 = new Float64Array(1);
  readonly sketch: KllSketch;

  constructor(sketch: KllSketch) {
    this.sketch = sketch;
  }

  get count(): number {
    return this.#count[0];
  }

  /** Adds every value of an integer array (degrees). */
  addAll(values: Int32Array): void {
    let n = this.#count[0];
    let mean = this.#mean[0];
    let m2 = this.#m2[0];
    const sketch = this.sketch;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      n++;
      const delta = v - mean;
      mean += delta / n;
      m2 += delta * (v - mean);
      sketch.update(v);
    }
    this.#count[0] = n;
    this.#mean[0] = mean;
    this.#m2[0] = m2;
  }

  /** Merges `other` into this summary. */
  merge(other: Summary): void {
    combineMoments(this.#count, this.#mean, this.#m2, 0, other.#count[0], other.#mean[0], other.#m2[0]);
    this.sketch.merge(other.sketch);
  }

  clone(): Summary {
    const c = new Summary(this.sketch.clone());
    c.#count[0] = this.#count[0];
    c.#mean[0] = this.#mean[0];
    c.#m2[0] = this.#m2[0];
    return c;
  }

  stats(): SummaryStats {
    const n = this.#count[0];
    if (n === 0) return { count: 0, mean: NaN, variance: NaN, min: NaN, max: NaN };
    return { count: n, mean: this.#mean[0], variance: Math.max(0, this.#m2[0] / n), min: this.sketch.min, max: this.sketch.max };
  }

  toJSON(): SummaryJSON {
    return { count: this.#count[0], mean: this.#mean[0], m2: this.#m2[0], sketch: this.sketch.toJSON() };
  }

  /** Restores a summary, checking that its count agrees with its sketch's. */
  static fromJSON(json: unknown, name: string, sketchK: number): Summary {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalidArgType(name, 'a summary object', json);
    const j = json as Record<string, unknown>;
    const count = checkInteger(`${name}.count`, j.count, 0, Number.MAX_SAFE_INTEGER);
    for (const key of ['mean', 'm2'] as const) {
      if (typeof j[key] !== 'number' || !Number.isFinite(j[key])) throw invalidArgValue(`${name}.${key}`, 'a finite number', j[key]);
    }
    if ((j.m2 as number) < 0) throw invalidArgValue(`${name}.m2`, 'a number ≥ 0', j.m2);
    const sketch = KllSketch.fromJSON(j.sketch, `${name}.sketch`);
    if (sketch.k !== sketchK) throw invalidArgValue(`${name}.sketch.k`, `the profile's sketchK ${sketchK}`, sketch.k);
    if (sketch.n !== count) throw invalidArgValue(`${name}.count`, `the sketch's count ${sketch.n}`, count);
    const s = new Summary(sketch);
    s.#count[0] = count;
    s.#mean[0] = j.mean as number;
    s.#m2[0] = j.m2 as number;
    return s;
  }
}
