/**
 * The packed-weight cache of `quantizedLinear`, as ./packed-weight.ts is for `linear`: each
 * QuantizedWeight is packed once into the int8 GEMM's panel layout (with its column sums, for
 * the zero-point compensation) and the packed copy kept beside it in a WeakMap keyed by the
 * weight object. One layout serves every int8 path, so changing the SIMD level or VNNI switch
 * never repacks.
 *
 * A weight's codes must not change after its first use; after changing them in place call
 * `packQuantizedWeight(weight)` (repack now) or `releaseQuantizedWeight(weight)`.
 */
import { addon } from '../backend';
import { invalidArgType } from '../errors';
import { QuantizedWeight } from '../quantized';
import { callSync } from './common';

const cache = new WeakMap<QuantizedWeight, Int8Array>();

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

/** Drops the cached packed copy; returns whether there was one. Running jobs keep theirs. */
export function releaseQuantizedWeight(weight: QuantizedWeight): boolean {
  if (!(weight instanceof QuantizedWeight)) throw invalidArgType('weight', 'a QuantizedWeight', weight);
  return cache.delete(weight);
}
