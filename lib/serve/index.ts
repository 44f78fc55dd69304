/** Serving: a Predictor with bounded concurrency, hot swap and Prometheus metrics (README "Serving: registry and Predictor"). */
export { Predictor } from './predictor';
export type { Prediction, PredictorOptions, PredictorStats } from './predictor';
export type { DriftReportLike, DriftSeverity, DriftSignal, DriftSource } from './drift-source';
export { DEFAULT_LATENCY_BUCKETS, PROMETHEUS_CONTENT_TYPE } from './prometheus';
