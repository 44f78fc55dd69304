/**
 * Tensor: a dtype, a shape and row-major contiguous data on a device. On the CPU it wraps a typed
 * array without copying.
 */
import { addon } from './backend';
import { GnnError, described, invalidArgType, invalidArgValue, outOfRange } from './errors';
import { checkNotDetached } from './validate';

export type DType = 'float32' | 'int32' | 'int8' | 'uint8';
export type Device = 'cpu';

/** The typed array that holds each dtype. */
export interface DTypeArrays {
  float32: Float32Array;
  int32: Int32Array;
  int8: Int8Array;
  uint8: Uint8Array;
}
export type TypedArrayFor<D extends DType> = DTypeArrays[D];
export type SupportedTypedArray = DTypeArrays[DType];

const CONSTRUCTORS = {
  float32: Float32Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
} as const;

/** The dtype of a supported typed array, or undefined. */
export function dtypeOf(data: unknown): DType | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  return undefined;
}

/** Largest total element count: what a typed array can hold. */
const MAX_ELEMENTS = 2 ** 53 - 1;

function checkShape(name: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw invalidArgType(name, 'an array of dimensions', shape);
  let numel = 1;
  const dims: number[] = [];
  shape.forEach((d: unknown, i: number) => {
    if (typeof d !== 'number') throw invalidArgType(`${name}[${i}]`, 'a number', d);
    if (!Number.isInteger(d) || d < 0) throw outOfRange(`${name}[${i}]`, 'a non-negative integer', d);
    numel *= d;
    dims.push(d);
  });
  if (numel > MAX_ELEMENTS) throw outOfRange(name, `at most 2^53 - 1 elements`, described(`${numel} elements`));
  return dims;
}

/**
 * A zero-filled typed array whose data starts on a 64-byte (cache-line) boundary: rows of aligned
 * tensors load without split cache lines, which the gather kernels feel (BENCHMARKS.md).
 */
function allocateAligned<D extends DType>(dtype: D, n: number): TypedArrayFor<D> {
  const Ctor = CONSTRUCTORS[dtype];
  const bytes = n * Ctor.BYTES_PER_ELEMENT;
  if (bytes < 256) return new Ctor(n) as TypedArrayFor<D>;
  const buffer = new ArrayBuffer(bytes + 64);
  const misalignment = addon().alignmentOf(buffer);
  return new Ctor(buffer, (64 - misalignment) % 64, n) as TypedArrayFor<D>;
}

function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayFor<D>;
  readonly device: Device = 'cpu';

  private constructor(dtype: D, shape: readonly number[], data: TypedArrayFor<D>) {
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  /**
   * Wraps a typed array without copying. `shape` defaults to `[data.length]`; its product must
   * equal `data.length`.
   */
  static from<A extends SupportedTypedArray>(data: A, shape?: readonly number[]): Tensor<DTypeOfArray<A>> {
    const dtype = dtypeOf(data);
    if (dtype === undefined) {
      throw invalidArgType('data', 'a Float32Array, Int32Array, Int8Array or Uint8Array', data);
    }
    checkNotDetached('data', data);
    const dims = shape === undefined ? [data.length] : checkShape('shape', shape);
    const numel = product(dims);
    if (numel !== data.length) {
      throw new GnnError(
        'ERR_GNN_SHAPE_MISMATCH',
        `shape: expected dimensions whose product is the data length ${data.length}, got [${dims.join(', ')}] (${numel} elements)`,
      );
    }
    return new Tensor(dtype as DTypeOfArray<A>, dims, data as unknown as TypedArrayFor<DTypeOfArray<A>>);
  }

  /** A new zero-filled tensor; its data starts on a 64-byte boundary. */
  static zeros<T extends DType = 'float32'>(shape: readonly number[], dtype?: T): Tensor<T> {
    const dims = checkShape('shape', shape);
    const dt = (dtype ?? 'float32') as T;
    if (!Object.prototype.hasOwnProperty.call(CONSTRUCTORS, dt)) {
      throw invalidArgValue('dtype', "'float32', 'int32', 'int8' or 'uint8'", dtype);
    }
    return new Tensor(dt, dims, allocateAligned(dt, product(dims)));
  }

  /** A new tensor filled with `value`. */
  static full<T extends DType = 'float32'>(shape: readonly number[], value: number, dtype?: T): Tensor<T> {
    const t = Tensor.zeros(shape, dtype);
    t.data.fill(value);
    return t;
  }

  /** Number of elements. */
  get numel(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** A tensor with a new shape over the same data (no copy). */
  reshape(shape: readonly number[]): Tensor<D> {
    const dims = checkShape('shape', shape);
    if (product(dims) !== this.numel) {
      throw new GnnError(
        'ERR_GNN_SHAPE_MISMATCH',
        `shape: expected ${this.numel} elements to match [${this.shape.join(', ')}], got [${dims.join(', ')}]`,
      );
    }
    return new Tensor(this.dtype, dims, this.data);
  }

  /** A deep copy (64-byte aligned). */
  clone(): Tensor<D> {
    const data = allocateAligned(this.dtype, this.numel);
    (data as unknown as { set(a: ArrayLike<number>): void }).set(this.data);
    return new Tensor(this.dtype, this.shape, data);
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}], ${this.device})`;
  }
}

/** Maps a typed array type to its dtype. */
export type DTypeOfArray<A> = A extends Float32Array
  ? 'float32'
  : A extends Int32Array
    ? 'int32'
    : A extends Int8Array
      ? 'int8'
      : A extends Uint8Array
        ? 'uint8'
        : never;

/** Checks that `value` is a Tensor of `dtype` (and, if given, rank). @internal */
export function checkTensor<D extends DType>(name: string, value: unknown, dtype: D, rank?: number[]): Tensor<D> {
  if (!(value instanceof Tensor)) throw invalidArgType(name, `a Tensor (${dtype})`, value);
  if (value.dtype !== dtype) {
    throw invalidArgType(name, `a ${dtype} Tensor`, described(`a ${value.dtype} Tensor`));
  }
  checkNotDetached(name, value.data);
  if (value.data.length !== product(value.shape)) {
    throw new GnnError(
      'ERR_GNN_SHAPE_MISMATCH',
      `${name}: expected ${product(value.shape)} elements for shape [${value.shape.join(', ')}], got ${value.data.length}`,
    );
  }
  if (rank !== undefined && !rank.includes(value.rank)) {
    throw new GnnError(
      'ERR_GNN_SHAPE_MISMATCH',
      `${name}: expected a Tensor of rank ${rank.join(' or ')}, got shape [${value.shape.join(', ')}]`,
    );
  }
  return value as Tensor<D>;
}
