/**
 * One definition of each layer's forward, run two ways. A layer's `steps()` is a generator that
 * yields the ops it needs (each as a Pending: its sync and its async form) and receives their
 * results; runSync executes every op on the calling thread, runAsync awaits each off the event
 * loop. Containers compose with `yield*`.
 * @internal
 */
import type { Features } from '../csr-matrix';
import { Tensor } from '../tensor';
import { withWorkspace } from '../ops/workspace';
import type { Workspace } from '../ops/workspace';
import * as ops from '../ops/index';

export interface Pending {
  sync(): Tensor<'float32'>;
  async(): Promise<Tensor<'float32'>>;
}

/** A forward pass: yields ops, receives their outputs, returns the layer's output (a layer that
 * passes its input through, such as Dropout, may return sparse features unchanged). */
export type Steps = Generator<Pending, Features, Tensor<'float32'>>;

/** Buffers that reach the caller: the result's (and the input's, which may pass through). */
function kept(result: Features | null, input: Features | null): Set<ArrayBufferLike> {
  const keep = new Set<ArrayBufferLike>();
  if (result instanceof Tensor) keep.add(result.data.buffer);
  if (input instanceof Tensor) keep.add(input.data.buffer);
  return keep;
}

/** Runs every op on the calling thread, op outputs from `ws` (see ops/workspace.ts). */
export function runSync(steps: Steps, ws: Workspace | null = null, input: Features | null = null): Features {
  let result: Features | null = null;
  try {
    let r = steps.next();
    while (r.done !== true) {
      const pending = r.value;
      r = steps.next(withWorkspace(ws, () => pending.sync()));
    }
    result = r.value;
    return result;
  } finally {
    ws?.release(kept(result, input));
  }
}

/** Runs every op off the event loop, one after another, op outputs from `ws`. */
export async function runAsync(steps: Steps, ws: Workspace | null = null, input: Features | null = null): Promise<Features> {
  let result: Features | null = null;
  try {
    let r = steps.next();
    while (r.done !== true) {
      const pending = r.value;
      r = steps.next(await withWorkspace(ws, () => pending.async()));
    }
    result = r.value;
    return result;
  } finally {
    ws?.release(kept(result, input));
  }
}

type Args<F> = F extends (...a: infer A) => unknown ? A : never;

function pair<S extends (...a: never[]) => Tensor<'float32'>, A extends (...a: never[]) => Promise<Tensor<'float32'>>>(
  syncFn: S,
  asyncFn: A,
): (...args: Args<S>) => Pending {
  return (...args) => ({
    sync: () => syncFn(...(args as never[])),
    async: () => asyncFn(...(args as never[])),
  });
}

/** The ops a layer can yield. */
export const op = {
  linear: pair(ops.linearSync, ops.linear),
  spmm: pair(ops.spmmSync, ops.spmm),
  add: pair(ops.addSync, ops.add),
  scale: pair(ops.scaleSync, ops.scale),
  activation: pair(ops.activationSync, ops.activation),
  concat: pair(ops.concatSync, ops.concat),
  indexSelect: pair(ops.indexSelectSync, ops.indexSelect),
  sddmm: pair(ops.sddmmSync, ops.sddmm),
  edgeSoftmax: pair(ops.edgeSoftmaxSync, ops.edgeSoftmax),
  columnAffine: pair(ops.columnAffineSync, ops.columnAffine),
  layerNorm: pair(ops.layerNormSync, ops.layerNorm),
  graphLayerNorm: pair(ops.graphLayerNormSync, ops.graphLayerNorm),
  gatv2Scores: pair(ops.gatv2ScoresSync, ops.gatv2Scores),
  gatAggregate: pair(
    (...a: Args<typeof ops.gatAggregateSync>) => ops.gatAggregateSync(...a) as Tensor<'float32'>,
    (...a: Args<typeof ops.gatAggregateSync>) => ops.gatAggregate(...a) as Promise<Tensor<'float32'>>,
  ),
  /** A value already at hand (for uniform code paths). */
  value: (t: Tensor<'float32'>): Pending => ({ sync: () => t, async: () => Promise.resolve(t) }),
};
