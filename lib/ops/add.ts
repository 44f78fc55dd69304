/**
 * add: out = beta·a + alpha·b, elementwise, with b either a's shape or one row broadcast over
 * a's rows. One op covers the layers' combinations in a single pass:
 *   a + b                 residuals, SAGE's lin_l(agg) + lin_r(x)
 *   a + bias              b a row vector [F] (GCN, GAT, … bias after aggregation)
 *   (1 + eps)·x + agg     GIN: add(x, agg, { beta: 1 + eps })
 *   (1 − α)·h + α·h0      APPNP: add(h, h0, { beta: 1 - alpha, alpha })
 * alpha scales b as in torch.add; beta scales a as in torch.addmm.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { GnnError } from '../errors';
import type { CudaAddArgs } from '../native-cuda-types';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync } from './common';
import { buf, cudaAsync, cudaSync, opDevice } from './device-dispatch';
import { checkFactor, checkedOutput, numelOf, sameShape, shapeText } from './row-args';

export interface AddOptions {
  /** Factor on b (default 1), as torch.add's alpha. */
  alpha?: number;
  /** Factor on a (default 1), as torch.addmm's beta. */
  beta?: number;
  /** Output of a's shape. May be a itself, or b when b has a's shape (in place). */
  out?: Tensor<'float32'>;
}

interface Prepared {
  device: Device;
  a: Tensor<'float32'>;
  b: Tensor<'float32'>;
  out: Tensor<'float32'>;
  width: number;
  /** b has a's shape (else it is one row, broadcast). */
  full: boolean;
  alpha: number;
  beta: number;
}

function prepare(a: Tensor<'float32'>, b: Tensor<'float32'>, options: AddOptions | undefined, where: string): Prepared {
  const opts = checkOptions(options, where, ['alpha', 'beta', 'out']);
  const at = checkTensor('a', a, 'float32');
  const bt = checkTensor('b', b, 'float32');
  const device = opDevice(where, ['a', at], ['b', bt]);
  const alpha = checkFactor('alpha', opts.alpha, 1);
  const beta = checkFactor('beta', opts.beta, 1);
  const width = at.rank === 0 ? 1 : at.shape[at.rank - 1];
  const full = sameShape(at.shape, bt.shape);
  // A row vector: [F], or [1, …, 1, F], with F the last dimension of a.
  const row = !full && at.rank >= 1 && bt.rank >= 1 && bt.shape[bt.rank - 1] === width && numelOf(bt.shape) === width;
  if (!full && !row) {
    throw new GnnError(
      'ERR_GNN_SHAPE_MISMATCH',
      `b: expected shape ${shapeText(at.shape)} (like a) or a row vector [${width}], got ${shapeText(bt.shape)}`,
    );
  }
  // Elementwise, so out may be a or (same shape) b; a broadcast b is read for every row and must
  // stay apart from out.
  const out = checkedOutput(opts.out, at.shape, full ? [] : [bt], full ? [at, bt] : [at], 'out', device);
  return { device, a: at, b: bt, out, width, full, alpha, beta };
}

function cudaArgs(p: Prepared): CudaAddArgs {
  const rows = p.width === 0 ? 0 : p.a.numel / p.width;
  return [buf('a', p.a), buf('b', p.b), buf('out', p.out), rows, p.width, p.full ? p.width : 0, p.alpha, p.beta];
}

/** beta·a + alpha·b on the calling thread (and the native pool). */
export function addSync(a: Tensor<'float32'>, b: Tensor<'float32'>, options?: AddOptions): Tensor<'float32'> {
  const p = prepare(a, b, options, 'addSync');
  if (p.device !== 'cpu') return cudaSync(p.device, (cuda) => cuda.addSync(...cudaArgs(p)), p.out);
  callSync(() => addon().addSync(p.a.data, p.b.data, p.out.data, p.width, p.alpha, p.beta));
  return p.out;
}

/** beta·a + alpha·b off the event loop. Inputs must not be modified until the promise settles. */
export function add(a: Tensor<'float32'>, b: Tensor<'float32'>, options?: AddOptions): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(a, b, options, 'add');
  } catch (error) {
    return Promise.reject(error);
  }
  if (p.device !== 'cpu') return cudaAsync(site, p.device, (cuda) => cuda.addAsync(...cudaArgs(p)), p.out);
  return callAsync(site, () => addon().addAsync(p.a.data, p.b.data, p.out.data, p.width, p.alpha, p.beta), p.out);
}
