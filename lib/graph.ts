/**
 * Graph: an immutable, validated CSR over destination nodes (row v lists the sources of v's
 * incoming edges). It remembers, for every CSR position, the edge's index in the caller's input
 * order, so per-edge data can be given and returned in that order.
 *
 * A graph on a CUDA device (`graph.to('cuda')`) keeps its host arrays (accessors and transforms
 * run on the host, and what they derive is on the same device) and uploads a device copy of its
 * arrays on first use by an op, once per device; `dispose()` releases the device copies.
 */
import { addon } from './backend';
import { cudaFor, cudaIndex, parseDevice } from './device';
import type { Device, DeviceSpec } from './device';
import { GnnError, fromNative, invalidArgType, invalidArgValue, outOfRange } from './errors';
import type { DeviceGraph, NativeCuda } from './native-cuda-types';
import type { NativeGraph, NativeGraphArrays } from './native-types';
import { REDUCE_CODES } from './native-types';
import { Tensor, checkTensor } from './tensor';
import { checkInteger, checkNotDetached, checkOptions } from './validate';

/** CSR row pointers: int32 while the edge count fits, int64 beyond. */
export type IndptrArray = Int32Array | BigInt64Array;

/** Per-edge weights accepted by graph constructors, in the caller's edge order. */
export type EdgeWeightInput = Float32Array | Tensor<'float32'>;

export interface FromEdgeIndexOptions {
  /** One weight per edge, in the order of `edgeIndex`. */
  edgeWeight?: EdgeWeightInput;
}

export interface FromCOOOptions extends FromEdgeIndexOptions {
  /** Number of nodes; default: largest id + 1. */
  numNodes?: number;
}

export interface FromCSROptions {
  /** Number of source nodes (rows of the features); default: the number of destination rows. */
  numSrcNodes?: number;
  /** One weight per CSR entry. */
  edgeWeight?: EdgeWeightInput;
}

export interface GcnNormOptions {
  /** Add a self loop to every node first (PyG's add_remaining_self_loops); default true. */
  addSelfLoops?: boolean;
  /** Loops get weight 2 instead of 1 (Â = A + 2I); default false. */
  improved?: boolean;
}

export type EdgeReduce = 'sum' | 'mean' | 'max' | 'min';

const MAX_NODES = 2 ** 31 - 1;

let handleOf: (g: Graph) => NativeGraph;
let withCsrWeightsOf: (g: Graph, weights: Float32Array) => Graph;
let fromHandle: (handle: NativeGraph) => Graph;

/**
 * Device copies of a graph's arrays, keyed by its handle (the frozen arrays): a graph and the copies
 * `to()` makes of it on other devices share one upload per device.
 */
const uploads = new WeakMap<NativeGraph, Map<number, { cuda: NativeCuda; graph: DeviceGraph }>>();
const disposeHooks: Array<(g: Graph) => void> = [];

function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw fromNative(error);
  }
}

function edgeWeightArray(name: string, w: EdgeWeightInput | undefined): Float32Array | null {
  if (w === undefined) return null;
  if (w instanceof Tensor) return checkTensor(name, w, 'float32', [1]).data;
  if (!(w instanceof Float32Array)) throw invalidArgType(name, 'a Float32Array or float32 Tensor', w);
  checkNotDetached(name, w);
  return w;
}

function toInt32Ids(name: string, ids: Int32Array | BigInt64Array): Int32Array {
  if (ids instanceof Int32Array) return ids;
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (v < -2147483648n || v > 2147483647n) {
      throw new GnnError('ERR_GNN_INVALID_GRAPH', `${name}: expected node ids below 2^31, got ${name}[${i}] = ${v}`);
    }
    out[i] = Number(v);
  }
  return out;
}

export class Graph {
  /** Destination nodes (rows of the output). */
  readonly numNodes: number;
  /** Source nodes (rows of the input features); equals numNodes unless bipartite. */
  readonly numSrcNodes: number;
  /** Edges (CSR entries). */
  readonly numEdges: number;

  /** 'cpu', or 'cuda:N' for a graph whose ops run on GPU N. */
  readonly device: Device;

  readonly #handle: NativeGraph;
  #copies: { indptr?: IndptrArray; indices?: Int32Array; edgeIds?: Int32Array; edgeWeight?: Float32Array } = {};

  static {
    handleOf = (g: Graph) => g.#handle;
    withCsrWeightsOf = (g: Graph, weights: Float32Array) => {
      const h = g.#handle;
      return Graph.#make({ indptr: h.indptr, indices: h.indices, edgeIds: h.edgeIds, weights }, g.numSrcNodes, g.device);
    };
    fromHandle = (handle: NativeGraph) => new Graph(handle, 'cpu');
  }

  private constructor(handle: NativeGraph, device: Device) {
    this.numNodes = handle.indptr.length - 1;
    this.numSrcNodes = handle.numCols;
    this.numEdges = handle.indices.length;
    this.device = device;
    this.#handle = handle;
  }

  static #make(arrays: NativeGraphArrays, numSrcNodes: number, device: Device): Graph {
    const handle = Object.freeze({
      indptr: arrays.indptr,
      indices: arrays.indices,
      edgeIds: arrays.edgeIds,
      weights: arrays.weights,
      numCols: numSrcNodes,
    });
    return new Graph(handle, device);
  }

  /**
   * From PyG's `edge_index`: an Int32Array (or BigInt64Array, or int32 Tensor [2, E]) of length
   * 2E whose first E entries are the sources and last E the targets.
   */
  static fromEdgeIndex(
    edgeIndex: Int32Array | BigInt64Array | Tensor<'int32'>,
    numNodes?: number,
    options?: FromEdgeIndexOptions,
  ): Graph {
    const opts = checkOptions(options, 'Graph.fromEdgeIndex', ['edgeWeight']);
    let flat: Int32Array;
    if (edgeIndex instanceof Tensor) {
      const t = checkTensor('edgeIndex', edgeIndex, 'int32', [2]);
      if (t.shape[0] !== 2) {
        throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `edgeIndex: expected shape [2, E], got [${t.shape.join(', ')}]`);
      }
      flat = t.data;
    } else if (edgeIndex instanceof Int32Array || edgeIndex instanceof BigInt64Array) {
      checkNotDetached('edgeIndex', edgeIndex);
      if (edgeIndex.length % 2 !== 0) {
        throw invalidArgValue('edgeIndex', 'an even length (sources then targets)', edgeIndex);
      }
      flat = toInt32Ids('edgeIndex', edgeIndex);
    } else {
      throw invalidArgType('edgeIndex', 'an Int32Array, BigInt64Array or int32 Tensor of shape [2, E]', edgeIndex);
    }
    const e = flat.length / 2;
    return Graph.#fromCoo(flat.subarray(0, e), flat.subarray(e), numNodes, opts.edgeWeight);
  }

  /** From separate source and target arrays of equal length. */
  static fromCOO(src: Int32Array, dst: Int32Array, options?: FromCOOOptions): Graph {
    const opts = checkOptions(options, 'Graph.fromCOO', ['numNodes', 'edgeWeight']);
    if (!(src instanceof Int32Array)) throw invalidArgType('src', 'an Int32Array', src);
    if (!(dst instanceof Int32Array)) throw invalidArgType('dst', 'an Int32Array', dst);
    checkNotDetached('src', src);
    checkNotDetached('dst', dst);
    if (src.length !== dst.length) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `dst: expected ${src.length} entries like src, got ${dst.length}`);
    }
    return Graph.#fromCoo(src, dst, opts.numNodes, opts.edgeWeight);
  }

  static #fromCoo(src: Int32Array, dst: Int32Array, numNodes: number | undefined, edgeWeight: EdgeWeightInput | undefined): Graph {
    const n = numNodes === undefined ? -1 : checkInteger('numNodes', numNodes, 0, MAX_NODES);
    const w = edgeWeightArray('edgeWeight', edgeWeight);
    if (w !== null && w.length !== src.length) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `edgeWeight: expected one weight per edge (${src.length}), got ${w.length}`);
    }
    const arrays = call(() => addon().csrFromEdgeIndex(src, dst, n, w));
    return Graph.#make(arrays, arrays.numNodes, 'cpu');
  }

  /**
   * From CSR arrays over destination rows: `indptr` (numNodes + 1 entries, Int32Array or
   * BigInt64Array) and `indices` (source ids). The arrays are copied and validated.
   */
  static fromCSR(indptr: IndptrArray, indices: Int32Array, options?: FromCSROptions): Graph {
    const opts = checkOptions(options, 'Graph.fromCSR', ['numSrcNodes', 'edgeWeight']);
    if (!(indptr instanceof Int32Array) && !(indptr instanceof BigInt64Array)) {
      throw invalidArgType('indptr', 'an Int32Array or BigInt64Array', indptr);
    }
    if (!(indices instanceof Int32Array)) throw invalidArgType('indices', 'an Int32Array', indices);
    checkNotDetached('indptr', indptr);
    checkNotDetached('indices', indices);
    if (indptr.length < 1) throw invalidArgValue('indptr', 'at least one entry (numNodes + 1)', indptr);
    const numNodes = indptr.length - 1;
    if (numNodes > MAX_NODES) throw outOfRange('indptr', `at most 2^31 entries`, indptr);
    const numSrc = opts.numSrcNodes === undefined ? numNodes : checkInteger('numSrcNodes', opts.numSrcNodes, 0, MAX_NODES);
    const w = edgeWeightArray('edgeWeight', opts.edgeWeight);
    if (w !== null && w.length !== indices.length) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `edgeWeight: expected one weight per edge (${indices.length}), got ${w.length}`);
    }
    call(() => addon().validateCsr(indptr, indices, numSrc, w));
    // Copies: the caller keeps its arrays; the graph's own stay immutable.
    let ptr: IndptrArray = indptr.slice();
    if (ptr instanceof BigInt64Array && indices.length <= MAX_NODES) ptr = Int32Array.from(ptr, (v) => Number(v));
    return Graph.#make({ indptr: ptr, indices: indices.slice(), edgeIds: null, weights: w === null ? null : w.slice() }, numSrc, 'cpu');
  }

  /** Whether the graph carries edge weights. */
  get hasEdgeWeight(): boolean {
    return this.#handle.weights !== null;
  }

  /**
   * CSR row pointers. This and the other array accessors return a copy, made on first access and
   * returned again after: changing it never changes the graph (the kernels use their own arrays).
   */
  get indptr(): IndptrArray {
    return (this.#copies.indptr ??= this.#handle.indptr.slice());
  }

  /** CSR column indices: the source of each CSR entry (a copy). */
  get indices(): Int32Array {
    return (this.#copies.indices ??= this.#handle.indices.slice());
  }

  /** For each CSR position, the index of that edge in the caller's input order (a copy). */
  get edgeIds(): Int32Array {
    if (this.#copies.edgeIds === undefined) {
      const ids = this.#handle.edgeIds;
      if (ids !== null) {
        this.#copies.edgeIds = ids.slice();
      } else {
        const identity = new Int32Array(this.numEdges);
        for (let i = 0; i < identity.length; i++) identity[i] = i;
        this.#copies.edgeIds = identity;
      }
    }
    return this.#copies.edgeIds;
  }

  /** Edge weights in CSR order (a copy), or null when the graph is unweighted. */
  get edgeWeight(): Float32Array | null {
    const w = this.#handle.weights;
    if (w === null) return null;
    return (this.#copies.edgeWeight ??= w.slice());
  }

  /** Number of in-edges of every node. */
  inDegrees(): Int32Array {
    return call(() => addon().degrees(this.#handle, 0));
  }

  /** Number of out-edges of every source node. */
  outDegrees(): Int32Array {
    return call(() => addon().degrees(this.#handle, 1));
  }

  /**
   * PyG's add_remaining_self_loops: drops existing loops and adds one loop per node. On a
   * weighted graph a node's loop keeps the weight of its (last) existing loop, other nodes' loops
   * get `fillValue` (default 1). On an unweighted graph, giving `fillValue` makes the result
   * weighted, exactly as PyG given `edge_weight = ones`: every existing edge (existing loops
   * included) weighs 1. New edge order: the non-loop edges in order, then the loops by node.
   */
  addSelfLoops(options?: { fillValue?: number }): Graph {
    const opts = checkOptions(options, 'addSelfLoops', ['fillValue']);
    if (opts.fillValue !== undefined && typeof opts.fillValue !== 'number') {
      throw invalidArgType('fillValue', 'a number', opts.fillValue);
    }
    const fill = opts.fillValue ?? 1;
    const arrays = call(() => addon().addSelfLoops(this.#handle, fill, opts.fillValue !== undefined));
    return Graph.#make(arrays, this.numSrcNodes, this.device);
  }

  /** Drops every self loop; the remaining edges keep their order. */
  removeSelfLoops(): Graph {
    const arrays = call(() => addon().removeSelfLoops(this.#handle));
    return Graph.#make(arrays, this.numSrcNodes, this.device);
  }

  /**
   * PyG's gcn_norm: optionally adds self loops (weight 1, or 2 with `improved`), then weights each
   * edge u -> v by d(u)^-1/2 · w · d(v)^-1/2, where d is the weighted in-degree (PyG uses the
   * target side at both ends) and d^-1/2 = 0 where d = 0. Returns a weighted graph.
   *
   * Note: PyG's own gcn_norm ignores `improved` when it is given no edge weights (its loops get
   * weight 1); this method applies `improved` either way. The GCN layer reproduces PyG exactly.
   */
  gcnNorm(options?: GcnNormOptions): Graph {
    const opts = checkOptions(options, 'gcnNorm', ['addSelfLoops', 'improved']);
    const add = opts.addSelfLoops ?? true;
    const improved = opts.improved ?? false;
    if (typeof add !== 'boolean') throw invalidArgType('addSelfLoops', 'a boolean', add);
    if (typeof improved !== 'boolean') throw invalidArgType('improved', 'a boolean', improved);
    let g: Graph = this;
    if (add) g = this.hasEdgeWeight || improved ? this.addSelfLoops({ fillValue: improved ? 2 : 1 }) : this.addSelfLoops();
    const weights = call(() => addon().gcnNorm(g.#handle));
    const h = g.#handle;
    return Graph.#make({ indptr: h.indptr, indices: h.indices, edgeIds: h.edgeIds, weights }, g.numSrcNodes, this.device);
  }

  /**
   * PyG's to_undirected: adds the reverse of every edge and merges duplicates (their weights
   * combined by `reduce`, default 'sum' as PyG's 'add'; a self loop meets its own reverse, so
   * 'sum' doubles its weight exactly as PyG does). New edge order: sorted by (source, target).
   */
  toUndirected(options?: { reduce?: EdgeReduce }): Graph {
    const opts = checkOptions(options, 'toUndirected', ['reduce']);
    const reduce = opts.reduce ?? 'sum';
    if (!Object.prototype.hasOwnProperty.call(REDUCE_CODES, reduce)) {
      throw invalidArgValue('reduce', "'sum', 'mean', 'max' or 'min'", reduce);
    }
    const arrays = call(() => addon().toUndirected(this.#handle, REDUCE_CODES[reduce]));
    return Graph.#make(arrays, this.numSrcNodes, this.device);
  }

  /**
   * A graph with the same edges and new weights, given in the caller's edge order (as the
   * `edgeWeight` of the constructor).
   */
  withEdgeWeight(edgeWeight: EdgeWeightInput): Graph {
    const w = edgeWeightArray('edgeWeight', edgeWeight);
    if (w === null) throw invalidArgType('edgeWeight', 'a Float32Array or float32 Tensor', edgeWeight);
    if (w.length !== this.numEdges) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `edgeWeight: expected one weight per edge (${this.numEdges}), got ${w.length}`);
    }
    const h = this.#handle;
    const ids = h.edgeIds;
    const csr = ids === null ? w.slice() : Float32Array.from(ids, (e) => w[e]);
    return Graph.#make({ indptr: h.indptr, indices: h.indices, edgeIds: ids, weights: csr }, this.numSrcNodes, this.device);
  }

  /** The edges in the caller's order, as PyG's edge_index [2, E] (flat) and edge weights. */
  toEdgeIndex(): { edgeIndex: Int32Array; edgeWeight: Float32Array | null } {
    const h = this.#handle;
    const e = this.numEdges;
    const edgeIndex = new Int32Array(2 * e);
    const edgeWeight = h.weights === null ? null : new Float32Array(e);
    const ptr = h.indptr;
    for (let v = 0; v < this.numNodes; v++) {
      const begin = Number(ptr[v]);
      const end = Number(ptr[v + 1]);
      for (let j = begin; j < end; j++) {
        const id = h.edgeIds === null ? j : h.edgeIds[j];
        edgeIndex[id] = h.indices[j];
        edgeIndex[e + id] = v;
        if (edgeWeight !== null) edgeWeight[id] = (h.weights as Float32Array)[j];
      }
    }
    return { edgeIndex, edgeWeight };
  }

  /**
   * This graph for ops on `device` ('cpu', 'cuda' or 'cuda:N'): a Graph over the same host arrays
   * (this graph itself when it is already there). A CUDA graph uploads its arrays on first use by an
   * op and keeps the copy (one per device, shared with every graph over the same arrays).
   * ERR_GNN_BACKEND_UNAVAILABLE when the device cannot be used (and says why).
   */
  to(device: DeviceSpec): Graph {
    const target = parseDevice(device);
    if (target === this.device) return this;
    if (target !== 'cpu') cudaFor(target);
    return new Graph(this.#handle, target);
  }

  /**
   * Releases the device copies of this graph's arrays (on every device) and of the graphs the
   * layers derived from it (normalisations, self loops), now rather than when the graph is
   * collected. The graph stays usable: its next op on a device uploads again. Idempotent.
   */
  dispose(): void {
    const copies = uploads.get(this.#handle);
    if (copies !== undefined) {
      uploads.delete(this.#handle);
      for (const { cuda, graph } of copies.values()) call(() => cuda.graphFree(graph));
    }
    for (const hook of disposeHooks) hook(this);
  }

  /** `using g = graph.to('cuda')` releases its device copies at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    const kind = this.numSrcNodes === this.numNodes ? `${this.numNodes} nodes` : `${this.numSrcNodes} -> ${this.numNodes} nodes`;
    const where = this.device === 'cpu' ? '' : `, ${this.device}`;
    return `Graph(${kind}, ${this.numEdges} edges${this.hasEdgeWeight ? ', weighted' : ''}${where})`;
  }
}

/**
 * The device copy of a CUDA graph's arrays, uploaded on first use and kept (per handle and
 * device). @internal
 */
export function deviceGraph(g: Graph): DeviceGraph {
  const h = handleOf(g);
  const index = cudaIndex(g.device);
  const cuda = cudaFor(g.device);
  let copies = uploads.get(h);
  const hit = copies?.get(index);
  if (hit !== undefined && hit.cuda === cuda) return hit.graph;
  const graph = call(() => cuda.graphUpload(index, h.indptr, h.indices, h.edgeIds, h.weights, g.numNodes, g.numSrcNodes));
  if (copies === undefined) uploads.set(h, (copies = new Map()));
  copies.set(index, { cuda, graph });
  return graph;
}

/** Runs `hook(graph)` whenever a graph is disposed (the layers' derived-graph cache). @internal */
export function onGraphDispose(hook: (g: Graph) => void): void {
  disposeHooks.push(hook);
}

/**
 * A CPU Graph over arrays that already passed validation (the CUDA test double rebuilds its
 * uploads with it); the arrays are used as they are. @internal
 */
export function graphFromValidatedArrays(arrays: NativeGraphArrays, numSrcNodes: number): Graph {
  return fromHandle(Object.freeze({ ...arrays, numCols: numSrcNodes }));
}

/**
 * The same graph with new weights given in CSR order (computed from the graph's own arrays, e.g. a
 * layer's normalisation). The caller must pass one finite weight per CSR entry. @internal
 */
export function withCsrWeights(g: Graph, weights: Float32Array): Graph {
  if (weights.length !== g.numEdges) {
    throw new GnnError('ERR_GNN_INTERNAL', `withCsrWeights: expected ${g.numEdges} weights, got ${weights.length}`);
  }
  return withCsrWeightsOf(g, weights);
}

/** The validated arrays the kernels receive. @internal */
export function graphHandle(g: Graph): NativeGraph {
  if (!(g instanceof Graph)) throw invalidArgType('graph', 'a Graph', g);
  return handleOf(g);
}

