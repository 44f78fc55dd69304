/**
 * Tensor: a dtype, a shape and row-major contiguous data on a device. On the CPU it wraps a typed
 * array without copying. On a CUDA device it holds device memory from the stream-ordered pool (a
 * native handle): it has no host data (`data` throws ERR_GNN_DEVICE), moves with `to()`, and
 * releases its memory with `dispose()` (or `using`), the handle's finalizer being only a backstop.
 */
import { addon } from './backend';
import { beforeAsync, cudaFor, cudaIndex, noteQueued, parseDevice } from './device';
import type { Device, DeviceSpec } from './device';
import { GnnError, described, fromNative, invalidArgType, invalidArgValue, outOfRange } from './errors';
import type { DeviceBuffer, NativeCuda } from './native-cuda-types';
import { checkNotDetached, checkOptions } from './validate';

export type DType = 'float32' | 'int32' | 'int8' | 'uint8';
export type { Device, DeviceSpec } from './device';

/** The typed array that holds each dtype. */
export interface DTypeArrays {
  float32: Float32Array;
  int32: Int32Array;
  int8: Int8Array;
  uint8: Uint8Array;
}
export type TypedArrayFor<D extends DType> = DTypeArrays[D];
export type SupportedTypedArray = DTypeArrays[DType];

/** Options of the allocating constructors. */
export interface TensorOptions {
  /** Where the tensor lives: 'cpu' (default), 'cuda' or 'cuda:N'. */
  device?: DeviceSpec;
}

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

function checkDType<T extends DType>(dtype: T | undefined): T {
  const dt = (dtype ?? 'float32') as T;
  if (!Object.prototype.hasOwnProperty.call(CONSTRUCTORS, dt)) {
    throw invalidArgValue('dtype', "'float32', 'int32', 'int8' or 'uint8'", dtype);
  }
  return dt;
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

/** Runs a native call, mapping its errors to this package's types. */
function native<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw fromNative(error);
  }
}

/**
 * Device memory shared by a tensor and its reshapes: disposing any of them releases it for all.
 * `cuda` is the implementation that allocated it (the one that must free it).
 */
interface DeviceStorage {
  readonly cuda: NativeCuda;
  readonly buffer: DeviceBuffer;
  readonly bytes: number;
  disposed: boolean;
}

let makeDevice: <D extends DType>(dtype: D, shape: readonly number[], storage: DeviceStorage, device: Device) => Tensor<D>;
let storageOf: (t: Tensor) => DeviceStorage | null;

export class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  /** 'cpu', or 'cuda:N' for a tensor in the memory of GPU N. */
  readonly device: Device;
  readonly #data: TypedArrayFor<D> | null;
  readonly #storage: DeviceStorage | null;
  readonly #numel: number;

  static {
    makeDevice = <T extends DType>(dtype: T, shape: readonly number[], storage: DeviceStorage, device: Device) =>
      new Tensor<T>(dtype, shape, null, storage, device);
    storageOf = (t: Tensor) => t.#storage;
  }

  private constructor(dtype: D, shape: readonly number[], data: TypedArrayFor<D> | null, storage: DeviceStorage | null = null, device: Device = 'cpu') {
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.device = device;
    this.#data = data;
    this.#storage = storage;
    this.#numel = product(shape);
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

  /** A new zero-filled tensor; on the CPU its data starts on a 64-byte boundary. */
  static zeros<T extends DType = 'float32'>(shape: readonly number[], dtype?: T, options?: TensorOptions): Tensor<T> {
    const dims = checkShape('shape', shape);
    const dt = checkDType(dtype);
    const device = deviceOption(options, 'Tensor.zeros');
    if (device === 'cpu') return new Tensor(dt, dims, allocateAligned(dt, product(dims)));
    const t = allocateDevice(dims, dt, device);
    const s = t.#storage as DeviceStorage;
    try {
      native(() => s.cuda.fill(s.buffer, 0, s.bytes, 0));
    } catch (error) {
      t.dispose();
      throw error;
    }
    noteQueued(device);
    return t;
  }

  /** A new tensor filled with `value` (converted to the dtype as a typed array would). */
  static full<T extends DType = 'float32'>(shape: readonly number[], value: number, dtype?: T, options?: TensorOptions): Tensor<T> {
    const device = deviceOption(options, 'Tensor.full');
    const t = Tensor.zeros(shape, dtype);
    t.data.fill(value);
    return device === 'cpu' ? t : t.to(device);
  }

  /**
   * The elements, on the CPU: the typed array this tensor wraps (no copy). A tensor on a CUDA
   * device has no host data: reading this throws ERR_GNN_DEVICE (copy it with `.to('cpu')` or
   * `toArray()`).
   */
  get data(): TypedArrayFor<D> {
    const d = this.#data;
    if (d === null) {
      const state = this.disposed ? ' and was disposed' : '';
      throw new GnnError('ERR_GNN_DEVICE', `tensor is on ${this.device}${state}; call .to('cpu') (or toArray()) to read its data on the host`);
    }
    return d;
  }

  /** Number of elements. */
  get numel(): number {
    return this.#numel;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Whether dispose() released this tensor's device memory (always false on the CPU). */
  get disposed(): boolean {
    return this.#storage?.disposed ?? false;
  }

  /** Bytes of the elements. */
  get byteLength(): number {
    return this.#numel * CONSTRUCTORS[this.dtype].BYTES_PER_ELEMENT;
  }

  /** A tensor with a new shape over the same data (no copy; on a device, the same memory). */
  reshape(shape: readonly number[]): Tensor<D> {
    const dims = checkShape('shape', shape);
    if (product(dims) !== this.numel) {
      throw new GnnError(
        'ERR_GNN_SHAPE_MISMATCH',
        `shape: expected ${this.numel} elements to match [${this.shape.join(', ')}], got [${dims.join(', ')}]`,
      );
    }
    if (this.#storage !== null) return new Tensor(this.dtype, dims, null, this.#live('reshape'), this.device);
    return new Tensor(this.dtype, dims, this.data);
  }

  /** A deep copy on the same device (on the CPU, 64-byte aligned). */
  clone(): Tensor<D> {
    const s = this.#storage;
    if (s !== null) {
      this.#live('clone');
      const t = allocateDevice(this.shape, this.dtype, this.device);
      const d = t.#storage as DeviceStorage;
      deviceCopy(t, () => s.cuda.copy(d.buffer, 0, s.buffer, 0, s.bytes));
      return t;
    }
    const data = allocateAligned(this.dtype, this.numel);
    (data as unknown as { set(a: ArrayLike<number>): void }).set(this.data);
    return new Tensor(this.dtype, this.shape, data);
  }

  /**
   * This tensor on `device` ('cpu', 'cuda' or 'cuda:N'): a copy there, or this tensor itself when
   * it is already there. Copying to the CPU waits for the work queued on this tensor.
   * ERR_GNN_BACKEND_UNAVAILABLE when the device cannot be used (and says why).
   */
  to(device: DeviceSpec): Tensor<D> {
    const target = parseDevice(device);
    if (target === this.device) return this;
    const host = this.#storage === null ? this.data : this.#download();
    if (target === 'cpu') return new Tensor(this.dtype, this.shape, host);
    const t = allocateDevice(this.shape, this.dtype, target);
    const d = t.#storage as DeviceStorage;
    try {
      native(() => d.cuda.upload(d.buffer, 0, host));
    } catch (error) {
      t.dispose();
      throw error;
    }
    return t;
  }

  /**
   * `to(device)` with the wait off the event loop: copying a CUDA tensor to the CPU resolves once
   * the work queued on it and the copy have finished, without blocking other JavaScript meanwhile.
   */
  async toAsync(device: DeviceSpec): Promise<Tensor<D>> {
    const site = new Error();
    const target = parseDevice(device);
    const s = this.#storage;
    if (s === null || target !== 'cpu') return this.to(target);
    this.#live('toAsync');
    const host = allocateAligned(this.dtype, this.numel);
    try {
      beforeAsync(s.cuda, this.device);
      await s.cuda.downloadAsync(s.buffer, 0, host);
    } catch (error) {
      throw fromNative(error, site);
    }
    return new Tensor(this.dtype, this.shape, host);
  }

  /** The elements in a new typed array on the host (a copy, also for a CPU tensor). */
  toArray(): TypedArrayFor<D> {
    if (this.#storage !== null) return this.#download();
    return (this.data as unknown as { slice(): TypedArrayFor<D> }).slice();
  }

  /**
   * Releases the device memory now (the tensor, and every reshape sharing it, can no longer be
   * used); idempotent. A no-op for CPU tensors, whose memory the garbage collector owns.
   */
  dispose(): void {
    const s = this.#storage;
    if (s === null || s.disposed) return;
    s.disposed = true;
    native(() => s.cuda.free(s.buffer));
  }

  /** `using t = x.to('cuda')` disposes t at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}], ${this.device}${this.disposed ? ', disposed' : ''})`;
  }

  /** The storage, checked not disposed. */
  #live(where: string): DeviceStorage {
    const s = this.#storage as DeviceStorage;
    if (s.disposed) throw new GnnError('ERR_GNN_DEVICE', `${where}: tensor on ${this.device} was disposed`);
    return s;
  }

  #download(): TypedArrayFor<D> {
    const s = this.#live('to');
    const host = allocateAligned(this.dtype, this.numel);
    native(() => s.cuda.download(s.buffer, 0, host));
    return host;
  }
}

function deviceOption(options: TensorOptions | undefined, where: string): Device {
  const opts = checkOptions(options, where, ['device']);
  return opts.device === undefined ? 'cpu' : parseDevice(opts.device, 'device');
}

/**
 * A new tensor on a CUDA device with its memory uninitialised: for op outputs, which kernels write
 * in full. @internal
 */
export function allocateDevice<D extends DType>(shape: readonly number[], dtype: D, device: Device): Tensor<D> {
  const cuda = cudaFor(device);
  const bytes = product(shape) * CONSTRUCTORS[dtype].BYTES_PER_ELEMENT;
  const buffer = native(() => cuda.alloc(cudaIndex(device), bytes));
  return makeDevice(dtype, shape, { cuda, buffer, bytes, disposed: false }, device);
}

/** Fills a new device tensor by `copy` (queued on this thread's stream); disposes it if that fails. */
function deviceCopy(t: Tensor, copy: () => void): void {
  try {
    native(copy);
  } catch (error) {
    t.dispose();
    throw error;
  }
  noteQueued(t.device);
}

/** A new tensor of `shape` on `device`: zeroed on the CPU, uninitialised on a CUDA device. @internal */
export function allocateOn<D extends DType>(shape: readonly number[], dtype: D, device: Device): Tensor<D> {
  return device === 'cpu' ? Tensor.zeros(shape, dtype) : allocateDevice(shape, dtype, device);
}

/** The device memory of a CUDA tensor, for the addon; ERR_GNN_DEVICE when it was disposed. @internal */
export function deviceBuffer(name: string, t: Tensor): DeviceBuffer {
  const s = storageOf(t);
  if (s === null) throw new GnnError('ERR_GNN_INTERNAL', `${name}: expected a tensor on a CUDA device, got one on the CPU`);
  if (s.disposed) throw new GnnError('ERR_GNN_DEVICE', `${name}: tensor on ${t.device} was disposed`);
  return s.buffer;
}

/**
 * What identifies a tensor's memory: its ArrayBuffer on the CPU, its device storage on a CUDA
 * device (shared by reshapes). @internal
 */
export function storageKey(t: Tensor): object {
  return storageOf(t) ?? t.data.buffer;
}

/** True when two CUDA tensors share device memory (a CUDA tensor's memory is all of its buffer). @internal */
export function sameStorage(a: Tensor, b: Tensor): boolean {
  const s = storageOf(a);
  return s !== null && s === storageOf(b);
}

/** Copies src's elements into dst (same dtype and element count, same device). @internal */
export function copyInto(dst: Tensor, src: Tensor): void {
  const d = storageOf(dst);
  const s = storageOf(src);
  if (d === null && s === null) {
    (dst.data as unknown as { set(a: ArrayLike<number>): void }).set(src.data);
    return;
  }
  if (d === null || s === null || dst.device !== src.device) {
    throw new GnnError('ERR_GNN_DEVICE', `copy: expected both tensors on one device, got ${dst.device} and ${src.device}`);
  }
  deviceBuffer('out', dst);
  deviceBuffer('x', src);
  native(() => s.cuda.copy(d.buffer, 0, s.buffer, 0, s.bytes));
  noteQueued(dst.device);
}

/**
 * The first `n` rows of t: a view on the CPU (no copy); a copy on a CUDA device (ops take whole
 * buffers). @internal
 */
export function leadingRows<D extends DType>(t: Tensor<D>, n: number): Tensor<D> {
  const width = t.rank > 1 ? t.numel / t.shape[0] : 1;
  const shape = t.rank > 1 ? [n, ...t.shape.slice(1)] : [n];
  const s = storageOf(t);
  if (s === null) {
    const d = t.data as unknown as { subarray(a: number, b: number): SupportedTypedArray };
    return Tensor.from(d.subarray(0, n * width), shape) as unknown as Tensor<D>;
  }
  deviceBuffer('x', t);
  const out = allocateDevice(shape, t.dtype, t.device);
  const o = storageOf(out) as DeviceStorage;
  deviceCopy(out, () => s.cuda.copy(o.buffer, 0, s.buffer, 0, o.bytes));
  return out;
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

/**
 * Checks that `value` is a Tensor of `dtype` (and, if given, rank); a CUDA tensor must not be
 * disposed. @internal
 */
export function checkTensor<D extends DType>(name: string, value: unknown, dtype: D, rank?: number[]): Tensor<D> {
  if (!(value instanceof Tensor)) throw invalidArgType(name, `a Tensor (${dtype})`, value);
  if (value.dtype !== dtype) {
    throw invalidArgType(name, `a ${dtype} Tensor`, described(`a ${value.dtype} Tensor`));
  }
  if (value.device !== 'cpu') {
    if (value.disposed) throw new GnnError('ERR_GNN_DEVICE', `${name}: tensor on ${value.device} was disposed`);
  } else {
    checkNotDetached(name, value.data);
    if (value.data.length !== product(value.shape)) {
      throw new GnnError(
        'ERR_GNN_SHAPE_MISMATCH',
        `${name}: expected ${product(value.shape)} elements for shape [${value.shape.join(', ')}], got ${value.data.length}`,
      );
    }
  }
  if (rank !== undefined && !rank.includes(value.rank)) {
    throw new GnnError(
      'ERR_GNN_SHAPE_MISMATCH',
      `${name}: expected a Tensor of rank ${rank.join(' or ')}, got shape [${value.shape.join(', ')}]`,
    );
  }
  return value as Tensor<D>;
}
