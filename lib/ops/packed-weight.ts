/**
 * The packed-weight cache of `linear`. The GEMM reads a weight only in the panel layout of its
 * micro-kernel, so each weight Tensor is packed once and the packed copy kept beside it, keyed by
 * the Tensor object in a WeakMap: it lives exactly as long as the weight does, each worker_thread
 * has its own, and async jobs hold the copy they read until they settle.
 *
 * The packed copy is an ordinary JS-owned Float32Array rather than a native handle: V8 accounts
 * for its memory (a model's packed weights are as large as the weights), no finalizer or native
 * registry is needed, and an async job keeps it alive with the same reference it keeps on x.
 *
 * A weight's data must not change after it is first used by `linear`: the cache is keyed by the
 * Tensor, not by its contents. After changing a weight in place, call `packLinearWeight(weight)`
 * (repack now) or `releasePackedWeight(weight)` (repack on next use).
 */
import { addon } from '../backend';
import type { SimdLevel } from '../backend';
import { Tensor, checkTensor } from '../tensor';
import { callSync } from './common';
import { cpuOnly } from './device-dispatch';

/** One packed weight: the layout it was packed for (the SIMD level's micro-kernel) and the data. @internal */
export interface PackedWeight {
  readonly layout: number;
  readonly m: number;
  readonly k: number;
  readonly data: Float32Array;
}

/** What `packLinearWeight` reports. */
export interface PackedWeightInfo {
  /** SIMD level whose micro-kernel the packed copy is laid out for. */
  simd: SimdLevel;
  /** Bytes of the packed copy (the weight's bytes, plus padding of the last column panel). */
  bytes: number;
}

const LAYOUT_NAMES: readonly SimdLevel[] = ['scalar', 'avx2', 'avx512'];

const cache = new WeakMap<Tensor, PackedWeight>();
// Bumped by every explicit pack or release, so an async first use that finishes afterwards does
// not put back a copy the caller has just dropped or replaced.
const generations = new WeakMap<Tensor, number>();

/** The cached packed copy of `weight` for `layout`, if there is one. @internal */
export function cachedPackedWeight(weight: Tensor, layout: number): PackedWeight | undefined {
  const entry = cache.get(weight);
  if (entry === undefined || entry.layout !== layout) return undefined;
  return entry;
}

/** A zero-filled, 64-byte aligned buffer for the packed copy of an [m, k] weight. @internal */
export function allocatePacked(layout: number, m: number, k: number): Float32Array {
  const length = addon().packedWeightLength(layout, m, k);
  const bytes = length * 4;
  if (bytes < 256) return new Float32Array(length);
  const buffer = new ArrayBuffer(bytes + 64);
  const misalignment = addon().alignmentOf(buffer);
  return new Float32Array(buffer, (64 - misalignment) % 64, length);
}

/** The weight's generation, to pass to storePackedWeight after an async pack. @internal */
export function packGeneration(weight: Tensor): number {
  return generations.get(weight) ?? 0;
}

/** Caches a packed copy unless the weight was explicitly packed or released since `generation`. @internal */
export function storePackedWeight(weight: Tensor, entry: PackedWeight, generation: number): void {
  if (packGeneration(weight) === generation) cache.set(weight, entry);
}

function bump(weight: Tensor): void {
  generations.set(weight, packGeneration(weight) + 1);
}

/**
 * Packs a weight [M, K] for `linear` now, for the active SIMD level, replacing any cached copy.
 * Call it when a model is loaded to keep packing out of the first request, and after changing a
 * weight's data in place. CPU weights only (the CUDA GEMM reads a weight as it is: a weight on a
 * CUDA device is ERR_GNN_DEVICE).
 */
export function packLinearWeight(weight: Tensor<'float32'>): PackedWeightInfo {
  const wt = checkTensor('weight', weight, 'float32', [2]);
  if (wt.device !== 'cpu') throw cpuOnly('packLinearWeight', 'weight', wt.device);
  const [m, k] = wt.shape;
  const a = addon();
  const layout = a.gemmLayout();
  const data = callSync(() => a.packWeightSync(wt.data, m, k, layout, allocatePacked(layout, m, k)));
  bump(wt);
  cache.set(wt, { layout, m, k, data });
  return { simd: LAYOUT_NAMES[layout], bytes: data.byteLength };
}

/**
 * Drops the cached packed copy of a weight (the next `linear` with it packs again). Returns
 * whether there was one. Jobs already running keep the copy they read.
 */
export function releasePackedWeight(weight: Tensor<'float32'>): boolean {
  if (!(weight instanceof Tensor)) checkTensor('weight', weight, 'float32');
  bump(weight);
  return cache.delete(weight);
}
