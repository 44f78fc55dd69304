/**
 * One definition of each layer's forward, run two ways. A layer's `steps()` is a generator that
 * yields the ops it needs (each as a Pending: its sync and its async form) and receives their
 * results; runSync executes every op on the calling thread, runAsync awaits each off the event
 * loop. Containers compose with `yield*`.
 * @internal
 */
import type { Features } from '../csr-matrix';
import { CsrMatrix } from '../csr-matrix';
import type { Device } from '../device';
import { Graph } from '../graph';
import { Tensor, storageKey } from '../tensor';
import { withWorkspace } from '../ops/workspace';
import type { Workspace } from '../ops/workspace';
import * as ops from '../ops/index';
import { activeScope } from './scope';

export interface Pending {
  sync(): Tensor<'float32'>;
  async(): Promise<Tensor<'float32'>>;
  /** Estimated work (gathered or streamed elements; GEMM multiply-adds / 16). */
  work: number;
  /**
   * Where the op runs (default 'cpu'). In an async pass a CUDA op always takes its async form: a
   * sync one would queue on this thread's stream, which the next async op would have to wait for.
   */
  device?: Device;
}

/**
 * Ops with less work than this run inline in an async forward pass: a hop to a libuv thread and
 * back costs 35–110 µs (BENCHMARKS.md, per-call overhead), more than such an op's own time
 * (2^18 gathered elements is ~30 µs of spmm here). Larger ops run off the event loop.
 */
export const INLINE_WORK = 2 ** 18;

/** A forward pass: yields ops, receives their outputs, returns the layer's output (a layer that
 * passes its input through, such as Dropout, may return sparse features unchanged). */
export type Steps = Generator<Pending, Features, Tensor<'float32'>>;

/** Memory that reaches the caller: the result's (and the input's, which may pass through). */
function kept(result: Features | null, input: Features | null, keepResult: boolean): Set<object> {
  const keep = new Set<object>();
  if (keepResult && result instanceof Tensor) keep.add(storageKey(result));
  if (input instanceof Tensor) keep.add(storageKey(input));
  return keep;
}

/** Runs every op on the calling thread, op outputs from `ws` (see ops/workspace.ts). */
/**
 * With `keepResult` false (the caller copies the result into its own `out` before the workspace
 * is used again), the result's buffer returns to the workspace too.
 */
export function runSync(steps: Steps, ws: Workspace | null = null, input: Features | null = null, keepResult = true): Features {
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
    ws?.release(kept(result, input, keepResult));
  }
}

/** Runs the ops one after another, each off the event loop unless it is tiny (INLINE_WORK), op outputs from `ws`. */
export async function runAsync(steps: Steps, ws: Workspace | null = null, input: Features | null = null, keepResult = true): Promise<Features> {
  let result: Features | null = null;
  try {
    let r = steps.next();
    while (r.done !== true) {
      const pending = r.value;
      const inline = pending.work < INLINE_WORK && (pending.device ?? 'cpu') === 'cpu';
      r = steps.next(inline ? withWorkspace(ws, () => pending.sync()) : await withWorkspace(ws, () => pending.async()));
    }
    result = r.value;
    return result;
  } finally {
    ws?.release(kept(result, input, keepResult));
  }
}

type Args<F> = F extends (...a: infer A) => unknown ? A : never;

function pair<S extends (...a: never[]) => Tensor<'float32'>, A extends (...a: never[]) => Promise<Tensor<'float32'>>>(
  syncFn: S,
  asyncFn: A,
  cost: (...args: Args<S>) => number,
): (...args: Args<S>) => Pending {
  return (...args) => ({
    sync: () => syncFn(...(args as never[])),
    async: () => asyncFn(...(args as never[])),
    work: cost(...args),
    device: deviceOfArgs(args),
  });
}

/** The device of an op's arguments: that of its first tensor or graph (the op checks the rest). */
export function deviceOfArgs(args: readonly unknown[]): Device {
  for (const a of args) {
    if (a instanceof Tensor || a instanceof Graph) return a.device;
    if (Array.isArray(a) && a[0] instanceof Tensor) return a[0].device;
  }
  return 'cpu';
}

/** Elements of a tensor (or stored entries of sparse features). */
function size(t: unknown): number {
  if (t instanceof Tensor) return t.numel;
  if (t instanceof CsrMatrix) return t.nnz;
  return Infinity;
}

/** Columns of a 2-D tensor (1 for 1-D). */
function width(t: unknown): number {
  return t instanceof Tensor ? (t.shape.length > 1 ? t.numel / t.shape[0] : 1) : Infinity;
}

const streamed = (t: unknown): number => size(t);
const overEdges = (g: Graph, t: unknown): number => g.numEdges * Math.max(width(t), 1);

// A sparse x costs one multiply-add per stored entry and output column; a dense GEMM runs ~16
// multiply-adds per element of work at the widest SIMD width.
const linearWork = (x: unknown, w: Tensor): number => (x instanceof CsrMatrix ? x.nnz * w.shape[0] : (size(x) * w.shape[0]) / 16);
const spmmWork = (g: Graph, x: unknown): number => overEdges(g, x);
const linear = pair(ops.linearSync, ops.linear, linearWork);
const spmm = pair(ops.spmmSync, ops.spmm, spmmWork);

/** Work estimates for the ops a plan (quant/plan.ts) substitutes. @internal */
export const workOf = { linear: linearWork, spmm: spmmWork };

/** The ops a layer can yield. linear and spmm go through the plan of the forward pass, if any. */
export const op = {
  linear(...args: Args<typeof ops.linearSync>): Pending {
    const scope = activeScope();
    return (scope === null ? null : scope.plan.linear(args[0], args[1], args[2] as Record<string, unknown> | undefined, scope.modules)) ?? linear(...args);
  },
  spmm(...args: Args<typeof ops.spmmSync>): Pending {
    const scope = activeScope();
    return (scope === null ? null : scope.plan.spmm(args[0], args[1], args[2] as Record<string, unknown> | undefined, scope.modules)) ?? spmm(...args);
  },
  add: pair(ops.addSync, ops.add, streamed),
  scale: pair(ops.scaleSync, ops.scale, streamed),
  activation: pair(ops.activationSync, ops.activation, streamed),
  concat: pair(ops.concatSync, ops.concat, (parts) => parts.reduce((n, t) => n + size(t), 0)),
  indexSelect: pair(ops.indexSelectSync, ops.indexSelect, (x, index) => (index instanceof Tensor ? index.numel : index.length) * width(x)),
  sddmm: pair(ops.sddmmSync, ops.sddmm, (g, u) => overEdges(g, u)),
  edgeSoftmax: pair(ops.edgeSoftmaxSync, ops.edgeSoftmax, (g, s) => size(s) + g.numEdges),
  columnAffine: pair(ops.columnAffineSync, ops.columnAffine, streamed),
  layerNorm: pair(ops.layerNormSync, ops.layerNorm, streamed),
  graphLayerNorm: pair(ops.graphLayerNormSync, ops.graphLayerNorm, streamed),
  softmax: pair(ops.softmaxSync, ops.softmax, streamed),
  logSoftmax: pair(ops.logSoftmaxSync, ops.logSoftmax, streamed),
  gatv2Scores: pair(ops.gatv2ScoresSync, ops.gatv2Scores, (g, xl) => overEdges(g, xl)),
  gatAggregate: pair(
    (...a: Args<typeof ops.gatAggregateSync>) => ops.gatAggregateSync(...a) as Tensor<'float32'>,
    (...a: Args<typeof ops.gatAggregateSync>) => ops.gatAggregate(...a) as Promise<Tensor<'float32'>>,
    (g, x) => overEdges(g, x),
  ),
};

/**
 * x · Wᵀ, then aggregated over `graph` (spmm): the projection-first half of GCN, GraphConv and
 * SAGE. A plan may run the pair as one fused step (an int8 GEMM that writes int8 codes straight
 * into the int8 aggregation); otherwise the two ops run as op.linear and op.spmm.
 */
export function* project(x: Features, weight: Tensor<'float32'>, graph: Graph, options?: ops.SpmmOptions): Generator<Pending, Tensor<'float32'>, Tensor<'float32'>> {
  const scope = activeScope();
  const fused = scope?.plan.project?.(x, weight, graph, options as Record<string, unknown> | undefined, scope.modules) ?? null;
  if (fused !== null) return yield fused;
  const h = yield op.linear(x, weight);
  return yield op.spmm(graph, h, options);
}
