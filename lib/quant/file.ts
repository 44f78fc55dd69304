/**
 * Quantized models in model files. model.safetensors holds each quantized weight as I8 codes under
 * its own name, with
 *   `<name>_scale`            F32 [M]  per-output-channel scales
 *   `<name>_input_scale`      F32 [1]  static activations: the input's uint8 scale
 *   `<name>_input_zero_point` I32 [1]  … and zero point
 * and every other tensor as in an fp32 model. model.json records the scheme:
 *   "quantization": { "format": "gnn-kernels-int8", "version": 1, "weights": "int8",
 *     "activations": "dynamic" | "static", "aggregation": "int8" | "fp32", "gemm": "auto" | "int8", "skip": [...],
 *     "observer"?: "minmax" | "percentile", "percentile"?: 99.99, "tensors": ["conv1.lin.weight", …] }
 * Loading restores the same codes and scales, so a reloaded model computes bitwise the same outputs.
 * @internal
 */
import { GnnError } from '../errors';
import { QuantizedWeight } from '../quantized';
import { Tensor } from '../tensor';
import * as ops from '../ops/index';
import type { Module } from '../nn/module';
import { QuantPlan } from './plan';
import type { LinearSite, QuantizationScheme } from './plan';
import { skippedModules } from '../nn/layer-names';

export const QUANT_FORMAT = 'gnn-kernels-int8';
const QUANT_VERSION = 1;

const fail = (message: string): GnnError => new GnnError('ERR_GNN_MODEL_FILE', message);

/** The tensors and model.json entry of a quantized module; null for an fp32 one. */
export function quantizedParts(module: Module, params: Record<string, Tensor>): { tensors: Record<string, Tensor>; json: Record<string, unknown> } | null {
  const plan = module.plan;
  if (!(plan instanceof QuantPlan)) return null;
  const tensors: Record<string, Tensor> = { ...params };
  const names: string[] = [];
  for (const site of plan.sites.values()) {
    tensors[site.name] = site.weight.data;
    tensors[`${site.name}_scale`] = Tensor.from(site.weight.scale);
    if (site.input !== null) {
      tensors[`${site.name}_input_scale`] = Tensor.from(new Float32Array([site.input.scale]));
      tensors[`${site.name}_input_zero_point`] = Tensor.from(new Int32Array([site.input.zeroPoint]));
    }
    names.push(site.name);
  }
  const s = plan.scheme;
  const json: Record<string, unknown> = { format: QUANT_FORMAT, version: QUANT_VERSION, weights: s.weights, activations: s.activations, aggregation: s.aggregation, gemm: s.gemm, skip: s.skip };
  if (s.observer !== undefined) json.observer = s.observer;
  if (s.percentile !== undefined) json.percentile = s.percentile;
  json.tensors = names.sort();
  return { tensors, json };
}

interface Restored {
  /** The state dict to load: quantized weights replaced by their dequantized float32 values. */
  tensors: Record<string, Tensor>;
  /** Attaches the plan to the model once its parameters are loaded. */
  attach(model: Module): void;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], key: string): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw fail(`model.json: quantization.${key}: expected ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Reads model.json's quantization entry and the int8 tensors it names. */
export function restoreQuantization(entry: unknown, tensors: Record<string, Tensor>): Restored {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw fail('model.json: quantization: expected an object');
  const q = entry as Record<string, unknown>;
  if (q.format !== QUANT_FORMAT) throw fail(`model.json: quantization.format: expected '${QUANT_FORMAT}', got ${JSON.stringify(q.format)}`);
  if (q.version !== QUANT_VERSION) throw fail(`model.json: quantization.version: expected ${QUANT_VERSION}, got ${JSON.stringify(q.version)}`);
  const scheme: QuantizationScheme = {
    weights: oneOf(q.weights, ['int8'], 'weights'),
    activations: oneOf(q.activations, ['dynamic', 'static'], 'activations'),
    aggregation: oneOf(q.aggregation, ['auto', 'int8', 'fp32'] as const, 'aggregation'),
    gemm: oneOf(q.gemm, ['auto', 'int8'] as const, 'gemm'),
    skip: [],
  };
  if (!Array.isArray(q.skip) || q.skip.some((s) => typeof s !== 'string')) throw fail(`model.json: quantization.skip: expected an array of layer names, got ${JSON.stringify(q.skip)}`);
  scheme.skip = q.skip as string[];
  if (q.observer !== undefined) scheme.observer = oneOf(q.observer, ['minmax', 'percentile'] as const, 'observer');
  if (q.percentile !== undefined) {
    if (typeof q.percentile !== 'number') throw fail(`model.json: quantization.percentile: expected a number, got ${JSON.stringify(q.percentile)}`);
    scheme.percentile = q.percentile;
  }
  if (!Array.isArray(q.tensors) || q.tensors.some((s) => typeof s !== 'string')) throw fail(`model.json: quantization.tensors: expected an array of tensor names, got ${JSON.stringify(q.tensors)}`);
  const out: Record<string, Tensor> = { ...tensors };
  const weights = new Map<string, { weight: QuantizedWeight; input: LinearSite['input'] }>();
  const take = (key: string, dtype: string, numel: number | null): Tensor => {
    const t = out[key];
    if (t === undefined) throw fail(`model.safetensors: missing ${key} (listed by model.json's quantization)`);
    if (t.dtype !== dtype) throw fail(`model.safetensors: ${key}: expected ${dtype}, got ${t.dtype}`);
    if (numel !== null && t.numel !== numel) throw fail(`model.safetensors: ${key}: expected ${numel} elements, got ${t.numel}`);
    delete out[key];
    return t;
  };
  for (const name of q.tensors as string[]) {
    const codes = take(name, 'int8', null) as Tensor<'int8'>;
    if (codes.rank !== 2) throw fail(`model.safetensors: ${name}: expected a 2-D int8 weight, got shape [${codes.shape.join(', ')}]`);
    const scale = take(`${name}_scale`, 'float32', codes.shape[0]) as Tensor<'float32'>;
    let input: LinearSite['input'] = null;
    if (out[`${name}_input_scale`] !== undefined) {
      const s = (take(`${name}_input_scale`, 'float32', 1) as Tensor<'float32'>).data[0];
      const z = (take(`${name}_input_zero_point`, 'int32', 1) as Tensor<'int32'>).data[0];
      if (!(s > 0) || !Number.isFinite(s) || z < 0 || z > 255) throw fail(`model.safetensors: ${name}_input_*: expected a positive finite scale and a zero point in [0, 255], got ${s} and ${z}`);
      input = { scale: s, zeroPoint: z };
    }
    let weight: QuantizedWeight;
    try {
      weight = new QuantizedWeight(codes, scale.data);
    } catch (error) {
      throw fail(`model.safetensors: ${name}: ${(error as Error).message}`);
    }
    weights.set(name, { weight, input });
    out[name] = ops.dequantizeWeight(weight);
  }
  return {
    tensors: out,
    attach(model: Module): void {
      const params = model.parameters();
      const sites = new Map<Tensor, LinearSite>();
      for (const [name, { weight, input }] of weights) {
        const t = params[name];
        if (t === undefined) throw fail(`model.json: quantization.tensors: ${name} is not a parameter of the model`);
        sites.set(t, { name, weight, input });
      }
      let skipped: Set<Module>;
      try {
        skipped = skippedModules(model, scheme.skip);
      } catch (error) {
        throw fail(`model.json: quantization.skip: ${(error as Error).message}`);
      }
      model.plan = new QuantPlan(scheme, sites, skipped);
    },
  };
}
