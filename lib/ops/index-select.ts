/**
 * indexSelect: row gather, out[i] = x[index[i]] (torch.index_select(x, 0, index)). x may have any
 * rank of at least 1; out is [K, ...x.shape.slice(1)] for an index of K entries. Indices are
 * checked natively in one pass before anything is copied: a negative or out-of-range index
 * throws ERR_OUT_OF_RANGE naming the first bad position, and out is left as it was.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import type { CudaIndexSelectArgs } from '../native-cuda-types';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync } from './common';
import { Scratch, buf, cudaAsync, cudaSync, indexBuffer, opDevice } from './device-dispatch';
import { checkHasRows, checkedOutput, indexArg, indexMemory, numelOf } from './row-args';
import type { IndexArg, IndexInput } from './row-args';

export interface IndexSelectOptions {
  /** Output [K, ...x.shape.slice(1)]; must not overlap x or the index. */
  out?: Tensor<'float32'>;
}

interface Prepared {
  device: Device;
  x: Tensor<'float32'>;
  rows: number;
  width: number;
  index: IndexArg;
  out: Tensor<'float32'>;
}

function prepare(x: Tensor<'float32'>, index: IndexInput, options: IndexSelectOptions | undefined, where: string): Prepared {
  const opts = checkOptions(options, where, ['out']);
  const xt = checkTensor('x', x, 'float32');
  checkHasRows('x', xt);
  const idx = indexArg('index', index);
  const device = opDevice(where, ['x', xt], ['index', idx.tensor]);
  const out = checkedOutput(opts.out, [idx.length, ...xt.shape.slice(1)], [xt, ...indexMemory(idx)], [], 'out', device);
  return { device, x: xt, rows: xt.shape[0], width: numelOf(xt.shape.slice(1)), index: idx, out };
}

function cudaArgs(p: Prepared, scratch: Scratch): CudaIndexSelectArgs {
  return [buf('x', p.x), p.rows, p.width, indexBuffer('index', p.index, scratch), p.index.length, buf('out', p.out)];
}

/** Gathers rows of x on the calling thread (and the native pool). */
export function indexSelectSync(x: Tensor<'float32'>, index: IndexInput, options?: IndexSelectOptions): Tensor<'float32'> {
  const p = prepare(x, index, options, 'indexSelectSync');
  if (p.device !== 'cpu') {
    const scratch = new Scratch(p.device);
    return cudaSync(p.device, (cuda) => cuda.indexSelectSync(...cudaArgs(p, scratch)), p.out, scratch);
  }
  callSync(() => addon().indexSelectSync(p.x.data, p.rows, p.width, p.index.host as Int32Array, p.out.data));
  return p.out;
}

/** Gathers rows of x off the event loop; a bad index rejects with ERR_OUT_OF_RANGE. */
export function indexSelect(x: Tensor<'float32'>, index: IndexInput, options?: IndexSelectOptions): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(x, index, options, 'indexSelect');
  } catch (error) {
    return Promise.reject(error);
  }
  if (p.device !== 'cpu') {
    const scratch = new Scratch(p.device);
    return cudaAsync(site, p.device, (cuda) => cuda.indexSelectAsync(...cudaArgs(p, scratch)), p.out, scratch);
  }
  return callAsync(site, () => addon().indexSelectAsync(p.x.data, p.rows, p.width, p.index.host as Int32Array, p.out.data), p.out);
}
