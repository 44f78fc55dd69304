/** Drift monitoring: profiles of features, degrees and predictions; drift reports against a reference. */
export { DriftMonitor } from './drift-monitor';
export type { DriftCompareOptions, DriftMonitorOptions, DriftObserveOptions } from './drift-monitor';
export { DriftProfile } from './profile';
export type { DriftBatch, DriftModel, DriftProfileConfig, DriftProfileJSON, DriftProfileOptions, NonFinitePolicy } from './profile';
export { DEFAULT_THRESHOLDS, DriftReport } from './report';
export type {
  DriftCounts,
  DriftReportJSON,
  DriftSeverity,
  DriftSignal,
  DriftSignalKind,
  DriftSignalName,
  DriftThreshold,
  DriftThresholdOptions,
  FeatureDrift,
  FeatureDriftDetail,
} from './report';
export { KllSketch } from './kll';
export type { KllSketchJSON, KllSketchOptions, SortedView } from './kll';
export { PSI_EPSILON } from './divergence';
export type { FeatureStats } from './feature-columns';
export type { PredictionStats } from './prediction-histogram';
export type { SummaryStats } from './summary';
