/**
 * Normalisation layers in eval mode.
 * - BatchNorm (PyG's nn.norm.BatchNorm, keys `module.weight`, `module.bias`,
 *   `module.running_mean`, `module.running_var`; torch.nn.BatchNorm1d's keys without `module.` load
 *   too): y = (x − running_mean) / sqrt(running_var + eps) · weight + bias, folded into one
 *   per-column scale and shift (one fma per element). With trackRunningStats false, torch uses
 *   the batch's own statistics in eval mode too (biased variance over all rows), and so does this.
 * - LayerNorm: `mode` 'graph' (PyG's default: mean and variance over every node and feature of
 *   each graph of `context.batch`; without a batch, eps is added to the std, as PyG) or 'node'
 *   (torch.nn.LayerNorm / F.layer_norm over each row). Keys `weight`, `bias` [F].
 */
import { denseFeatures } from '../csr-matrix';
import { cpuOnly } from '../device';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import { Tensor } from '../tensor';
import { checkOptions } from '../validate';
import { bool, channels, num, oneOf } from './checks';
import { Module } from './module';
import type { ForwardContext } from './module';
import { Param, hostOf, present } from './params';
import { op } from './steps';
import type { Steps } from './steps';

export interface BatchNormOptions {
  inChannels: number;
  eps?: number;
  /** Kept for the model file; no effect in eval mode. */
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
  /** Kept for the model file (PyG). */
  allowSingleElement?: boolean;
}

export class BatchNorm extends Module {
  readonly type = 'BatchNorm';
  readonly inChannels: number;
  readonly eps: number;
  readonly momentum: number;
  readonly trackRunningStats: boolean;
  readonly allowSingleElement: boolean;
  readonly weight: Param | null;
  readonly bias: Param | null;
  readonly runningMean: Param | null;
  readonly runningVar: Param | null;

  constructor(options: BatchNormOptions) {
    super();
    const o = checkOptions(options, 'BatchNorm', ['inChannels', 'eps', 'momentum', 'affine', 'trackRunningStats', 'allowSingleElement']);
    this.inChannels = channels('inChannels', o.inChannels);
    this.eps = num('eps', o.eps, 1e-5);
    this.momentum = num('momentum', o.momentum, 0.1);
    this.trackRunningStats = bool('trackRunningStats', o.trackRunningStats, true);
    this.allowSingleElement = bool('allowSingleElement', o.allowSingleElement, false);
    const affine = bool('affine', o.affine, true);
    const f = [this.inChannels];
    this.weight = affine ? new Param('module.weight', f, 'ones') : null;
    this.bias = affine ? new Param('module.bias', f, 'zeros') : null;
    this.runningMean = this.trackRunningStats ? new Param('module.running_mean', f, 'zeros') : null;
    this.runningVar = this.trackRunningStats ? new Param('module.running_var', f, 'ones') : null;
    if (this.runningVar !== null) this.runningVar.value.data.fill(1);
    if (this.weight !== null) this.weight.value.data.fill(1);
  }

  protected override params(): Param[] {
    return present(this.weight, this.bias, this.runningMean, this.runningVar);
  }

  protected override normalizeKeys(dict: Map<string, Tensor>): void {
    for (const key of [...dict.keys()]) {
      // A counter for training only (int64 in the file): no effect in eval mode.
      if (key === 'num_batches_tracked' || key === 'module.num_batches_tracked') {
        dict.delete(key);
        continue;
      }
      if (!key.startsWith('module.') && ['weight', 'bias', 'running_mean', 'running_var'].includes(key) && !dict.has(`module.${key}`)) {
        dict.set(`module.${key}`, dict.get(key)!);
        dict.delete(key);
      }
    }
  }

  protected args(): Record<string, unknown> {
    return {
      inChannels: this.inChannels, eps: this.eps, momentum: this.momentum, affine: this.weight !== null,
      trackRunningStats: this.trackRunningStats, allowSingleElement: this.allowSingleElement,
    };
  }

  #foldedOnDevice: { from: ReadonlyArray<Tensor | null>; scale: Tensor<'float32'>; shift: Tensor<'float32'> } | null = null;

  /**
   * The per-column scale and shift of y = x·scale + shift. On a CUDA device they are folded on the
   * host from the parameters, once, and kept there until the parameters change; batch statistics
   * (trackRunningStats false) are summed on the host and run on the CPU only. @internal
   */
  folded(x: Tensor<'float32'>): { scale: Tensor<'float32'>; shift: Tensor<'float32'> } {
    if (x.device === 'cpu') return this.#fold(x);
    if (this.runningMean === null || this.runningVar === null) {
      throw cpuOnly('BatchNorm with batch statistics (trackRunningStats false)', 'x', x.device);
    }
    const from = [this.weight?.value ?? null, this.bias?.value ?? null, this.runningMean.value, this.runningVar.value];
    const hit = this.#foldedOnDevice;
    if (hit !== null && hit.scale.device === x.device && !hit.scale.disposed && hit.from.every((t, i) => t === from[i])) return hit;
    const host = this.#fold(x, true);
    const scale = host.scale.to(x.device);
    const shift = host.shift.to(x.device);
    this.#foldedOnDevice = { from, scale, shift };
    return { scale, shift };
  }

  #fold(x: Tensor<'float32'>, fromHost = false): { scale: Tensor<'float32'>; shift: Tensor<'float32'> } {
    const param = (p: Param | null): Tensor<'float32'> | null => (p === null ? null : fromHost ? hostOf(p.value) : p.value);
    const f = this.inChannels;
    let mean: ArrayLike<number>;
    let variance: ArrayLike<number>;
    if (this.runningMean !== null && this.runningVar !== null) {
      mean = (param(this.runningMean) as Tensor<'float32'>).data;
      variance = (param(this.runningVar) as Tensor<'float32'>).data;
    } else {
      const rows = x.numel / f;
      const m = new Float64Array(f);
      const v = new Float64Array(f);
      for (let r = 0; r < rows; r++) for (let c = 0; c < f; c++) m[c] += x.data[r * f + c];
      for (let c = 0; c < f; c++) m[c] /= Math.max(rows, 1);
      for (let r = 0; r < rows; r++) for (let c = 0; c < f; c++) v[c] += (x.data[r * f + c] - m[c]) ** 2;
      for (let c = 0; c < f; c++) v[c] /= Math.max(rows, 1);
      mean = m;
      variance = v;
    }
    const scale = Tensor.zeros([f]);
    const shift = Tensor.zeros([f]);
    for (let c = 0; c < f; c++) {
      const inv = 1 / Math.sqrt(variance[c] + this.eps);
      const w = this.weight === null ? 1 : (param(this.weight) as Tensor<'float32'>).data[c];
      const b = this.bias === null ? 0 : (param(this.bias) as Tensor<'float32'>).data[c];
      scale.data[c] = w * inv;
      shift.data[c] = b - mean[c] * w * inv;
    }
    return { scale, shift };
  }

  /** Per node with running statistics; batch statistics read every row. @internal */
  override receptiveHops(): number {
    return this.trackRunningStats ? 0 : super.receptiveHops();
  }

  *steps(graph: Graph, features: Features, context: ForwardContext): Steps {
    void graph;
    void context;
    const x = denseFeatures(features);
    const { scale, shift } = this.folded(x);
    return yield op.columnAffine(x, scale, shift);
  }
}

export interface LayerNormOptions {
  inChannels: number;
  eps?: number;
  affine?: boolean;
  /** 'graph' (PyG's default) or 'node' (torch.nn.LayerNorm). */
  mode?: 'graph' | 'node';
}

export class LayerNorm extends Module {
  readonly type = 'LayerNorm';
  readonly inChannels: number;
  readonly eps: number;
  readonly mode: 'graph' | 'node';
  readonly weight: Param | null;
  readonly bias: Param | null;

  constructor(options: LayerNormOptions) {
    super();
    const o = checkOptions(options, 'LayerNorm', ['inChannels', 'eps', 'affine', 'mode']);
    this.inChannels = channels('inChannels', o.inChannels);
    this.eps = num('eps', o.eps, 1e-5);
    this.mode = oneOf('mode', o.mode, ['graph', 'node'] as const, 'graph');
    const affine = bool('affine', o.affine, true);
    this.weight = affine ? new Param('weight', [this.inChannels], 'ones') : null;
    this.bias = affine ? new Param('bias', [this.inChannels], 'zeros') : null;
    if (this.weight !== null) this.weight.value.data.fill(1);
  }

  protected override params(): Param[] {
    return present(this.weight, this.bias);
  }

  protected args(): Record<string, unknown> {
    return { inChannels: this.inChannels, eps: this.eps, affine: this.weight !== null, mode: this.mode };
  }

  /** 'node' mode is per node; 'graph' mode reads every row of the graph. @internal */
  override receptiveHops(): number {
    return this.mode === 'node' ? 0 : super.receptiveHops();
  }

  *steps(graph: Graph, features: Features, context: ForwardContext): Steps {
    void graph;
    const x = denseFeatures(features);
    const opts = { weight: this.weight?.value ?? null, bias: this.bias?.value ?? null, eps: this.eps };
    if (this.mode === 'node') return yield op.layerNorm(x, opts);
    return yield op.graphLayerNorm(x, { ...opts, batch: context.batch ?? null });
  }
}
