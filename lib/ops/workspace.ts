/**
 * Reuse of intermediate outputs across forward passes. Fresh memory costs a page fault on first
 * touch (~11 µs per 4 KiB page here: 128 MiB of output is ~0.36 s), far more than the kernels that
 * fill it, so a model keeps the buffers of its intermediate results and hands them to the next
 * forward pass of the same shapes. On a CUDA device the same reuse spares the pool a round trip per
 * intermediate and keeps a model's device memory steady from one pass to the next.
 *
 * A Workspace belongs to one forward pass at a time (concurrent passes of one model each take
 * their own). While an op of that pass is being prepared, `withWorkspace` makes it the source of
 * op outputs: the op's output allocation (`allocateOutput`, used where an op allocates its `out`)
 * takes a free buffer of the same device, dtype and length instead of new memory. The scope is
 * synchronous and restored in `finally`, so nothing else ever sees it. When the pass ends, every
 * buffer it took returns to the workspace except those that reach the caller (the result), ready
 * for the next pass. Kernels write every element of their output (the tests poison outputs), so a
 * reused buffer needs no clearing.
 * @internal
 */
import type { Device } from '../device';
import { Tensor, allocateOn, storageKey } from '../tensor';
import type { DType } from '../tensor';

/** Free lists are keyed by device, dtype and length. */
const keyOf = (device: Device, dtype: DType, numel: number): string => `${device}:${dtype}:${numel}`;

export class Workspace {
  readonly #free = new Map<string, Tensor[]>();
  #taken: Array<{ key: string; tensor: Tensor }> = [];

  /** A tensor of `shape` over a free buffer of its device, dtype and length, or new memory. */
  take<D extends DType = 'float32'>(shape: readonly number[], dtype: D = 'float32' as D, device: Device = 'cpu'): Tensor<D> {
    const numel = shape.reduce((a, b) => a * b, 1);
    const key = keyOf(device, dtype, numel);
    const list = this.#free.get(key);
    let free = list?.pop() as Tensor<D> | undefined;
    while (free !== undefined && free.disposed) free = list?.pop() as Tensor<D> | undefined;
    const t = free === undefined ? allocateOn(shape, dtype, device) : free.reshape(shape);
    this.#taken.push({ key, tensor: t });
    return t;
  }

  /** Returns every buffer taken since the last release, except those whose memory is in `keep`, to the free lists. */
  release(keep: ReadonlySet<object>): void {
    for (const { key, tensor } of this.#taken) {
      if (keep.has(storageKey(tensor))) continue;
      const list = this.#free.get(key);
      if (list === undefined) this.#free.set(key, [tensor]);
      else list.push(tensor);
    }
    this.#taken = [];
  }

  /** Bytes held for reuse. */
  get bytes(): number {
    let n = 0;
    for (const list of this.#free.values()) for (const t of list) n += t.disposed ? 0 : t.byteLength;
    return n;
  }

  /** Releases the device memory held for reuse (CPU buffers go to the garbage collector). */
  dispose(): void {
    for (const list of this.#free.values()) for (const t of list) t.dispose();
    this.#free.clear();
  }
}

let active: Workspace | null = null;

/** Runs `fn` (which prepares one op) with `ws` as the source of op outputs. */
export function withWorkspace<T>(ws: Workspace | null, fn: () => T): T {
  const previous = active;
  active = ws;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

/**
 * An op's output of `shape` (float32 unless `dtype` says otherwise) on `device`: from the active
 * workspace, else new memory (zeroed on the CPU; uninitialised on a CUDA device, which the kernel
 * writes in full).
 */
export function allocateOutput<D extends DType = 'float32'>(shape: readonly number[], dtype: D = 'float32' as D, device: Device = 'cpu'): Tensor<D> {
  return active !== null ? active.take(shape, dtype, device) : allocateOn(shape, dtype, device);
}

/**
 * A temporary of one op call: from the active workspace (which keeps it: `owned` false), else new
 * memory the caller releases once the op no longer needs it (`owned` true).
 */
export function allocateScratch<D extends DType>(shape: readonly number[], dtype: D, device: Device): { tensor: Tensor<D>; owned: boolean } {
  if (active !== null) return { tensor: active.take(shape, dtype, device), owned: false };
  return { tensor: allocateOn(shape, dtype, device), owned: true };
}
