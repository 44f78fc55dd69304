/**
 * pruningReport(model, pruned, graph, x, labels?, options): what pruning saved and what it cost,
 * measured on one input.
 *   parameters  stored parameters (a magnitude-pruned weight counts its nonzeros)
 *   bytes       parameter storage (sparse weights: CSR arrays)
 *   flops       multiply-adds × 2 of the linears and aggregations as they execute: a dense GEMM
 *               2·N·M·K (zeros included), the sparse-weight kernel 2·N·nnz, an spmm 2·E·F
 *               (attention and element-wise ops are not counted)
 *   latencyMs   median forwardSync time (interleaved repeats after warm-up)
 *   agreement   argmax agreement of the two outputs; accuracy of both with labels
 * `prunedGraph` runs the pruned model on another graph (edge pruning).
 */
import { invalidArgType } from '../errors';
import { CsrMatrix } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import { Tensor } from '../tensor';
import { checkOptions } from '../validate';
import { comparePredictions } from '../predictions';
import { Module } from '../nn/module';
import type { ForwardContext } from '../nn/module';
import type { ForwardPlan } from '../nn/scope';
import type { Pending } from '../nn/steps';
import type { SparseWeight } from '../sparse-weight';

export interface PruningReport {
  parameters: { original: number; pruned: number };
  bytes: { original: number; pruned: number };
  flops: { original: number; pruned: number };
  latencyMs: { original: number; pruned: number };
  agreement: number;
  accuracy?: { original: number; pruned: number };
  rows: number;
}

export interface PruningReportOptions {
  mask?: ArrayLike<boolean | number>;
  context?: Omit<ForwardContext, 'out'>;
  /** The graph the pruned model runs on (default: `graph`). */
  prunedGraph?: Graph;
  /** Timed repeats of each model (default 20). */
  repeats?: number;
}

type Sites = ReadonlyMap<Tensor, { weight: SparseWeight | { byteLength: number } }>;

/** Counts the flops of linears and aggregations, delegating to the model's own plan. */
class FlopCounter implements ForwardPlan {
  readonly kind = 'flops';
  flops = 0;

  constructor(readonly inner: ForwardPlan | null) {}

  linear(x: Features, weight: Tensor<'float32'>, options: Record<string, unknown> | undefined, modules: readonly Module[]): Pending | null {
    const p = this.inner?.linear(x, weight, options, modules) ?? null;
    const rows = x instanceof CsrMatrix ? 1 : x.rank === 2 ? x.shape[0] : 1;
    const site = (this.inner as { sites?: Sites } | null)?.sites?.get(weight)?.weight;
    if (x instanceof CsrMatrix) this.flops += 2 * x.nnz * weight.shape[0];
    else if (p !== null && site !== undefined && 'nnz' in site) this.flops += 2 * rows * site.nnz;
    else this.flops += 2 * rows * weight.numel;
    return p;
  }

  spmm(graph: Graph, x: Tensor<'float32'>, options: Record<string, unknown> | undefined, modules: readonly Module[]): Pending | null {
    this.flops += 2 * graph.numEdges * (x.rank === 2 ? x.shape[1] : 1);
    return this.inner?.spmm(graph, x, options, modules) ?? null;
  }
}

function storage(m: Module): { parameters: number; bytes: number } {
  const sites = (m.plan as { sites?: Sites } | null)?.sites;
  let parameters = 0;
  let bytes = 0;
  for (const t of Object.values(m.parameters())) {
    const w = sites?.get(t)?.weight;
    if (w !== undefined && 'nnz' in w) {
      parameters += w.nnz;
      bytes += w.byteLength;
    } else {
      parameters += t.numel;
      bytes += w?.byteLength ?? t.data.byteLength;
    }
  }
  return { parameters, bytes };
}

export function pruningReport(
  model: Module,
  pruned: Module,
  graph: Graph,
  x: Features,
  labels?: ArrayLike<number> | null,
  options?: PruningReportOptions,
): PruningReport {
  if (!(model instanceof Module)) throw invalidArgType('model', 'a Module', model);
  if (!(pruned instanceof Module)) throw invalidArgType('pruned', 'a Module', pruned);
  const opts = checkOptions(options, 'pruningReport', ['mask', 'context', 'prunedGraph', 'repeats']);
  const g2 = opts.prunedGraph ?? graph;
  const repeats = opts.repeats ?? 20;
  const fc = new FlopCounter(model.plan);
  const pc = new FlopCounter(pruned.plan);
  const a = model.forwardSyncWith(fc, graph, x, opts.context).clone();
  const b = pruned.forwardSyncWith(pc, g2, x, opts.context).clone();
  const times: [number[], number[]] = [[], []];
  for (let r = 0; r < repeats + 2; r++) {
    for (const [i, m, g] of [[0, model, graph], [1, pruned, g2]] as const) {
      const t0 = process.hrtime.bigint();
      m.forwardSync(g, x, opts.context);
      if (r >= 2) times[i].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  const median = (s: number[]): number => s.sort((p, q) => p - q)[s.length >> 1] ?? 0;
  const cmp = comparePredictions(a, b, labels, opts.mask);
  const sa = storage(model);
  const sb = storage(pruned);
  const report: PruningReport = {
    parameters: { original: sa.parameters, pruned: sb.parameters },
    bytes: { original: sa.bytes, pruned: sb.bytes },
    flops: { original: fc.flops, pruned: pc.flops },
    latencyMs: { original: median(times[0]), pruned: median(times[1]) },
    agreement: cmp.agreement,
    rows: cmp.rows,
  };
  if (cmp.accuracy !== undefined) report.accuracy = { original: cmp.accuracy.a, pruned: cmp.accuracy.b };
  return report;
}
