/**
 * What a model predicted over the profiled rows: how many rows went to each class (argmax, the
 * first on ties) and a histogram of the confidence (the largest softmax probability) over
 * `bins` equal bins of [0, 1]. Rows whose output holds NaN or +Infinity (or only −Infinity) are
 * counted apart; −Infinity alone is a legal logit (probability 0).
 * Exact counts, so merging is exact.
 * @internal
 */
import { GnnError, invalidArgType, invalidArgValue } from '../errors';
import { checkTensor } from '../tensor';
import type { Tensor } from '../tensor';
import { checkInteger } from '../validate';

/** Counts of predicted classes and of confidences. */
export interface PredictionStats {
  /** Output columns (classes). */
  numClasses: number;
  /** Output rows seen (non-finite ones included). */
  rows: number;
  /** Rows with NaN, +Infinity or only −Infinity outputs (in no class and no confidence bin). */
  nonFiniteRows: number;
  /** Rows predicted as each class. */
  classCounts: number[];
  /** Rows per confidence bin: bin i holds confidences in [i / bins, (i + 1) / bins), the last also 1. */
  confidence: number[];
}

/** JSON form (the same fields). */
export type PredictionHistogramJSON = PredictionStats;

export class PredictionHistogram {
  rows = 0;
  nonFiniteRows = 0;
  readonly classCounts: Float64Array;
  readonly confidence: Float64Array;

  constructor(
    readonly numClasses: number,
    bins: number,
  ) {
    this.classCounts = new Float64Array(numClasses);
    this.confidence = new Float64Array(bins);
  }

  /** Checks a model output against this histogram's class count (before anything is added). */
  static checkOutput(output: unknown, numClasses: number | null, name = 'output'): Tensor<'float32'> {
    const t = checkTensor(name, output, 'float32', [2]);
    if (t.shape[1] < 1) throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected at least one column (class), got shape [${t.shape.join(', ')}]`);
    if (numClasses !== null && t.shape[1] !== numClasses) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected ${numClasses} columns (the profile's classes), got shape [${t.shape.join(', ')}]`);
    }
    return t;
  }

  /** Adds each row of a [rows, numClasses] output (logits, log-probabilities or probabilities' logs). */
  add(output: Tensor<'float32'>): void {
    const d = output.data;
    const rows = output.shape[0];
    const C = this.numClasses;
    const bins = this.confidence.length;
    for (let r = 0, base = 0; r < rows; r++, base += C) {
      let best = 0;
      let max = d[base];
      // −Infinity is a legal logit (probability 0); NaN, +Infinity or an all −Infinity row is not.
      let finite = max === max && max !== Infinity;
      for (let c = 1; c < C; c++) {
        const v = d[base + c];
        if (v !== v || v === Infinity) finite = false;
        else if (v > max) {
          max = v;
          best = c;
        }
      }
      if (!finite || max === -Infinity) {
        this.nonFiniteRows++;
        continue;
      }
      // Softmax's largest probability: exp(0) / Σ exp(l − max), in float64.
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(d[base + c] - max);
      const confidence = 1 / sum;
      this.classCounts[best]++;
      this.confidence[Math.min(bins - 1, Math.floor(confidence * bins))]++;
    }
    this.rows += rows;
  }

  merge(other: PredictionHistogram): void {
    for (let c = 0; c < this.numClasses; c++) this.classCounts[c] += other.classCounts[c];
    for (let b = 0; b < this.confidence.length; b++) this.confidence[b] += other.confidence[b];
    this.rows += other.rows;
    this.nonFiniteRows += other.nonFiniteRows;
  }

  clone(): PredictionHistogram {
    const c = new PredictionHistogram(this.numClasses, this.confidence.length);
    c.merge(this);
    return c;
  }

  stats(): PredictionStats {
    return {
      numClasses: this.numClasses,
      rows: this.rows,
      nonFiniteRows: this.nonFiniteRows,
      classCounts: Array.from(this.classCounts),
      confidence: Array.from(this.confidence),
    };
  }

  toJSON(): PredictionHistogramJSON {
    return this.stats();
  }

  static fromJSON(json: unknown, name: string, bins: number): PredictionHistogram {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalidArgType(name, 'a predictions object', json);
    const j = json as Record<string, unknown>;
    const numClasses = checkInteger(`${name}.numClasses`, j.numClasses, 1, 2 ** 31 - 1);
    const rows = checkInteger(`${name}.rows`, j.rows, 0, Number.MAX_SAFE_INTEGER);
    const nonFiniteRows = checkInteger(`${name}.nonFiniteRows`, j.nonFiniteRows, 0, rows);
    const h = new PredictionHistogram(numClasses, bins);
    for (const [key, target] of [['classCounts', h.classCounts], ['confidence', h.confidence]] as const) {
      const raw = j[key];
      if (!Array.isArray(raw) || raw.length !== target.length) {
        throw invalidArgValue(`${name}.${key}`, `an array of ${target.length} counts`, raw);
      }
      let total = 0;
      for (let i = 0; i < raw.length; i++) {
        total += target[i] = checkInteger(`${name}.${key}[${i}]`, raw[i], 0, rows);
      }
      if (total + nonFiniteRows !== rows) {
        throw invalidArgValue(`${name}.${key}`, `counts summing to rows − nonFiniteRows = ${rows - nonFiniteRows}`, total);
      }
    }
    h.rows = rows;
    h.nonFiniteRows = nonFiniteRows;
    return h;
  }
}
