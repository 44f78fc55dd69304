/**
 * evaluate(model, graph, x, labels, options): a model judged on one input, the way its users judge
 * it — the metrics of metrics.ts and the calibration of calibration.ts over the masked output rows,
 * as a report with toJSON(), a terminal table and a reliability diagram (SVG). Works with any
 * module of the package, fp32, int8 or pruned: the model runs its own forwardSync. For a
 * graph-level model pass `context: { batch }`; rows, labels and mask are then per graph.
 * evaluateScores(scores, labels, options) does the same from output rows already computed.
 */
import type { Features } from '../csr-matrix';
import { invalidArgType } from '../errors';
import type { Graph } from '../graph';
import type { Tensor } from '../tensor';
import { checkOptions } from '../validate';
import { Module } from '../nn/module';
import type { ForwardContext } from '../nn/module';
import { binOptions, calibrationOf } from './calibration';
import type { Binning, CalibrationMetrics } from './calibration';
import { reliabilityDiagram } from './charts';
import { scoreRows } from './inputs';
import type { LabelInput, MaskInput, ScoreKind } from './inputs';
import { metricsOf, topKList } from './metrics';
import type { ClassificationMetrics } from './metrics';
import { fixed, formatTable, percent } from './table';

export interface EvaluateScoresOptions {
  mask?: MaskInput;
  scores?: ScoreKind;
  topK?: readonly number[];
  /** Calibration bins (default 15) and their kind (default 'width'). */
  bins?: number;
  binning?: Binning;
}

export interface EvaluateOptions extends EvaluateScoresOptions {
  /** Passed to the model's forward (batch / numGraphs for pooled models, edgeAttr). */
  context?: Omit<ForwardContext, 'out'>;
}

/** Metrics and calibration of one model on one input. */
export class EvaluationReport {
  constructor(
    readonly metrics: ClassificationMetrics,
    readonly calibration: CalibrationMetrics,
  ) {}

  /** Plain data (NaN becomes null in JSON.stringify). */
  toJSON(): { metrics: ClassificationMetrics; calibration: CalibrationMetrics } {
    return { metrics: this.metrics, calibration: this.calibration };
  }

  /** The summary, then per-class precision / recall / F1, as aligned text. */
  toTable(): string {
    const m = this.metrics;
    const c = this.calibration;
    const summary: string[][] = [
      ['rows', String(m.count)],
      ['accuracy', percent(m.accuracy)],
      ...Object.entries(m.topK).filter(([k]) => k !== '1').map(([k, v]) => [`top-${k} accuracy`, percent(v)]),
      ['macro F1', fixed(m.macroF1)],
      ['micro F1', fixed(m.microF1)],
      ['log loss', fixed(m.logLoss)],
      ...(m.binary === undefined ? [] : [['ROC AUC', fixed(m.binary.rocAuc)], ['PR AUC', fixed(m.binary.prAuc)]]),
      [`ECE (${c.bins.length} ${c.binning === 'width' ? 'equal-width' : 'equal-mass'} bins)`, fixed(c.ece, 4)],
      ['MCE', fixed(c.mce, 4)],
      ['Brier', fixed(c.brier, 4)],
      ['mean confidence', percent(c.meanConfidence)],
    ];
    const perClass = m.perClass.support.map((s, k) => [String(k), String(s), String(m.perClass.predicted[k]), fixed(m.perClass.precision[k]), fixed(m.perClass.recall[k]), fixed(m.perClass.f1[k])]);
    return `${formatTable(['metric', 'value'], summary)}\n\n${formatTable(['class', 'support', 'predicted', 'precision', 'recall', 'F1'], perClass)}`;
  }

  /** The reliability diagram as an SVG document. */
  reliabilitySVG(title = `Reliability diagram (ECE ${fixed(this.calibration.ece, 4)})`): string {
    return reliabilityDiagram(this.calibration.bins, title);
  }
}

/** The model's output on (graph, x). @internal */
export function runModel(model: unknown, graph: Graph, x: Features, context: Omit<ForwardContext, 'out'> | undefined): Tensor<'float32'> {
  if (!(model instanceof Module)) throw invalidArgType('model', 'a Module (a layer, Sequential or loaded Model)', model);
  return model.forwardSync(graph, x, context);
}

const NAMES = { scores: 'model output', labels: 'labels', mask: 'mask' };
const SCORE_KEYS = ['mask', 'scores', 'topK', 'bins', 'binning'] as const;

function report(scores: Tensor<'float32'>, labels: LabelInput, opts: EvaluateScoresOptions, names: typeof NAMES): EvaluationReport {
  const { bins, binning } = binOptions(opts);
  const s = scoreRows(scores, labels, opts, names);
  return new EvaluationReport(metricsOf(s, topKList(opts.topK, s.classes)), calibrationOf(s, bins, binning));
}

/** Runs the model on (graph, x) and evaluates its masked output rows against labels. */
export function evaluate(model: Module, graph: Graph, x: Features, labels: LabelInput, options?: EvaluateOptions): EvaluationReport {
  const opts = checkOptions(options, 'evaluate', [...SCORE_KEYS, 'context']);
  return report(runModel(model, graph, x, opts.context), labels, opts, NAMES);
}

/** Evaluates output rows already computed (logits or probabilities). */
export function evaluateScores(scores: Tensor<'float32'>, labels: LabelInput, options?: EvaluateScoresOptions): EvaluationReport {
  const opts = checkOptions(options, 'evaluateScores', SCORE_KEYS);
  return report(scores, labels, opts, { ...NAMES, scores: 'scores' });
}
