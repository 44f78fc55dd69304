/**
 * calibrationMetrics(scores, labels, options): whether the model's confidence means what it says.
 * A row's confidence is the probability of its predicted class (the top-label view of Guo et al.,
 * 2017); it is correct when that class is the label. Rows are put into bins by confidence:
 *
 *   binning 'width' (default)  B equal bins of [0, 1]: bin b = [b/B, (b+1)/B), the last one closed
 *   binning 'mass'             B bins of (nearly) equal count: rows sorted by confidence, bin b
 *                              holding sorted positions [⌊b·n/B⌋, ⌊(b+1)·n/B⌋), except that equal
 *                              confidences are never split (an edge inside a run of them moves to
 *                              the run's end; bins may then hold more or fewer rows, or none)
 *
 *   ECE    Σ_b (n_b / n) · |accuracy_b − confidence_b|   (mean confidence and accuracy of bin b)
 *   MCE    max over non-empty bins of |accuracy_b − confidence_b|
 *   Brier  mean over rows of Σ_c (p_c − [c = label])², every class (Brier 1950; for two classes
 *          twice sklearn's brier_score_loss, which scores class 1 only)
 * `bins` lists every bin (empty ones with count 0 and NaN confidence and accuracy): the data of a
 * reliability diagram.
 */
import { checkInteger, checkOptions } from '../validate';
import { invalidArgValue } from '../errors';
import type { Tensor } from '../tensor';
import { scoreRows } from './inputs';
import type { LabelInput, MaskInput, ScoreKind, Scored } from './inputs';

export type Binning = 'width' | 'mass';

export interface CalibrationOptions {
  mask?: MaskInput;
  scores?: ScoreKind;
  /** Number of bins (default 15). */
  bins?: number;
  /** Equal-width (default) or equal-mass bins. */
  binning?: Binning;
}

export interface ReliabilityBin {
  /** The bin's confidence range: its edges for equal width, its rows' min and max for equal mass. */
  lower: number;
  upper: number;
  /** Mean confidence of the bin's rows (NaN when empty). */
  confidence: number;
  /** Share of the bin's rows predicted correctly (NaN when empty). */
  accuracy: number;
  count: number;
}

export interface CalibrationMetrics {
  /** Rows evaluated. */
  count: number;
  binning: Binning;
  ece: number;
  mce: number;
  brier: number;
  /** Mean confidence over the rows (compare with accuracy: above it, over-confident). */
  meanConfidence: number;
  accuracy: number;
  bins: ReliabilityBin[];
}

/** The checked bin options. @internal */
export function binOptions(opts: { bins?: number; binning?: Binning }): { bins: number; binning: Binning } {
  const bins = opts.bins === undefined ? 15 : checkInteger('bins', opts.bins, 1, 1e6);
  const binning = opts.binning ?? 'width';
  if (binning !== 'width' && binning !== 'mass') throw invalidArgValue('binning', "'width' or 'mass'", binning);
  return { bins, binning };
}

/** ECE, MCE, Brier and the reliability bins of the scored rows. @internal */
export function calibrationOf(s: Scored, bins: number, binning: Binning): CalibrationMetrics {
  const n = s.rows.length;
  const binOf = new Int32Array(n);
  const lower = new Float64Array(bins);
  const upper = new Float64Array(bins);
  if (binning === 'width') {
    for (let b = 0; b < bins; b++) {
      lower[b] = b / bins;
      upper[b] = (b + 1) / bins;
    }
    for (let i = 0; i < n; i++) binOf[i] = Math.min(Math.floor(s.confidence[i] * bins), bins - 1);
  } else {
    const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => s.confidence[a] - s.confidence[b] || a - b);
    lower.fill(NaN);
    upper.fill(NaN);
    // Bin edges by position; an edge inside a run of equal confidences moves to the run's end, so
    // equal confidences always share a bin (the result never depends on row order).
    const cut = Int32Array.from({ length: bins + 1 }, (_, b) => Math.floor((b * n) / bins));
    for (let b = 1; b < bins; b++) {
      cut[b] = Math.max(cut[b], cut[b - 1]);
      while (cut[b] > 0 && cut[b] < n && s.confidence[order[cut[b]]] === s.confidence[order[cut[b] - 1]]) cut[b]++;
    }
    for (let b = 0; b < bins; b++) {
      const from = cut[b];
      const to = Math.max(cut[b + 1], from);
      for (let k = from; k < to; k++) binOf[order[k]] = b;
      if (to > from) {
        lower[b] = s.confidence[order[from]];
        upper[b] = s.confidence[order[to - 1]];
      }
    }
  }
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const hits = new Float64Array(bins);
  let brier = 0;
  let confSum = 0;
  let correct = 0;
  const c = s.classes;
  for (let i = 0; i < n; i++) {
    const b = binOf[i];
    const ok = s.pred[i] === s.label[i] ? 1 : 0;
    count[b]++;
    conf[b] += s.confidence[i];
    hits[b] += ok;
    confSum += s.confidence[i];
    correct += ok;
    for (let k = 0; k < c; k++) {
      const d = s.prob[i * c + k] - (k === s.label[i] ? 1 : 0);
      brier += d * d;
    }
  }
  let ece = 0;
  let mce = 0;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const m = count[b];
    const confidence = m === 0 ? NaN : conf[b] / m;
    const accuracy = m === 0 ? NaN : hits[b] / m;
    if (m > 0) {
      const gap = Math.abs(accuracy - confidence);
      ece += (m / n) * gap;
      mce = Math.max(mce, gap);
    }
    out.push({ lower: lower[b], upper: upper[b], confidence, accuracy, count: m });
  }
  return {
    count: n,
    binning,
    ece: n === 0 ? NaN : ece,
    mce: n === 0 ? NaN : mce,
    brier: n === 0 ? NaN : brier / n,
    meanConfidence: n === 0 ? NaN : confSum / n,
    accuracy: n === 0 ? NaN : correct / n,
    bins: out,
  };
}

/** Expected and maximum calibration error, Brier score and the reliability-diagram bins. */
export function calibrationMetrics(scores: Tensor<'float32'>, labels: LabelInput, options?: CalibrationOptions): CalibrationMetrics {
  const opts = checkOptions(options, 'calibrationMetrics', ['mask', 'scores', 'bins', 'binning']);
  const { bins, binning } = binOptions(opts);
  return calibrationOf(scoreRows(scores, labels, opts), bins, binning);
}
