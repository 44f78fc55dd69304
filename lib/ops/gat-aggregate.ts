/**
 * gatAggregate: the fused attention aggregation of GAT.
 *   out[v, h] = sum over in-edges u -> v of alpha[e, h] x[u, h],
 *   alpha = edgeSoftmax(leakyRelu(aSrc[u, h] + aDst[v, h] (+ edgeTerm[e, h]), negativeSlope))
 * computed in one pass per node with an online (running-max) softmax, never making an E x H
 * array; it equals sddmm('add') -> leaky relu -> edgeSoftmax -> spmm to float32 rounding. Nodes
 * without in-edges (or whose scores are all -Infinity) get zeros.
 */
import { addon } from '../backend';
import { GnnError, invalidArgType } from '../errors';
import { Graph, graphHandle } from '../graph';
import type { NativeGraph } from '../native-types';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync, outputTensor } from './common';

export interface GatAggregateOptions {
  /** LeakyReLU slope for negative scores; default 0.2 (PyG's and DGL's GAT). */
  negativeSlope?: number;
  /** Per-edge additive score terms [E, H] (or [E] with one head), caller's edge order (GAT's edge_dim path). */
  edgeTerm?: Tensor<'float32'>;
  /** Also return the attention coefficients alpha [E, H], caller's edge order. */
  returnAttention?: boolean;
  /** Output [N, H·F] (or x's rank-3 shape [N, H, F]). */
  out?: Tensor<'float32'>;
}

export interface GatAggregateResult {
  out: Tensor<'float32'>;
  attention: Tensor<'float32'>;
}

interface Prepared {
  graph: NativeGraph;
  x: Float32Array;
  heads: number;
  headWidth: number;
  aSrc: Float32Array;
  aDst: Float32Array;
  edgeTerm: Float32Array | null;
  slope: number;
  out: Tensor<'float32'>;
  attention: Tensor<'float32'> | null;
}

function headsOf(name: string, t: Tensor<'float32'>, rows: number, rowsWhat: string): number {
  if (t.shape[0] !== rows) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected ${rows} rows (${rowsWhat}), got shape [${t.shape.join(', ')}]`);
  }
  return t.rank === 2 ? t.shape[1] : 1;
}

function prepare(
  graph: Graph,
  x: Tensor<'float32'>,
  aSrc: Tensor<'float32'>,
  aDst: Tensor<'float32'>,
  options: GatAggregateOptions | undefined,
  where: string,
): Prepared {
  const opts = checkOptions(options, where, ['negativeSlope', 'edgeTerm', 'returnAttention', 'out']);
  const handle = graphHandle(graph);
  const xt = checkTensor('x', x, 'float32', [2, 3]);
  const st = checkTensor('aSrc', aSrc, 'float32', [1, 2]);
  const dt = checkTensor('aDst', aDst, 'float32', [1, 2]);
  const heads = headsOf('aSrc', st, graph.numSrcNodes, 'one per source node');
  if (headsOf('aDst', dt, graph.numNodes, 'one per node') !== heads) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `aDst: expected ${heads} heads like aSrc, got shape [${dt.shape.join(', ')}]`);
  }
  if (xt.shape[0] !== graph.numSrcNodes) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `x: expected ${graph.numSrcNodes} rows (one per source node), got shape [${xt.shape.join(', ')}]`);
  }
  const width = xt.rank === 3 ? xt.shape[1] * xt.shape[2] : xt.shape[1];
  if ((xt.rank === 3 && xt.shape[1] !== heads) || width % heads !== 0) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `x: expected ${heads} heads of equal width, got shape [${xt.shape.join(', ')}]`);
  }
  const slope = opts.negativeSlope ?? 0.2;
  if (typeof slope !== 'number' || !Number.isFinite(slope)) throw invalidArgType('negativeSlope', 'a finite number', slope);
  let edgeTerm: Float32Array | null = null;
  if (opts.edgeTerm !== undefined) {
    const et = checkTensor('edgeTerm', opts.edgeTerm, 'float32', [1, 2]);
    if (et.shape[0] !== graph.numEdges || (et.rank === 2 ? et.shape[1] : 1) !== heads) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `edgeTerm: expected [${graph.numEdges}, ${heads}] (one per edge and head), got [${et.shape.join(', ')}]`);
    }
    edgeTerm = et.data;
  }
  if (opts.returnAttention !== undefined && typeof opts.returnAttention !== 'boolean') {
    throw invalidArgType('returnAttention', 'a boolean', opts.returnAttention);
  }
  const outShape = xt.rank === 3 ? [graph.numNodes, heads, width / heads] : [graph.numNodes, width];
  const inputs = [xt.data, st.data, dt.data, edgeTerm];
  const out = outputTensor(opts.out, outShape, inputs);
  const attention = opts.returnAttention === true ? Tensor.zeros([graph.numEdges, heads]) : null;
  return { graph: handle, x: xt.data, heads, headWidth: width / heads, aSrc: st.data, aDst: dt.data, edgeTerm, slope, out, attention };
}

function args(p: Prepared) {
  return [p.graph, p.x, p.heads, p.headWidth, p.aSrc, p.aDst, p.edgeTerm, p.slope, p.out.data, p.attention?.data ?? null] as const;
}

/** Fused GAT aggregation on the calling thread. */
export function gatAggregateSync(
  graph: Graph, x: Tensor<'float32'>, aSrc: Tensor<'float32'>, aDst: Tensor<'float32'>,
  options: GatAggregateOptions & { returnAttention: true },
): GatAggregateResult;
export function gatAggregateSync(
  graph: Graph, x: Tensor<'float32'>, aSrc: Tensor<'float32'>, aDst: Tensor<'float32'>, options?: GatAggregateOptions,
): Tensor<'float32'>;
export function gatAggregateSync(
  graph: Graph, x: Tensor<'float32'>, aSrc: Tensor<'float32'>, aDst: Tensor<'float32'>, options?: GatAggregateOptions,
): Tensor<'float32'> | GatAggregateResult {
  const p = prepare(graph, x, aSrc, aDst, options, 'gatAggregateSync');
  callSync(() => addon().gatAggregateSync(...args(p)));
  return p.attention === null ? p.out : { out: p.out, attention: p.attention };
}

/** Fused GAT aggregation off the event loop. */
export function gatAggregate(
  graph: Graph, x: Tensor<'float32'>, aSrc: Tensor<'float32'>, aDst: Tensor<'float32'>,
  options: GatAggregateOptions & { returnAttention: true },
): Promise<GatAggregateResult>;
export function gatAggregate(
  graph: Graph, x: Tensor<'float32'>, aSrc: Tensor<'float32'>, aDst: Tensor<'float32'>, options?: GatAggregateOptions,
): Promise<Tensor<'float32'>>;
export function gatAggregate(
  graph: Graph, x: Tensor<'float32'>, aSrc: Tensor<'float32'>, aDst: Tensor<'float32'>, options?: GatAggregateOptions,
): Promise<Tensor<'float32'> | GatAggregateResult> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(graph, x, aSrc, aDst, options, 'gatAggregate');
  } catch (error) {
    return Promise.reject(error);
  }
  const result = p.attention === null ? p.out : { out: p.out, attention: p.attention };
  return callAsync(site, () => addon().gatAggregateAsync(...args(p)), result);
}
