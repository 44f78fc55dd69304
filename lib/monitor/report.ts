/**
 * DriftReport: the outcome of comparing a window of data with a reference profile — one scored
 * signal per distribution compared, a severity for each from its thresholds, the overall verdict,
 * per-feature scores and the features that moved most.
 */
import { invalidArgType, invalidArgValue } from '../errors';
import { checkOptions } from '../validate';

export type DriftSeverity = 'none' | 'warn' | 'alert';
export type DriftSignalKind = 'psi' | 'ks' | 'js';
export type DriftSignalName = 'features.psi' | 'features.ks' | 'degree.in.ks' | 'degree.out.ks' | 'predictions.js' | 'confidence.js';

/** A score at or above `warn` warns, at or above `alert` alerts (0 < warn ≤ alert). */
export interface DriftThreshold {
  warn: number;
  alert: number;
}

/** One compared distribution. */
export interface DriftSignal {
  name: DriftSignalName;
  kind: DriftSignalKind;
  score: number;
  threshold: DriftThreshold;
  severity: DriftSeverity;
}

/** A feature's drift scores. */
export interface FeatureDrift {
  feature: number;
  psi: number;
  ks: number;
}

/** The two sides' sizes: feature rows, nodes with degrees recorded, model output rows. */
export interface DriftCounts {
  rows: number;
  nodes: number;
  predictions: number;
}

/** Per-feature detail, one entry per feature (NaN where a side has no finite value). */
export interface FeatureDriftDetail {
  psi: Float64Array;
  ks: Float64Array;
  mean: { reference: Float64Array; current: Float64Array };
  /** Population standard deviations. */
  std: { reference: Float64Array; current: Float64Array };
  /** Fraction of rows that were NaN or ±Infinity. */
  nonFiniteRate: { reference: Float64Array; current: Float64Array };
}

/** The JSON form of a report (typed arrays become arrays; NaN becomes null under JSON.stringify). */
export interface DriftReportJSON {
  overall: { score: number; severity: DriftSeverity };
  signals: DriftSignal[];
  topFeatures: FeatureDrift[];
  counts: { reference: DriftCounts; current: DriftCounts };
  features: {
    psi: number[];
    ks: number[];
    mean: { reference: number[]; current: number[] };
    std: { reference: number[]; current: number[] };
    nonFiniteRate: { reference: number[]; current: number[] };
  };
}

/** Each signal's kind. */
export const SIGNAL_KINDS: Readonly<Record<DriftSignalName, DriftSignalKind>> = Object.freeze({
  'features.psi': 'psi',
  'features.ks': 'ks',
  'degree.in.ks': 'ks',
  'degree.out.ks': 'ks',
  'predictions.js': 'js',
  'confidence.js': 'js',
});

/**
 * Default thresholds. PSI 0.1 / 0.25 are the customary "moderate" and "significant" shift levels.
 * A KS statistic of 0.1 / 0.2 is a 10 / 20 point gap between the two CDFs somewhere. Jensen–Shannon
 * divergence is in bits (0 … 1); 0.02 / 0.05 is about where PSI crosses 0.1 / 0.25 on the same
 * small shift of class proportions (JS ≈ PSI / 5.5).
 */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftSignalName, Readonly<DriftThreshold>>> = Object.freeze({
  'features.psi': Object.freeze({ warn: 0.1, alert: 0.25 }),
  'features.ks': Object.freeze({ warn: 0.1, alert: 0.2 }),
  'degree.in.ks': Object.freeze({ warn: 0.1, alert: 0.2 }),
  'degree.out.ks': Object.freeze({ warn: 0.1, alert: 0.2 }),
  'predictions.js': Object.freeze({ warn: 0.02, alert: 0.05 }),
  'confidence.js': Object.freeze({ warn: 0.02, alert: 0.05 }),
});

export const SIGNAL_NAMES = Object.keys(SIGNAL_KINDS) as DriftSignalName[];

/** Overrides of some signals' thresholds (a missing warn or alert keeps its default). */
export type DriftThresholdOptions = Partial<Record<DriftSignalName, Partial<DriftThreshold>>>;

/** The defaults with `overrides` applied, each checked (0 < warn ≤ alert, finite). */
export function resolveThresholds(overrides: DriftThresholdOptions | undefined): Record<DriftSignalName, DriftThreshold> {
  const opts = checkOptions(overrides, 'thresholds', SIGNAL_NAMES);
  const out = {} as Record<DriftSignalName, DriftThreshold>;
  for (const name of SIGNAL_NAMES) {
    const given = checkOptions(opts[name], `thresholds['${name}']`, ['warn', 'alert']);
    const t = { warn: given.warn ?? DEFAULT_THRESHOLDS[name].warn, alert: given.alert ?? DEFAULT_THRESHOLDS[name].alert };
    for (const key of ['warn', 'alert'] as const) {
      const v = t[key];
      if (typeof v !== 'number') throw invalidArgType(`thresholds['${name}'].${key}`, 'a number', v);
      if (!(v > 0 && v < Infinity)) throw invalidArgValue(`thresholds['${name}'].${key}`, 'a finite number > 0', v);
    }
    if (t.warn > t.alert) throw invalidArgValue(`thresholds['${name}'].warn`, `at most alert (${t.alert})`, t.warn);
    out[name] = Object.freeze(t);
  }
  return out;
}

/** 'alert' at or above threshold.alert, 'warn' at or above threshold.warn, else 'none'. */
export function severityOf(score: number, threshold: DriftThreshold): DriftSeverity {
  return score >= threshold.alert ? 'alert' : score >= threshold.warn ? 'warn' : 'none';
}

const RANK: Record<DriftSeverity, number> = { none: 0, warn: 1, alert: 2 };

export class DriftReport {
  /**
   * score: the largest signal score divided by its alert threshold (≥ 1 means some signal
   * alerts; 0 with no signals); severity: the worst signal severity.
   */
  readonly overall: { readonly score: number; readonly severity: DriftSeverity };
  /** The signals both sides had data for, in the order of DriftSignalName's definition (frozen). */
  readonly signals: DriftSignal[];
  /** Features by PSI, largest first (ties: larger KS, then lower index; frozen). */
  readonly topFeatures: FeatureDrift[];
  readonly counts: { readonly reference: DriftCounts; readonly current: DriftCounts };
  readonly features: FeatureDriftDetail;

  /** @internal */
  constructor(signals: DriftSignal[], topFeatures: FeatureDrift[], counts: { reference: DriftCounts; current: DriftCounts }, features: FeatureDriftDetail) {
    let score = 0;
    let severity: DriftSeverity = 'none';
    for (const s of signals) {
      score = Math.max(score, s.score / s.threshold.alert);
      if (RANK[s.severity] > RANK[severity]) severity = s.severity;
    }
    this.overall = Object.freeze({ score, severity });
    this.signals = Object.freeze(signals.map((s) => Object.freeze({ ...s, threshold: Object.freeze({ ...s.threshold }) }))) as DriftSignal[];
    this.topFeatures = Object.freeze(topFeatures.map((f) => Object.freeze(f))) as FeatureDrift[];
    this.counts = Object.freeze({ reference: Object.freeze(counts.reference), current: Object.freeze(counts.current) });
    this.features = features;
  }

  /** The signal called `name`, if the report has it. */
  signal(name: DriftSignalName): DriftSignal | undefined {
    return this.signals.find((s) => s.name === name);
  }

  toJSON(): DriftReportJSON {
    const f = this.features;
    const pair = (p: { reference: Float64Array; current: Float64Array }): { reference: number[]; current: number[] } => ({
      reference: Array.from(p.reference),
      current: Array.from(p.current),
    });
    return {
      overall: { ...this.overall },
      signals: this.signals.map((s) => ({ ...s, threshold: { ...s.threshold } })),
      topFeatures: this.topFeatures.map((t) => ({ ...t })),
      counts: { reference: { ...this.counts.reference }, current: { ...this.counts.current } },
      features: { psi: Array.from(f.psi), ks: Array.from(f.ks), mean: pair(f.mean), std: pair(f.std), nonFiniteRate: pair(f.nonFiniteRate) },
    };
  }

  toString(): string {
    const parts = this.signals.map((s) => `${s.name} ${s.score.toPrecision(3)} (${s.severity})`);
    return `DriftReport(${this.overall.severity}, score ${this.overall.score.toPrecision(3)}${parts.length > 0 ? `: ${parts.join(', ')}` : ''})`;
  }
}
