/**
 * Comparing two models' predictions: argmax per row, agreement, accuracy against labels, over an
 * optional row mask. Shared by quantizationReport and pruningReport.
 * @internal
 */
import { GnnError } from './errors';
import type { Tensor } from './tensor';

/** The index of each row's largest value (the first on ties). */
export function argmaxRows(t: Tensor<'float32'>): Int32Array {
  const rows = t.shape[0];
  const cols = t.rank > 1 ? t.numel / rows : 1;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (t.data[r * cols + c] > t.data[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}

export interface PredictionComparison {
  /** Rows compared (the mask's true entries, else all). */
  rows: number;
  /** Fraction of those rows where both argmaxes agree (1 when there are none). */
  agreement: number;
  /** With labels: accuracy of each model over those rows. */
  accuracy?: { a: number; b: number };
}

/** Agreement of the argmaxes of `a` and `b`, and with labels each one's accuracy, over the masked rows. */
export function comparePredictions(a: Tensor<'float32'>, b: Tensor<'float32'>, labels: ArrayLike<number> | null | undefined, mask: ArrayLike<boolean | number> | undefined): PredictionComparison {
  const rows = a.shape[0];
  if (mask !== undefined && (mask === null || typeof mask !== 'object' || mask.length !== rows)) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `mask: expected ${rows} entries (one per output row), got ${mask === null || typeof mask !== 'object' ? String(mask) : mask.length}`);
  }
  if (labels !== undefined && labels !== null && labels.length !== rows) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `labels: expected ${rows} entries (one per output row), got ${labels.length}`);
  }
  const pa = argmaxRows(a);
  const pb = argmaxRows(b);
  let n = 0;
  let same = 0;
  let ra = 0;
  let rb = 0;
  for (let r = 0; r < pa.length; r++) {
    if (mask !== undefined && !mask[r]) continue;
    n++;
    if (pa[r] === pb[r]) same++;
    if (labels !== undefined && labels !== null) {
      if (pa[r] === labels[r]) ra++;
      if (pb[r] === labels[r]) rb++;
    }
  }
  const out: PredictionComparison = { rows: n, agreement: n === 0 ? 1 : same / n };
  if (labels !== undefined && labels !== null) out.accuracy = { a: n === 0 ? 0 : ra / n, b: n === 0 ? 0 : rb / n };
  return out;
}
