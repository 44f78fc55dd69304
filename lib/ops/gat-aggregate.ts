/**
 * gatAggregate: the fused attention aggregation of GAT.
 *   out[v, h] = sum over in-edges u -> v of alpha[e, h] x[u, h],
 *   alpha = edgeSoftmax(leakyRelu(aSrc[u, h] + aDst[v, h] (+ edgeTerm[e, h]), negativeSlope))
 * computed in one pass per node with an online (running-max) softmax, never making an E x H
 * array; it equals sddmm('add') -> leaky relu -> edgeSoftmax -> spmm to float32 rounding. Nodes
 * without in-edges (or whose scores are all -Infinity) get zeros.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { GnnError, invalidArgType } from '../errors';
import { Graph, deviceGraph, graphHandle } from '../graph';
import type { CudaGatArgs } from '../native-cuda-types';
import type { NativeGatArgs } from '../native-types';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync, outputTensor } from './common';
import { buf, cudaAsync, cudaSync, freshOutput, opDevice, optBuf } from './device-dispatch';

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
  device: Device;
  graph: Graph;
  x: Tensor<'float32'>;
  heads: number;
  headWidth: number;
  aSrc: Tensor<'float32'>;
  aDst: Tensor<'float32'>;
  edgeTerm: Tensor<'float32'> | null;
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
  graphHandle(graph);
  const xt = checkTensor('x', x, 'float32', [2, 3]);
  const st = checkTensor('aSrc', aSrc, 'float32', [1, 2]);
  const dt = checkTensor('aDst', aDst, 'float32', [1, 2]);
  const et = opts.edgeTerm === undefined ? null : checkTensor('edgeTerm', opts.edgeTerm, 'float32', [1, 2]);
  const device = opDevice(where, ['graph', graph], ['x', xt], ['aSrc', st], ['aDst', dt], ['edgeTerm', et]);
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
  if (et !== null && (et.shape[0] !== graph.numEdges || (et.rank === 2 ? et.shape[1] : 1) !== heads)) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `edgeTerm: expected [${graph.numEdges}, ${heads}] (one per edge and head), got [${et.shape.join(', ')}]`);
  }
  if (opts.returnAttention !== undefined && typeof opts.returnAttention !== 'boolean') {
    throw invalidArgType('returnAttention', 'a boolean', opts.returnAttention);
  }
  const outShape = xt.rank === 3 ? [graph.numNodes, heads, width / heads] : [graph.numNodes, width];
  const out = outputTensor(opts.out, outShape, [xt, st, dt, et], device);
  const attention = opts.returnAttention === true ? freshOutput([graph.numEdges, heads], device) : null;
  return { device, graph, x: xt, heads, headWidth: width / heads, aSrc: st, aDst: dt, edgeTerm: et, slope, out, attention };
}

function args(p: Prepared): NativeGatArgs {
  return [graphHandle(p.graph), p.x.data, p.heads, p.headWidth, p.aSrc.data, p.aDst.data, p.edgeTerm?.data ?? null, p.slope, p.out.data, p.attention?.data ?? null];
}

function cudaArgs(p: Prepared): CudaGatArgs {
  return [
    deviceGraph(p.graph),
    buf('x', p.x),
    p.heads,
    p.headWidth,
    buf('aSrc', p.aSrc),
    buf('aDst', p.aDst),
    optBuf('edgeTerm', p.edgeTerm),
    p.slope,
    buf('out', p.out),
    optBuf('attention', p.attention),
  ];
}

function resultOf(p: Prepared): Tensor<'float32'> | GatAggregateResult {
  return p.attention === null ? p.out : { out: p.out, attention: p.attention };
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
  if (p.device !== 'cpu') return cudaSync(p.device, (cuda) => cuda.gatAggregateSync(...cudaArgs(p)), resultOf(p));
  callSync(() => addon().gatAggregateSync(...args(p)));
  return resultOf(p);
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
  if (p.device !== 'cpu') return cudaAsync(site, p.device, (cuda) => cuda.gatAggregateAsync(...cudaArgs(p)), resultOf(p));
  return callAsync(site, () => addon().gatAggregateAsync(...args(p)), resultOf(p));
}
