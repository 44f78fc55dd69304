/**
 * The packed-weight cache of `quantizedLinear`, as ./packed-weight.ts is for `linear`: each
 * QuantizedWeight is packed once into the int8 GEMM's panel layout (with its column sums, for
 * the zero-point compensation) and the packed copy kept beside it in a WeakMap keyed by the
 * weight object. One layout serves every int8 path, so changing the SIMD level or VNNI switch
 * never repacks.
 *
 * On a CUDA device the int8 GEMM reads the plain [M, K] codes: each QuantizedWeight gets one
 * device copy of its codes and scales per device, uploaded on first use (or when a model moves:
 * Module.to) and kept beside it the same way.
 *
 * A weight's codes must not change after its first use; after changing them in place call
 * `packQuantizedWeight(weight)` (repack now) or `releaseQuantizedWeight(weight)`.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { invalidArgType } from '../errors';
import { QuantizedWeight } from '../quantized';
import { Tensor } from '../tensor';
import { callSync } from './common';

const cache = new WeakMap<QuantizedWeight, Int8Array>();

/** A QuantizedWeight's codes [M, K] and scales [M] on one CUDA device. @internal */
export interface DeviceQuantizedWeight {
  readonly codes: Tensor<'int8'>;
  readonly scale: Tensor<'float32'>;
}

const deviceCopies = new WeakMap<QuantizedWeight, Map<Device, DeviceQuantizedWeight>>();

/** The copy of `weight` on a CUDA `device`, uploaded on first use. @internal */
export function deviceQuantizedWeight(weight: QuantizedWeight, device: Device): DeviceQuantizedWeight {
  let copies = deviceCopies.get(weight);
  const hit = copies?.get(device);
  if (hit !== undefined && !hit.codes.disposed && !hit.scale.disposed) return hit;
  const codes = weight.data.to(device);
  let scale: Tensor<'float32'>;
  try {
    scale = Tensor.from(weight.scale).to(device);
  } catch (error) {
    codes.dispose();
    throw error;
  }
  if (copies === undefined) deviceCopies.set(weight, (copies = new Map()));
  const copy = { codes, scale };
  copies.set(device, copy);
  return copy;
}

/** Releases the device copies of `weight` (on `device`, or on every device). Returns whether there were any. @internal */
export function releaseDeviceQuantizedWeight(weight: QuantizedWeight, device?: Device): boolean {
  const copies = deviceCopies.get(weight);
  if (copies === undefined) return false;
  let any = false;
  for (const [d, copy] of [...copies]) {
    if (device !== undefined && d !== device) continue;
    copy.codes.dispose();
    copy.scale.dispose();
    copies.delete(d);
    any = true;
  }
  return any;
}

function allocate(bytes: number): Int8Array {
  const buffer = new ArrayBuffer(bytes + 64);
  const misalignment = addon().alignmentOf(buffer);
  return new Int8Array(buffer, (64 - misalignment) % 64, bytes);
}

function pack(weight: QuantizedWeight): Int8Array {
  const [m, k] = weight.shape;
  const a = addon();
  return callSync(() => a.packQWeightSync(weight.data.data, m, k, allocate(a.packedQWeightBytes(m, k))));
}

/** The packed copy of `weight`, packing it on first use. @internal */
export function packedQuantizedWeight(weight: QuantizedWeight): Int8Array {
  let packed = cache.get(weight);
  if (packed === undefined) {
    packed = pack(weight);
    cache.set(weight, packed);
  }
  return packed;
}

/** Packs a QuantizedWeight for quantizedLinear now (e.g. at model load), replacing any cached copy. Returns its bytes. */
export function packQuantizedWeight(weight: QuantizedWeight): number {
  if (!(weight instanceof QuantizedWeight)) throw invalidArgType('weight', 'a QuantizedWeight', weight);
  const packed = pack(weight);
  cache.set(weight, packed);
  return packed.byteLength;
}

/**
 * Drops the cached packed copy, and releases the device copies; returns whether there was any.
 * Running CPU jobs keep theirs (a CUDA job must have finished first: its copy is freed).
 */
export function releaseQuantizedWeight(weight: QuantizedWeight): boolean {
  if (!(weight instanceof QuantizedWeight)) throw invalidArgType('weight', 'a QuantizedWeight', weight);
  const device = releaseDeviceQuantizedWeight(weight);
  return cache.delete(weight) || device;
}
