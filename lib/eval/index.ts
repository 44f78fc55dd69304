/**
 * Evaluation of served models (README "Evaluating a served model"): metrics, calibration and
 * temperature scaling, slices, robustness sweeps, and their reports (JSON, terminal tables, SVG).
 */
export { classificationMetrics } from './metrics';
export type { ClassificationMetrics, MetricsOptions, PerClassMetrics } from './metrics';
export { prAuc, rocAuc } from './binary';
export { calibrationMetrics } from './calibration';
export type { Binning, CalibrationMetrics, CalibrationOptions, ReliabilityBin } from './calibration';
export { EvaluationReport, evaluate, evaluateScores } from './evaluate';
export type { EvaluateOptions, EvaluateScoresOptions } from './evaluate';
export { fitTemperature, temperatureScaling, withTemperature } from './temperature';
export type { FitTemperatureOptions, TemperatureFit, TemperatureScalingFitOptions, TemperatureScalingResult } from './temperature';
export { TemperatureScaling } from './temperature-layer';
export type { TemperatureScalingOptions } from './temperature-layer';
export { SliceReport, evaluateSlices } from './slices';
export type { EvaluateSlicesOptions, SliceResult, SliceSummary, SlicingResult } from './slices';
export { assignSlices, hopDistances } from './slicing';
export type { SliceAssignment, Slicing, SlicingKind } from './slicing';
export { RobustnessReport, robustnessChart, robustnessSweep } from './robustness';
export type { PerturbationKind, PerturbationSpec, RobustnessCurve, RobustnessOptions, RobustnessPoint } from './robustness';
export type { LabelInput, MaskInput, ScoreKind } from './inputs';
