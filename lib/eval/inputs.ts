/**
 * The inputs every evaluation function shares, checked once: scores (logits or probabilities),
 * labels, an optional row mask. The result holds, for the evaluated rows only, float64 class
 * probabilities, the predicted class (argmax of the scores, the first on ties, as
 * lib/predictions.ts) and the label.
 *
 * Scores are a float32 Tensor [N, C] (C >= 2: one column per class) or [N] / [N, 1] (a binary
 * task: one score for the positive class 1). 'logits' (the default) also covers log-probabilities
 * (log_softmax outputs): softmax is invariant to the per-row shift that separates them.
 * @internal
 */
import { GnnError, described, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import { argmaxRows } from '../predictions';
import { Tensor, checkTensor } from '../tensor';

/** What the score tensor holds. */
export type ScoreKind = 'logits' | 'probabilities';

/** Labels: one integer class per row (an Int32Array, an array of numbers, or an int32 Tensor). */
export type LabelInput = ArrayLike<number> | Tensor<'int32'>;

/** A row mask: truthy entries are evaluated (a Uint8Array, an array of booleans or 0/1). */
export type MaskInput = ArrayLike<boolean | number>;

/** The evaluated rows of one score tensor. @internal */
export interface Scored {
  /** Rows of the score tensor. */
  totalRows: number;
  /** Evaluated row indices, ascending (the mask's truthy entries, else all). */
  rows: Int32Array;
  /** Number of classes (2 for a single-score binary task). */
  classes: number;
  /** Probabilities [rows.length, classes], float64. */
  prob: Float64Array;
  /** log p of each row's label (exact log-softmax for logits). */
  logProbLabel: Float64Array;
  /** Predicted class per evaluated row. */
  pred: Int32Array;
  /** Label per evaluated row. */
  label: Int32Array;
  /** Probability of the predicted class per evaluated row. */
  confidence: Float64Array;
  /** Rank of the label among the row's scores (0: the prediction); ties rank the lower class first. */
  labelRank: Int32Array;
  /** Binary tasks: a score that orders rows like p(class 1) (the logit margin for logits). */
  positiveScore: Float64Array | null;
}

// Probabilities as given must sum to 1 per row within this (float32 softmax rows do to ~1e-6).
const SUM_TOLERANCE = 1e-3;
// log(0) guard for probabilities given directly (sklearn's log_loss clips at the same place).
const MIN_PROBABILITY = 1e-15;

/** The float32 scores tensor, rank 1 or 2, with at least one row. */
export function checkScores(name: string, scores: unknown): Tensor<'float32'> {
  const t = checkTensor(name, scores, 'float32', [1, 2]);
  const classes = t.rank === 2 ? t.shape[1] : 1;
  if (classes < 1) throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected at least one column, got shape [${t.shape.join(', ')}]`);
  return t;
}

/** The row mask as the list of evaluated rows. */
export function maskRows(name: string, mask: MaskInput | undefined, rows: number): Int32Array {
  if (mask === undefined) return Int32Array.from({ length: rows }, (_, i) => i);
  if (mask === null || typeof mask !== 'object' || typeof (mask as { length?: unknown }).length !== 'number') {
    throw invalidArgType(name, 'an array or typed array with one entry per row', mask);
  }
  if (mask.length !== rows) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected ${rows} entries (one per row), got ${mask.length}`);
  }
  let n = 0;
  for (let i = 0; i < rows; i++) if (mask[i]) n++;
  const out = new Int32Array(n);
  n = 0;
  for (let i = 0; i < rows; i++) if (mask[i]) out[n++] = i;
  return out;
}

/** The labels as a plain array view with `rows` entries. */
export function labelArray(name: string, labels: unknown, rows: number): ArrayLike<number> {
  let arr: ArrayLike<number>;
  if (labels instanceof Tensor) {
    const t = checkTensor(name, labels, 'int32', [1, 2]);
    if (t.rank === 2 && t.shape[1] !== 1) throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected shape [${rows}] or [${rows}, 1], got [${t.shape.join(', ')}]`);
    arr = t.data;
  } else if (labels !== null && typeof labels === 'object' && typeof (labels as { length?: unknown }).length === 'number') {
    arr = labels as ArrayLike<number>;
  } else {
    throw invalidArgType(name, 'an Int32Array, an array of class indices or an int32 Tensor', labels);
  }
  if (arr.length !== rows) throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected ${rows} entries (one per row), got ${arr.length}`);
  return arr;
}

/** labels[r] as a class in [0, classes); anything else is ERR_OUT_OF_RANGE naming the row. */
export function labelAt(name: string, labels: ArrayLike<number>, r: number, classes: number): number {
  const y = labels[r];
  if (typeof y !== 'number' || !Number.isInteger(y) || y < 0 || y >= classes) {
    throw outOfRange(`${name}[${r}]`, `a class index in [0, ${classes - 1}]`, y);
  }
  return y;
}

export interface ScoredOptions {
  mask?: MaskInput;
  scores?: ScoreKind;
}

/** Checks scores, labels and mask, and computes probabilities of the evaluated rows. */
export function scoreRows(scores: unknown, labels: unknown, options: ScoredOptions, names = { scores: 'scores', labels: 'labels', mask: 'mask' }): Scored {
  const t = checkScores(names.scores, scores);
  const kind = options.scores ?? 'logits';
  if (kind !== 'logits' && kind !== 'probabilities') throw invalidArgValue('scores', "'logits' or 'probabilities'", kind);
  const totalRows = t.shape[0];
  const width = t.rank === 2 ? t.shape[1] : 1;
  const rows = maskRows(names.mask, options.mask, totalRows);
  const lab = labelArray(names.labels, labels, totalRows);
  const binary = width === 1;
  const classes = binary ? 2 : width;
  const n = rows.length;
  const prob = new Float64Array(n * classes);
  const logProbLabel = new Float64Array(n);
  const pred = new Int32Array(n);
  const label = new Int32Array(n);
  const confidence = new Float64Array(n);
  const labelRank = new Int32Array(n);
  const positiveScore = classes === 2 ? new Float64Array(n) : null;
  const argmax = binary ? null : argmaxRows(t);
  const d = t.data;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    const y = labelAt(names.labels, lab, r, classes);
    label[i] = y;
    const base = r * width;
    for (let c = 0; c < width; c++) {
      const v = d[base + c];
      if (!Number.isFinite(v)) throw invalidArgValue(`${names.scores}[${r}]`, `finite ${kind}`, described(`${v} in column ${c}`));
      if (kind === 'probabilities' && (v < 0 || v > 1)) throw invalidArgValue(`${names.scores}[${r}]`, 'probabilities in [0, 1]', described(`${v} in column ${c}`));
    }
    const p = prob.subarray(i * classes, (i + 1) * classes);
    if (binary) {
      const s = d[base];
      // One score: a logit (sigmoid) or p(class 1); class 1 is predicted when it is the likelier.
      const p1 = kind === 'logits' ? 1 / (1 + Math.exp(-s)) : s;
      p[0] = 1 - p1;
      p[1] = p1;
      pred[i] = kind === 'logits' ? (s > 0 ? 1 : 0) : s > 0.5 ? 1 : 0;
      positiveScore![i] = s;
      logProbLabel[i] = kind === 'logits' ? -softplus(y === 1 ? -s : s) : Math.log(Math.max(p[y], MIN_PROBABILITY));
    } else if (kind === 'logits') {
      let max = -Infinity;
      for (let c = 0; c < width; c++) max = Math.max(max, d[base + c]);
      let sum = 0;
      for (let c = 0; c < width; c++) sum += (p[c] = Math.exp(d[base + c] - max));
      for (let c = 0; c < width; c++) p[c] /= sum;
      pred[i] = argmax![r];
      logProbLabel[i] = d[base + y] - max - Math.log(sum);
      if (positiveScore !== null) positiveScore[i] = d[base + 1] - d[base];
    } else {
      let sum = 0;
      for (let c = 0; c < width; c++) sum += (p[c] = d[base + c]);
      if (Math.abs(sum - 1) > SUM_TOLERANCE) throw invalidArgValue(`${names.scores}[${r}]`, `probabilities summing to 1 (±${SUM_TOLERANCE})`, described(`a row summing to ${sum}`));
      pred[i] = argmax![r];
      logProbLabel[i] = Math.log(Math.max(p[y], MIN_PROBABILITY));
      if (positiveScore !== null) positiveScore[i] = p[1];
    }
    confidence[i] = p[pred[i]];
    labelRank[i] = binary ? (pred[i] === y ? 0 : 1) : rankOf(d, base, width, y);
  }
  return { totalRows, rows, classes, prob, logProbLabel, pred, label, confidence, labelRank, positiveScore };
}

/** Classes ranked before class y: higher scores, and equal scores of lower index (as argmax). */
function rankOf(d: Float32Array, base: number, width: number, y: number): number {
  const s = d[base + y];
  let rank = 0;
  for (let c = 0; c < width; c++) {
    const v = d[base + c];
    if (v > s || (v === s && c < y)) rank++;
  }
  return rank;
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** The scored rows restricted to a subset (positions into `s.rows`). */
export function subset(s: Scored, positions: Int32Array): Scored {
  const c = s.classes;
  const n = positions.length;
  const out: Scored = {
    totalRows: s.totalRows,
    rows: new Int32Array(n),
    classes: c,
    prob: new Float64Array(n * c),
    logProbLabel: new Float64Array(n),
    pred: new Int32Array(n),
    label: new Int32Array(n),
    confidence: new Float64Array(n),
    labelRank: new Int32Array(n),
    positiveScore: s.positiveScore === null ? null : new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const j = positions[i];
    out.rows[i] = s.rows[j];
    out.prob.set(s.prob.subarray(j * c, (j + 1) * c), i * c);
    out.logProbLabel[i] = s.logProbLabel[j];
    out.pred[i] = s.pred[j];
    out.label[i] = s.label[j];
    out.confidence[i] = s.confidence[j];
    out.labelRank[i] = s.labelRank[j];
    if (out.positiveScore !== null) out.positiveScore[i] = s.positiveScore![j];
  }
  return out;
}
