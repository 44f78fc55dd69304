/**
 * spmmInt8: spmm over int8 features. x is a QuantizedTensor of symmetric int8 codes [N, K] with
 * an fp32 scale per row (or one per tensor), x[u] ≈ scale[u] · q[u]:
 *   out[v, c] = reduce over in-edges (u -> v, e) of  w[e, head(c)] · scale[u] · q[u, c]
 * Per edge the coefficient w·scale is formed once in float32, then accumulated in float32 against
 * the codes, so each edge gathers a quarter of spmm's bytes. Same reducers, weight forms and
 * conventions as spmm: rows with no in-edges give 0, mean divides by the in-degree, NaN and
 * infinities in weights or scales propagate, and results do not depend on the thread count.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { GnnError, described, invalidArgType, invalidArgValue } from '../errors';
import { Graph, deviceGraph, graphHandle } from '../graph';
import type { CudaQSpmmArgs } from '../native-cuda-types';
import type { NativeQSpmmArgs } from '../native-types';
import { QuantizedTensor } from '../quantized';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync, outputTensor } from './common';
import { buf, cudaAsync, cudaSync, opDevice, optBuf } from './device-dispatch';
import { aggregationOptions, weightsTensor } from './spmm';
import type { AggregationArgs, Reduce } from './spmm';

export interface SpmmInt8Options {
  /** Reducer over each node's in-edges; default 'sum'. */
  reduce?: Reduce;
  /** Per-edge weights, as for spmm: 'graph', or a float32 Tensor [E] / [E, H] or Float32Array [E] in the caller's edge order. */
  weights?: 'graph' | Tensor<'float32'> | Float32Array;
  /** Output to write into (float32, shape [numNodes, K]). */
  out?: Tensor<'float32'>;
}

const OPTION_KEYS = ['reduce', 'weights', 'out'] as const;

interface SpmmInt8Call {
  device: Device;
  graph: Graph;
  x: QuantizedTensor;
  width: number;
  agg: AggregationArgs;
  out: Tensor<'float32'>;
}

function prepare(graph: Graph, x: QuantizedTensor, options: SpmmInt8Options | undefined, where: string): SpmmInt8Call {
  const opts = checkOptions(options, where, OPTION_KEYS);
  const handle = graphHandle(graph);
  if (!(x instanceof QuantizedTensor)) throw invalidArgType('x', 'a QuantizedTensor', x);
  if (x.dtype !== 'int8') {
    throw invalidArgValue('x', "int8 (symmetric) codes", described(`a QuantizedTensor of dtype '${x.dtype}'`));
  }
  const data = checkTensor('x.data', x.data, 'int8', [2]);
  const scale = checkTensor('x.scale', x.scaleTensor, 'float32');
  const device = opDevice(where, ['graph', graph], ['x', data], ['weights', weightsTensor(opts.weights)]);
  const [rows, width] = data.shape;
  if (rows !== graph.numSrcNodes) {
    throw new GnnError(
      'ERR_GNN_SHAPE_MISMATCH',
      `x: expected ${graph.numSrcNodes} rows (one per source node of the graph), got shape [${data.shape.join(', ')}]`,
    );
  }
  const agg = aggregationOptions(graph, handle, opts, width, data.shape, device);
  const out = outputTensor(opts.out, [graph.numNodes, width], [data, scale, agg.weightTensor ?? agg.weights], device);
  return { device, graph, x, width, agg, out };
}

function cpuArgs(c: SpmmInt8Call): NativeQSpmmArgs {
  const a = c.agg;
  return [graphHandle(c.graph), c.x.data.data as Int8Array, c.width, c.x.scale, a.weights, a.weightIds, a.heads, c.out.data, a.reduce];
}

function cudaArgs(c: SpmmInt8Call): CudaQSpmmArgs {
  const a = c.agg;
  const scale = c.x.scaleTensor;
  // One scale per row, or one for the tensor (a single-row tensor's one scale is the same either way).
  const stride = scale.numel === c.x.shape[0] ? 1 : 0;
  return [
    deviceGraph(c.graph),
    buf('x.data', c.x.data),
    c.width,
    buf('x.scale', scale),
    stride,
    a.weightsMode,
    optBuf('weights', a.weightTensor),
    a.heads,
    buf('out', c.out),
    a.reduce,
  ];
}

/** spmmInt8 on the calling thread (and the native pool); on a CUDA device, queued on its stream. */
export function spmmInt8Sync(graph: Graph, x: QuantizedTensor, options?: SpmmInt8Options): Tensor<'float32'> {
  const c = prepare(graph, x, options, 'spmmInt8Sync');
  if (c.device !== 'cpu') return cudaSync(c.device, (cuda) => cuda.spmmInt8Sync(...cudaArgs(c)), c.out);
  callSync(() => addon().qspmmSync(...cpuArgs(c)));
  return c.out;
}

/**
 * spmmInt8 off the event loop. Inputs are used in place (zero-copy) and must not be modified or
 * transferred until the promise settles.
 */
export function spmmInt8(graph: Graph, x: QuantizedTensor, options?: SpmmInt8Options): Promise<Tensor<'float32'>> {
  const site = new Error();
  let c: SpmmInt8Call;
  try {
    c = prepare(graph, x, options, 'spmmInt8');
  } catch (error) {
    return Promise.reject(error);
  }
  if (c.device !== 'cpu') return cudaAsync(site, c.device, (cuda) => cuda.spmmInt8Async(...cudaArgs(c)), c.out);
  return callAsync(site, () => addon().qspmmAsync(...cpuArgs(c)), c.out);
}
