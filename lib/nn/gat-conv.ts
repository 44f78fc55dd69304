/**
 * GATConv (Veličković et al.), on the fused gatAggregate kernel (one pass per node, online softmax,
 * no E x H array):
 *   h = x Wᵀ [N, H·C]; a_src = ⟨h_j, att_src⟩, a_dst = ⟨h_i, att_dst⟩ per head;
 *   α_ji = softmax_i(leaky_relu(a_src[j] + a_dst[i] (+ ⟨W_e e_ji, att_edge⟩)));
 *   out_i = Σ_j α_ji h_j, heads concatenated [N, H·C] or averaged [N, C]; + res(x) + bias.
 * - semantics 'pyg' (PyG 2.x GATConv): existing self loops removed and one per node added
 *   (`addSelfLoops`, default true); with `edgeDim`, a loop's edge feature is `fillValue` ('mean' of
 *   the node's incoming edge features, 0 without any, or a number). Keys `lin.weight`, `att_src`,
 *   `att_dst`, `bias`, `lin_edge.weight`, `att_edge`, `res.weight`; PyG 2.0–2.4's duplicated
 *   `lin_src.weight` / `lin_dst.weight` and PyG 1.x's `lin_l` / `att_l` / `att_r` load too.
 * - semantics 'dgl' (DGL GATConv): no loops added (every node needs an in-edge unless
 *   `allowZeroInDegree`), bias [H·C] per head, output [N, H·C] (DGL's (N, H, C) flattened; `concat`
 *   must stay true). Keys `fc.weight`, `attn_l`, `attn_r`, `bias`.
 * Graph edge weights are not used (neither framework's GATConv takes them by default).
 */
import { GnnError, invalidArgType, invalidArgValue } from '../errors';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import { Tensor } from '../tensor';
import { checkOptions } from '../validate';
import { bool, channels, num, semantics } from './checks';
import type { Semantics } from './checks';
import { derived } from './graph-cache';
import { blockEdges, derivedBlock, dstRows, fullGraphOf, gatherRows } from './block';
import { blockDiagonal, headOutput } from './heads';
import { mergeDuplicate, renameKey } from './keys';
import { Module } from './module';
import type { ForwardContext } from './module';
import { Param, present } from './params';
import { checkZeroInDegree } from './propagate';
import { op } from './steps';
import type { Steps } from './steps';

export interface GATConvOptions {
  inChannels: number;
  outChannels: number;
  heads?: number;
  concat?: boolean;
  negativeSlope?: number;
  /** Attention dropout; kept for the model file, a no-op at inference. */
  dropout?: number;
  addSelfLoops?: boolean;
  edgeDim?: number | null;
  fillValue?: 'mean' | number;
  bias?: boolean;
  residual?: boolean;
  semantics?: Semantics;
  allowZeroInDegree?: boolean;
}

const KEYS = [
  'inChannels', 'outChannels', 'heads', 'concat', 'negativeSlope', 'dropout', 'addSelfLoops', 'edgeDim', 'fillValue', 'bias', 'residual', 'semantics', 'allowZeroInDegree',
] as const;

/** The graph with PyG's loops, and where each of its edges came from (-1: an added loop of node v). */
export interface LoopedGraph {
  graph: Graph;
  /** For each edge of `graph` in its input order: the source edge id, or -(v + 1) for node v's loop. */
  origin: Int32Array;
}

/** PyG's remove_self_loops + add_self_loops on an edge list. @internal */
export function pygLoopedGraph(graph: Graph): LoopedGraph {
  return derived(graph, 'pyg-loops', () => {
    const { edgeIndex } = graph.toEdgeIndex();
    const e = graph.numEdges;
    const n = Math.min(graph.numNodes, graph.numSrcNodes);
    const origin: number[] = [];
    for (let i = 0; i < e; i++) if (edgeIndex[i] !== edgeIndex[e + i]) origin.push(i);
    for (let v = 0; v < n; v++) origin.push(-(v + 1));
    return { graph: graph.addSelfLoops(), origin: Int32Array.from(origin) };
  });
}

/** Edge features [E', D] for the looped graph: kept rows, then each loop's fill. @internal */
export function loopedEdgeAttr(looped: LoopedGraph, original: Graph, edgeAttr: Tensor<'float32'>, fill: 'mean' | number): Tensor<'float32'> {
  const d = edgeAttr.numel / original.numEdges;
  const out = Tensor.zeros([looped.origin.length, d]);
  const src = edgeAttr.data;
  const { edgeIndex } = original.toEdgeIndex();
  const e = original.numEdges;
  let sums: Float64Array | null = null;
  let counts: Int32Array | null = null;
  if (fill === 'mean') {
    sums = new Float64Array(original.numNodes * d);
    counts = new Int32Array(original.numNodes);
    for (let i = 0; i < e; i++) {
      const v = edgeIndex[e + i];
      if (edgeIndex[i] === v) continue;
      counts[v]++;
      for (let k = 0; k < d; k++) sums[v * d + k] += src[i * d + k];
    }
  }
  looped.origin.forEach((o, row) => {
    if (o >= 0) {
      out.data.set(src.subarray(o * d, (o + 1) * d), row * d);
    } else {
      const v = -o - 1;
      for (let k = 0; k < d; k++) {
        out.data[row * d + k] = sums !== null && counts !== null ? (counts[v] > 0 ? sums[v * d + k] / counts[v] : 0) : (fill as number);
      }
    }
  });
  return out;
}

/** What attentionGraph needs of a layer. */
interface AttentionGraphOptions {
  addSelfLoops: boolean;
  edgeDim: number | null;
  fillValue: 'mean' | number;
  semantics: Semantics;
  allowZeroInDegree: boolean;
}

/**
 * The graph an attention layer runs on (PyG: loops removed and one per node added; DGL: the
 * graph, checked for nodes without in-edges) and its edge features (checked; with loops, each
 * loop's filled as PyG does). @internal
 */
export function attentionGraph(graph: Graph, context: ForwardContext, o: AttentionGraphOptions, layer: string): { graph: Graph; edgeAttr: Tensor<'float32'> | undefined } {
  // Edge features are given for the full graph (a block's graph is cut from it: block.ts).
  const full = fullGraphOf(graph);
  let edgeAttr = o.edgeDim === null ? undefined : context.edgeAttr;
  if (o.edgeDim !== null) {
    if (edgeAttr === undefined) throw invalidArgValue('context.edgeAttr', `edge features [${full.numEdges}, ${o.edgeDim}] (${layer} has edgeDim)`, undefined);
    if (edgeAttr.numel !== full.numEdges * o.edgeDim) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${layer}: context.edgeAttr: expected [${full.numEdges}, ${o.edgeDim}], got [${edgeAttr.shape.join(', ')}]`);
    }
    edgeAttr = edgeAttr.reshape([full.numEdges, o.edgeDim]);
  }
  if (o.addSelfLoops) {
    const { graph: g, edges } = derivedBlock(graph, 'pyg-loops-graph', (f) => pygLoopedGraph(f).graph);
    if (edgeAttr === undefined) return { graph: g, edgeAttr };
    const attr = loopedEdgeAttrCached(context.edgeAttr as Tensor<'float32'>, pygLoopedGraph(full), full, edgeAttr, o.fillValue);
    return { graph: g, edgeAttr: edges === null ? attr : (gatherRows(attr, edges) as Tensor<'float32'>) };
  }
  if (o.semantics === 'dgl' && !o.allowZeroInDegree) checkZeroInDegree(graph, layer);
  const edges = blockEdges(graph);
  return { graph, edgeAttr: edgeAttr === undefined || edges === null ? edgeAttr : (gatherRows(edgeAttr, edges) as Tensor<'float32'>) };
}

const loopedAttrs = new WeakMap<Tensor, { looped: LoopedGraph; fill: 'mean' | number; attr: Tensor<'float32'> }>();

/**
 * loopedEdgeAttr, kept per edge-feature tensor (the caller's `key`, not the [E, D] view made of it
 * per pass) while its graph and fill stay the same (repeated passes and receptive queries reuse it). Edge features on a CUDA device are filled on the host (downloaded, the result
 * uploaded): a copy both ways per pass, for GAT layers with edgeDim and self loops.
 */
function loopedEdgeAttrCached(key: Tensor, looped: LoopedGraph, original: Graph, edgeAttr: Tensor<'float32'>, fill: 'mean' | number): Tensor<'float32'> {
  const hit = loopedAttrs.get(key);
  if (hit !== undefined && hit.looped === looped && hit.fill === fill && !hit.attr.disposed) return hit.attr;
  const attr = loopedEdgeAttr(looped, original, edgeAttr.to('cpu'), fill).to(edgeAttr.device);
  loopedAttrs.set(key, { looped, fill, attr });
  return attr;
}

export class GATConv extends Module {
  readonly type: string = 'GATConv';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly heads: number;
  readonly concat: boolean;
  readonly negativeSlope: number;
  readonly dropout: number;
  readonly addSelfLoops: boolean;
  readonly edgeDim: number | null;
  readonly fillValue: 'mean' | number;
  readonly residual: boolean;
  readonly semantics: Semantics;
  readonly allowZeroInDegree: boolean;
  readonly weight: Param;
  readonly attSrc: Param;
  readonly attDst: Param;
  readonly bias: Param | null;
  readonly linEdge: Param | null;
  readonly attEdge: Param | null;
  readonly res: Param | null;

  constructor(options: GATConvOptions) {
    super();
    const o = checkOptions(options, 'GATConv', KEYS);
    this.inChannels = channels('inChannels', o.inChannels);
    this.outChannels = channels('outChannels', o.outChannels);
    this.heads = channels('heads', o.heads ?? 1);
    this.semantics = semantics(o.semantics);
    this.concat = bool('concat', o.concat, true);
    if (this.semantics === 'dgl' && !this.concat) {
      throw invalidArgValue('concat', "true with semantics 'dgl' (DGL returns every head; average them in the model)", false);
    }
    this.negativeSlope = num('negativeSlope', o.negativeSlope, 0.2);
    this.dropout = num('dropout', o.dropout, 0);
    this.addSelfLoops = bool('addSelfLoops', o.addSelfLoops, this.semantics === 'pyg');
    if (this.semantics === 'dgl' && this.addSelfLoops) {
      throw invalidArgValue('addSelfLoops', "false with semantics 'dgl' (DGL adds no loops; add them to the graph)", true);
    }
    this.edgeDim = o.edgeDim === undefined || o.edgeDim === null ? null : channels('edgeDim', o.edgeDim);
    if (o.fillValue !== undefined && o.fillValue !== 'mean' && typeof o.fillValue !== 'number') {
      throw invalidArgType('fillValue', "'mean' or a number", o.fillValue);
    }
    this.fillValue = o.fillValue ?? 'mean';
    this.residual = bool('residual', o.residual, false);
    this.allowZeroInDegree = bool('allowZeroInDegree', o.allowZeroInDegree, false);
    const hc = this.heads * this.outChannels;
    const outWidth = this.concat ? hc : this.outChannels;
    this.weight = new Param('lin.weight', [hc, this.inChannels], 'glorot');
    this.attSrc = new Param('att_src', [1, this.heads, this.outChannels], 'glorot');
    this.attDst = new Param('att_dst', [1, this.heads, this.outChannels], 'glorot');
    this.bias = bool('bias', o.bias, true) ? new Param('bias', [outWidth], 'zeros') : null;
    this.linEdge = this.edgeDim === null ? null : new Param('lin_edge.weight', [hc, this.edgeDim], 'glorot');
    this.attEdge = this.edgeDim === null ? null : new Param('att_edge', [1, this.heads, this.outChannels], 'glorot');
    this.res = this.residual ? new Param('res.weight', [outWidth, this.inChannels], 'glorot') : null;
  }

  protected override params(): Param[] {
    return present(this.weight, this.attSrc, this.attDst, this.bias, this.linEdge, this.attEdge, this.res);
  }

  protected override normalizeKeys(dict: Map<string, Tensor>): void {
    // PyG 2.0–2.4: lin_src.weight == lin_dst.weight; PyG 1.x: lin_l (lin_r the same module), att_l, att_r.
    mergeDuplicate(dict, 'lin_src.weight', 'lin_dst.weight');
    renameKey(dict, 'lin_src.weight', 'lin.weight');
    mergeDuplicate(dict, 'lin_l.weight', 'lin_r.weight');
    renameKey(dict, 'lin_l.weight', 'lin.weight');
    renameKey(dict, 'att_l', 'att_src');
    renameKey(dict, 'att_r', 'att_dst');
    // DGL.
    renameKey(dict, 'fc.weight', 'lin.weight');
    renameKey(dict, 'attn_l', 'att_src');
    renameKey(dict, 'attn_r', 'att_dst');
    renameKey(dict, 'res_fc.weight', 'res.weight');
    // DGL >= 1.1 with a linear residual: the residual carries the only bias (res_fc.bias, no bias).
    const resBias = dict.get('res_fc.bias');
    if (resBias !== undefined) {
      const own = dict.get('bias');
      dict.delete('res_fc.bias');
      if (own === undefined) dict.set('bias', resBias);
      else dict.set('bias', Tensor.from(Float32Array.from(own.data as Float32Array, (v, i) => v + (resBias.data[i] as number)), own.shape));
    }
    // DGL's identity residual (in == H·C) has no tensor: it is the identity map.
    if (this.semantics === 'dgl' && this.res !== null && !dict.has('res.weight') && this.inChannels === this.res.shape[0]) {
      const eye = Tensor.zeros([this.inChannels, this.inChannels]);
      for (let i = 0; i < this.inChannels; i++) eye.data[i * this.inChannels + i] = 1;
      dict.set('res.weight', eye);
    }
  }

  protected args(): Record<string, unknown> {
    return {
      inChannels: this.inChannels, outChannels: this.outChannels, heads: this.heads, concat: this.concat, negativeSlope: this.negativeSlope,
      dropout: this.dropout, addSelfLoops: this.addSelfLoops, edgeDim: this.edgeDim, fillValue: this.fillValue, bias: this.bias !== null,
      residual: this.residual, semantics: this.semantics, ...(this.semantics === 'dgl' ? { allowZeroInDegree: this.allowZeroInDegree } : {}),
    };
  }

  /** One hop. @internal */
  override receptiveHops(): number {
    return 1;
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    const { graph: g, edgeAttr } = attentionGraph(graph, context, this, 'GATConv');
    const h = yield op.linear(x, this.weight.value);
    const aSrc = yield op.linear(h, blockDiagonal(this.attSrc.value, this.heads));
    const aDst = yield op.linear(dstRows(g, h), blockDiagonal(this.attDst.value, this.heads));
    let edgeTerm: Tensor<'float32'> | undefined;
    if (this.linEdge !== null && this.attEdge !== null && edgeAttr !== undefined) {
      const e = yield op.linear(edgeAttr, this.linEdge.value);
      edgeTerm = yield op.linear(e, blockDiagonal(this.attEdge.value, this.heads));
    }
    const out = yield op.gatAggregate(g, h, aSrc, aDst, { negativeSlope: this.negativeSlope, edgeTerm });
    const o = { heads: this.heads, channels: this.outChannels, concat: this.concat, res: this.res?.value ?? null, bias: this.bias?.value ?? null };
    return yield* headOutput(out, dstRows(g, x), o);
  }
}
