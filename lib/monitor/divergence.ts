/**
 * The three drift statistics, on plain arrays.
 *   psi            population stability index Σ (c − r) · ln(c / r) over bins of proportions, each
 *                  floored at PSI_EPSILON so an empty bin costs a finite amount
 *   ksStatistic    two-sample Kolmogorov–Smirnov statistic sup |F_a(x) − F_b(x)| between two
 *                  weighted sorted samples (sketch views), evaluated at every item of either
 *   jsDivergence   Jensen–Shannon divergence of two count vectors, in bits (0 … 1)
 * @internal
 */
import type { SortedView } from './kll';

/** Floor on bin proportions in PSI (a bin empty on one side and at p on the other costs ≈ p · ln(p / 1e-4)). */
export const PSI_EPSILON = 1e-4;

/** PSI between reference and current proportions of the same bins. */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = Math.max(reference[i], PSI_EPSILON);
    const c = Math.max(current[i], PSI_EPSILON);
    total += (c - r) * Math.log(c / r);
  }
  return total;
}

/** sup over x of |F_a(x) − F_b(x)|, F the weighted fraction of items ≤ x; 0 when either is empty. */
export function ksStatistic(a: SortedView, b: SortedView): number {
  if (a.n === 0 || b.n === 0) return 0;
  const ai = a.items;
  const bi = b.items;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < ai.length || j < bi.length) {
    const v = j >= bi.length || (i < ai.length && ai[i] <= bi[j]) ? ai[i] : bi[j];
    while (i < ai.length && ai[i] <= v) i++;
    while (j < bi.length && bi[j] <= v) j++;
    const fa = i === 0 ? 0 : a.cum[i - 1] / a.n;
    const fb = j === 0 ? 0 : b.cum[j - 1] / b.n;
    const gap = Math.abs(fa - fb);
    if (gap > d) d = gap;
  }
  return d;
}

/** Jensen–Shannon divergence (base 2) of two count vectors of equal length; 0 when either sums to 0. */
export function jsDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  if (sp === 0 || sq === 0) return 0;
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] / sp;
    const b = q[i] / sq;
    const m = (a + b) / 2;
    if (a > 0) total += a * Math.log2(a / m);
    if (b > 0) total += b * Math.log2(b / m);
  }
  // Rounding can leave a tiny negative or a hair above 1.
  return Math.min(1, Math.max(0, total / 2));
}
