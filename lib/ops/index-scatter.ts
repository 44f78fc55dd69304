/**
 * Row scatter into an existing tensor, as torch's in-place index_copy_ / index_add_ along dim 0:
 *   indexCopy(target, index, src):            target[index[i]] = src[i]
 *   indexAdd(target, index, src, { alpha }):  target[index[i]] += alpha · src[i]
 * target is modified in place and returned; src is [K, ...target.shape.slice(1)] for an index of
 * K entries. Duplicate indices are applied in index order, deterministically and for any thread
 * count: indexCopy keeps the last of them (torch leaves that case unspecified), indexAdd sums
 * them in order. Indices are checked natively before anything is written: a bad one throws
 * ERR_OUT_OF_RANGE naming its position and target is left as it was.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { GnnError } from '../errors';
import type { CudaIndexScatterArgs } from '../native-cuda-types';
import type { NativeAddon } from '../native-types';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync } from './common';
import { Scratch, buf, cudaAsync, cudaSync, indexBuffer, opDevice } from './device-dispatch';
import { checkFactor, checkHasRows, checkSeparate, indexArg, indexMemory, numelOf, sameShape, shapeText } from './row-args';
import type { IndexArg, IndexInput } from './row-args';

export interface IndexAddOptions {
  /** Factor on src (default 1), as torch's index_add_ alpha. */
  alpha?: number;
}

const COPY = 0 as const;
const ADD = 1 as const;

interface Prepared {
  device: Device;
  target: Tensor<'float32'>;
  rows: number;
  width: number;
  index: IndexArg;
  src: Tensor<'float32'>;
  alpha: number;
}

function prepare(target: Tensor<'float32'>, index: IndexInput, src: Tensor<'float32'>, alpha: number, where: string): Prepared {
  const tt = checkTensor('target', target, 'float32');
  checkHasRows('target', tt);
  const idx = indexArg('index', index);
  const st = checkTensor('src', src, 'float32');
  const device = opDevice(where, ['target', tt], ['index', idx.tensor], ['src', st]);
  const want = [idx.length, ...tt.shape.slice(1)];
  if (!sameShape(st.shape, want)) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `src: expected shape ${shapeText(want)} (one row per index), got ${shapeText(st.shape)}`);
  }
  checkSeparate('target', tt, [st, ...indexMemory(idx)]);
  return { device, target: tt, rows: tt.shape[0], width: numelOf(tt.shape.slice(1)), index: idx, src: st, alpha };
}

function prepareAdd(target: Tensor<'float32'>, index: IndexInput, src: Tensor<'float32'>, options: IndexAddOptions | undefined, where: string): Prepared {
  const opts = checkOptions(options, where, ['alpha']);
  return prepare(target, index, src, checkFactor('alpha', opts.alpha, 1), where);
}

function cpuArgs(p: Prepared, op: 0 | 1): Parameters<NativeAddon['indexScatterSync']> {
  return [p.target.data, p.rows, p.width, p.index.host as Int32Array, p.src.data, op, op === COPY ? 1 : p.alpha];
}

function cudaArgs(p: Prepared, op: 0 | 1, scratch: Scratch): CudaIndexScatterArgs {
  const alpha = op === COPY ? 1 : p.alpha;
  return [buf('target', p.target), p.rows, p.width, indexBuffer('index', p.index, scratch), p.index.length, buf('src', p.src), op, alpha];
}

function runSync(p: Prepared, op: 0 | 1): Tensor<'float32'> {
  if (p.device !== 'cpu') {
    const scratch = new Scratch(p.device);
    return cudaSync(p.device, (cuda) => cuda.indexScatterSync(...cudaArgs(p, op, scratch)), p.target, scratch);
  }
  callSync(() => addon().indexScatterSync(...cpuArgs(p, op)));
  return p.target;
}

function runAsync(site: Error, p: Prepared, op: 0 | 1): Promise<Tensor<'float32'>> {
  if (p.device !== 'cpu') {
    const scratch = new Scratch(p.device);
    return cudaAsync(site, p.device, (cuda) => cuda.indexScatterAsync(...cudaArgs(p, op, scratch)), p.target, scratch);
  }
  return callAsync(site, () => addon().indexScatterAsync(...cpuArgs(p, op)), p.target);
}

/** target[index[i]] = src[i], on the calling thread (and the native pool). Returns target. */
export function indexCopySync(target: Tensor<'float32'>, index: IndexInput, src: Tensor<'float32'>): Tensor<'float32'> {
  return runSync(prepare(target, index, src, 1, 'indexCopySync'), COPY);
}

/** target[index[i]] = src[i], off the event loop. Resolves with target. */
export function indexCopy(target: Tensor<'float32'>, index: IndexInput, src: Tensor<'float32'>): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(target, index, src, 1, 'indexCopy');
  } catch (error) {
    return Promise.reject(error);
  }
  return runAsync(site, p, COPY);
}

/** target[index[i]] += alpha·src[i], on the calling thread (and the native pool). Returns target. */
export function indexAddSync(target: Tensor<'float32'>, index: IndexInput, src: Tensor<'float32'>, options?: IndexAddOptions): Tensor<'float32'> {
  return runSync(prepareAdd(target, index, src, options, 'indexAddSync'), ADD);
}

/** target[index[i]] += alpha·src[i], off the event loop. Resolves with target. */
export function indexAdd(target: Tensor<'float32'>, index: IndexInput, src: Tensor<'float32'>, options?: IndexAddOptions): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepareAdd(target, index, src, options, 'indexAdd');
  } catch (error) {
    return Promise.reject(error);
  }
  return runAsync(site, p, ADD);
}
