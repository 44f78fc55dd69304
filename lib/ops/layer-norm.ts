/**
 * layerNorm: torch.nn.functional.layer_norm over the last dimension (torch.nn.LayerNorm(F), and
 * PyG LayerNorm with mode='node'): per row, mean and biased variance, then
 *   y = (x − mean) / sqrt(var + eps) · weight + bias.
 * The mean is taken relative to a pivot and kept in two floats, so rows with a large mean and a
 * small spread (1e4 ± 1e-2) normalise as accurately as centred ones (native/kernels/norm.h).
 *
 * graphLayerNorm: PyG's nn.norm.LayerNorm with its default mode='graph', which is NOT the above:
 * mean and biased variance are taken over every node and every feature of each graph in the batch,
 *   with batch:     y = (x − μ_g) / sqrt(var_g + eps) · weight + bias
 *   without batch:  y = (x − μ)   / (std + eps)       · weight + bias   (one graph; eps on the std)
 * exactly as PyG computes the two paths.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { GnnError } from '../errors';
import type { CudaGraphLayerNormArgs, CudaLayerNormArgs } from '../native-cuda-types';
import type { NativeAddon } from '../native-types';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync } from './common';
import { Scratch, buf, cudaAsync, cudaSync, indexBuffer, opDevice, optBuf } from './device-dispatch';
import type { IndexArg, IndexInput } from './row-args';
import { checkColumnVector, checkEps, checkHasRows, checkedOutput, indexArg, shapeText } from './row-args';

export interface LayerNormOptions {
  /** Per-feature factor [F] (default none: 1). */
  weight?: Tensor<'float32'> | null;
  /** Per-feature offset [F] (default none: 0). */
  bias?: Tensor<'float32'> | null;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Output of x's shape; may be x itself (in place). */
  out?: Tensor<'float32'>;
}

export interface GraphLayerNormOptions extends LayerNormOptions {
  /** Graph id of each node, [N] int32 with values in [0, N) (PyG's `batch`); none: one graph. */
  batch?: IndexInput | null;
}

interface Prepared {
  device: Device;
  x: Tensor<'float32'>;
  batch: IndexArg | null;
  weight: Tensor<'float32'> | null;
  bias: Tensor<'float32'> | null;
  eps: number;
  out: Tensor<'float32'>;
  width: number;
}

function prepare(x: Tensor<'float32'>, options: GraphLayerNormOptions | undefined, where: string, graph: boolean): Prepared {
  const keys = graph ? ['batch', 'weight', 'bias', 'eps', 'out'] : ['weight', 'bias', 'eps', 'out'];
  const opts = checkOptions(options, where, keys);
  const xt = checkTensor('x', x, 'float32', graph ? [2] : undefined);
  checkHasRows('x', xt);
  const width = xt.shape[xt.rank - 1];
  const wt = checkColumnVector('weight', opts.weight, width);
  const bt = checkColumnVector('bias', opts.bias, width);
  const eps = checkEps(opts.eps, 1e-5);
  let batch: IndexArg | null = null;
  if (opts.batch !== undefined && opts.batch !== null) {
    batch = indexArg('batch', opts.batch);
    if (batch.length !== xt.shape[0]) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `batch: expected ${xt.shape[0]} graph ids (one per row of x ${shapeText(xt.shape)}), got ${batch.length}`);
    }
  }
  const device = opDevice(where, ['x', xt], ['weight', wt], ['bias', bt], ['batch', batch?.tensor]);
  const columns = [wt, bt].filter((v): v is Tensor<'float32'> => v !== null);
  const out = checkedOutput(opts.out, xt.shape, columns, [xt], 'out', device);
  return { device, x: xt, batch, weight: wt, bias: bt, eps, out, width };
}

function rowsOf(p: Prepared): number {
  return p.width === 0 ? 0 : p.x.numel / p.width;
}

function cpuArgs(p: Prepared): Parameters<NativeAddon['layerNormSync']> {
  return [p.x.data, p.weight?.data ?? null, p.bias?.data ?? null, p.eps, p.out.data, p.width];
}

function cpuGraphArgs(p: Prepared): Parameters<NativeAddon['graphLayerNormSync']> {
  return [p.x.data, p.batch?.host ?? null, p.weight?.data ?? null, p.bias?.data ?? null, p.eps, p.out.data, p.width];
}

function cudaArgs(p: Prepared): CudaLayerNormArgs {
  return [buf('x', p.x), optBuf('weight', p.weight), optBuf('bias', p.bias), buf('out', p.out), rowsOf(p), p.width, p.eps];
}

function cudaGraphArgs(p: Prepared, scratch: Scratch): CudaGraphLayerNormArgs {
  const batch = p.batch === null ? null : indexBuffer('batch', p.batch, scratch);
  return [buf('x', p.x), batch, optBuf('weight', p.weight), optBuf('bias', p.bias), buf('out', p.out), rowsOf(p), p.width, p.eps];
}

/** Layer norm over the last dimension, on the calling thread (and the native pool). */
export function layerNormSync(x: Tensor<'float32'>, options?: LayerNormOptions): Tensor<'float32'> {
  const p = prepare(x, options, 'layerNormSync', false);
  if (p.device !== 'cpu') return cudaSync(p.device, (cuda) => cuda.layerNormSync(...cudaArgs(p)), p.out);
  callSync(() => addon().layerNormSync(...cpuArgs(p)));
  return p.out;
}

/** Layer norm over the last dimension, off the event loop. */
export function layerNorm(x: Tensor<'float32'>, options?: LayerNormOptions): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(x, options, 'layerNorm', false);
  } catch (error) {
    return Promise.reject(error);
  }
  if (p.device !== 'cpu') return cudaAsync(site, p.device, (cuda) => cuda.layerNormAsync(...cudaArgs(p)), p.out);
  return callAsync(site, () => addon().layerNormAsync(...cpuArgs(p)), p.out);
}

/** PyG's graph-mode LayerNorm of x [N, F], on the calling thread (and the native pool). */
export function graphLayerNormSync(x: Tensor<'float32'>, options?: GraphLayerNormOptions): Tensor<'float32'> {
  const p = prepare(x, options, 'graphLayerNormSync', true);
  if (p.device !== 'cpu') {
    const scratch = new Scratch(p.device);
    return cudaSync(p.device, (cuda) => cuda.graphLayerNormSync(...cudaGraphArgs(p, scratch)), p.out, scratch);
  }
  callSync(() => addon().graphLayerNormSync(...cpuGraphArgs(p)));
  return p.out;
}

/** PyG's graph-mode LayerNorm of x [N, F], off the event loop. */
export function graphLayerNorm(x: Tensor<'float32'>, options?: GraphLayerNormOptions): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(x, options, 'graphLayerNorm', true);
  } catch (error) {
    return Promise.reject(error);
  }
  if (p.device !== 'cpu') {
    const scratch = new Scratch(p.device);
    return cudaAsync(site, p.device, (cuda) => cuda.graphLayerNormAsync(...cudaGraphArgs(p, scratch)), p.out, scratch);
  }
  return callAsync(site, () => addon().graphLayerNormAsync(...cpuGraphArgs(p)), p.out);
}
