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
import { GnnError } from '../errors';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync } from './common';
import { checkFactor, checkHasRows, checkIndex, checkSeparate, numelOf, sameShape, shapeText } from './row-args';
import type { IndexInput } from './row-args';

export interface IndexAddOptions {
  /** Factor on src (default 1), as torch's index_add_ alpha. */
  alpha?: number;
}

const COPY = 0 as const;
const ADD = 1 as const;

interface Prepared {
  target: Tensor<'float32'>;
  rows: number;
  width: number;
  index: Int32Array;
  src: Float32Array;
  alpha: number;
}

function prepare(target: Tensor<'float32'>, index: IndexInput, src: Tensor<'float32'>, alpha: number): Prepared {
  const tt = checkTensor('target', target, 'float32');
  checkHasRows('target', tt);
  const idx = checkIndex('index', index);
  const st = checkTensor('src', src, 'float32');
  const want = [idx.length, ...tt.shape.slice(1)];
  if (!sameShape(st.shape, want)) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `src: expected shape ${shapeText(want)} (one row per index), got ${shapeText(st.shape)}`);
  }
  checkSeparate('target', tt.data, [st.data, idx]);
  return { target: tt, rows: tt.shape[0], width: numelOf(tt.shape.slice(1)), index: idx, src: st.data, alpha };
}

function prepareAdd(target: Tensor<'float32'>, index: IndexInput, src: Tensor<'float32'>, options: IndexAddOptions | undefined, where: string): Prepared {
  const opts = checkOptions(options, where, ['alpha']);
  return prepare(target, index, src, checkFactor('alpha', opts.alpha, 1));
}

/** target[index[i]] = src[i], on the calling thread (and the native pool). Returns target. */
export function indexCopySync(target: Tensor<'float32'>, index: IndexInput, src: Tensor<'float32'>): Tensor<'float32'> {
  const p = prepare(target, index, src, 1);
  callSync(() => addon().indexScatterSync(p.target.data, p.rows, p.width, p.index, p.src, COPY, 1));
  return p.target;
}

/** target[index[i]] = src[i], off the event loop. Resolves with target. */
export function indexCopy(target: Tensor<'float32'>, index: IndexInput, src: Tensor<'float32'>): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(target, index, src, 1);
  } catch (error) {
    return Promise.reject(error);
  }
  return callAsync(site, () => addon().indexScatterAsync(p.target.data, p.rows, p.width, p.index, p.src, COPY, 1), p.target);
}

/** target[index[i]] += alpha·src[i], on the calling thread (and the native pool). Returns target. */
export function indexAddSync(target: Tensor<'float32'>, index: IndexInput, src: Tensor<'float32'>, options?: IndexAddOptions): Tensor<'float32'> {
  const p = prepareAdd(target, index, src, options, 'indexAddSync');
  callSync(() => addon().indexScatterSync(p.target.data, p.rows, p.width, p.index, p.src, ADD, p.alpha));
  return p.target;
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
  return callAsync(site, () => addon().indexScatterAsync(p.target.data, p.rows, p.width, p.index, p.src, ADD, p.alpha), p.target);
}
