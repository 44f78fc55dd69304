/**
 * GATv2Conv (Brody et al.): x_l = lin_l(x), x_r = lin_r(x) (both with bias; one map with
 * `shareWeights`), e_ji = ⟨att, leaky_relu(x_l[j] + x_r[i])⟩ per head, α = softmax over i's
 * in-edges, out_i = Σ_j α_ji x_l[j]; heads concatenated or averaged, + res(x), + bias.
 * Runs as gatv2Scores (per-edge logits, one pass per destination row) → edgeSoftmax → a multi-head
 * weighted spmm.
 * - semantics 'pyg' (PyG's GATv2Conv): self loops removed and one per node added (`addSelfLoops`,
 *   default true). Keys `lin_l.*`, `lin_r.*` (identical tensors with share_weights), `att`, `bias`,
 *   `res.weight`.
 * - semantics 'dgl' (DGL's GATv2Conv): no loops added (nodes need an in-edge unless
 *   `allowZeroInDegree`), no output bias (`bias` is the two linears'), output [N, H·C] (DGL's
 *   (N, H, C)). Keys `fc_src.*`, `fc_dst.*`, `attn`.
 * With `edgeDim` the edge term lin_edge(e_ji) sits inside the leaky ReLU, so the logits come from
 * an E × H·C intermediate (gathered x_l[j] + x_r[i] + lin_edge(e_ji), leaky ReLU, one GEMM against
 * the block-diagonal att) instead of the gatv2Scores kernel; loop features are filled as in GATConv.
 */
import type { Features } from '../csr-matrix';
import { invalidArgValue } from '../errors';
import type { Graph } from '../graph';
import { Tensor } from '../tensor';
import { checkOptions } from '../validate';
import { bool, channels, num, semantics } from './checks';
import type { Semantics } from './checks';
import { attentionGraph } from './gat-conv';
import { blockDiagonal, headOutput } from './heads';
import { mergeDuplicate, renameKey } from './keys';
import { Module } from './module';
import type { ForwardContext } from './module';
import { Param, present } from './params';
import { dstRows } from './block';
import { derived } from './graph-cache';
import { op } from './steps';
import type { Steps } from './steps';

export interface GATv2ConvOptions {
  inChannels: number;
  outChannels: number;
  heads?: number;
  concat?: boolean;
  negativeSlope?: number;
  dropout?: number;
  addSelfLoops?: boolean;
  edgeDim?: number | null;
  fillValue?: 'mean' | number;
  bias?: boolean;
  shareWeights?: boolean;
  residual?: boolean;
  semantics?: Semantics;
  allowZeroInDegree?: boolean;
}

const KEYS = [
  'inChannels', 'outChannels', 'heads', 'concat', 'negativeSlope', 'dropout', 'addSelfLoops', 'edgeDim', 'fillValue', 'bias', 'shareWeights', 'residual', 'semantics', 'allowZeroInDegree',
] as const;

/** Source and target of every edge, in the graph's input order, as int32 tensors on its device (cached). */
function edgeEnds(g: Graph): { src: Tensor<'int32'>; dst: Tensor<'int32'> } {
  const e = g.numEdges;
  const ends = derived(g, 'edge-ends', () => {
    const { edgeIndex } = g.toEdgeIndex();
    return { src: Tensor.from(edgeIndex.slice(0, e), [e]), dst: Tensor.from(edgeIndex.slice(e), [e]) };
  });
  if (ends.src.device !== g.device) {
    const moved = derived(g, `edge-ends@${g.device}`, () => ({ src: ends.src.to(g.device), dst: ends.dst.to(g.device) }));
    return moved;
  }
  return ends;
}

export class GATv2Conv extends Module {
  readonly type = 'GATv2Conv';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly heads: number;
  readonly concat: boolean;
  readonly negativeSlope: number;
  readonly dropout: number;
  readonly addSelfLoops: boolean;
  readonly shareWeights: boolean;
  readonly semantics: Semantics;
  readonly allowZeroInDegree: boolean;
  readonly edgeDim: number | null;
  readonly fillValue: 'mean' | number;
  readonly linL: Param;
  readonly linLBias: Param | null;
  readonly linR: Param | null;
  readonly linRBias: Param | null;
  readonly att: Param;
  readonly bias: Param | null;
  readonly res: Param | null;
  readonly linEdge: Param | null;

  constructor(options: GATv2ConvOptions) {
    super();
    const o = checkOptions(options, 'GATv2Conv', KEYS);
    this.inChannels = channels('inChannels', o.inChannels);
    this.outChannels = channels('outChannels', o.outChannels);
    this.heads = channels('heads', o.heads ?? 1);
    this.semantics = semantics(o.semantics);
    this.concat = bool('concat', o.concat, true);
    if (this.semantics === 'dgl' && !this.concat) throw invalidArgValue('concat', "true with semantics 'dgl' (DGL returns every head)", false);
    this.negativeSlope = num('negativeSlope', o.negativeSlope, 0.2);
    this.dropout = num('dropout', o.dropout, 0);
    this.addSelfLoops = bool('addSelfLoops', o.addSelfLoops, this.semantics === 'pyg');
    if (this.semantics === 'dgl' && this.addSelfLoops) throw invalidArgValue('addSelfLoops', "false with semantics 'dgl' (DGL adds no loops; add them to the graph)", true);
    this.edgeDim = o.edgeDim === undefined || o.edgeDim === null ? null : channels('edgeDim', o.edgeDim);
    this.fillValue = o.fillValue ?? 'mean';
    if (o.fillValue !== undefined && o.fillValue !== 'mean' && typeof o.fillValue !== 'number') throw invalidArgValue('fillValue', "'mean' or a number", o.fillValue);
    this.shareWeights = bool('shareWeights', o.shareWeights, false);
    this.allowZeroInDegree = bool('allowZeroInDegree', o.allowZeroInDegree, false);
    const bias = bool('bias', o.bias, true);
    const hc = this.heads * this.outChannels;
    const outWidth = this.concat ? hc : this.outChannels;
    this.linL = new Param('lin_l.weight', [hc, this.inChannels], 'glorot');
    this.linLBias = bias ? new Param('lin_l.bias', [hc], 'zeros') : null;
    this.linR = this.shareWeights ? null : new Param('lin_r.weight', [hc, this.inChannels], 'glorot');
    this.linRBias = this.shareWeights || !bias ? null : new Param('lin_r.bias', [hc], 'zeros');
    this.att = new Param('att', [1, this.heads, this.outChannels], 'glorot');
    this.bias = bias && this.semantics === 'pyg' ? new Param('bias', [outWidth], 'zeros') : null;
    this.res = bool('residual', o.residual, false) ? new Param('res.weight', [outWidth, this.inChannels], 'glorot') : null;
    this.linEdge = this.edgeDim === null ? null : new Param('lin_edge.weight', [hc, this.edgeDim], 'glorot');
  }

  protected override params(): Param[] {
    return present(this.linL, this.linLBias, this.linR, this.linRBias, this.att, this.bias, this.res, this.linEdge);
  }

  protected override normalizeKeys(dict: Map<string, Tensor>): void {
    renameKey(dict, 'fc_src.weight', 'lin_l.weight');
    renameKey(dict, 'fc_src.bias', 'lin_l.bias');
    renameKey(dict, 'fc_dst.weight', 'lin_r.weight');
    renameKey(dict, 'fc_dst.bias', 'lin_r.bias');
    renameKey(dict, 'attn', 'att');
    renameKey(dict, 'res_fc.weight', 'res.weight');
    if (this.shareWeights) {
      mergeDuplicate(dict, 'lin_l.weight', 'lin_r.weight');
      mergeDuplicate(dict, 'lin_l.bias', 'lin_r.bias');
    }
  }

  protected args(): Record<string, unknown> {
    return {
      inChannels: this.inChannels, outChannels: this.outChannels, heads: this.heads, concat: this.concat, negativeSlope: this.negativeSlope,
      dropout: this.dropout, addSelfLoops: this.addSelfLoops, edgeDim: this.edgeDim, fillValue: this.fillValue, bias: this.linLBias !== null, shareWeights: this.shareWeights,
      residual: this.res !== null, semantics: this.semantics, ...(this.semantics === 'dgl' ? { allowZeroInDegree: this.allowZeroInDegree } : {}),
    };
  }

  /** One hop. @internal */
  override receptiveHops(): number {
    return 1;
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    const { graph: g, edgeAttr } = attentionGraph(graph, context, this, 'GATv2Conv');
    const xl = yield op.linear(x, this.linL.value, { bias: this.linLBias?.value ?? null });
    const xr = this.linR === null ? dstRows(g, xl) : yield op.linear(dstRows(g, x), this.linR.value, { bias: this.linRBias?.value ?? null });
    let scores: Tensor<'float32'>;
    if (this.linEdge !== null && edgeAttr !== undefined) {
      const { src, dst } = edgeEnds(g);
      let z = yield op.indexSelect(xl, src);
      const zr = yield op.indexSelect(xr, dst);
      z = yield op.add(z, zr, { out: z });
      const ze = yield op.linear(edgeAttr, this.linEdge.value);
      z = yield op.add(z, ze, { out: z });
      z = yield op.activation(z, 'leaky_relu', { alpha: this.negativeSlope, out: z });
      scores = yield op.linear(z, blockDiagonal(this.att.value, this.heads));
    } else {
      scores = yield op.gatv2Scores(g, xl, xr, this.att.value, { negativeSlope: this.negativeSlope, heads: this.heads });
    }
    const alpha = yield op.edgeSoftmax(g, scores, { out: scores });
    const out = yield op.spmm(g, xl, { weights: alpha });
    const o = { heads: this.heads, channels: this.outChannels, concat: this.concat, res: this.res?.value ?? null, bias: this.bias?.value ?? null };
    return yield* headOutput(out, dstRows(g, x), o);
  }
}
