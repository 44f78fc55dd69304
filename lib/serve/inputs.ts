/**
 * The Predictor's input checks and row picking. @internal
 */
import { CsrMatrix } from '../csr-matrix';
import { GnnError, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import { Graph } from '../graph';
import type { Module } from '../nn/module';
import { Sequential } from '../nn/sequential';
import { Tensor } from '../tensor';
import { DEFAULT_LATENCY_BUCKETS } from './prometheus';

/** Rows of the features (ERR_INVALID_ARG_TYPE for anything but a 2-D float32 Tensor or a CsrMatrix). */
export function featureRows(x: unknown): number {
  if (x instanceof CsrMatrix) return x.shape[0];
  if (x instanceof Tensor && x.dtype === 'float32' && x.rank === 2) return x.shape[0];
  throw invalidArgType('x', 'a float32 Tensor [numNodes, F] or a CsrMatrix', x);
}

/** A Graph and features with one row per source node. */
export function checkData(graph: unknown, x: unknown): void {
  if (!(graph instanceof Graph)) throw invalidArgType('graph', 'a Graph', graph);
  const rows = featureRows(x);
  if (rows !== graph.numSrcNodes) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `x: expected ${graph.numSrcNodes} rows (one per node of the graph), got ${rows}`);
  }
}

/** The requested node ids as a fresh Int32Array: integers in [0, numNodes), at least one. */
export function checkNodes(nodes: unknown, numNodes: number): Int32Array {
  let ids: Int32Array;
  if (nodes instanceof Int32Array) ids = Int32Array.from(nodes); // a copy: the caller may reuse its array
  else if (Array.isArray(nodes)) {
    ids = new Int32Array(nodes.length);
    nodes.forEach((v: unknown, i) => {
      if (typeof v !== 'number') throw invalidArgType(`nodes[${i}]`, 'a node id (an integer)', v);
      if (!Number.isInteger(v) || v < 0 || v >= numNodes) throw outOfRange(`nodes[${i}]`, `a node id in [0, ${numNodes})`, v);
      ids[i] = v;
    });
  } else throw invalidArgType('nodes', 'an Int32Array or an array of node ids', nodes);
  if (ids.length === 0) throw invalidArgValue('nodes', 'at least one node id', nodes);
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < 0 || ids[i] >= numNodes) throw outOfRange(`nodes[${i}]`, `a node id in [0, ${numNodes})`, ids[i]);
  }
  return ids;
}

/** Latency histogram bounds: increasing finite positive seconds (default Prometheus's). */
export function checkBuckets(buckets: unknown): readonly number[] {
  if (buckets === undefined) return DEFAULT_LATENCY_BUCKETS;
  if (!Array.isArray(buckets) || buckets.length === 0) throw invalidArgType('latencyBuckets', 'a non-empty array of increasing positive numbers', buckets);
  buckets.forEach((b: unknown, i) => {
    if (typeof b !== 'number' || !Number.isFinite(b) || b <= 0 || (i > 0 && b <= (buckets[i - 1] as number))) {
      throw invalidArgValue(`latencyBuckets[${i}]`, 'a finite positive number above the previous one', b);
    }
  });
  return buckets as number[];
}

/** Whether the model answers forwardNodes: a Sequential whose every layer is node-local. */
export function supportsNodes(model: Module): boolean {
  if (!(model instanceof Sequential)) return false;
  try {
    model.receptiveHops();
    return true;
  } catch {
    return false;
  }
}

/** Rows `nodes` of a full-graph output [N, C] (or [N]), as [nodes.length, C]. */
export function pickRows(full: Tensor<'float32'>, nodes: Int32Array): Tensor<'float32'> {
  const n = full.shape[0];
  const cols = n === 0 ? 0 : full.numel / n;
  const out = new Float32Array(nodes.length * cols);
  for (let i = 0; i < nodes.length; i++) out.set(full.data.subarray(nodes[i] * cols, (nodes[i] + 1) * cols), i * cols);
  return Tensor.from(out, [nodes.length, cols]);
}
