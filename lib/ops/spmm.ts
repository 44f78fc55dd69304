/**
 * spmm: sparse (graph) x dense (features) with a reducer.
 *   out[v] = reduce over in-edges (u -> v, e) of message(x[u], w[e])
 * message is copy_u without weights, u_mul_e with them; reduce is sum, mean, max or min. Rows
 * with no in-edges give 0 for every reducer. NaN propagates through every reducer.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { GnnError, invalidArgType, invalidArgValue } from '../errors';
import { Graph, deviceGraph, graphHandle } from '../graph';
import type { CudaSpmmArgs } from '../native-cuda-types';
import type { NativeGraph, NativeSpmmArgs, ReduceCode } from '../native-types';
import { REDUCE_CODES } from '../native-types';
import { Tensor, checkTensor } from '../tensor';
import { checkNotDetached, checkOptions } from '../validate';
import { callAsync, callSync, outputTensor } from './common';
import { buf, cudaAsync, cudaSync, hostArrayOnDevice, opDevice, optBuf } from './device-dispatch';

export type Reduce = 'sum' | 'mean' | 'max' | 'min';

export interface SpmmOptions {
  /** Reducer over each node's in-edges; default 'sum'. */
  reduce?: Reduce;
  /**
   * Per-edge weights: absent (plain aggregation), 'graph' (the graph's own edge weights), or a
   * float32 Tensor [E] or [E, H] (a Float32Array is taken as [E]) in the caller's edge order.
   * With H heads, x is [N, H·F] and head h's weight scales columns h·F … h·F+F−1.
   */
  weights?: 'graph' | Tensor<'float32'> | Float32Array;
  /** Output to write into (float32, shape [numNodes, F], on the inputs' device); reused buffers avoid page faults. */
  out?: Tensor<'float32'>;
}

const OPTION_KEYS = ['reduce', 'weights', 'out'] as const;

interface SpmmCall {
  device: Device;
  graph: Graph;
  x: Tensor<'float32'>;
  width: number;
  agg: AggregationArgs;
  out: Tensor<'float32'>;
}

/** The reducer and per-edge weights of an spmm-like op, checked and resolved for the addon. */
export interface AggregationArgs {
  reduce: ReduceCode;
  /** CPU: the weights' array (the graph's own, or the caller's), or null. */
  weights: Float32Array | null;
  weightIds: Int32Array | null;
  heads: number;
  /** CUDA: 0 none, 1 the graph's own weights, 2 `weightTensor` in the caller's edge order. */
  weightsMode: 0 | 1 | 2;
  weightTensor: Tensor<'float32'> | null;
}

/** The weights option as a tensor, for the device check (a Float32Array is host memory). @internal */
export function weightsTensor(w: unknown): Tensor | null {
  return w instanceof Tensor ? w : null;
}

/**
 * Checks `reduce` and `weights` of {@link SpmmOptions} against the graph and the feature width
 * (`xShape` names x in messages), for an op on `device`. Shared by spmm and spmmInt8.
 * @internal
 */
export function aggregationOptions(
  graph: Graph,
  handle: NativeGraph,
  opts: { reduce?: unknown; weights?: unknown },
  width: number,
  xShape: readonly number[],
  device: Device = 'cpu',
): AggregationArgs {
  const reduceName = opts.reduce ?? 'sum';
  if (typeof reduceName !== 'string' || !Object.prototype.hasOwnProperty.call(REDUCE_CODES, reduceName)) {
    throw invalidArgValue('reduce', "'sum', 'mean', 'max' or 'min'", reduceName);
  }
  let weights: Float32Array | null = null;
  let weightIds: Int32Array | null = null;
  let weightTensor: Tensor<'float32'> | null = null;
  let weightsMode: 0 | 1 | 2 = 0;
  let heads = 1;
  const w = opts.weights;
  if (w === 'graph') {
    weights = handle.weights;
    weightsMode = 1;
    if (weights === null) throw invalidArgValue('weights', "'graph' only for a graph with edge weights", w);
  } else if (w instanceof Tensor || w instanceof Float32Array) {
    const wt = w instanceof Tensor ? checkTensor('weights', w, 'float32', [1, 2]) : null;
    if (wt === null) {
      checkNotDetached('weights', w as Float32Array);
      if (device !== 'cpu') throw hostArrayOnDevice('weights', device);
    }
    const shape = wt === null ? [(w as Float32Array).length] : wt.shape;
    if (shape[0] !== graph.numEdges) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `weights: expected ${graph.numEdges} rows (one per edge), got shape [${shape.join(', ')}]`);
    }
    heads = shape.length === 2 ? shape[1] : 1;
    if (heads < 1 || width % heads !== 0) {
      throw new GnnError(
        'ERR_GNN_SHAPE_MISMATCH',
        `x: expected a width divisible by the ${heads} heads of weights [${shape.join(', ')}], got shape [${xShape.join(', ')}]`,
      );
    }
    weightsMode = 2;
    weightTensor = wt;
    if (device === 'cpu') {
      weights = wt === null ? (w as Float32Array) : wt.data;
      weightIds = handle.edgeIds;
    }
  } else if (w !== undefined) {
    throw invalidArgType('weights', "'graph', a float32 Tensor [E] or [E, H], or a Float32Array", w);
  }
  return { reduce: REDUCE_CODES[reduceName as Reduce], weights, weightIds, heads, weightsMode, weightTensor };
}

function prepare(graph: Graph, x: Tensor<'float32'>, options: SpmmOptions | undefined, where: string): SpmmCall {
  const opts = checkOptions(options, where, OPTION_KEYS);
  const handle = graphHandle(graph);
  const xt = checkTensor('x', x, 'float32', [1, 2]);
  const device = opDevice(where, ['graph', graph], ['x', xt], ['weights', weightsTensor(opts.weights)]);
  const width = xt.rank === 2 ? xt.shape[1] : 1;
  if (xt.shape[0] !== graph.numSrcNodes) {
    throw new GnnError(
      'ERR_GNN_SHAPE_MISMATCH',
      `x: expected ${graph.numSrcNodes} rows (one per source node of the graph), got shape [${xt.shape.join(', ')}]`,
    );
  }
  const agg = aggregationOptions(graph, handle, opts, width, xt.shape, device);
  const outShape = xt.rank === 2 ? [graph.numNodes, width] : [graph.numNodes];
  const out = outputTensor(opts.out, outShape, [xt, agg.weightTensor ?? agg.weights], device);
  return { device, graph, x: xt, width, agg, out };
}

function cpuArgs(c: SpmmCall): NativeSpmmArgs {
  const a = c.agg;
  return [graphHandle(c.graph), c.x.data, c.width, a.weights, a.weightIds, a.heads, c.out.data, a.reduce];
}

function cudaArgs(c: SpmmCall): CudaSpmmArgs {
  const a = c.agg;
  return [deviceGraph(c.graph), buf('x', c.x), c.width, a.weightsMode, optBuf('weights', a.weightTensor), a.heads, buf('out', c.out), a.reduce];
}

/** SpMM on the calling thread (and the native pool); on a CUDA device, queued on the calling thread's stream. */
export function spmmSync(graph: Graph, x: Tensor<'float32'>, options?: SpmmOptions): Tensor<'float32'> {
  const c = prepare(graph, x, options, 'spmmSync');
  if (c.device !== 'cpu') return cudaSync(c.device, (cuda) => cuda.spmmSync(...cudaArgs(c)), c.out);
  callSync(() => addon().spmmSync(...cpuArgs(c)));
  return c.out;
}

/**
 * SpMM off the event loop. Inputs are used in place (zero-copy) and must not be modified or
 * transferred until the promise settles.
 */
export function spmm(graph: Graph, x: Tensor<'float32'>, options?: SpmmOptions): Promise<Tensor<'float32'>> {
  const site = new Error();
  let c: SpmmCall;
  try {
    c = prepare(graph, x, options, 'spmm');
  } catch (error) {
    return Promise.reject(error);
  }
  if (c.device !== 'cpu') return cudaAsync(site, c.device, (cuda) => cuda.spmmAsync(...cudaArgs(c)), c.out);
  return callAsync(site, () => addon().spmmAsync(...cpuArgs(c)), c.out);
}
