/**
 * Reuse of intermediate outputs across forward passes. Fresh memory costs a page fault on first
 * touch (~11 µs per 4 KiB page here: 128 MiB of output is ~0.36 s), far more than the kernels that
 * fill it, so a model keeps the buffers of its intermediate results and hands them to the next
 * forward pass of the same shapes.
 *
 * A Workspace belongs to one forward pass at a time (concurrent passes of one model each take
 * their own). While an op of that pass is being prepared, `withWorkspace` makes it the source of
 * op outputs: the op's output allocation (`allocateOutput`, used where an op allocates its `out`)
 * takes a free buffer of the same length instead of new memory. The scope is synchronous and
 * restored in `finally`, so nothing else ever sees it. When the pass ends, every buffer it took
 * returns to the workspace except those that reach the caller (the result), ready for the next
 * pass. Kernels write every element of their output (the tests poison outputs), so a reused
 * buffer needs no clearing.
 * @internal
 */
import { Tensor } from '../tensor';
import type { DType, SupportedTypedArray, TypedArrayFor } from '../tensor';

/** Free lists are keyed by dtype and length. */
const keyOf = (dtype: DType, numel: number): string => `${dtype}:${numel}`;

export class Workspace {
  readonly #free = new Map<string, SupportedTypedArray[]>();
  #taken: Array<{ key: string; data: SupportedTypedArray }> = [];

  /** A tensor of `shape` over a free buffer of its dtype and length, or new memory. */
  take<D extends DType = 'float32'>(shape: readonly number[], dtype: D = 'float32' as D): Tensor<D> {
    const numel = shape.reduce((a, b) => a * b, 1);
    const key = keyOf(dtype, numel);
    const data = this.#free.get(key)?.pop() as TypedArrayFor<D> | undefined;
    const t = data === undefined ? Tensor.zeros(shape, dtype) : (Tensor.from(data, shape) as unknown as Tensor<D>);
    this.#taken.push({ key, data: t.data });
    return t;
  }

  /** Returns every buffer taken since the last release, except those in `keep`, to the free lists. */
  release(keep: ReadonlySet<ArrayBufferLike>): void {
    for (const { key, data } of this.#taken) {
      if (keep.has(data.buffer)) continue;
      const list = this.#free.get(key);
      if (list === undefined) this.#free.set(key, [data]);
      else list.push(data);
    }
    this.#taken = [];
  }

  /** Bytes held for reuse. */
  get bytes(): number {
    let n = 0;
    for (const list of this.#free.values()) for (const d of list) n += d.byteLength;
    return n;
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

/** An op's output of `shape` (float32 unless `dtype` says otherwise): from the active workspace, else new zeroed memory. */
export function allocateOutput<D extends DType = 'float32'>(shape: readonly number[], dtype: D = 'float32' as D): Tensor<D> {
  return active !== null ? active.take(shape, dtype) : Tensor.zeros(shape, dtype);
}
