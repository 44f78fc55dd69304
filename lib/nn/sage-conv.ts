/**
 * SAGEConv (GraphSAGE): out = lin_l(AGG_j x_j) + lin_r(x_i), optionally L2-normalised per row.
 * - semantics 'pyg' (PyG SAGEConv): `aggr` 'mean' | 'sum' ('add') | 'max' | 'min' (an empty
 *   neighbourhood aggregates to 0); `project` first maps the neighbours' features through
 *   relu(lin(x)); `rootWeight` adds lin_r(x_i) (no bias: the bias is lin_l's); `normalize` divides
 *   each output row by max(‖row‖₂, 1e-12). Keys `lin_l.weight/bias`, `lin_r.weight`, `lin.*`.
 * - semantics 'dgl' (DGL SAGEConv): `aggregatorType` 'mean' | 'pool' | 'gcn'; graph edge weights
 *   multiply the messages; keys `fc_neigh.weight`, `fc_self.weight/bias` (or `bias` for gcn),
 *   `fc_pool.*`. 'gcn' aggregates (Σ_j x_j + x_i) / (indeg + 1) with no root term.
 * For 'mean' and 'sum' the neighbours' features are projected before they are aggregated when
 * that is the narrower side (the same function; the sum runs in another order).
 */
import { denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import type { Reduce } from '../ops/spmm';
import { Tensor } from '../tensor';
import { checkOptions } from '../validate';
import { bool, channels, oneOf, semantics } from './checks';
import type { Semantics } from './checks';
import { renameKey } from './keys';
import { Module } from './module';
import type { ForwardContext } from './module';
import { Param, present } from './params';
import { l2NormalizeRows } from './row-norm';
import { op, project } from './steps';
import type { Steps } from './steps';
import { derived } from './graph-cache';
import { dstRows } from './block';

export interface SAGEConvOptions {
  inChannels: number;
  outChannels: number;
  aggr?: 'mean' | 'sum' | 'add' | 'max' | 'min';
  normalize?: boolean;
  rootWeight?: boolean;
  project?: boolean;
  bias?: boolean;
  semantics?: Semantics;
  /** DGL's aggregator (semantics 'dgl'): 'mean' (default), 'pool' or 'gcn'. */
  aggregatorType?: 'mean' | 'pool' | 'gcn';
}

const KEYS = ['inChannels', 'outChannels', 'aggr', 'normalize', 'rootWeight', 'project', 'bias', 'semantics', 'aggregatorType'] as const;

export class SAGEConv extends Module {
  readonly type = 'SAGEConv';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly aggr: Reduce;
  readonly normalize: boolean;
  readonly rootWeight: boolean;
  readonly project: boolean;
  readonly semantics: Semantics;
  readonly aggregatorType: 'mean' | 'pool' | 'gcn';
  readonly linL: Param;
  readonly linLBias: Param | null;
  readonly linR: Param | null;
  readonly lin: Param | null;
  readonly linBias: Param | null;

  constructor(options: SAGEConvOptions) {
    super();
    const o = checkOptions(options, 'SAGEConv', KEYS);
    this.inChannels = channels('inChannels', o.inChannels);
    this.outChannels = channels('outChannels', o.outChannels);
    this.semantics = semantics(o.semantics);
    this.aggregatorType = oneOf('aggregatorType', o.aggregatorType, ['mean', 'pool', 'gcn'] as const, 'mean');
    const aggr = oneOf('aggr', o.aggr, ['mean', 'sum', 'add', 'max', 'min'] as const, 'mean');
    this.aggr = aggr === 'add' ? 'sum' : aggr;
    this.normalize = bool('normalize', o.normalize, false);
    this.rootWeight = bool('rootWeight', o.rootWeight, true);
    this.project = bool('project', o.project, false);
    if (this.semantics === 'dgl') {
      // DGL's aggregators in PyG's terms (semantics.md §2.4).
      this.aggr = this.aggregatorType === 'pool' ? 'max' : 'mean';
      this.project = this.aggregatorType === 'pool';
      this.rootWeight = this.aggregatorType !== 'gcn';
    }
    const bias = bool('bias', o.bias, true);
    this.linL = new Param('lin_l.weight', [this.outChannels, this.inChannels], 'kaiming');
    this.linLBias = bias ? new Param('lin_l.bias', [this.outChannels], 'fan-in-bias', this.inChannels) : null;
    this.linR = this.rootWeight ? new Param('lin_r.weight', [this.outChannels, this.inChannels], 'kaiming') : null;
    this.lin = this.project ? new Param('lin.weight', [this.inChannels, this.inChannels], 'kaiming') : null;
    this.linBias = this.project ? new Param('lin.bias', [this.inChannels], 'fan-in-bias', this.inChannels) : null;
  }

  protected override params(): Param[] {
    return present(this.linL, this.linLBias, this.linR, this.lin, this.linBias);
  }

  protected override normalizeKeys(dict: Map<string, Tensor>): void {
    renameKey(dict, 'fc_neigh.weight', 'lin_l.weight');
    renameKey(dict, 'fc_self.weight', 'lin_r.weight');
    renameKey(dict, 'fc_pool.weight', 'lin.weight');
    renameKey(dict, 'fc_pool.bias', 'lin.bias');
    const selfBias = dict.get('fc_self.bias');
    const neighBias = dict.get('fc_neigh.bias');
    if (selfBias !== undefined && neighBias !== undefined && !dict.has('lin_l.bias')) {
      // DGL <= 0.6: two biases, one output; their sum is the bias.
      const sum = Tensor.zeros(selfBias.shape);
      for (let i = 0; i < sum.numel; i++) sum.data[i] = Math.fround((selfBias.data[i] as number) + (neighBias.data[i] as number));
      dict.delete('fc_self.bias');
      dict.delete('fc_neigh.bias');
      dict.set('lin_l.bias', sum);
    }
    renameKey(dict, 'fc_self.bias', 'lin_l.bias');
    renameKey(dict, 'fc_neigh.bias', 'lin_l.bias');
    renameKey(dict, 'bias', 'lin_l.bias');
  }

  protected args(): Record<string, unknown> {
    const common = { inChannels: this.inChannels, outChannels: this.outChannels, bias: this.linLBias !== null, semantics: this.semantics };
    if (this.semantics === 'dgl') return { ...common, aggregatorType: this.aggregatorType };
    return { ...common, aggr: this.aggr, normalize: this.normalize, rootWeight: this.rootWeight, project: this.project };
  }

  /** One hop. @internal */
  override receptiveHops(): number {
    return 1;
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    void context;
    const bias = this.linLBias?.value ?? null;
    const weights = this.semantics === 'dgl' && graph.hasEdgeWeight ? ('graph' as const) : undefined;
    let out: Tensor<'float32'>;
    if (this.semantics === 'dgl' && this.aggregatorType === 'gcn') {
      // (Σ_j w_ji x_j + x_i) / (indeg_i + 1), whatever loops the graph already has (as DGL).
      const inv = derived(graph, 'dgl-sage-gcn', () => {
        const d = graph.inDegrees();
        const t = Tensor.zeros([d.length]);
        for (let i = 0; i < d.length; i++) t.data[i] = 1 / (d[i] + 1);
        return t;
      });
      let agg = yield op.spmm(graph, denseFeatures(x), { reduce: 'sum', weights });
      agg = yield op.add(agg, denseFeatures(dstRows(graph, x)), { out: agg });
      agg = yield op.scale(agg, inv, { out: agg });
      out = yield op.linear(agg, this.linL.value, { bias });
    } else {
      let src: Features = x;
      if (this.lin !== null) src = yield op.linear(x, this.lin.value, { bias: this.linBias?.value ?? null, activation: 'relu' });
      const linearAggr = this.aggr === 'mean' || this.aggr === 'sum';
      if (linearAggr && this.outChannels < this.inChannels) {
        out = yield* project(src, this.linL.value, graph, { reduce: this.aggr, weights });
        if (bias !== null) out = yield op.add(out, bias, { out });
      } else {
        const agg = yield op.spmm(graph, denseFeatures(src), { reduce: this.aggr, weights });
        out = yield op.linear(agg, this.linL.value, { bias });
      }
      if (this.linR !== null) {
        const root = yield op.linear(dstRows(graph, x), this.linR.value);
        out = yield op.add(out, root, { out });
      }
    }
    return this.normalize ? yield l2NormalizeRows(out) : out;
  }
}
