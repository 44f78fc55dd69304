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
import { GnnError } from '../errors';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync } from './common';
import type { IndexInput } from './row-args';
import { checkColumnVector, checkEps, checkHasRows, checkIndex, checkedOutput, shapeText } from './row-args';

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
  x: Float32Array;
  batch: Int32Array | null;
  weight: Float32Array | null;
  bias: Float32Array | null;
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
  let batch: Int32Array | null = null;
  if (opts.batch !== undefined && opts.batch !== null) {
    batch = checkIndex('batch', opts.batch);
    if (batch.length !== xt.shape[0]) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `batch: expected ${xt.shape[0]} graph ids (one per row of x ${shapeText(xt.shape)}), got ${batch.length}`);
    }
  }
  const columns = [wt?.data, bt?.data].filter((v): v is Float32Array => v !== undefined);
  const out = checkedOutput(opts.out, xt.shape, columns, [xt.data]);
  return { x: xt.data, batch, weight: wt?.data ?? null, bias: bt?.data ?? null, eps, out, width };
}

/** Layer norm over the last dimension, on the calling thread (and the native pool). */
export function layerNormSync(x: Tensor<'float32'>, options?: LayerNormOptions): Tensor<'float32'> {
  const p = prepare(x, options, 'layerNormSync', false);
  callSync(() => addon().layerNormSync(p.x, p.weight, p.bias, p.eps, p.out.data, p.width));
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
  return callAsync(site, () => addon().layerNormAsync(p.x, p.weight, p.bias, p.eps, p.out.data, p.width), p.out);
}

/** PyG's graph-mode LayerNorm of x [N, F], on the calling thread (and the native pool). */
export function graphLayerNormSync(x: Tensor<'float32'>, options?: GraphLayerNormOptions): Tensor<'float32'> {
  const p = prepare(x, options, 'graphLayerNormSync', true);
  callSync(() => addon().graphLayerNormSync(p.x, p.batch, p.weight, p.bias, p.eps, p.out.data, p.width));
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
  return callAsync(site, () => addon().graphLayerNormAsync(p.x, p.batch, p.weight, p.bias, p.eps, p.out.data, p.width), p.out);
}
