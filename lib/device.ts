/**
 * Devices: where a tensor's memory lives and where an op runs. `'cpu'`, or `'cuda:N'` for GPU N of
 * the CUDA build (`'cuda'` is accepted as `'cuda:0'`). Nothing here touches CUDA until a CUDA device
 * is asked for: then `cudaNative` checks that the build has CUDA, that a device answered and that the
 * index names one this build can run on, and says which of these failed (ERR_GNN_BACKEND_UNAVAILABLE).
 */
import { addon } from './backend';
import { GnnError, invalidArgType, invalidArgValue } from './errors';
import type { NativeCuda } from './native-cuda-types';
import { loadNative } from './native';

/** A device as tensors and graphs report it: `'cpu'` or `'cuda:N'`. */
export type Device = 'cpu' | `cuda:${number}`;

/** A device as `to()` accepts it: a {@link Device}, or `'cuda'` for `'cuda:0'`. */
export type DeviceSpec = Device | 'cuda';

const MAX_DEVICE_INDEX = 1023;
const CUDA_PATTERN = /^cuda:(0|[1-9][0-9]{0,3})$/;

/** The canonical device of `value` ('cuda' → 'cuda:0'); anything else is ERR_INVALID_ARG_VALUE. */
export function parseDevice(value: unknown, name = 'device'): Device {
  if (typeof value !== 'string') throw invalidArgType(name, "a device string ('cpu', 'cuda' or 'cuda:N')", value);
  if (value === 'cpu') return 'cpu';
  if (value === 'cuda') return 'cuda:0';
  const m = CUDA_PATTERN.exec(value);
  if (m === null || Number(m[1]) > MAX_DEVICE_INDEX) {
    throw invalidArgValue(name, `'cpu', 'cuda' or 'cuda:N' with N an integer in [0, ${MAX_DEVICE_INDEX}]`, value);
  }
  return value as Device;
}

/** The index N of 'cuda:N' (-1 for 'cpu'). */
export function cudaIndex(device: Device): number {
  return device === 'cpu' ? -1 : Number(device.slice(5));
}

let testImpl: NativeCuda | undefined;
// Devices already checked against the probe, per implementation (the probe is cached natively,
// but its answer is an object built on each call; ops ask on every call).
let checked = new WeakMap<NativeCuda, Set<number>>();

/**
 * Substitutes the CUDA half of the addon (a test double over host memory: test/helpers/fake-cuda.ts);
 * undefined restores the addon's own. Tensors and graphs made under one implementation must not be
 * used under another.
 * @internal
 */
export function setCudaNativeForTesting(impl: NativeCuda | undefined): void {
  testImpl = impl;
  checked = new WeakMap();
  queued.clear();
}

/** The CUDA implementation if this build has one (the test double when one is set), never throwing. @internal */
export function cudaImplementation(): NativeCuda | undefined {
  return testImpl ?? addon().cuda;
}

/**
 * The CUDA half of the addon, checked for device `index`: ERR_GNN_BACKEND_UNAVAILABLE says why not
 * (the CPU build, the probe's reason, no such device, or a device this build has no code for).
 * @internal
 */
export function cudaNative(index = 0): NativeCuda {
  const cuda = cudaImplementation();
  const name = `cuda:${index}`;
  if (cuda === undefined) throw new GnnError('ERR_GNN_BACKEND_UNAVAILABLE', `${name}: CUDA is not available: ${loadNative().cudaNote}`);
  let seen = checked.get(cuda);
  if (seen?.has(index) === true) return cuda;
  const probe = cuda.probe();
  if (!probe.available) throw new GnnError('ERR_GNN_BACKEND_UNAVAILABLE', `${name}: CUDA is not available: ${probe.reason}`);
  const info = probe.devices[index];
  if (info === undefined) {
    const list = probe.devices.map((d) => `cuda:${d.index} (${d.name})`).join(', ');
    throw new GnnError('ERR_GNN_BACKEND_UNAVAILABLE', `${name}: no such device; this machine has ${probe.devices.length}: ${list}`);
  }
  if (!info.supported) {
    throw new GnnError(
      'ERR_GNN_BACKEND_UNAVAILABLE',
      `${name} (${info.name}, compute capability ${info.computeCapability}) is not supported by this build (architectures ${probe.architectures}); rebuild with CUDAARCHS including ${info.computeCapability.replace('.', '')}`,
    );
  }
  if (seen === undefined) checked.set(cuda, (seen = new Set()));
  seen.add(index);
  return cuda;
}

/** The CUDA implementation for a device string (checked as cudaNative). @internal */
export function cudaFor(device: Device): NativeCuda {
  return cudaNative(cudaIndex(device));
}

/** Anything that lives on a device: tensors, graphs, quantized tensors. */
export interface OnDevice {
  readonly device: Device;
}

/**
 * The one device of an op's arguments (null and undefined entries are skipped; none at all is
 * 'cpu'), or ERR_GNN_DEVICE naming each argument and its device.
 * @internal
 */
export function commonDevice(op: string, args: ReadonlyArray<readonly [string, OnDevice | null | undefined]>): Device {
  let device: Device | null = null;
  for (const [, value] of args) {
    if (value === null || value === undefined) continue;
    if (device === null) device = value.device;
    else if (value.device !== device) {
      const list = args.filter(([, v]) => v !== null && v !== undefined).map(([n, v]) => `${n} on ${(v as OnDevice).device}`);
      throw new GnnError('ERR_GNN_DEVICE', `${op}: expected all inputs on one device, got ${list.join(', ')}`);
    }
  }
  return device ?? 'cpu';
}

/** ERR_GNN_DEVICE for an op or path that has no CUDA implementation. @internal */
export function cpuOnly(op: string, what: string, device: Device): GnnError {
  return new GnnError('ERR_GNN_DEVICE', `${op}: runs on the CPU only (no CUDA kernel), got ${what} on ${device}; move it with .to('cpu')`);
}

// Devices with work queued on the calling thread's stream (cudaStreamPerThread) since the last
// synchronize. An async op runs on a libuv thread's own stream, which is not ordered after that
// work, so before one starts, queued work is waited for (see beforeAsync).
const queued = new Set<number>();

/** Records that work was queued on this thread's stream of `device` (a *Sync op, a copy, a fill). @internal */
export function noteQueued(device: Device): void {
  if (device !== 'cpu') queued.add(cudaIndex(device));
}

/**
 * Makes work queued on this thread's stream visible to an async op about to start on another
 * stream: synchronizes the device when anything was queued since the last time. @internal
 */
export function beforeAsync(cuda: NativeCuda, device: Device): void {
  const index = cudaIndex(device);
  if (!queued.has(index)) return;
  cuda.synchronize(index);
  queued.delete(index);
}
