/**
 * Argument checks shared by the elementwise and row ops (add, scale, softmax, concat, index ops).
 * @internal
 */
import type { Device } from '../device';
import { GnnError, invalidArgType, outOfRange } from '../errors';
import { Tensor, checkTensor, sameStorage } from '../tensor';
import { checkNotDetached } from '../validate';
import { checkOutDevice } from './device-dispatch';
import { allocateOutput } from './workspace';

/** An index of rows: an Int32Array or a rank-1 int32 Tensor. */
export type IndexInput = Int32Array | Tensor<'int32'>;

/** The Int32Array behind an index argument (a CPU op's). */
export function checkIndex(name: string, value: unknown): Int32Array {
  const idx = indexArg(name, value);
  if (idx.host === null) throw new GnnError('ERR_GNN_INTERNAL', `${name}: expected host indices`);
  return idx.host;
}

/**
 * An index argument: a host Int32Array (a CUDA op uploads it), or an int32 Tensor [K] (on a CUDA
 * device: on the op's device, `tensor`; on the CPU its data is `host` too).
 */
export interface IndexArg {
  readonly length: number;
  readonly host: Int32Array | null;
  readonly tensor: Tensor<'int32'> | null;
}

export function indexArg(name: string, value: unknown): IndexArg {
  if (value instanceof Int32Array) {
    checkNotDetached(name, value);
    return { length: value.length, host: value, tensor: null };
  }
  if (value instanceof Tensor) {
    const t = checkTensor(name, value, 'int32');
    if (t.rank !== 1) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected a Tensor of rank 1, got shape [${t.shape.join(', ')}]`);
    }
    return { length: t.numel, host: t.device === 'cpu' ? t.data : null, tensor: t };
  }
  throw invalidArgType(name, 'an Int32Array or an int32 Tensor', value);
}

/** The memory of an index argument, for the overlap checks. */
export function indexMemory(idx: IndexArg): MemoryOf[] {
  if (idx.tensor !== null) return [idx.tensor];
  return idx.host === null ? [] : [idx.host];
}

/**
 * A scalar factor: a number that is finite in float32 (the kernels compute in float32, where
 * 1e39 is already infinite). NaN or infinite factors are refused as the likely bug they are.
 */
export function checkFactor(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType(name, 'a number', value);
  if (!Number.isFinite(Math.fround(value))) throw outOfRange(name, 'a number finite in float32', value);
  return value;
}

/** The shape as text, for messages. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Product of the dimensions. */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function overlapsBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength;
}

/** A tensor (any device) or a host view, for the overlap checks. */
export type MemoryOf = Tensor | ArrayBufferView;

// A CUDA tensor's memory is all of its device buffer (reshapes share it): two tensors overlap
// exactly when they share it, and are then the same bytes.
function overlapping(a: MemoryOf, b: MemoryOf): boolean {
  if (a instanceof Tensor && a.device !== 'cpu') return b instanceof Tensor && sameStorage(a, b) && a.byteLength > 0;
  return overlapsBytes(a instanceof Tensor ? a.data : a, b instanceof Tensor ? b.data : b);
}

function identical(a: MemoryOf, b: MemoryOf): boolean {
  if (a instanceof Tensor && a.device !== 'cpu') return b instanceof Tensor && sameStorage(a, b);
  return sameBytes(a instanceof Tensor ? a.data : a, b instanceof Tensor ? b.data : b);
}

/**
 * The output tensor: the caller's `out` (float32, of `shape`, on `device`) or a new one there
 * (zero-filled on the CPU). `out` may share memory with an input only by being exactly one of
 * `inPlace` (the same bytes, so every element is read before it is written); any other overlap with
 * `inputs` or `inPlace` is refused, because the kernels would read what they have already
 * overwritten.
 */
export function checkedOutput(
  out: unknown,
  shape: readonly number[],
  inputs: ReadonlyArray<MemoryOf>,
  inPlace: ReadonlyArray<MemoryOf> = [],
  name = 'out',
  device: Device = 'cpu',
): Tensor<'float32'> {
  if (out === undefined) return allocateOutput(shape, 'float32', device);
  const t = checkTensor(name, out, 'float32');
  checkOutDevice(name, t, device);
  if (!sameShape(t.shape, shape)) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected shape ${shapeText(shape)}, got ${shapeText(t.shape)}`);
  }
  checkSeparate(name, t, inputs, inPlace);
  return t;
}

/**
 * Throws unless `data` is disjoint from every entry of `inputs` and either disjoint from or exactly
 * (the same bytes as) each entry of `inPlace`.
 */
export function checkSeparate(
  name: string,
  data: MemoryOf,
  inputs: ReadonlyArray<MemoryOf>,
  inPlace: ReadonlyArray<MemoryOf> = [],
): void {
  const clash = inputs.some((v) => overlapping(data, v)) || inPlace.some((v) => overlapping(data, v) && !identical(data, v));
  if (clash) {
    const how = inPlace.length > 0 ? 'memory separate from the inputs, or exactly the input it replaces' : 'memory separate from the inputs';
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected ${how}, got a view that overlaps one`);
  }
}

/** Row ops work on the last dimension, so a 0-d tensor is refused. */
export function checkHasRows(name: string, t: Tensor): void {
  if (t.rank < 1) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected a Tensor of rank 1 or more, got shape []`);
  }
}

/**
 * An optional per-column vector for rows of `width`: null/undefined, or a float32 Tensor of
 * `width` elements shaped [width] or [1, …, 1, width].
 */
export function checkColumnVector(name: string, value: unknown, width: number): Tensor<'float32'> | null {
  if (value === undefined || value === null) return null;
  const t = checkTensor(name, value, 'float32');
  if (t.rank < 1 || t.shape[t.rank - 1] !== width || numelOf(t.shape) !== width) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected a row vector [${width}] (one per column), got ${shapeText(t.shape)}`);
  }
  return t;
}

/** A normalisation eps: a number >= 0 that is finite in float32 (default `fallback`). */
export function checkEps(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType('eps', 'a number', value);
  if (!(value >= 0) || !Number.isFinite(Math.fround(value))) throw outOfRange('eps', 'a number >= 0, finite in float32', value);
  return value;
}
