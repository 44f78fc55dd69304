/**
 * Receptive-field inference: a model's output rows for a few query nodes, computing at each layer
 * only the rows the layers after it read (the frontier, block.ts). The serving path: its cost
 * follows the query's L-hop neighbourhood, not the graph.
 *
 * - Without a fan-out the rows are the same bits as the full-graph forward's (each layer derives
 *   its graph from the full graph and sees every row's edges, weights and order unchanged; the
 *   kernels compute a row independently of the others and of its position).
 * - With `fanout` (one entry per hop, the query nodes' own neighbours first, as PyG's
 *   num_neighbors; −1 = all), each node aggregates over at most that many of its in-edges, drawn
 *   uniformly without replacement from a stream that depends only on (seed, hop, node).
 * - `embed` caches the output of the model's first layers over the full graph, so that a query
 *   needs only the hops after them.
 * @internal
 */
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
