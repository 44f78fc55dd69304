/**
 * What the Predictor reads from a drift monitor: its latest report. Structural, so any object
 * with this shape serves (lib/monitor's DriftMonitor is one); serve/ does not import monitor/.
 */

/** How far a signal has drifted, by its thresholds. */
export type DriftSeverity = 'none' | 'warn' | 'alert';

/** One drift signal: a feature's PSI, the degree distribution's KS statistic, the predictions' JS divergence, … */
export interface DriftSignal {
  name: string;
  /** The statistic behind the score (e.g. 'psi', 'ks', 'js'). */
  kind: string;
  score: number;
  severity: DriftSeverity;
}

/** A drift report as the Predictor exports it. */
export interface DriftReportLike {
  overall: { score: number; severity: DriftSeverity };
  signals: ReadonlyArray<DriftSignal>;
}

/** A source of drift reports; `latestReport()` is undefined until it has one. */
export interface DriftSource {
  latestReport(): DriftReportLike | undefined;
}
