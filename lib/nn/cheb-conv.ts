/**
 * ChebConv (Defferrard et al.): out = Σ_{k<K} lins[k](T_k(L̂) x) + bias with T_0 = x, T_1 = L̂x,
 * T_k = 2L̂T_{k−1} − T_{k−2} and L̂ = 2L/λ_max − I.
 * - semantics 'pyg': L from PyG's get_laplacian with self loops removed and the source-side
 *   (weighted) degree: 'sym' I − D^-1/2 A D^-1/2, 'rw' I − D^-1 A, null D − A; λ_max defaults to 2
 *   for 'sym' and 'rw' and twice the largest degree for null (as PyG 2.8). Keys `lins.k.weight`, `bias`.
 * - semantics 'dgl': Â uses the in-degree^-1/2 (clamped to 1) at both ends, loops kept, λ_max 2;
 *   DGL's one `linear.weight [out, K·in]` is split into the K blocks on load, and DGL's default
 *   ReLU is the `activation` option (default 'relu' there, 'none' for PyG).
 */
import { GnnError, invalidArgValue } from '../errors';
import { denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import { Graph } from '../graph';
import type { ActivationName } from '../ops/activation';
import { Tensor } from '../tensor';
import { checkInteger, checkOptions } from '../validate';
import { bool, channels, oneOf, semantics } from './checks';
import type { Semantics } from './checks';
import { derivedGraph, firstRows, hopGraphs } from './block';
import { columnSlice, renameKey } from './keys';
import { Module } from './module';
import type { ForwardContext } from './module';
import { Param, present } from './params';
import { csrTargets } from './propagate';
import { op } from './steps';
import type { Steps } from './steps';

export interface ChebConvOptions {
  inChannels: number;
  outChannels: number;
  K: number;
  normalization?: 'sym' | 'rw' | null;
  lambdaMax?: number;
  bias?: boolean;
  semantics?: Semantics;
  activation?: ActivationName;
}

/** L̂ as a weighted graph: −(2/λ)·(normalised A) off the diagonal plus one loop per node. */
function scaledLaplacian(graph: Graph, sem: Semantics, normalization: 'sym' | 'rw' | null, lambdaMaxOption: number | null): Graph {
  return derivedGraph(graph, `cheb:${sem}:${String(normalization)}:${String(lambdaMaxOption)}`, (graph) => {
    const n = graph.numNodes;
    const indices = graph.indices;
    const targets = csrTargets(graph);
    const given = graph.edgeWeight;
    let lambdaMax = lambdaMaxOption ?? 2;
    if (lambdaMaxOption === null && normalization === null) {
      // PyG's default: twice the largest entry of L = D − A, the largest (weighted) degree.
      const deg = new Float64Array(n);
      for (let p = 0; p < indices.length; p++) if (indices[p] !== targets[p]) deg[indices[p]] += given === null ? 1 : given[p];
      lambdaMax = 2 * Math.max(...deg, 0);
      if (!(lambdaMax > 0)) lambdaMax = 2;
    }
    const scale = 2 / lambdaMax;
    const src: number[] = [];
    const dst: number[] = [];
    const w: number[] = [];
    const diag = new Float64Array(n);
    if (sem === 'pyg') {
      const deg = new Float64Array(n);
      for (let p = 0; p < indices.length; p++) if (indices[p] !== targets[p]) deg[indices[p]] += given === null ? 1 : given[p];
      for (let p = 0; p < indices.length; p++) {
        const u = indices[p];
        const v = targets[p];
        if (u === v) continue;
        const a = given === null ? 1 : given[p];
        let l: number;
        if (normalization === 'sym') l = -(Math.fround(1 / Math.sqrt(deg[u])) * a * Math.fround(1 / Math.sqrt(deg[v])));
        else if (normalization === 'rw') l = -(a / deg[u]);
        else l = -a;
        let s = Math.fround(scale * Math.fround(l));
        if (!Number.isFinite(s)) s = 0;
        src.push(u);
        dst.push(v);
        w.push(s);
      }
      for (let v = 0; v < n; v++) diag[v] = normalization === null ? deg[v] : 1;
    } else {
      const inDeg = graph.inDegrees();
      for (let p = 0; p < indices.length; p++) {
        const u = indices[p];
        const v = targets[p];
        const a = Math.fround(1 / Math.sqrt(Math.max(inDeg[u] ?? 0, 1))) * Math.fround(1 / Math.sqrt(Math.max(inDeg[v], 1)));
        src.push(u);
        dst.push(v);
        w.push(Math.fround(-scale * Math.fround(a)));
      }
      diag.fill(1);
    }
    for (let v = 0; v < n; v++) {
      src.push(v);
      dst.push(v);
      w.push(Math.fround(scale * diag[v] - 1));
    }
    return Graph.fromCOO(Int32Array.from(src), Int32Array.from(dst), { numNodes: n, edgeWeight: Float32Array.from(w) });
  });
}

export class ChebConv extends Module {
  readonly type = 'ChebConv';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly K: number;
  readonly normalization: 'sym' | 'rw' | null;
  readonly lambdaMax: number | null;
  readonly semantics: Semantics;
  readonly activation: ActivationName;
  readonly lins: Param[];
  readonly bias: Param | null;

  constructor(options: ChebConvOptions) {
    super();
    const o = checkOptions(options, 'ChebConv', ['inChannels', 'outChannels', 'K', 'normalization', 'lambdaMax', 'bias', 'semantics', 'activation']);
    this.inChannels = channels('inChannels', o.inChannels);
    this.outChannels = channels('outChannels', o.outChannels);
    this.K = checkInteger('K', o.K, 1, 64);
    this.semantics = semantics(o.semantics);
    this.normalization = o.normalization === null ? null : oneOf('normalization', o.normalization, ['sym', 'rw'] as const, 'sym');
    if (o.lambdaMax !== undefined && (typeof o.lambdaMax !== 'number' || !(o.lambdaMax > 0))) {
      throw invalidArgValue('lambdaMax', 'a positive number', o.lambdaMax);
    }
    // Default as PyG 2.8: 2 for 'sym' and 'rw' (twice L's largest entry, its unit diagonal), twice the
    // largest degree without normalisation (computed per graph: null here); DGL: 2.
    this.lambdaMax = o.lambdaMax ?? (this.normalization !== null || this.semantics === 'dgl' ? 2 : null);
    this.activation = oneOf('activation', o.activation, ['none', 'relu', 'leaky_relu', 'elu', 'gelu', 'sigmoid', 'tanh'] as const, this.semantics === 'dgl' ? 'relu' : 'none');
    this.lins = Array.from({ length: this.K }, (_, k) => new Param(`lins.${k}.weight`, [this.outChannels, this.inChannels], 'glorot'));
    this.bias = bool('bias', o.bias, true) ? new Param('bias', [this.outChannels], 'zeros') : null;
  }

  protected override params(): Param[] {
    return present(...this.lins, this.bias);
  }

  protected override normalizeKeys(dict: Map<string, Tensor>): void {
    const whole = dict.get('linear.weight');
    if (whole !== undefined && !dict.has('lins.0.weight')) {
      for (let k = 0; k < this.K; k++) dict.set(`lins.${k}.weight`, columnSlice(whole, 'linear.weight', k * this.inChannels, (k + 1) * this.inChannels));
      if (whole.shape[1] !== this.K * this.inChannels) {
        throw new GnnError('ERR_GNN_MODEL_FILE', `linear.weight: expected [${this.outChannels}, ${this.K * this.inChannels}] (K blocks of ${this.inChannels}), got [${whole.shape.join(', ')}]`);
      }
      dict.delete('linear.weight');
    }
    renameKey(dict, 'linear.bias', 'bias');
  }

  protected args(): Record<string, unknown> {
    return {
      inChannels: this.inChannels, outChannels: this.outChannels, K: this.K, normalization: this.normalization, lambdaMax: this.lambdaMax,
      bias: this.bias !== null, semantics: this.semantics, activation: this.activation,
    };
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    void context;
    // One hop per power of L̂ (K − 1): on a block chain each T_k has the rows of its hop, and every
    // term is cut to the output rows (the first rows: see block.ts).
    const hops = hopGraphs(graph, this.K - 1).map((h) => scaledLaplacian(h, this.semantics, this.normalization, this.lambdaMax));
    const rows = hops.length === 0 ? graph.numNodes : hops[hops.length - 1].numNodes;
    const last = this.K - 1;
    const finish = (k: number) => (k === last ? { bias: this.bias?.value ?? null, activation: this.activation } : {});
    // Bias and activation ride on the last GEMM; the sum accumulates into the first output.
    if (this.K === 1) return yield op.linear(x, this.lins[0].value, finish(0));
    let out = yield op.linear(firstRows(x, rows), this.lins[0].value);
    let prev = denseFeatures(x);
    let cur = yield op.spmm(hops[0], prev, { weights: 'graph' });
    for (let k = 1; k <= last; k++) {
      if (k > 1) {
        const next = yield op.spmm(hops[k - 1], cur, { weights: 'graph' });
        const t = yield op.add(next, firstRows(prev, next.shape[0]), { alpha: -1, beta: 2, out: next });
        prev = cur;
        cur = t;
      }
      const term = yield op.linear(firstRows(cur, rows), this.lins[k].value);
      out = yield op.add(out, term, { out });
    }
    if (this.bias !== null) out = yield op.add(out, this.bias.value, { out });
    return this.activation === 'none' ? out : yield op.activation(out, this.activation, { out });
  }

  /** K − 1 hops (one per power of L̂). @internal */
  override receptiveHops(): number {
    return this.K - 1;
  }
}
