/**
 * Pieces shared by the op wrappers: calling the addon with error mapping, and output checks.
 * @internal
 */
import { GnnError, fromNative } from '../errors';
import { Tensor, checkTensor } from '../tensor';
import { enqueue } from './queue';
import { allocateOutput } from './workspace';

/** Runs a synchronous native call, mapping its errors to this package's types. */
export function callSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw fromNative(error);
  }
}

/**
 * Runs an async native call through the job queue. `site` is an Error created where the user
 * called us, so a failure carries the user's stack.
 */
export function callAsync<T>(site: Error, fn: () => Promise<unknown>, result: T): Promise<T> {
  return enqueue(fn).then(
    () => result,
    (error: unknown) => {
      throw fromNative(error, site);
    },
  );
}

/** True when two views share bytes of one buffer. */
export function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * The output tensor: the caller's `out` (checked for dtype, shape and overlap with the inputs)
 * or a new zero-filled one.
 */
export function outputTensor(
  out: unknown,
  shape: readonly number[],
  inputs: ReadonlyArray<ArrayBufferView | null>,
): Tensor<'float32'> {
  if (out === undefined) return allocateOutput(shape);
  const t = checkTensor('out', out, 'float32');
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `out: expected shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
  for (const input of inputs) {
    if (input !== null && overlaps(t.data, input)) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', 'out: expected memory separate from the inputs, got a view that overlaps one');
    }
  }
  return t;
}
