/** Quantized inference: quantize(model), quantizationReport and their types. */
export { quantize } from './quantize-model';
export type { CalibrationInput, QuantizeModelOptions } from './quantize-model';
export { quantizationReport } from './report';
export type { LayerError, QuantizationReport, QuantizationReportOptions } from './report';
export type { InputParams, QuantizationScheme } from './plan';
export type { ObserverKind } from './observers';
