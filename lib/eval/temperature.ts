/**
 * Temperature scaling (Guo et al., 2017): one scalar T > 0 fitted on held-out rows so that
 * softmax(z / T) minimises the negative log-likelihood of the labels.
 *
 * With β = 1/T the mean NLL f(β) = (1/n) Σᵢ [logsumexp(β zᵢ) − β z_{i,yᵢ}] is convex in β
 * (f'(β) = mean of E_{p_β}[zᵢ] − z_{i,yᵢ}, f''(β) = mean of Var_{p_β}[zᵢ] ≥ 0), so its minimiser is
 * unique. We solve f'(β) = 0 to float64 precision: Newton steps on u = log T (g'(u) = −β f'(β),
 * g''(u) = β f'(β) + β² f''(β)), kept inside a bracket on which g' changes sign and replaced by
 * bisection whenever a step would leave it (rtsafe). The search runs over `range` (default
 * [0.01, 100]); when the optimum lies outside — every row already correct with a margin (the NLL
 * keeps falling as T → 0) or logits no better than uniform (T → ∞) — the nearer end is returned,
 * the exact minimiser over the range, with `atBound` set.
 */
import { GnnError, described, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import { checkOptions } from '../validate';
import { checkTensor } from '../tensor';
import type { Tensor } from '../tensor';
import { Module } from '../nn/module';
import type { ForwardContext } from '../nn/module';
import { MODEL_FORMAT_VERSION, Model } from '../nn/model-file';
import { Sequential } from '../nn/sequential';
import { checkScores, labelArray, labelAt, maskRows } from './inputs';
import type { LabelInput, MaskInput } from './inputs';
import { TemperatureScaling } from './temperature-layer';

export interface FitTemperatureOptions {
  /** Rows to fit on (a validation mask); default all. */
  mask?: MaskInput;
  /** [min, max] temperatures searched (default [0.01, 100]). */
  range?: readonly [number, number];
}

export interface TemperatureFit {
  temperature: number;
  /** Mean NLL of the fitted rows at T = 1 and at the fitted T. */
  nll: { before: number; after: number };
  /** Rows fitted on. */
  rows: number;
  /** Newton or bisection steps taken. */
  iterations: number;
  /** The optimum lies at an end of `range` (see the module comment). */
  atBound: boolean;
}

export interface TemperatureScalingResult extends TemperatureFit {
  /** The calibrated model: the original layers (shared, not copied) followed by TemperatureScaling. */
  model: Model;
}

export interface TemperatureScalingFitOptions extends FitTemperatureOptions {
  context?: Omit<ForwardContext, 'out'>;
}

/** The evaluated logits, one accessor per row and class (a single column is the 2-class [0, z]). */
interface Rows {
  data: Float32Array;
  width: number;
  classes: number;
  rows: Int32Array;
  labels: Int32Array;
}

function checkRows(logits: unknown, labels: unknown, mask: MaskInput | undefined): Rows {
  const t = checkScores('logits', logits);
  const width = t.rank === 2 ? t.shape[1] : 1;
  const classes = width === 1 ? 2 : width;
  const rows = maskRows('mask', mask, t.shape[0]);
  const lab = labelArray('labels', labels, t.shape[0]);
  const y = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    y[i] = labelAt('labels', lab, r, classes);
    for (let c = 0; c < width; c++) {
      const v = t.data[r * width + c];
      if (!Number.isFinite(v)) throw invalidArgValue(`logits[${r}]`, 'finite logits', described(`${v} in column ${c}`));
    }
  }
  if (rows.length === 0) throw invalidArgValue('mask', 'at least one row to fit the temperature on', described('no rows'));
  return { data: t.data, width, classes, rows, labels: y };
}

/** f(β), f'(β), f''(β) of the mean NLL at inverse temperature β. */
function nllAt(r: Rows, beta: number): { f: number; d1: number; d2: number } {
  let f = 0;
  let d1 = 0;
  let d2 = 0;
  const { data, width, classes } = r;
  const z = new Float64Array(classes);
  for (let i = 0; i < r.rows.length; i++) {
    const base = r.rows[i] * width;
    if (width === 1) {
      z[0] = 0;
      z[1] = data[base];
    } else {
      for (let c = 0; c < classes; c++) z[c] = data[base + c];
    }
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, z[c]);
    let s0 = 0;
    let s1 = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(beta * (z[c] - max));
      s0 += e;
      s1 += e * z[c];
    }
    const mean = s1 / s0;
    let v = 0;
    for (let c = 0; c < classes; c++) {
      const dz = z[c] - mean;
      v += Math.exp(beta * (z[c] - max)) * dz * dz;
    }
    const zy = z[r.labels[i]];
    f += beta * (max - zy) + Math.log(s0);
    d1 += mean - zy;
    d2 += v / s0;
  }
  const n = r.rows.length;
  return { f: f / n, d1: d1 / n, d2: d2 / n };
}

function checkRange(range: unknown): [number, number] {
  if (range === undefined) return [0.01, 100];
  if (!Array.isArray(range) || range.length !== 2) throw invalidArgType('range', 'a [min, max] pair of temperatures', range);
  const [lo, hi] = range as unknown[];
  if (typeof lo !== 'number' || typeof hi !== 'number') throw invalidArgType('range', 'a [min, max] pair of numbers', range);
  if (!(lo > 0) || !(hi > lo) || !Number.isFinite(hi)) throw outOfRange('range', 'finite temperatures with 0 < min < max', described(`[${lo}, ${hi}]`));
  return [lo, hi];
}

/** The temperature minimising the NLL of `logits` against `labels` over the masked rows. */
export function fitTemperature(logits: Tensor<'float32'>, labels: LabelInput, options?: FitTemperatureOptions): TemperatureFit {
  const opts = checkOptions(options, 'fitTemperature', ['mask', 'range']);
  const [tMin, tMax] = checkRange(opts.range);
  const r = checkRows(logits, labels, opts.mask);
  const before = nllAt(r, 1).f;
  // g'(u) at u = log T, β = e^-u.
  const slope = (u: number): { g1: number; g2: number } => {
    const beta = Math.exp(-u);
    const { d1, d2 } = nllAt(r, beta);
    return { g1: -beta * d1, g2: beta * d1 + beta * beta * d2 };
  };
  let lo = Math.log(tMin);
  let hi = Math.log(tMax);
  let iterations = 0;
  let u: number;
  let atBound = false;
  if (slope(lo).g1 >= 0) {
    u = lo;
    atBound = true;
  } else if (slope(hi).g1 <= 0) {
    u = hi;
    atBound = true;
  } else {
    u = Math.min(Math.max(0, lo), hi);
    for (; iterations < 200; iterations++) {
      const { g1, g2 } = slope(u);
      if (g1 === 0) break;
      if (g1 < 0) lo = u;
      else hi = u;
      let next = u - g1 / g2;
      if (!(g2 > 0) || !(next > lo && next < hi)) next = 0.5 * (lo + hi);
      const step = Math.abs(next - u);
      u = next;
      if (step <= 1e-13 * Math.max(1, Math.abs(u)) || hi - lo <= 1e-15) break;
    }
  }
  const temperature = Math.exp(u);
  return { temperature, nll: { before, after: nllAt(r, 1 / temperature).f }, rows: r.rows.length, iterations, atBound };
}

/**
 * `model` followed by a TemperatureScaling layer: a Model sharing the original layers, parameters
 * and int8 / pruned plan (nothing is copied). A trailing TemperatureScaling is replaced.
 */
export function withTemperature(model: Module, temperature: number): Model {
  if (!(model instanceof Module)) throw invalidArgType('model', 'a Module', model);
  const scale = new TemperatureScaling({ temperature });
  let layers: Array<readonly [string, Module]>;
  if (model instanceof Sequential) {
    layers = [...model.layers];
    if (layers.length > 0 && layers[layers.length - 1][1] instanceof TemperatureScaling) layers.pop();
  } else {
    // A bare layer becomes the 'model' layer; its plan's tensor names would then be wrong in a file.
    if (model.plan !== null) throw invalidArgValue('model', 'a Sequential or loaded Model when it is quantized or pruned', described(`a ${model.type} with a plan`));
    layers = [['model', model]];
  }
  let name = 'temperature';
  for (let k = 1; layers.some(([n]) => n === name); k++) name = `temperature_${k}`;
  layers.push([name, scale]);
  const info = model instanceof Model
    ? model.info
    : { formatVersion: MODEL_FORMAT_VERSION, framework: 'gnn-kernels' as const, producer: {}, inputChannels: null, outputChannels: null, json: {} };
  const out = new Model(layers, info);
  out.plan = model.plan;
  return out;
}

/** The model's own logits (without a trailing TemperatureScaling). */
function baseLogits(model: Module, graph: Graph, x: Features, context: Omit<ForwardContext, 'out'> | undefined): Tensor<'float32'> {
  if (model instanceof Sequential && model.layers.length > 0 && model.layers[model.layers.length - 1][1] instanceof TemperatureScaling) {
    return model.slice(0, model.layers.length - 1).forwardSync(graph, x, context);
  }
  return model.forwardSync(graph, x, context);
}

/**
 * Fits a temperature on the masked rows (a validation mask) of the model's output on (graph, x)
 * and returns the calibrated model with the fit. The model's logits must be raw logits or
 * log-probabilities; a model that already ends in TemperatureScaling is refitted from its logits.
 */
export function temperatureScaling(
  model: Module,
  graph: Graph,
  x: Features,
  labels: LabelInput,
  options?: TemperatureScalingFitOptions,
): TemperatureScalingResult {
  if (!(model instanceof Module)) throw invalidArgType('model', 'a Module', model);
  const opts = checkOptions(options, 'temperatureScaling', ['mask', 'range', 'context']);
  const logits = checkTensor('model output', baseLogits(model, graph, x, opts.context), 'float32');
  if (logits.rank > 2) throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `model output: expected logits [N, C], got shape [${logits.shape.join(', ')}]`);
  const fit = fitTemperature(logits, labels, { mask: opts.mask, range: opts.range });
  return { ...fit, model: withTemperature(model, fit.temperature) };
}
