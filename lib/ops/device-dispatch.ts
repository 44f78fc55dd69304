/**
 * How an op runs on a CUDA device. Every op checks its arguments once, device-independently; then
 * `opDevice` says where its inputs are (all on one device, else ERR_GNN_DEVICE), and an op on a
 * CUDA device calls the addon's `cuda.<op>Sync` / `cuda.<op>Async` with device buffers in place of
 * typed arrays, through `cudaSync` / `cudaAsync` here: errors mapped as on the CPU (the async form
 * keeps the caller's stack and goes through the same job queue), temporaries released once the
 * work no longer needs them, and the ordering between the calling thread's stream and the streams
 * of async ops kept (lib/device.ts, beforeAsync).
 * @internal
 */
import { beforeAsync, commonDevice, cpuOnly, cudaFor, noteQueued } from '../device';
import type { Device, OnDevice } from '../device';
import { GnnError, fromNative } from '../errors';
import type { DeviceBuffer, NativeCuda } from '../native-cuda-types';
import { Tensor, allocateOn, deviceBuffer } from '../tensor';
import type { DType } from '../tensor';
import { enqueue } from './queue';
import { allocateScratch } from './workspace';

export { cpuOnly };

/** The device of an op's graph and tensors (null / undefined skipped), or ERR_GNN_DEVICE. */
export function opDevice(op: string, ...args: Array<readonly [string, OnDevice | null | undefined]>): Device {
  return commonDevice(op, args);
}

/** The device buffer of a CUDA tensor argument. */
export function buf(name: string, t: Tensor): DeviceBuffer {
  return deviceBuffer(name, t);
}

/** The device buffer of an optional CUDA tensor argument, or null. */
export function optBuf(name: string, t: Tensor | null | undefined): DeviceBuffer | null {
  return t === null || t === undefined ? null : deviceBuffer(name, t);
}

/**
 * Device temporaries of one op call (quantized inputs, uploaded index arrays): taken from the
 * forward pass's workspace when one is active (it keeps them), otherwise fresh and released by
 * `release()` once the op's work is queued (Sync: the free is ordered after it on the same stream)
 * or finished (Async).
 */
export class Scratch {
  readonly #owned: Tensor[] = [];

  constructor(readonly device: Device) {}

  take<D extends DType>(shape: readonly number[], dtype: D): Tensor<D> {
    const t = allocateScratch(shape, dtype, this.device);
    if (t.owned) this.#owned.push(t.tensor);
    return t.tensor;
  }

  /** An int32 index array uploaded to the device. */
  upload(index: Int32Array): Tensor<'int32'> {
    const t = this.take([index.length], 'int32');
    const cuda = cudaFor(this.device);
    try {
      cuda.upload(deviceBuffer('index', t), 0, index);
    } catch (error) {
      throw fromNative(error);
    }
    return t;
  }

  release(): void {
    for (const t of this.#owned.splice(0)) t.dispose();
  }
}

/** Runs the Sync form of a CUDA op on the calling thread's stream; returns `result`. */
export function cudaSync<T>(device: Device, fn: (cuda: NativeCuda) => void, result: T, scratch?: Scratch): T {
  try {
    fn(cudaFor(device));
  } catch (error) {
    scratch?.release();
    throw fromNative(error);
  }
  noteQueued(device);
  scratch?.release();
  return result;
}

/**
 * Runs the Async form of a CUDA op through the job queue; resolves with `result` once the work has
 * finished. `site` is an Error made where the user called us (the rejection carries its stack).
 */
export function cudaAsync<T>(site: Error, device: Device, fn: (cuda: NativeCuda) => Promise<unknown>, result: T, scratch?: Scratch): Promise<T> {
  const job = (): Promise<unknown> => {
    const cuda = cudaFor(device);
    beforeAsync(cuda, device);
    return fn(cuda);
  };
  return enqueue(job).then(
    () => {
      scratch?.release();
      return result;
    },
    (error: unknown) => {
      scratch?.release();
      throw fromNative(error, site);
    },
  );
}

/** ERR_GNN_DEVICE unless `t` (the caller's `out`) is on `device`. */
export function checkOutDevice(name: string, t: OnDevice, device: Device): void {
  if (t.device !== device) {
    throw new GnnError('ERR_GNN_DEVICE', `${name}: expected a tensor on ${device} (where the inputs are), got one on ${t.device}`);
  }
}

/**
 * A Float32Array argument is host memory: fine for a CPU op, ERR_GNN_DEVICE for a CUDA one (a
 * Tensor on the device is what it takes).
 */
export function hostArrayOnDevice(name: string, device: Device): GnnError {
  return new GnnError('ERR_GNN_DEVICE', `${name}: expected a float32 Tensor on ${device} (the op runs there), got a Float32Array (host memory)`);
}

/** A new float32 tensor of `shape` on `device`, not from any workspace (results the caller keeps). */
export function freshOutput(shape: readonly number[], device: Device): Tensor<'float32'> {
  return allocateOn(shape, 'float32', device);
}

/** The device buffer of an index argument: its tensor's, or its host array uploaded into `scratch`. */
export function indexBuffer(name: string, idx: { host: Int32Array | null; tensor: Tensor<'int32'> | null }, scratch: Scratch): DeviceBuffer {
  if (idx.tensor !== null && idx.tensor.device !== 'cpu') return deviceBuffer(name, idx.tensor);
  if (idx.host === null) throw new GnnError('ERR_GNN_INTERNAL', `${name}: no indices`);
  return deviceBuffer(name, scratch.upload(idx.host));
}
