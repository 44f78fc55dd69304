/**
 * Scores a current profile against a reference profile.
 *
 * Features: PSI over bins cut at the reference's quantiles 1/B … (B−1)/B (duplicate cuts merged,
 * so a feature that is mostly zeros gets a "≤ 0" bin and bins above it) plus one bin for
 * non-finite values; KS between the two features' sketches over finite values. The signals
 * 'features.psi' and 'features.ks' are the maximum over features: one feature that moved is drift.
 * Degrees: KS between the in-degree sketches and between the out-degree sketches. Predictions:
 * Jensen–Shannon divergence between the predicted-class counts and between the confidence
 * histograms (each with the non-finite rows as one more category).
 *
 * Both sides' bin proportions are read from their sketches, so each PSI bin's proportion is off by
 * at most 2ε per side and each KS statistic by at most 2ε, ε = KllSketch.rankErrorBound(sketchK)
 * (0 while a side has fewer values than its sketch holds: the sketch is then exact).
 * @internal
 */
import { GnnError } from '../errors';
import { viewRank } from './kll';
import type { SortedView } from './kll';
import { jsDivergence, ksStatistic, psi } from './divergence';
import type { DriftProfile } from './profile';
import { DriftReport, SIGNAL_KINDS, severityOf } from './report';
import type { DriftCounts, DriftSignal, DriftSignalName, DriftThreshold, FeatureDrift } from './report';

export interface CompareSettings {
  psiBins: number;
  topFeatures: number;
  thresholds: Record<DriftSignalName, DriftThreshold>;
}

/** What every comparison against one reference reuses: bin cuts, bin proportions, sorted views. */
export class ReferenceView {
  readonly profile: DriftProfile;
  readonly edges: Float64Array[];
  readonly bins: Float64Array[];
  readonly views: SortedView[];
  readonly inView: SortedView;
  readonly outView: SortedView;

  constructor(profile: DriftProfile, psiBins: number) {
    this.profile = profile;
    const { features, inDegrees, outDegrees } = profile.parts;
    const F = profile.numFeatures;
    this.edges = new Array<Float64Array>(F);
    this.bins = new Array<Float64Array>(F);
    this.views = new Array<SortedView>(F);
    for (let f = 0; f < F; f++) {
      const sketch = features.sketches[f];
      const cuts: number[] = [];
      if (sketch.n > 0) {
        for (let i = 1; i < psiBins; i++) {
          const q = sketch.quantile(i / psiBins);
          if (cuts.length === 0 || q > cuts[cuts.length - 1]) cuts.push(q);
        }
      }
      this.edges[f] = Float64Array.from(cuts);
      this.views[f] = sketch.sortedView();
      this.bins[f] = binProportions(this.views[f], this.edges[f], features.count[f], features.nonFinite[f]);
    }
    this.inView = inDegrees.sketch.sortedView();
    this.outView = outDegrees.sketch.sortedView();
  }
}

/**
 * Proportions of all values in bins (−∞, e0], (e0, e1], …, (e_last, ∞) and then the non-finite
 * bin: the finite bins share finite / (finite + nonFinite) by the view's CDF.
 */
export function binProportions(view: SortedView, edges: Float64Array, finite: number, nonFinite: number): Float64Array {
  const out = new Float64Array(edges.length + 2);
  const total = finite + nonFinite;
  if (total === 0) return out;
  const share = finite / total;
  let prev = 0;
  for (let i = 0; i < edges.length; i++) {
    const r = viewRank(view, edges[i]);
    out[i] = (r - prev) * share;
    prev = r;
  }
  out[edges.length] = finite === 0 ? 0 : (1 - prev) * share;
  out[edges.length + 1] = nonFinite / total;
  return out;
}

function counts(p: DriftProfile): DriftCounts {
  const { inDegrees, predictions } = p.parts;
  return { rows: p.rows, nodes: inDegrees.count, predictions: predictions?.rows ?? 0 };
}

function withExtra(values: Float64Array, extra: number): Float64Array {
  const out = new Float64Array(values.length + 1);
  out.set(values);
  out[values.length] = extra;
  return out;
}

/** Compares `current` with the reference; see the file comment for what each signal measures. */
export function compareProfiles(ref: ReferenceView, current: DriftProfile, settings: CompareSettings): DriftReport {
  const reference = ref.profile;
  if (current.numFeatures !== reference.numFeatures) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `current: expected a profile of ${reference.numFeatures} features (the reference's), got ${current.numFeatures}`);
  }
  const rf = reference.parts.features;
  const cur = current.parts;
  const cf = cur.features;
  const F = reference.numFeatures;
  const detail = {
    psi: new Float64Array(F),
    ks: new Float64Array(F),
    mean: { reference: new Float64Array(F), current: new Float64Array(F) },
    std: { reference: new Float64Array(F), current: new Float64Array(F) },
    nonFiniteRate: { reference: new Float64Array(F), current: new Float64Array(F) },
  };
  const signals: DriftSignal[] = [];
  const add = (name: DriftSignalName, score: number): void => {
    const threshold = settings.thresholds[name];
    signals.push({ name, kind: SIGNAL_KINDS[name], score, threshold, severity: severityOf(score, threshold) });
  };

  const haveFeatures = F > 0 && rf.rows > 0 && cf.rows > 0;
  for (let f = 0; f < F; f++) {
    const rs = rf.stats(f);
    const cs = cf.stats(f);
    detail.mean.reference[f] = rs.mean;
    detail.mean.current[f] = cs.mean;
    detail.std.reference[f] = Math.sqrt(rs.variance);
    detail.std.current[f] = Math.sqrt(cs.variance);
    detail.nonFiniteRate.reference[f] = rf.rows === 0 ? NaN : rs.nonFinite / rf.rows;
    detail.nonFiniteRate.current[f] = cf.rows === 0 ? NaN : cs.nonFinite / cf.rows;
    if (!haveFeatures) {
      detail.psi[f] = NaN;
      detail.ks[f] = NaN;
      continue;
    }
    const view = cf.sketches[f].sortedView();
    detail.psi[f] = psi(ref.bins[f], binProportions(view, ref.edges[f], cf.count[f], cf.nonFinite[f]));
    detail.ks[f] = ksStatistic(ref.views[f], view);
  }

  const topFeatures: FeatureDrift[] = [];
  if (haveFeatures) {
    let maxPsi = 0;
    let maxKs = 0;
    for (let f = 0; f < F; f++) {
      if (detail.psi[f] > maxPsi) maxPsi = detail.psi[f];
      if (detail.ks[f] > maxKs) maxKs = detail.ks[f];
    }
    add('features.psi', maxPsi);
    add('features.ks', maxKs);
    const order = Array.from({ length: F }, (_, i) => i);
    order.sort((a, b) => detail.psi[b] - detail.psi[a] || detail.ks[b] - detail.ks[a] || a - b);
    for (const f of order.slice(0, Math.min(settings.topFeatures, F))) topFeatures.push({ feature: f, psi: detail.psi[f], ks: detail.ks[f] });
  }

  if (ref.inView.n > 0 && cur.inDegrees.count > 0) {
    add('degree.in.ks', ksStatistic(ref.inView, cur.inDegrees.sketch.sortedView()));
    add('degree.out.ks', ksStatistic(ref.outView, cur.outDegrees.sketch.sortedView()));
  }

  const rp = reference.parts.predictions;
  const cp = cur.predictions;
  if (rp !== null && cp !== null && rp.numClasses !== cp.numClasses) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `current: expected predictions over ${rp.numClasses} classes (the reference's), got ${cp.numClasses}`);
  }
  if (rp !== null && cp !== null && rp.rows > 0 && cp.rows > 0) {
    add('predictions.js', jsDivergence(withExtra(rp.classCounts, rp.nonFiniteRows), withExtra(cp.classCounts, cp.nonFiniteRows)));
    add('confidence.js', jsDivergence(withExtra(rp.confidence, rp.nonFiniteRows), withExtra(cp.confidence, cp.nonFiniteRows)));
  }

  return new DriftReport(signals, topFeatures, { reference: counts(reference), current: counts(current) }, detail);
}
