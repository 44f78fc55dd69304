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
import { GnnError, described, invalidArgType, invalidArgValue } from '../errors';
import { Graph, graphHandle } from '../graph';
import type { NativeGraph, ReduceCode } from '../native-types';
import { QuantizedTensor } from '../quantized';
import { Tensor, checkTensor } from '../tensor';
import { checkNotDetached, checkOptions } from '../validate';
import { callAsync, callSync, outputTensor } from './common';
import { aggregationOptions } from './spmm';
import type { Reduce } from './spmm';

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
  graph: NativeGraph;
  q: Int8Array;
  width: number;
  scale: Float32Array;
  weights: Float32Array | null;
  weightIds: Int32Array | null;
  heads: number;
  out: Tensor<'float32'>;
  reduce: ReduceCode;
}

function prepare(graph: Graph, x: QuantizedTensor, options: SpmmInt8Options | undefined, where: string): SpmmInt8Call {
  const opts = checkOptions(options, where, OPTION_KEYS);
  const handle = graphHandle(graph);
  if (!(x instanceof QuantizedTensor)) throw invalidArgType('x', 'a QuantizedTensor', x);
  if (x.dtype !== 'int8') {
    throw invalidArgValue('x', "int8 (symmetric) codes", described(`a QuantizedTensor of dtype '${x.dtype}'`));
  }
  const data = checkTensor('x.data', x.data, 'int8', [2]);
  checkNotDetached('x.scale', x.scale);
  const [rows, width] = data.shape;
  if (rows !== graph.numSrcNodes) {
    throw new GnnError(
      'ERR_GNN_SHAPE_MISMATCH',
      `x: expected ${graph.numSrcNodes} rows (one per source node of the graph), got shape [${data.shape.join(', ')}]`,
    );
  }
  const { reduce, weights, weightIds, heads } = aggregationOptions(graph, handle, opts, width, data.shape);
  const out = outputTensor(opts.out, [graph.numNodes, width], [data.data, x.scale, weights]);
  return { graph: handle, q: data.data, width, scale: x.scale, weights, weightIds, heads, out, reduce };
}

/** spmmInt8 on the calling thread (and the native pool). */
export function spmmInt8Sync(graph: Graph, x: QuantizedTensor, options?: SpmmInt8Options): Tensor<'float32'> {
  const c = prepare(graph, x, options, 'spmmInt8Sync');
  callSync(() => addon().qspmmSync(c.graph, c.q, c.width, c.scale, c.weights, c.weightIds, c.heads, c.out.data, c.reduce));
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
  return callAsync(
    site,
    () => addon().qspmmAsync(c.graph, c.q, c.width, c.scale, c.weights, c.weightIds, c.heads, c.out.data, c.reduce),
    c.out,
  );
}
