/**
 * Receptive-field inference: a model's output rows for a few query nodes, computing at each layer
 * only the rows the layers after it read (the frontier, block.ts). The serving path: its cost
 * follows the query's L-hop neighbourhood, not the graph.
 *
 * API (on Sequential, so on Model): forwardNodesSync(graph, x, nodes, { fanout, seed, edgeAttr })
 * runs on the calling thread, forwardNodes(...) is its Promise form (the forward / forwardSync
 * naming, as Node's fs); embedSync / embed and clearEmbeddings manage the embedding cache.
 *
 * Exact (no fanout): the rows are the same bits as the full-graph forward's. Each layer derives its
 * graph from the FULL graph (GCN normalisation and degrees, GAT's loops, DGL's degree weights, the
 * Chebyshev Laplacian; cached per graph) and runs on its restriction to the frontier rows, so every
 * row sees the same edges, weights and order; the kernels compute a row independently of the other
 * rows and of its position (spmm and attention: one task per row; GEMM: each element accumulated in
 * increasing k in K-blocks that depend on K and M only, partial row tiles included). When the
 * frontier exceeds receptiveSettings.fullPassFraction of the graph, the full pass runs instead and
 * its rows are picked (same bits, less work).
 *
 * Fan-out: one entry per hop, the query nodes' own neighbours first (PyG's num_neighbors order);
 * −1 = all. A node with more in-edges than its hop's fanout keeps `fanout` of them, uniformly
 * without replacement, from a stream that depends only on (seed, hop distance, node): the same
 * node gets the same sample whatever else is queried, on any thread count. Parallel edges count as
 * separate edges (as PyG and DGL sample edges). Self loops are not sampled: they are always kept.
 * Then, on the sampled edges:
 * - mean (SAGE, GIN, GraphConv 'mean'): the mean over the sampled edges, as PyG's NeighborLoader;
 * - sum (GIN, GraphConv 'add', SAGE 'sum'), max, min: over the sample, not rescaled (PyG, DGL);
 * - GAT / GATv2: softmax over the sampled edges plus the node's loop (as PyG on the subgraph);
 * - GCN, SGConv, APPNP, ChebConv and DGL's degree norms: each kept edge keeps its FULL-graph
 *   normalised weight (degrees of the full graph, loop included); nothing is renormalised over the
 *   sample. This differs from PyG's NeighborLoader + GCNConv, whose gcn_norm runs on the sampled
 *   subgraph (degrees = sampled in-degree + 1, and an outermost-hop source has degree 1), and from
 *   DGL's GraphConv on a block (block degrees). Ours makes the self term exact and the neighbour
 *   term a k-of-d subsample of the exact sum (in expectation k/d of it); use fanout with mean
 *   aggregators when an unbiased scale matters.
 * DGL's zero-in-degree check applies to the frontier rows only.
 *
 * Embedding cache: embed(graph, x, { layers }) runs the first `layers` top-level layers over the
 * full graph (default: every layer before the last one that reads neighbours) and keeps the output;
 * a later forwardNodes with the same graph object and the same x object starts there, so it costs
 * the remaining hops only (fanout then has one entry per remaining hop). One embedding per model;
 * embed() replaces it, clearEmbeddings() drops it; it is not invalidated by in-place changes to x
 * or to the parameters (identity, not contents, is the key). If `layers` splits a Linear from the
 * activation after it, the full pass fuses them and the embedding does not (the rows can then
 * differ in the last bit).
 * @internal
 */
import { cpuOnly } from '../device';
import { GnnError, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import { CsrMatrix, denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import { Graph } from '../graph';
import { Tensor } from '../tensor';
import { checkInteger, checkOptions } from '../validate';
import { buildFrontier, gatherRows } from './block';
import type { Frontier } from './block';
import type { ForwardContext, Module } from './module';
import { scoped } from './scope';
import type { Steps } from './steps';

export interface ForwardNodesOptions {
  /**
   * Per hop, from the query nodes outwards (PyG's num_neighbors order): the most in-edges a node
   * aggregates over, sampled without replacement; −1 keeps all. One entry per hop of the model
   * (per message-passing layer; SGConv and APPNP take K hops, ChebConv K − 1), counting only the
   * layers after a cached embedding. Default: no sampling (exact rows).
   */
  fanout?: readonly number[];
  /** Seed of the sampling (an integer in [0, 2^32)); default 0. */
  seed?: number;
  /** Per-edge features of the full graph, as `ForwardContext.edgeAttr` (GATConv's edgeDim). */
  edgeAttr?: Tensor<'float32'>;
}

export interface EmbedOptions {
  /**
   * How many of the model's top-level layers to run over the full graph. Default: every layer
   * before the last one that reads neighbours, so that a query then costs one hop.
   */
  layers?: number;
}

/** A cached embedding: the output of the first `layers` layers on (graph, x). */
export interface Embedding {
  graph: Graph;
  x: Features;
  layers: number;
  output: Tensor<'float32'>;
}

/** What a container must offer to be queried: its top-level layers and its plan. */
export interface Chain {
  readonly layers: ReadonlyArray<readonly [string, Module]>;
  /** A container running layers [start, end) of this one. */
  slice(start: number, end?: number): Module;
}

/** The number of layers `embed` runs by default, checked. */
export function embedLayers(chain: Chain, options: EmbedOptions | undefined): number {
  const opts = checkOptions(options, 'embed', ['layers']);
  const n = chain.layers.length;
  if (opts.layers !== undefined) return checkInteger('layers', opts.layers, 0, n);
  let last = -1;
  chain.layers.forEach(([, m], i) => {
    if (m.receptiveHops() > 0) last = i;
  });
  return Math.max(last, 0);
}

/** A planned query: the steps of its forward pass and the step that orders the rows as asked. */
export interface Query {
  steps: Steps;
  finish(result: Features): Tensor<'float32'>;
  /** null when the frontier grew past receptiveSettings.fullPassFraction of the graph and the full pass runs instead. */
  frontier: Frontier | null;
}

/**
 * Without sampling, a frontier S_0 above `fullPassFraction` of the nodes runs the full-graph pass
 * instead (the tests raise it to check the blocks on large frontiers too).
 */
export const receptiveSettings = { fullPassFraction: 0.3 };

function rowsOf(x: Features): number {
  if (x instanceof CsrMatrix) return x.shape[0];
  if (x instanceof Tensor && x.shape.length === 2) return x.shape[0];
  throw invalidArgType('x', 'a float32 Tensor [numNodes, F] or a CsrMatrix', x);
}

function checkNodes(graph: Graph, nodes: unknown): Int32Array {
  if (!(nodes instanceof Int32Array)) throw invalidArgType('nodes', 'an Int32Array of node ids', nodes);
  for (let i = 0; i < nodes.length; i++) {
    const v = nodes[i];
    if (!(v >= 0 && v < graph.numNodes)) throw outOfRange(`nodes[${i}]`, `a node id in [0, ${graph.numNodes})`, v);
  }
  return nodes;
}

function checkFanout(fanout: unknown, hops: number): readonly number[] | null {
  if (fanout === undefined) return null;
  if (!Array.isArray(fanout)) throw invalidArgType('fanout', 'an array of integers (one per hop, -1 = all)', fanout);
  if (fanout.length !== hops) throw invalidArgValue('fanout', `${hops} entries (one per hop of the model)`, fanout);
  fanout.forEach((k, i) => checkInteger(`fanout[${i}]`, k, -1, 2 ** 31 - 1));
  return fanout;
}

/** Plans a receptive-field pass of `chain` (whose plan is `plan`) for `nodes`. */
export function planQuery(
  chain: Chain & Module,
  graph: Graph,
  x: Features,
  nodes: Int32Array,
  options: ForwardNodesOptions | undefined,
  embedding: Embedding | null,
): Query {
  const opts = checkOptions(options, 'forwardNodes', ['fanout', 'seed', 'edgeAttr']);
  if (!(graph instanceof Graph)) throw invalidArgType('graph', 'a Graph', graph);
  // Blocks are cut, sampled and sliced on the host: receptive-field queries run on the CPU only.
  if (graph.device !== 'cpu') throw cpuOnly('forwardNodes', 'graph', graph.device);
  if (x instanceof Tensor && x.device !== 'cpu') throw cpuOnly('forwardNodes', 'x', x.device);
  if (chain.device !== 'cpu') throw cpuOnly('forwardNodes', 'the model', chain.device);
  if (graph.numSrcNodes !== graph.numNodes) {
    throw invalidArgValue('graph', 'a square graph (receptive-field inference cuts its own blocks)', graph);
  }
  checkNodes(graph, nodes);
  const seed = checkInteger('seed', opts.seed ?? 0, 0, 2 ** 32 - 1);
  const cached = embedding !== null && embedding.graph === graph && embedding.x === x;
  const start = cached ? embedding.layers : 0;
  const input: Features = cached ? embedding.output : x;
  if (rowsOf(input) !== graph.numNodes) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `x: expected ${graph.numNodes} rows (one per node of the graph), got ${rowsOf(input)}`);
  }
  const model = start === 0 ? chain : chain.slice(start);
  const hops = model.receptiveHops();
  const fanout = checkFanout(opts.fanout, hops);

  // The distinct query nodes in order of first appearance, and where each request finds its row.
  const first = new Map<number, number>();
  const unique: number[] = [];
  const where = new Int32Array(nodes.length);
  let reordered = false;
  for (let i = 0; i < nodes.length; i++) {
    let u = first.get(nodes[i]);
    if (u === undefined) {
      u = unique.length;
      first.set(nodes[i], u);
      unique.push(nodes[i]);
    }
    where[i] = u;
    if (u !== i) reordered = true;
  }
  const context: ForwardContext = opts.edgeAttr === undefined ? {} : { edgeAttr: opts.edgeAttr };
  // Without sampling, a frontier that covers most of the graph costs more to cut than to skip: the
  // full pass gives the same rows (that is the contract), so run it and pick them.
  const maxNodes = fanout === null || fanout.every((k) => k < 0) ? receptiveSettings.fullPassFraction * graph.numNodes : Infinity;
  const frontier = buildFrontier(graph, Int32Array.from(unique), hops, { fanout, seed, maxNodes });
  if (frontier === null) {
    return {
      steps: scoped(model, graph, input, context, chain.plan),
      finish: (result) => gatherRows(denseFeatures(result), nodes) as Tensor<'float32'>,
      frontier: null,
    };
  }
  const x0 = gatherRows(input, frontier.nodes);
  return {
    steps: scoped(model, frontier.blocks[0], x0, context, chain.plan),
    finish: (result) => {
      const dense = denseFeatures(result);
      return reordered ? (gatherRows(dense, where) as Tensor<'float32'>) : dense;
    },
    frontier,
  };
}
