/**
 * Pieces shared by the op wrappers: calling the addon with error mapping, and output checks.
 * @internal
 */
import type { Device } from '../device';
import { GnnError, fromNative } from '../errors';
import { Tensor, checkTensor, sameStorage } from '../tensor';
import { checkOutDevice } from './device-dispatch';
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

/** An op input for the overlap checks: a tensor (on any device) or a host view. */
export type OpInput = Tensor | ArrayBufferView | null | undefined;

/** True when `out` shares memory with `input` (on a CUDA device: the same device memory). */
export function overlapsInput(out: Tensor, input: OpInput): boolean {
  if (input === null || input === undefined) return false;
  if (out.device !== 'cpu') return input instanceof Tensor && sameStorage(out, input);
  return overlaps(out.data, input instanceof Tensor ? input.data : input);
}

/**
 * The output tensor: the caller's `out` (checked for dtype, shape, device and overlap with the
 * inputs) or a new one on `device` (zero-filled on the CPU).
 */
export function outputTensor(out: unknown, shape: readonly number[], inputs: ReadonlyArray<OpInput>, device: Device = 'cpu'): Tensor<'float32'> {
  if (out === undefined) return allocateOutput(shape, 'float32', device);
  const t = checkTensor('out', out, 'float32');
  checkOutDevice('out', t, device);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `out: expected shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
  for (const input of inputs) {
    if (overlapsInput(t, input)) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', 'out: expected memory separate from the inputs, got a view that overlaps one');
    }
  }
  return t;
}
