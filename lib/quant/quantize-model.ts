/**
 * quantize(model, options): a new model whose linears run as int8 GEMMs and (optionally) whose
 * aggregations gather int8 features. The original model is untouched.
 *
 * Weights: every linear weight (rank-2 parameter named `…weight`) becomes symmetric int8 with one
 * fp32 scale per output channel; the new model's parameter holds the dequantized values, so the
 * fp32 paths that remain (a sparse CsrMatrix input, a 1-D input) compute with exactly the same
 * weights. Edge-feature projections (`lin_edge`) feed only attention logits and stay fp32, as do
 * the attention vectors, biases and norms.
 * Activations entering an int8 GEMM: 'dynamic' quantizes each row to uint8 with its own range on
 * the fly (fused into the GEMM); 'static' uses one calibrated uint8 scale / zero point per linear,
 * observed over calibration passes of the fp32-weight model ('minmax' or 'percentile').
 * Aggregation 'int8' (and 'auto' where measured to win): features entering a layer's spmm are quantized to int8 per row (one fp32
 * scale per node) and gathered by the int8-feature kernel, accumulating in fp32 — a quarter of the
 * bytes per edge. Per-row scales keep hubs from dominating a shared scale (Degree-Quant's concern).
 * Global pooling and attention aggregation (gatAggregate) stay fp32.
 */
import { cpuOnly } from '../device';
import { described, invalidArgType, invalidArgValue } from '../errors';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import { Tensor } from '../tensor';
import type { QuantizedWeight } from '../quantized';
import * as ops from '../ops/index';
import { checkOptions } from '../validate';
import { Module } from '../nn/module';
import type { ForwardContext } from '../nn/module';
import { cloneModule } from '../nn/model-file';
import type { ForwardPlan } from '../nn/scope';
import { isLinearWeight, skippedModules, underSkipped } from '../nn/layer-names';
import { RangeObserver, affineParams } from './observers';
import type { ObserverKind } from './observers';
import { QuantPlan } from './plan';
import type { LinearSite, QuantizationScheme } from './plan';

/** One calibration input: a graph and its node features (and context, e.g. a batch vector). */
export interface CalibrationInput {
  graph: Graph;
  x: Features;
  context?: Omit<ForwardContext, 'out'>;
}

export interface QuantizeModelOptions {
  /** Weight format; only 'int8' (symmetric, per output channel). */
  weights?: 'int8';
  /** 'dynamic' (default): per-row ranges at run time; 'static': calibrated per-tensor ranges. */
  activations?: 'dynamic' | 'static';
  /** Static activations: the inputs to observe (one or several). */
  calibration?: CalibrationInput | CalibrationInput[];
  /** Static activations: 'minmax' (default) or 'percentile'. */
  observer?: ObserverKind;
  /** Percentile for the 'percentile' observer, in (50, 100]; default 99.99. */
  percentile?: number;
  /**
   * 'auto' (default): aggregations gather int8 features where that was measured to win (features
   * at least 32 wide and 8 MiB in fp32; see plan.ts); 'int8': always; 'fp32': never.
   */
  aggregation?: 'auto' | 'int8' | 'fp32';
  /**
   * 'auto' (default): linears with fewer than 64 outputs run the fp32 GEMM on their dequantized
   * weights (quantizing each input row costs more than the int8 GEMM saves there; measured,
   * BENCHMARKS.md); 'int8': every quantized linear runs the int8 GEMM.
   */
  gemm?: 'auto' | 'int8';
  /** Layer names (dotted, as in parameter names, e.g. 'conv1' or 'conv1.nn.0') kept in fp32. */
  skip?: string[];
}

const OPTION_KEYS = ['weights', 'activations', 'calibration', 'observer', 'percentile', 'aggregation', 'gemm', 'skip'] as const;

function checkCalibration(value: unknown): CalibrationInput[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw invalidArgValue('calibration', 'at least one { graph, x }', value);
  list.forEach((c, i) => {
    if (c === null || typeof c !== 'object' || !('graph' in c) || !('x' in c)) {
      throw invalidArgType(`calibration[${i}]`, 'an object { graph, x, context? }', c);
    }
  });
  return list as CalibrationInput[];
}

/** Observes the input of each quantized linear over calibration passes (fp32 ops run as usual). */
class CalibrationPlan implements ForwardPlan {
  readonly kind = 'calibration';
  readonly observers = new Map<Tensor, RangeObserver>();

  constructor(
    readonly sites: ReadonlyMap<Tensor, LinearSite>,
    readonly observer: ObserverKind,
  ) {}

  linear(x: Features, weight: Tensor<'float32'>): null {
    // x is computed by now (ops are created after their inputs' ops have run).
    if (this.sites.has(weight) && x instanceof Tensor && x.rank === 2) {
      let o = this.observers.get(weight);
      if (o === undefined) {
        o = new RangeObserver(this.observer, this.observers.size + 1);
        this.observers.set(weight, o);
      }
      o.observe(x.data);
    }
    return null;
  }

  spmm(): null {
    return null;
  }
}

/** A quantized copy of `model` (see the file comment). Static calibration runs synchronously. */
export function quantize<M extends Module>(model: M, options?: QuantizeModelOptions): M {
  if (!(model instanceof Module)) throw invalidArgType('model', 'a Module (a layer or a loaded Model)', model);
  if (model.plan !== null) throw invalidArgValue('model', 'an fp32 model', described(`a model with a ${model.plan.kind} plan (quantized or pruned)`));
  // Weights are quantized and activations calibrated on the host; the quantized model moves after.
  if (model.device !== 'cpu') throw cpuOnly('quantize', 'the model', model.device);
  const opts = checkOptions(options, 'quantize', OPTION_KEYS);
  if (opts.weights !== undefined && opts.weights !== 'int8') throw invalidArgValue('weights', "'int8'", opts.weights);
  const activations = opts.activations ?? 'dynamic';
  if (activations !== 'dynamic' && activations !== 'static') throw invalidArgValue('activations', "'dynamic' or 'static'", activations);
  const aggregation = opts.aggregation ?? 'auto';
  if (aggregation !== 'auto' && aggregation !== 'int8' && aggregation !== 'fp32') throw invalidArgValue('aggregation', "'auto', 'int8' or 'fp32'", aggregation);
  const gemm = opts.gemm ?? 'auto';
  if (gemm !== 'auto' && gemm !== 'int8') throw invalidArgValue('gemm', "'auto' or 'int8'", gemm);
  const skip = opts.skip ?? [];
  if (!Array.isArray(skip) || skip.some((s) => typeof s !== 'string')) throw invalidArgType('skip', 'an array of layer names', skip);
  const observer = opts.observer ?? 'minmax';
  if (observer !== 'minmax' && observer !== 'percentile') throw invalidArgValue('observer', "'minmax' or 'percentile'", observer);
  const percentile = opts.percentile ?? 99.99;
  if (typeof percentile !== 'number' || !(percentile > 50 && percentile <= 100)) throw invalidArgValue('percentile', 'a number in (50, 100]', percentile);
  let calibration: CalibrationInput[] = [];
  if (activations === 'static') {
    if (opts.calibration === undefined) throw invalidArgValue('calibration', "calibration inputs with activations 'static'", undefined);
    calibration = checkCalibration(opts.calibration);
  } else if (opts.calibration !== undefined) {
    throw invalidArgValue('calibration', "no calibration with activations 'dynamic' (ranges are per row at run time)", '{ ... }');
  }

  const copy = cloneModule(model);
  const skipped = skippedModules(copy, skip);
  // Quantize the weights; the copy's parameters become their dequantized values.
  const params = copy.parameters();
  const quantized = new Map<string, QuantizedWeight>();
  for (const [name, t] of Object.entries(params)) {
    if (!isLinearWeight(name, t) || underSkipped(name, skip)) continue;
    const qw = ops.quantizeWeight(t);
    quantized.set(name, qw);
    params[name] = ops.dequantizeWeight(qw);
  }
  copy.loadStateDict(params);
  const loaded = copy.parameters();
  const sites = new Map<Tensor, LinearSite>();
  for (const [name, weight] of quantized) sites.set(loaded[name], { name, weight, input: null });

  const scheme: QuantizationScheme = { weights: 'int8', activations, aggregation, gemm, skip: [...skip] };
  if (activations === 'static') {
    scheme.observer = observer;
    if (observer === 'percentile') scheme.percentile = percentile;
    const calib = new CalibrationPlan(sites, observer);
    for (const c of calibration) copy.forwardSyncWith(calib, c.graph, c.x, c.context);
    for (const [weight, site] of sites) {
      const range = calib.observers.get(weight)?.range(percentile) ?? null;
      // A linear never reached by a dense input (e.g. a sparse first layer) keeps dynamic ranges.
      if (range !== null) site.input = affineParams(range[0], range[1]);
    }
  }
  copy.plan = new QuantPlan(scheme, sites, skipped);
  return copy;
}
