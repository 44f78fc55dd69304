/**
 * classificationMetrics(scores, labels, options): how accurate a classifier is over the rows of a
 * mask. Rows are whatever the model outputs: nodes (node classification) or graphs (a pooled model
 * run with a batch vector: one score row and one label per graph).
 *
 *   accuracy       share of rows whose argmax (the first on ties) is the label
 *   precision[c]   TP / (TP + FP), recall[c] TP / (TP + FN), f1[c] their harmonic mean; 0 where
 *                  the denominator is 0 (a class never predicted, or absent from the labels)
 *   macroF1        mean f1 over the classes that occur among the labels or predictions
 *   microF1        F1 of the pooled counts (equal to accuracy for single-label classification)
 *   confusion      confusion[true][predicted], counts
 *   topK[k]        share of rows whose label is among the k highest scores (ties rank the lower
 *                  class first, as the argmax does, so topK[1] = accuracy)
 *   logLoss        mean −log p(label): exact log-softmax for logits; probabilities clipped at 1e-15
 *   binary         two classes (C = 2, or one score per row): ROC AUC and PR AUC of class 1
 * With no rows to evaluate every rate is NaN (JSON null).
 */
import { checkInteger, checkOptions } from '../validate';
import { invalidArgType } from '../errors';
import type { Tensor } from '../tensor';
import { prAuc, rocAuc } from './binary';
import { scoreRows } from './inputs';
import type { LabelInput, MaskInput, ScoreKind, Scored } from './inputs';

export interface MetricsOptions {
  /** Rows to evaluate (e.g. a test mask), one entry per score row; default all. */
  mask?: MaskInput;
  /** What the scores are: 'logits' (default; log-probabilities too) or 'probabilities'. */
  scores?: ScoreKind;
  /** The k of top-k accuracy (default [1, 3], k >= the class count dropped except 1). */
  topK?: readonly number[];
}

export interface PerClassMetrics {
  precision: number[];
  recall: number[];
  f1: number[];
  /** Rows whose label is the class. */
  support: number[];
  /** Rows predicted as the class. */
  predicted: number[];
}

export interface ClassificationMetrics {
  /** Rows evaluated. */
  count: number;
  numClasses: number;
  accuracy: number;
  macroF1: number;
  microF1: number;
  perClass: PerClassMetrics;
  /** confusion[true][predicted]. */
  confusion: number[][];
  /** Top-k accuracy by k. */
  topK: Record<number, number>;
  logLoss: number;
  /** Binary tasks only: ranking quality of the class-1 score. */
  binary?: { rocAuc: number; prAuc: number };
}

/** Every metric of the scored rows. @internal */
export function metricsOf(s: Scored, topK: readonly number[]): ClassificationMetrics {
  const c = s.classes;
  const n = s.rows.length;
  const confusion = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    confusion[s.label[i]][s.pred[i]]++;
    if (s.label[i] === s.pred[i]) correct++;
    loss -= s.logProbLabel[i];
  }
  const support = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const predicted = Array.from({ length: c }, (_, k) => confusion.reduce((a, row) => a + row[k], 0));
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  const precision = confusion.map((row, k) => ratio(row[k], predicted[k]));
  const recall = confusion.map((row, k) => ratio(row[k], support[k]));
  const f1 = precision.map((p, k) => ratio(2 * p * recall[k], p + recall[k]));
  const present = f1.filter((_, k) => support[k] > 0 || predicted[k] > 0);
  // Pooled over classes: ΣTP = correct, ΣFP = ΣFN = n − correct.
  const microF1 = n === 0 ? NaN : ratio(2 * correct, 2 * correct + 2 * (n - correct));
  const top: Record<number, number> = {};
  for (const k of topK) {
    let hit = 0;
    for (let i = 0; i < n; i++) if (s.labelRank[i] < k) hit++;
    top[k] = n === 0 ? NaN : hit / n;
  }
  const out: ClassificationMetrics = {
    count: n,
    numClasses: c,
    accuracy: n === 0 ? NaN : correct / n,
    macroF1: present.length === 0 ? NaN : present.reduce((a, b) => a + b, 0) / present.length,
    microF1,
    perClass: { precision, recall, f1, support, predicted },
    confusion,
    topK: top,
    logLoss: n === 0 ? NaN : loss / n,
  };
  if (c === 2 && s.positiveScore !== null) out.binary = { rocAuc: rocAuc(s.positiveScore, s.label), prAuc: prAuc(s.positiveScore, s.label) };
  return out;
}

/** The checked top-k list for `classes` classes. @internal */
export function topKList(value: unknown, classes: number): number[] {
  if (value === undefined) return [1, 3].filter((k) => k === 1 || k < classes);
  if (!Array.isArray(value)) throw invalidArgType('topK', 'an array of positive integers', value);
  const ks = value.map((k: unknown, i: number) => checkInteger(`topK[${i}]`, k, 1, 2 ** 31 - 1));
  return [...new Set(ks)].sort((a, b) => a - b);
}

/** Accuracy, F1, per-class precision and recall, confusion, top-k, log loss (and AUCs for binary tasks). */
export function classificationMetrics(scores: Tensor<'float32'>, labels: LabelInput, options?: MetricsOptions): ClassificationMetrics {
  const opts = checkOptions(options, 'classificationMetrics', ['mask', 'scores', 'topK']);
  const s = scoreRows(scores, labels, opts);
  return metricsOf(s, topKList(opts.topK, s.classes));
}
