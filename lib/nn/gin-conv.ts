/**
 * GINConv (Xu et al.): out = nn((1 + ε)·x_i + AGG_j x_j), AGG a sum (PyG's default 'add'; DGL's
 * aggregatorType 'sum' | 'mean' | 'max'). `nn` is a Sequential (PyG's `nn.0.weight` … keys; DGL's
 * `apply_func.*` load too); `eps` [1] is always in the state dict. With semantics 'dgl' graph edge
 * weights multiply the messages (PyG's GINConv ignores them).
 *
 * When nn starts with a Linear that narrows the features and AGG is a sum or mean, the Linear is
 * applied first and the narrower result aggregated (W((1+ε)x_i + Σx_j) = (1+ε)Wx_i + ΣWx_j: the
 * same function in another rounding order; on Cora 1433 → 64 columns per edge).
 */
import { GnnError, invalidArgType } from '../errors';
import { denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import type { Reduce } from '../ops/spmm';
import { Tensor } from '../tensor';
import type { Random } from '../generators/random';
import { checkOptions } from '../validate';
import { bool, num, oneOf, semantics } from './checks';
import type { Semantics } from './checks';
import { Activation } from './activations';
import { Linear } from './linear';
import { Module } from './module';
import type { ForwardContext, ModuleJSON } from './module';
import { Param, hostOf } from './params';
import { Sequential, runChain } from './sequential';
import { op } from './steps';
import type { Steps } from './steps';
import { scoped } from './scope';
import { advance, dstRows } from './block';

export interface GINConvOptions {
  /** The MLP applied after aggregation. */
  nn: Module;
  eps?: number;
  trainEps?: boolean;
  /** 'add'/'sum' (default), 'mean', 'max'. */
  aggr?: 'add' | 'sum' | 'mean' | 'max';
  semantics?: Semantics;
}

export class GINConv extends Module {
  readonly type = 'GINConv';
  readonly nn: Module;
  readonly initialEps: number;
  readonly trainEps: boolean;
  readonly aggr: Reduce;
  readonly semantics: Semantics;
  readonly eps: Param;

  constructor(options: GINConvOptions) {
    super();
    const o = checkOptions(options, 'GINConv', ['nn', 'eps', 'trainEps', 'aggr', 'semantics']);
    if (!(o.nn instanceof Module)) throw invalidArgType('nn', 'a Module (e.g. a Sequential of Linear and activation modules)', o.nn);
    this.nn = o.nn;
    this.initialEps = num('eps', o.eps, 0);
    this.trainEps = bool('trainEps', o.trainEps, false);
    const aggr = oneOf('aggr', o.aggr, ['add', 'sum', 'mean', 'max'] as const, 'add');
    this.aggr = aggr === 'add' ? 'sum' : aggr;
    this.semantics = semantics(o.semantics);
    this.eps = new Param('eps', [1], 'zeros');
    this.eps.value.data[0] = this.initialEps;
  }

  override children(): Array<[string, Module]> {
    return [['nn', this.nn]];
  }

  protected override params(): Param[] {
    return [this.eps];
  }

  override resetWith(rng: Random): void {
    this.nn.resetWith(rng);
    this.eps.value = Tensor.from(new Float32Array([this.initialEps]), [1]);
  }

  protected override normalizeKeys(dict: Map<string, Tensor>): void {
    for (const key of [...dict.keys()]) {
      if (!key.startsWith('apply_func.')) continue;
      dict.set(`nn.${key.slice('apply_func.'.length)}`, dict.get(key)!);
      dict.delete(key);
    }
  }

  protected args(): Record<string, unknown> {
    return { eps: this.initialEps, trainEps: this.trainEps, aggr: this.aggr, semantics: this.semantics };
  }

  override toJSON(): ModuleJSON {
    return { type: this.type, args: this.args(), modules: [{ ...this.nn.toJSON(), name: 'nn' }] };
  }

  /** One hop, then nn's. @internal */
  override receptiveHops(): number {
    return 1 + this.nn.receptiveHops();
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    const eps = hostOf(this.eps.value).data[0];
    if (!Number.isFinite(eps)) throw new GnnError('ERR_GNN_MODEL_FILE', `GINConv: eps: expected a finite number, got ${eps}`);
    const weights = this.semantics === 'dgl' && graph.hasEdgeWeight ? ('graph' as const) : undefined;
    const layers = this.nn instanceof Sequential ? this.nn.layers.map(([, m]) => m) : [this.nn];
    const first = layers[0];
    if (first instanceof Linear && first.outChannels < first.inChannels && this.aggr !== 'max') {
      const p = yield op.linear(x, first.weight.value);
      let h = yield op.spmm(graph, p, { reduce: this.aggr, weights });
      h = yield op.add(h, dstRows(graph, p), { alpha: 1 + eps, out: h });
      let i = 1;
      const next = layers[1];
      if (first.bias !== null) h = yield op.add(h, first.bias.value, { out: h });
      if (next instanceof Activation) {
        h = yield op.activation(h, next.activation, { alpha: next.alpha, out: h });
        i = 2;
      }
      return yield* runChain(layers.slice(i), advance(graph, 1), h, context);
    }
    const xd = denseFeatures(x);
    let h = yield op.spmm(graph, xd, { reduce: this.aggr, weights });
    h = yield op.add(h, dstRows(graph, xd), { alpha: 1 + eps, out: h });
    return yield* scoped(this.nn, advance(graph, 1), h, context);
  }
}
