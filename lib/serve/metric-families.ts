/**
 * The Predictor's metric families (names, types, help texts), built from a snapshot of its
 * counters, and the drift monitor's report as gauges. @internal
 */
import type { DriftReportLike } from './drift-source';
import type { Family, Histogram, Sample } from './prometheus';

/** What predictorFamilies reads. */
export interface PredictorSnapshot {
  requests: number;
  errors: ReadonlyMap<string, number>;
  queueDepth: number;
  inFlight: number;
  latency: Histogram;
  version: string;
  path: 'nodes' | 'full';
  swaps: number;
  reloadErrors: number;
  fullPasses: number;
}

const SEVERITY: Record<string, number> = { none: 0, warn: 1, alert: 2 };

export function predictorFamilies(s: PredictorSnapshot): Family[] {
  return [
    { name: 'gnn_predictor_requests_total', type: 'counter', help: 'Prediction requests received.', samples: [{ value: s.requests }] },
    {
      name: 'gnn_predictor_errors_total',
      type: 'counter',
      help: 'Prediction requests failed or refused, by error code.',
      samples: [...s.errors].sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, n]) => ({ labels: { code }, value: n })),
    },
    { name: 'gnn_predictor_queue_depth', type: 'gauge', help: 'Requests waiting for a free slot.', samples: [{ value: s.queueDepth }] },
    { name: 'gnn_predictor_in_flight', type: 'gauge', help: 'Requests being computed.', samples: [{ value: s.inFlight }] },
    {
      name: 'gnn_predictor_request_duration_seconds',
      type: 'histogram',
      help: 'Time from predict() to its answer (queue wait included), of requests admitted.',
      samples: s.latency.samples(),
    },
    {
      name: 'gnn_predictor_model_info',
      type: 'gauge',
      help: 'The model version served (value 1) and its path: nodes (receptive field) or full (cached full pass).',
      samples: [{ labels: { version: s.version, path: s.path }, value: 1 }],
    },
    { name: 'gnn_predictor_model_swaps_total', type: 'counter', help: 'Hot swaps to another model version.', samples: [{ value: s.swaps }] },
    { name: 'gnn_predictor_reload_errors_total', type: 'counter', help: 'Reloads or swaps that failed (the served version was kept).', samples: [{ value: s.reloadErrors }] },
    { name: 'gnn_predictor_full_passes_total', type: 'counter', help: 'Full-graph passes run (cache misses of the full path).', samples: [{ value: s.fullPasses }] },
  ];
}

/**
 * A drift report as gauges (none = 0, warn = 1, alert = 2); undefined (no report yet) writes the
 * families without samples. Values are not trusted: a non-number score is NaN, an unknown severity
 * NaN, and a repeated (signal, kind) keeps its first entry so every series is unique.
 */
export function driftFamilies(report: DriftReportLike | undefined, reportErrors: number): Family[] {
  const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
  const sev = (v: unknown): number => (typeof v === 'string' && Object.prototype.hasOwnProperty.call(SEVERITY, v) ? SEVERITY[v] : NaN);
  const scores: Sample[] = [];
  const severities: Sample[] = [];
  if (report !== undefined && report !== null && Array.isArray(report.signals)) {
    const seen = new Set<string>();
    for (const signal of report.signals) {
      const labels = { signal: String(signal.name), kind: String(signal.kind) };
      const key = `${labels.signal}\u0000${labels.kind}`;
      if (seen.has(key)) continue;
      seen.add(key);
      scores.push({ labels, value: num(signal.score) });
      severities.push({ labels, value: sev(signal.severity) });
    }
  }
  const overall = report?.overall;
  return [
    { name: 'gnn_drift_overall_score', type: 'gauge', help: "The drift monitor's overall score in its latest report.", samples: overall === undefined ? [] : [{ value: num(overall.score) }] },
    { name: 'gnn_drift_overall_severity', type: 'gauge', help: 'Overall drift severity: 0 none, 1 warn, 2 alert.', samples: overall === undefined ? [] : [{ value: sev(overall.severity) }] },
    { name: 'gnn_drift_score', type: 'gauge', help: 'Drift score of each signal in the latest report.', samples: scores },
    { name: 'gnn_drift_severity', type: 'gauge', help: 'Drift severity of each signal: 0 none, 1 warn, 2 alert.', samples: severities },
    { name: 'gnn_drift_report_errors_total', type: 'counter', help: "Times the drift monitor's latestReport() threw.", samples: [{ value: reportErrors }] },
  ];
}
