/**
 * SGConv (Wu et al.): out = lin(Â^K x).
 * - semantics 'pyg': Â = gcn_norm with self loops (`addSelfLoops`, default true), as GCNConv.
 *   Keys `lin.weight/bias`.
 * - semantics 'dgl': Â = D_in^-1/2 A D_in^-1/2 (in-degree at both ends, clamped to 1, no loops
 *   added; with edge weights DGL's EdgeWeightNorm('both')). Keys `fc.weight/bias`.
 * When the output is narrower than the input, x is projected first (lin(Â^K x) = Â^K(x Wᵀ) + b),
 * so the K propagations move out instead of in columns per edge.
 */
import { invalidArgValue } from '../errors';
import { denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import type { Tensor } from '../tensor';
import { checkInteger, checkOptions } from '../validate';
import { bool, channels, semantics } from './checks';
import type { Semantics } from './checks';
import { renameKey } from './keys';
import { Module } from './module';
import type { ForwardContext } from './module';
import { Param, present } from './params';
import { checkZeroInDegree, dglEdgeWeightNormGraph, dglNormGraph, pygGcnGraph } from './propagate';
import { hopGraphs } from './block';
import { op } from './steps';
import type { Steps } from './steps';

export interface SGConvOptions {
  inChannels: number;
  outChannels: number;
  K?: number;
  addSelfLoops?: boolean;
  bias?: boolean;
  semantics?: Semantics;
  /** DGL: allow nodes with no in-edges. Default false. */
  allowZeroInDegree?: boolean;
}

/** The normalised graph of SGConv / APPNP under either semantics. @internal */
export function propagationGraphFor(graph: Graph, sem: Semantics, addSelfLoops: boolean, normalize = true): Graph {
  if (!normalize) return graph;
  if (sem === 'pyg') return pygGcnGraph(graph, addSelfLoops, false);
  return graph.hasEdgeWeight ? dglEdgeWeightNormGraph(graph) : dglNormGraph(graph, 'both', false, true);
}

export class SGConv extends Module {
  readonly type = 'SGConv';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly K: number;
  readonly addSelfLoops: boolean;
  readonly semantics: Semantics;
  readonly allowZeroInDegree: boolean;
  readonly weight: Param;
  readonly bias: Param | null;

  constructor(options: SGConvOptions) {
    super();
    const o = checkOptions(options, 'SGConv', ['inChannels', 'outChannels', 'K', 'addSelfLoops', 'bias', 'semantics', 'allowZeroInDegree']);
    this.inChannels = channels('inChannels', o.inChannels);
    this.outChannels = channels('outChannels', o.outChannels);
    this.K = checkInteger('K', o.K ?? 1, 1, 64);
    this.semantics = semantics(o.semantics);
    this.addSelfLoops = bool('addSelfLoops', o.addSelfLoops, this.semantics === 'pyg');
    if (this.semantics === 'dgl' && this.addSelfLoops) {
      throw invalidArgValue('addSelfLoops', "false with semantics 'dgl' (DGL adds no loops; add them to the graph)", true);
    }
    this.allowZeroInDegree = bool('allowZeroInDegree', o.allowZeroInDegree, false);
    this.weight = new Param('lin.weight', [this.outChannels, this.inChannels], 'kaiming');
    this.bias = bool('bias', o.bias, true) ? new Param('lin.bias', [this.outChannels], 'fan-in-bias', this.inChannels) : null;
  }

  protected override params(): Param[] {
    return present(this.weight, this.bias);
  }

  protected override normalizeKeys(dict: Map<string, Tensor>): void {
    renameKey(dict, 'fc.weight', 'lin.weight');
    renameKey(dict, 'fc.bias', 'lin.bias');
  }

  protected args(): Record<string, unknown> {
    return {
      inChannels: this.inChannels, outChannels: this.outChannels, K: this.K, addSelfLoops: this.addSelfLoops, bias: this.bias !== null, semantics: this.semantics,
      ...(this.semantics === 'dgl' ? { allowZeroInDegree: this.allowZeroInDegree } : {}),
    };
  }

  /** K hops. @internal */
  override receptiveHops(): number {
    return this.K;
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    void context;
    // One graph per hop: the same graph K times, or K blocks (block.ts).
    const hops = hopGraphs(graph, this.K);
    if (this.semantics === 'dgl' && !this.allowZeroInDegree) for (const g of hops) checkZeroInDegree(g, 'SGConv');
    const bias = this.bias?.value ?? null;
    const projectFirst = this.outChannels < this.inChannels;
    let h = projectFirst ? yield op.linear(x, this.weight.value) : denseFeatures(x);
    for (const g of hops) h = yield op.spmm(propagationGraphFor(g, this.semantics, this.addSelfLoops), h, { weights: 'graph' });
    if (!projectFirst) return yield op.linear(h, this.weight.value, { bias });
    return bias === null ? h : yield op.add(h, bias, { out: h });
  }
}
