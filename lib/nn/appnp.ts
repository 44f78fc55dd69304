/**
 * APPNP (Gasteiger et al.), no parameters: h = x, then K times x ← (1 − α)·Â x + α·h.
 * - semantics 'pyg': Â = gcn_norm with self loops (`addSelfLoops`, default true; `normalize`
 *   false propagates with the raw, possibly weighted, A).
 * - semantics 'dgl' (APPNPConv): out-degree^-1/2 at the source and in-degree^-1/2 at the target,
 *   clamped to 1, no loops; with edge weights DGL's EdgeWeightNorm('both').
 * Each step is one spmm and one fused axpby (fma(α, h, (1 − α)·Âx)).
 */
import { invalidArgValue, outOfRange } from '../errors';
import { denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import { checkInteger, checkOptions } from '../validate';
import { bool, num, semantics } from './checks';
import type { Semantics } from './checks';
import { Module } from './module';
import type { ForwardContext } from './module';
import { dglEdgeWeightNormGraph, dglNormGraph, pygGcnGraph } from './propagate';
import { firstRows, hopGraphs } from './block';
import { op } from './steps';
import type { Steps } from './steps';

export interface APPNPOptions {
  K: number;
  alpha: number;
  /** Edge dropout; kept for the model file, a no-op at inference. */
  dropout?: number;
  addSelfLoops?: boolean;
  normalize?: boolean;
  semantics?: Semantics;
}

export class APPNP extends Module {
  readonly type = 'APPNP';
  readonly K: number;
  readonly alpha: number;
  readonly dropout: number;
  readonly addSelfLoops: boolean;
  readonly normalize: boolean;
  readonly semantics: Semantics;

  constructor(options: APPNPOptions) {
    super();
    const o = checkOptions(options, 'APPNP', ['K', 'alpha', 'dropout', 'addSelfLoops', 'normalize', 'semantics']);
    this.K = checkInteger('K', o.K, 0, 1024);
    this.alpha = num('alpha', o.alpha, Number.NaN);
    if (!(this.alpha >= 0 && this.alpha <= 1)) throw outOfRange('alpha', 'a number in [0, 1]', o.alpha);
    this.dropout = num('dropout', o.dropout, 0);
    this.semantics = semantics(o.semantics);
    this.normalize = bool('normalize', o.normalize, true);
    this.addSelfLoops = bool('addSelfLoops', o.addSelfLoops, this.semantics === 'pyg');
    if (this.semantics === 'dgl' && this.addSelfLoops) {
      throw invalidArgValue('addSelfLoops', "false with semantics 'dgl' (DGL adds no loops; add them to the graph)", true);
    }
  }

  protected args(): Record<string, unknown> {
    return { K: this.K, alpha: this.alpha, dropout: this.dropout, addSelfLoops: this.addSelfLoops, normalize: this.normalize, semantics: this.semantics };
  }

  /** K hops. @internal */
  override receptiveHops(): number {
    return this.K;
  }

  /** The graph one propagation step runs on. */
  #propagation(graph: Graph): Graph {
    if (this.semantics === 'pyg') return this.normalize ? pygGcnGraph(graph, this.addSelfLoops, false) : graph;
    return graph.hasEdgeWeight ? dglEdgeWeightNormGraph(graph) : dglNormGraph(graph, 'both', false);
  }

  *steps(graph: Graph, features: Features, context: ForwardContext): Steps {
    void context;
    const x = denseFeatures(features);
    let h = x;
    // One graph per step: the same graph K times, or K blocks whose rows shrink (block.ts).
    for (const hop of hopGraphs(graph, this.K)) {
      const g = this.#propagation(hop);
      const z = yield op.spmm(g, h, { weights: g.hasEdgeWeight ? ('graph' as const) : undefined });
      h = yield op.add(z, firstRows(x, z.shape[0]), { alpha: this.alpha, beta: 1 - this.alpha, out: z });
    }
    return h;
  }
}
