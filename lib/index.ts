/**
 * gnn-kernels: fast graph-neural-network inference for Node.js.
 * This file is the public surface and nothing else.
 */
export { Graph } from './graph';
export type { EdgeReduce, EdgeWeightInput, FromCOOOptions, FromCSROptions, FromEdgeIndexOptions, GcnNormOptions, IndptrArray } from './graph';
export { Tensor, dtypeOf } from './tensor';
export { CsrMatrix, denseFeatures } from './csr-matrix';
export type { Features } from './csr-matrix';
export type { DType, DTypeArrays, DTypeOfArray, Device, DeviceSpec, SupportedTypedArray, TensorOptions, TypedArrayFor } from './tensor';
export * as ops from './ops/index';
export type {
  ActivationName,
  ActivationOptions,
  EdgeSoftmaxOptions,
  GatAggregateOptions,
  GatAggregateResult,
  Reduce,
  SddmmOp,
  SddmmOptions,
  SpmmOptions,
} from './ops/index';
export {
  activation,
  activationSync,
  edgeSoftmax,
  edgeSoftmaxSync,
  gatAggregate,
  gatAggregateSync,
  queueStats,
  sddmm,
  sddmmSync,
  setConcurrency,
  spmm,
  spmmSync,
} from './ops/index';
export type { LinearOptions, PackedWeightInfo } from './ops/index';
export { linear, linearSync, packLinearWeight, releasePackedWeight } from './ops/index';
export { SparseWeight } from './sparse-weight';
export { sparseWeightLinear, sparseWeightLinearSync, sparseWeightWins } from './ops/index';
export type { SparseWeightLinearOptions } from './ops/index';
export type { AddOptions, ConcatOptions, IndexAddOptions, IndexInput, IndexSelectOptions, ScaleOptions, SoftmaxOptions } from './ops/index';
export type { ColumnAffineOptions, Gatv2ScoresOptions, GraphLayerNormOptions, LayerNormOptions } from './ops/index';
export { backendInfo, getNumThreads, measureMemoryBandwidth, setNumThreads, setSimdLevel } from './backend';
export type { Bandwidth, BandwidthOptions, BackendInfo, CudaBackendInfo, CudaDevice, SimdLevel } from './backend';
export { measurePeakFlops } from './backend';
export type { PeakFlopsOptions } from './backend';
export { GnnError } from './errors';
export type { ArgErrorCode, ErrorCode, GnnErrorCode } from './errors';
export * as generators from './generators/index';
export { Random, randomValues, rmat, rmatEdgeIndex, stochasticBlockModel, uniformRandomGraph } from './generators/index';
export type { RmatOptions, SbmOptions, SbmResult, UniformGraphOptions } from './generators/index';
export * as io from './io/index';
export * as nn from './nn/index';
export * as quant from './quant/index';
export * as prune from './prune/index';
export { pruningReport } from './prune/index';
export type { PruningReport, PruningReportOptions, PruningScheme } from './prune/index';
export { quantize, quantizationReport } from './quant/index';
export type { CalibrationInput, LayerError, QuantizationReport, QuantizationReportOptions, QuantizationScheme, QuantizeModelOptions } from './quant/index';
export { QuantizedTensor, QuantizedWeight } from './quantized';
export { Model, loadModel, loadModelSync } from './nn/index';
export type { LoadModelOptions, ModelInfo, SaveModelOptions } from './nn/index';
export { readSafetensors, readSafetensorsContents, writeSafetensors } from './io/index';
export { MAX_LINE_BYTES, fromGraphology, readEdgeIndex, readEdgeIndexSync, readEdgeList, readEdgeListSync } from './io/index';
export type { EdgeIndexDType, EdgeIndexResult, EdgeListResult, FromGraphologyOptions, FromGraphologyResult, GraphologyLike, ReadEdgeIndexOptions, ReadEdgeListOptions } from './io/index';
export { loadPlanetoid } from './io/index';
export type { PlanetoidDataset } from './io/index';
export * as evaluation from './eval/index';
export { EvaluationReport, RobustnessReport, SliceReport, TemperatureScaling, calibrationMetrics, classificationMetrics, evaluate, evaluateScores, evaluateSlices, fitTemperature, robustnessChart, robustnessSweep, temperatureScaling, withTemperature } from './eval/index';
export type {
  CalibrationMetrics,
  CalibrationOptions,
  ClassificationMetrics,
  EvaluateOptions,
  EvaluateScoresOptions,
  EvaluateSlicesOptions,
  MetricsOptions,
  PerturbationKind,
  PerturbationSpec,
  ReliabilityBin,
  RobustnessCurve,
  RobustnessOptions,
  RobustnessPoint,
  SliceResult,
  Slicing,
  SlicingResult,
  TemperatureFit,
  TemperatureScalingResult,
} from './eval/index';

export { Registry } from './registry/index';
export type { FileDigest, HistoryEntry, LoadedVersion, RegisterOptions, RegistryOptions, VersionInfo } from './registry/index';
export { DEFAULT_LATENCY_BUCKETS, PROMETHEUS_CONTENT_TYPE, Predictor } from './serve/index';
export type { DriftReportLike, DriftSource, Prediction, PredictorOptions, PredictorStats } from './serve/index';

export * as monitor from './monitor/index';
export { DEFAULT_THRESHOLDS, DriftMonitor, DriftProfile, DriftReport, KllSketch } from './monitor/index';
export type {
  DriftBatch,
  DriftCompareOptions,
  DriftCounts,
  DriftModel,
  DriftMonitorOptions,
  DriftObserveOptions,
  DriftProfileConfig,
  DriftProfileJSON,
  DriftProfileOptions,
  DriftReportJSON,
  DriftSeverity,
  DriftSignal,
  DriftSignalKind,
  DriftSignalName,
  DriftThreshold,
  DriftThresholdOptions,
  FeatureDrift,
  FeatureDriftDetail,
  FeatureStats,
  KllSketchJSON,
  KllSketchOptions,
  NonFinitePolicy,
  PredictionStats,
  SortedView,
  SummaryStats,
} from './monitor/index';
