/**
 * softmax and logSoftmax over the last dimension, computed as torch does (max subtracted, so
 * logits of any magnitude are safe):
 *   softmax(x)     = exp(x − m) / Σ exp(x − m),   m = max of the row
 *   logSoftmax(x)  = (x − m) − log Σ exp(x − m)
 * Special values follow torch exactly: −inf entries give 0 (softmax) and −inf (logSoftmax); a row
 * that contains NaN or +inf, or whose entries are all −inf, is NaN throughout. (An all −inf row
 * has no finite entry to normalise; torch gives NaN there and so do we, so that outputs match
 * torch and a fully masked row is visible rather than silently 0.)
 */
import { addon } from '../backend';
import type { Device } from '../device';
import type { CudaSoftmaxArgs } from '../native-cuda-types';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync } from './common';
import { buf, cudaAsync, cudaSync } from './device-dispatch';
import { checkHasRows, checkedOutput } from './row-args';

export interface SoftmaxOptions {
  /** Output of x's shape; may be x itself (in place). */
  out?: Tensor<'float32'>;
}

const KIND = { softmax: 0, logSoftmax: 1 } as const;
type Kind = keyof typeof KIND;

interface Prepared {
  device: Device;
  x: Tensor<'float32'>;
  out: Tensor<'float32'>;
  width: number;
}

function prepare(x: Tensor<'float32'>, options: SoftmaxOptions | undefined, where: string): Prepared {
  const opts = checkOptions(options, where, ['out']);
  const xt = checkTensor('x', x, 'float32');
  checkHasRows('x', xt);
  // In place is safe: each row is read (max, then sum) before it is written.
  const out = checkedOutput(opts.out, xt.shape, [], [xt], 'out', xt.device);
  return { device: xt.device, x: xt, out, width: xt.shape[xt.rank - 1] };
}

function cudaArgs(p: Prepared, kind: Kind): CudaSoftmaxArgs {
  const rows = p.width === 0 ? 0 : p.x.numel / p.width;
  return [buf('x', p.x), buf('out', p.out), rows, p.width, KIND[kind]];
}

function runSync(kind: Kind, x: Tensor<'float32'>, options: SoftmaxOptions | undefined): Tensor<'float32'> {
  const p = prepare(x, options, `${kind}Sync`);
  if (p.device !== 'cpu') return cudaSync(p.device, (cuda) => cuda.softmaxSync(...cudaArgs(p, kind)), p.out);
  callSync(() => addon().softmaxSync(p.x.data, p.out.data, p.width, KIND[kind]));
  return p.out;
}

function runAsync(kind: Kind, x: Tensor<'float32'>, options: SoftmaxOptions | undefined): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(x, options, kind);
  } catch (error) {
    return Promise.reject(error);
  }
  if (p.device !== 'cpu') return cudaAsync(site, p.device, (cuda) => cuda.softmaxAsync(...cudaArgs(p, kind)), p.out);
  return callAsync(site, () => addon().softmaxAsync(p.x.data, p.out.data, p.width, KIND[kind]), p.out);
}

/** Row-wise softmax over the last dimension, on the calling thread (and the native pool). */
export function softmaxSync(x: Tensor<'float32'>, options?: SoftmaxOptions): Tensor<'float32'> {
  return runSync('softmax', x, options);
}

/** Row-wise softmax over the last dimension, off the event loop. */
export function softmax(x: Tensor<'float32'>, options?: SoftmaxOptions): Promise<Tensor<'float32'>> {
  return runAsync('softmax', x, options);
}

/** Row-wise log-softmax over the last dimension, on the calling thread (and the native pool). */
export function logSoftmaxSync(x: Tensor<'float32'>, options?: SoftmaxOptions): Tensor<'float32'> {
  return runSync('logSoftmax', x, options);
}

/** Row-wise log-softmax over the last dimension, off the event loop. */
export function logSoftmax(x: Tensor<'float32'>, options?: SoftmaxOptions): Promise<Tensor<'float32'>> {
  return runAsync('logSoftmax', x, options);
}
