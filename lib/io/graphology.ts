/**
 * From a graphology graph (or anything with its iteration API: order, size, type, forEachNode,
 * forEachEdge) to a Graph. Duck-typed: graphology is not a dependency.
 *
 * Nodes are numbered in the graph's node order (or the order the caller gives). Edges keep
 * graphology's edge order; a directed edge gives source -> target, an undirected one both
 * directions, side by side (a self loop once, as networkx's to_directed and so PyG's from_networkx
 * do). Parallel edges of multigraphs stay parallel.
 */
import { GnnError, described, describe, invalidArgType, invalidArgValue } from '../errors';
import { Graph } from '../graph';
import { checkOptions } from '../validate';

/** Node and edge keys as graphology hands them out (numbers are turned into strings there). */
type Key = string | number;
type Attributes = Record<string, unknown>;
type EdgeCallback = (
  edge: Key,
  attributes: Attributes,
  source: Key,
  target: Key,
  sourceAttributes: Attributes,
  targetAttributes: Attributes,
  undirected: boolean,
) => void;

/** The part of graphology's Graph API that fromGraphology uses. */
export interface GraphologyLike {
  /** Number of nodes. */
  readonly order: number;
  /** Number of edges (an undirected edge counts once). */
  readonly size: number;
  readonly type: 'directed' | 'undirected' | 'mixed' | string;
  forEachNode(callback: (node: Key, attributes: Attributes) => void): void;
  /** Either forEachEdge, or both forEachDirectedEdge and forEachUndirectedEdge. */
  forEachEdge?(callback: EdgeCallback): void;
  forEachDirectedEdge?(callback: EdgeCallback): void;
  forEachUndirectedEdge?(callback: EdgeCallback): void;
  /** Used for a mixed graph whose forEachEdge does not say which edges are undirected. */
  isUndirected?(edge: Key): boolean;
  /** Used when forEachEdge passes no attributes object. */
  getEdgeAttribute?(edge: Key, name: string): unknown;
}

export interface FromGraphologyOptions {
  /** Edge attribute holding the weight: a missing attribute weighs 1, a non-number is an error. Default: unweighted. */
  weightAttribute?: string;
  /** Node keys in the order of the dense ids (every node exactly once); default: the graph's node order. */
  nodeIds?: ReadonlyArray<string | number>;
}

export interface FromGraphologyResult {
  graph: Graph;
  /** The key of node i at index i. */
  nodeIds: string[];
}

const CODE = 'ERR_GNN_INVALID_GRAPH';
const MAX_NODES = 2 ** 31 - 1;
const MAX_EDGES = 2 ** 31 - 1;
const EXPECTED = 'a graphology Graph (order, size, type, forEachNode and forEachEdge)';

function fail(message: string): never {
  throw new GnnError(CODE, `fromGraphology: ${message}`);
}

function isFunction(value: unknown): value is (...args: never[]) => unknown {
  return typeof value === 'function';
}

function count(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    fail(`graph.${name}: expected a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

/** Converts a graphology graph; see the module comment for the edge order. */
export function fromGraphology(graph: GraphologyLike, options?: FromGraphologyOptions): FromGraphologyResult {
  const opts = checkOptions(options, 'fromGraphology', ['weightAttribute', 'nodeIds']);
  if (graph === null || typeof graph !== 'object') throw invalidArgType('graph', EXPECTED, graph);
  const g = graph as Partial<GraphologyLike>;
  const byType = isFunction(g.forEachDirectedEdge) && isFunction(g.forEachUndirectedEdge);
  if (!isFunction(g.forEachNode) || !(isFunction(g.forEachEdge) || byType) || !('order' in g) || !('size' in g)) {
    throw invalidArgType('graph', EXPECTED, graph);
  }
  const type = g.type;
  if (type !== 'directed' && type !== 'undirected' && type !== 'mixed') {
    throw invalidArgValue('graph', "a graph whose type is 'directed', 'undirected' or 'mixed'", described(`a graph of type ${describe(type)}`));
  }
  const weightName: unknown = opts.weightAttribute;
  if (weightName !== undefined && (typeof weightName !== 'string' || weightName.length === 0)) {
    if (typeof weightName !== 'string') throw invalidArgType('weightAttribute', 'a string', weightName);
    throw invalidArgValue('weightAttribute', 'a non-empty attribute name', weightName);
  }
  const order = count('order', g.order);
  const size = count('size', g.size);
  if (order > MAX_NODES) fail(`${order} nodes is more than ${MAX_NODES}`);

  // Node keys -> dense ids.
  const ids = new Map<string, number>();
  const graphKeys: string[] = [];
  g.forEachNode((node) => {
    const key = String(node);
    if (ids.has(key)) fail(`node ${JSON.stringify(key)} visited twice`);
    if (graphKeys.length >= order) fail(`forEachNode visited more than graph.order (${order}) nodes`);
    ids.set(key, graphKeys.length);
    graphKeys.push(key);
  });
  if (graphKeys.length !== order) fail(`forEachNode visited ${graphKeys.length} nodes, graph.order is ${order}`);
  let nodeIds = graphKeys;
  if (opts.nodeIds !== undefined) {
    const given: unknown = opts.nodeIds;
    if (!Array.isArray(given)) throw invalidArgType('nodeIds', 'an array of node keys', given);
    if (given.length !== order) throw invalidArgValue('nodeIds', `every node of the graph once (${order} keys)`, given);
    const seen = new Map<string, number>();
    nodeIds = given.map((k: unknown, i: number) => {
      if (typeof k !== 'string' && typeof k !== 'number') throw invalidArgType(`nodeIds[${i}]`, 'a string or number', k);
      const key = String(k);
      if (!ids.has(key)) throw invalidArgValue(`nodeIds[${i}]`, 'a node of the graph', k);
      if (seen.has(key)) throw invalidArgValue(`nodeIds[${i}]`, `a key not already at nodeIds[${seen.get(key)}]`, k);
      seen.set(key, i);
      return key;
    });
    ids.clear();
    nodeIds.forEach((key, i) => ids.set(key, i));
  }

  // Edges: at most two directed edges per graphology edge.
  const capacity = Math.min(2 * size, MAX_EDGES);
  const src = new Int32Array(capacity);
  const dst = new Int32Array(capacity);
  const weights = weightName === undefined ? null : new Float32Array(capacity);
  let n = 0;
  let visited = 0;
  const idOf = (key: Key, edge: Key, end: string): number => {
    const id = ids.get(String(key));
    if (id === undefined) fail(`edge ${JSON.stringify(String(edge))}: its ${end} ${JSON.stringify(String(key))} is not a node of the graph`);
    return id;
  };
  const weightOf = (edge: Key, attributes: unknown): number => {
    const name = weightName as string;
    let value: unknown;
    if (attributes !== null && typeof attributes === 'object') value = (attributes as Attributes)[name];
    else if (isFunction(g.getEdgeAttribute)) value = g.getEdgeAttribute(edge, name);
    if (value === undefined) return 1;
    if (typeof value !== 'number') fail(`edge ${JSON.stringify(String(edge))}: attribute ${JSON.stringify(name)} should be a number, got ${describe(value)}`);
    const f = Math.fround(value);
    if (!Number.isFinite(f)) {
      fail(`edge ${JSON.stringify(String(edge))}: attribute ${JSON.stringify(name)} = ${value} is ${Number.isFinite(value) ? "beyond float32's range" : 'not finite'}`);
    }
    return f;
  };
  const add = (edge: Key, attributes: unknown, source: Key, target: Key, undirected: boolean): void => {
    if (++visited > size) fail(`visited more than graph.size (${size}) edges`);
    if (n + 2 > capacity && (undirected || n + 1 > capacity)) fail(`more than ${MAX_EDGES} directed edges`);
    const u = idOf(source, edge, 'source');
    const v = idOf(target, edge, 'target');
    const w = weights === null ? 0 : weightOf(edge, attributes);
    src[n] = u;
    dst[n] = v;
    if (weights !== null) weights[n] = w;
    n++;
    if (undirected && u !== v) {
      src[n] = v;
      dst[n] = u;
      if (weights !== null) weights[n] = w;
      n++;
    }
  };
  const mixedFlag = (edge: Key, flag: unknown): boolean => {
    if (typeof flag === 'boolean') return flag;
    if (isFunction(g.isUndirected)) return g.isUndirected(edge) === true;
    fail(`mixed graph: forEachEdge does not say whether edge ${JSON.stringify(String(edge))} is undirected, and there is no isUndirected()`);
  };
  if (type !== 'mixed' && isFunction(g.forEachEdge)) {
    const undirected = type === 'undirected';
    g.forEachEdge((edge, attributes, source, target) => add(edge, attributes, source, target, undirected));
  } else if (isFunction(g.forEachEdge)) {
    g.forEachEdge((edge, attributes, source, target, _sa, _ta, undirected) => add(edge, attributes, source, target, mixedFlag(edge, undirected)));
  } else {
    // Only the typed iterators: directed edges first, then undirected ones.
    (g.forEachDirectedEdge as (cb: EdgeCallback) => void).call(g, (edge, attributes, source, target) => add(edge, attributes, source, target, false));
    (g.forEachUndirectedEdge as (cb: EdgeCallback) => void).call(g, (edge, attributes, source, target) => add(edge, attributes, source, target, true));
  }
  if (visited !== size) fail(`visited ${visited} edges, graph.size is ${size}`);
  const edgeWeight = weights === null ? undefined : weights.subarray(0, n);
  const built = Graph.fromCOO(src.subarray(0, n), dst.subarray(0, n), edgeWeight === undefined ? { numNodes: order } : { numNodes: order, edgeWeight });
  return { graph: built, nodeIds };
}
