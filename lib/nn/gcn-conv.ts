/**
 * GCNConv (Kipf & Welling): out = Â · (x Wᵀ) + b.
 * - semantics 'pyg' (PyG's GCNConv): Â = gcn_norm(A) — existing self loops replaced by one per
 *   node (PyG's add_remaining_self_loops; `improved` doubles the loops only when the graph has
 *   edge weights, as in PyG), degrees are weighted in-degrees used at both ends of an edge. Keys
 *   `lin.weight [out, in]`, `bias [out]`.
 * - semantics 'dgl' (DGL's GraphConv): no self loops are added (every node needs an in-edge unless
 *   `allowZeroInDegree`), `norm` 'both' scales by max(outdeg(u),1)^-1/2 · max(indeg(v),1)^-1/2
 *   with unweighted degrees, edge weights multiply the messages. DGL's `weight [in, out]` key is
 *   transposed on load.
 */
import { denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import { invalidArgValue } from '../errors';
import { Tensor } from '../tensor';
import { checkOptions } from '../validate';
import { bool, channels, oneOf, semantics } from './checks';
import type { Semantics } from './checks';
import { Module } from './module';
import type { ForwardContext } from './module';
import { Param, present } from './params';
import { checkZeroInDegree, dglNormGraph, pygGcnGraph } from './propagate';
import type { DglNorm } from './propagate';
import { op, project } from './steps';
import type { Steps } from './steps';
import { renameKey, transposeKey } from './keys';

export interface GCNConvOptions {
  inChannels: number;
  outChannels: number;
  /** PyG: Â = A + 2I (only with edge weights, as PyG). Default false. */
  improved?: boolean;
  /** PyG: add self loops; default = normalize. DGL never adds them. */
  addSelfLoops?: boolean;
  /** PyG: symmetric normalisation (default true); false aggregates with the raw (weighted) A. */
  normalize?: boolean;
  bias?: boolean;
  semantics?: Semantics;
  /** DGL's `norm` (default 'both'). */
  norm?: DglNorm;
  /** DGL: allow nodes with no in-edges (their output is the bias). Default false. */
  allowZeroInDegree?: boolean;
}

const KEYS = ['inChannels', 'outChannels', 'improved', 'addSelfLoops', 'normalize', 'bias', 'semantics', 'norm', 'allowZeroInDegree'] as const;

export class GCNConv extends Module {
  readonly type = 'GCNConv';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly improved: boolean;
  readonly normalize: boolean;
  readonly addSelfLoops: boolean;
  readonly semantics: Semantics;
  readonly norm: DglNorm;
  readonly allowZeroInDegree: boolean;
  readonly weight: Param;
  readonly bias: Param | null;

  constructor(options: GCNConvOptions) {
    super();
    const o = checkOptions(options, 'GCNConv', KEYS);
    this.inChannels = channels('inChannels', o.inChannels);
    this.outChannels = channels('outChannels', o.outChannels);
    this.semantics = semantics(o.semantics);
    this.improved = bool('improved', o.improved, false);
    this.normalize = bool('normalize', o.normalize, true);
    this.addSelfLoops = bool('addSelfLoops', o.addSelfLoops, this.semantics === 'pyg' ? this.normalize : false);
    if (this.semantics === 'pyg' && this.addSelfLoops && !this.normalize) {
      throw invalidArgValue('addSelfLoops', 'false when normalize is false (as PyG)', true);
    }
    if (this.semantics === 'dgl' && this.addSelfLoops) {
      throw invalidArgValue('addSelfLoops', "false with semantics 'dgl' (DGL adds no loops; add them to the graph)", true);
    }
    this.norm = oneOf('norm', o.norm, ['both', 'right', 'left', 'none'] as const, 'both');
    this.allowZeroInDegree = bool('allowZeroInDegree', o.allowZeroInDegree, false);
    this.weight = new Param('lin.weight', [this.outChannels, this.inChannels], 'glorot');
    this.bias = bool('bias', o.bias, true) ? new Param('bias', [this.outChannels], 'zeros') : null;
  }

  protected override params(): Param[] {
    return present(this.weight, this.bias);
  }

  protected override normalizeKeys(dict: Map<string, Tensor>): void {
    renameKey(dict, 'weight', 'lin.weight', (t) => transposeKey(t, 'weight')); // DGL GraphConv and PyG <= 1.7: [in, out]
  }

  protected args(): Record<string, unknown> {
    const a: Record<string, unknown> = { inChannels: this.inChannels, outChannels: this.outChannels, bias: this.bias !== null, semantics: this.semantics };
    if (this.semantics === 'pyg') Object.assign(a, { improved: this.improved, addSelfLoops: this.addSelfLoops, normalize: this.normalize });
    else Object.assign(a, { norm: this.norm, allowZeroInDegree: this.allowZeroInDegree });
    return a;
  }

  /** The weighted graph this layer aggregates over. @internal */
  propagationGraph(graph: Graph): { graph: Graph; weighted: boolean } {
    if (this.semantics === 'pyg') {
      if (this.normalize) return { graph: pygGcnGraph(graph, this.addSelfLoops, this.improved), weighted: true };
      return { graph, weighted: graph.hasEdgeWeight };
    }
    if (!this.allowZeroInDegree) checkZeroInDegree(graph, 'GCNConv');
    const g = dglNormGraph(graph, this.norm, graph.hasEdgeWeight);
    return { graph: g, weighted: g.hasEdgeWeight };
  }

  /** One hop. @internal */
  override receptiveHops(): number {
    return 1;
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    void context;
    const { graph: g, weighted } = this.propagationGraph(graph);
    const weights = weighted ? ('graph' as const) : undefined;
    const bias = this.bias?.value ?? null;
    if (this.semantics === 'dgl' && this.inChannels <= this.outChannels) {
      // DGL aggregates first when that is the narrower side; the bias rides on the GEMM.
      const agg = yield op.spmm(g, denseFeatures(x), { weights });
      return yield op.linear(agg, this.weight.value, { bias });
    }
    const out = yield* project(x, this.weight.value, g, { weights });
    return bias === null ? out : yield op.add(out, bias, { out });
  }
}
