/**
 * Ranking metrics of a binary task, over one score per row (higher: more likely class 1):
 *   ROC AUC  P(score of a random positive > score of a random negative), ties counting 1/2
 *            (the Mann–Whitney U statistic over n₊·n₋, with average ranks for tied scores).
 *   PR AUC   average precision: Σₖ (Rₖ − Rₖ₋₁)·Pₖ over the distinct score thresholds taken from
 *            the highest down, the area under the step-wise precision–recall curve (sklearn's
 *            average_precision_score; tied scores enter together, as one threshold).
 * Both are NaN when the rows hold only one class (the area is undefined).
 */
import { GnnError, invalidArgType, invalidArgValue, outOfRange } from '../errors';

function checkPair(scores: unknown, labels: unknown): { s: ArrayLike<number>; y: ArrayLike<number> } {
  const isArray = (v: unknown): v is ArrayLike<number> => v !== null && typeof v === 'object' && typeof (v as { length?: unknown }).length === 'number';
  if (!isArray(scores)) throw invalidArgType('scores', 'an array or typed array of numbers', scores);
  if (!isArray(labels)) throw invalidArgType('labels', 'an array or typed array of 0 / 1 labels', labels);
  if (scores.length !== labels.length) throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `labels: expected ${scores.length} entries (one per score), got ${labels.length}`);
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (typeof v !== 'number' || Number.isNaN(v)) throw invalidArgValue(`scores[${i}]`, 'a number', v);
    if (labels[i] !== 0 && labels[i] !== 1) throw outOfRange(`labels[${i}]`, 'a binary label, 0 or 1', labels[i]);
  }
  return { s: scores, y: labels };
}

/** Row indices sorted by score, descending (stable). */
function byScoreDescending(s: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: s.length }, (_, i) => i);
  return order.sort((a, b) => s[b] - s[a] || a - b);
}

/** Area under the ROC curve (ties count 1/2); NaN when one class is absent. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { s, y } = checkPair(scores, labels);
  const order = byScoreDescending(s);
  const n = order.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i];
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  // Walk tie groups from the top: each positive beats every negative below its group and ties
  // (half a win) with the negatives inside it.
  let wins = 0;
  let negAbove = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let p = 0;
    let q = 0;
    while (j < n && s[order[j]] === s[order[i]]) {
      if (y[order[j]] === 1) p++;
      else q++;
      j++;
    }
    wins += p * (neg - negAbove - q) + 0.5 * p * q;
    negAbove += q;
    i = j;
  }
  return wins / (pos * neg);
}

/** Average precision (the step-wise area under the precision–recall curve); NaN without positives. */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { s, y } = checkPair(scores, labels);
  const order = byScoreDescending(s);
  const n = order.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i];
  if (pos === 0) return NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let gained = 0;
    while (j < n && s[order[j]] === s[order[i]]) {
      gained += y[order[j]];
      j++;
    }
    tp += gained;
    seen = j;
    ap += (gained / pos) * (tp / seen);
    i = j;
  }
  return ap;
}
