/**
 * GraphConv (PyG's, Morris et al.): out_i = lin_rel(AGG_j e_ji · x_j) + lin_root(x_i), AGG 'add'
 * (default), 'mean' or 'max'; graph edge weights scale the messages. Keys `lin_rel.weight/bias`,
 * `lin_root.weight`. Not DGL's GraphConv (that is GCNConv with semantics 'dgl').
 */
import { denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import type { Reduce } from '../ops/spmm';
import type { Tensor } from '../tensor';
import { checkOptions } from '../validate';
import { bool, channels, oneOf } from './checks';
import { Module } from './module';
import type { ForwardContext } from './module';
import { Param, present } from './params';
import { dstRows } from './block';
import { op, project } from './steps';
import type { Steps } from './steps';

export interface GraphConvOptions {
  inChannels: number;
  outChannels: number;
  aggr?: 'add' | 'sum' | 'mean' | 'max';
  bias?: boolean;
}

export class GraphConv extends Module {
  readonly type = 'GraphConv';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly aggr: Reduce;
  readonly linRel: Param;
  readonly linRelBias: Param | null;
  readonly linRoot: Param;

  constructor(options: GraphConvOptions) {
    super();
    const o = checkOptions(options, 'GraphConv', ['inChannels', 'outChannels', 'aggr', 'bias']);
    this.inChannels = channels('inChannels', o.inChannels);
    this.outChannels = channels('outChannels', o.outChannels);
    const aggr = oneOf('aggr', o.aggr, ['add', 'sum', 'mean', 'max'] as const, 'add');
    this.aggr = aggr === 'add' ? 'sum' : aggr;
    this.linRel = new Param('lin_rel.weight', [this.outChannels, this.inChannels], 'kaiming');
    this.linRelBias = bool('bias', o.bias, true) ? new Param('lin_rel.bias', [this.outChannels], 'fan-in-bias', this.inChannels) : null;
    this.linRoot = new Param('lin_root.weight', [this.outChannels, this.inChannels], 'kaiming');
  }

  protected override params(): Param[] {
    return present(this.linRel, this.linRelBias, this.linRoot);
  }

  protected args(): Record<string, unknown> {
    return { inChannels: this.inChannels, outChannels: this.outChannels, aggr: this.aggr, bias: this.linRelBias !== null };
  }

  /** One hop. @internal */
  override receptiveHops(): number {
    return 1;
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    void context;
    const weights = graph.hasEdgeWeight ? ('graph' as const) : undefined;
    const bias = this.linRelBias?.value ?? null;
    let out: Tensor<'float32'>;
    if (this.aggr !== 'max' && this.outChannels < this.inChannels) {
      out = yield* project(x, this.linRel.value, graph, { reduce: this.aggr, weights });
      if (bias !== null) out = yield op.add(out, bias, { out });
    } else {
      const agg = yield op.spmm(graph, denseFeatures(x), { reduce: this.aggr, weights });
      out = yield op.linear(agg, this.linRel.value, { bias });
    }
    const root = yield op.linear(dstRows(graph, x), this.linRoot.value);
    return yield op.add(out, root, { out });
  }
}
