/**
 * Blocks: the graphs a layer runs on in receptive-field inference (receptive.ts). For a set of
 * query nodes and a model of H hops, the frontier is a chain of node sets S_0 ⊇ S_1 ⊇ … ⊇ S_H (S_H
 * the query nodes, S_{h−1} = S_h plus the in-neighbours of S_h), laid out so that each set is a
 * prefix of the one before (dst nodes first, as DGL's blocks and PyG's NeighborLoader order them):
 * local id i is the same node in every set that holds it, and the rows of S_h are the first |S_h|
 * rows of any tensor over S_{h−1}.
 *
 * The block of hop h is a bipartite Graph with numNodes = |S_h| destination rows, numSrcNodes =
 * |S_{h−1}|, and the in-edges of S_h in the full graph's CSR order and weights. A layer sees it
 * exactly as it sees the full graph; the one rule it follows is that everything it derives from the
 * graph (GCN normalisation, GAT's loops, degree weights, the Chebyshev Laplacian) goes through
 * `derivedGraph`, which derives on the FULL graph (cached, graph-cache.ts) and restricts the
 * result to the block's rows. So each output row sees the same edges, weights and order as in a
 * full-graph pass, and is the same bits (kernels compute each row independently of the others).
 *
 * With a fan-out, the block keeps at most `fanout` sampled in-edges per row (self loops are never
 * sampled: always kept), and a derived graph keeps, of each row, its self loops and the entries of
 * the sampled edges (matched by source and by occurrence among parallel edges).
 * @internal
 */
import { GnnError } from '../errors';
import { CsrMatrix } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import { cpuOnly } from '../device';
import { Graph, graphHandle, withCsrWeights } from '../graph';
import { Tensor, leadingRows } from '../tensor';
import { derived } from './graph-cache';

/** The chain of blocks for one query. */
export interface Frontier {
  readonly full: Graph;
  /** Global ids of S_0, laid out as described above (S_H first). */
  readonly nodes: Int32Array;
  /** sizes[h] = |S_h|, h = 0..H. */
  readonly sizes: readonly number[];
  /** blocks[h − 1]: the block of hop h; blocks[H]: the edgeless graph over S_H (what follows the last hop). */
  readonly blocks: readonly Graph[];
  readonly sampled: boolean;
}

interface BlockInfo {
  frontier: Frontier;
  /** Index into frontier.blocks. */
  index: number;
  /** For each CSR entry of the block, its CSR position in the full graph. */
  positions: Int32Array;
}

const blocks = new WeakMap<Graph, BlockInfo>();

/** Whether `graph` is a block of a receptive-field pass. */
export function isBlock(graph: Graph): boolean {
  return blocks.has(graph);
}

/** The graph a block was cut from (the graph itself when it is not a block). */
export function fullGraphOf(graph: Graph): Graph {
  return blocks.get(graph)?.frontier.full ?? graph;
}

/** The graph of the hop `hops` after this one (a full graph: itself). */
export function advance(graph: Graph, hops: number): Graph {
  const info = blocks.get(graph);
  if (info === undefined || hops === 0) return graph;
  const next = info.frontier.blocks[info.index + hops];
  if (next === undefined) throw new GnnError('ERR_GNN_INTERNAL', `receptive field: no block ${hops} hops after block ${info.index}`);
  return next;
}

/** The graphs of `k` consecutive hops starting at this one (a multi-hop layer: SGConv, APPNP, ChebConv). */
export function hopGraphs(graph: Graph, k: number): Graph[] {
  return Array.from({ length: k }, (_, i) => advance(graph, i));
}

/**
 * The first `n` rows of x (x itself when it has n rows): the destination rows of a block, or of a
 * bipartite graph. A view on the CPU; on a CUDA device a copy (device ops take whole buffers).
 */
export function firstRows<F extends Features>(x: F, n: number): F {
  if (x.shape[0] === n) return x;
  if (x instanceof Tensor) return leadingRows(x, n) as F;
  return sliceRows(x as CsrMatrix, n) as F;
}

/** The rows of x for the destination nodes of `graph` (its first numNodes rows). */
export function dstRows<F extends Features>(graph: Graph, x: F): F {
  return firstRows(x, graph.numNodes);
}

const sparsePrefixes = new WeakMap<CsrMatrix, Map<number, CsrMatrix>>();

function sliceRows(x: CsrMatrix, n: number): CsrMatrix {
  let byRows = sparsePrefixes.get(x);
  if (byRows === undefined) sparsePrefixes.set(x, (byRows = new Map()));
  let out = byRows.get(n);
  if (out === undefined) {
    const g = x.graph;
    const ptr = Int32Array.from(g.indptr.subarray(0, n + 1) as ArrayLike<number | bigint>, Number);
    const end = ptr[n];
    out = CsrMatrix.fromCSR(ptr, g.indices.subarray(0, end), g.edgeWeight!.subarray(0, end), [n, x.shape[1]]);
    byRows.set(n, out);
  }
  return out;
}

/** Rows `index` of x, in that order (a copy). CPU only (blocks are cut on the host). */
export function gatherRows(x: Features, index: Int32Array): Features {
  if (x instanceof Tensor && x.device !== 'cpu') throw cpuOnly('receptive-field inference', 'a tensor', x.device);
  if (x instanceof Tensor) {
    const width = x.shape.length > 1 ? x.numel / x.shape[0] : 1;
    const out = Tensor.zeros(x.shape.length > 1 ? [index.length, ...x.shape.slice(1)] : [index.length]);
    for (let i = 0; i < index.length; i++) out.data.set(x.data.subarray(index[i] * width, (index[i] + 1) * width), i * width);
    return out;
  }
  const h = graphHandle(x.graph);
  const indptr = new Int32Array(index.length + 1);
  for (let i = 0; i < index.length; i++) indptr[i + 1] = indptr[i] + Number(h.indptr[index[i] + 1]) - Number(h.indptr[index[i]]);
  const indices = new Int32Array(indptr[index.length]);
  const values = new Float32Array(indptr[index.length]);
  for (let i = 0; i < index.length; i++) {
    const b = Number(h.indptr[index[i]]);
    const e = Number(h.indptr[index[i] + 1]);
    indices.set(h.indices.subarray(b, e), indptr[i]);
    values.set((h.weights as Float32Array).subarray(b, e), indptr[i]);
  }
  return CsrMatrix.fromCSR(indptr, indices, values, [index.length, x.shape[1]]);
}

/**
 * A graph derived from `graph` by `build` (a normalisation, added loops, …), cached per graph and
 * `key`. On a block, `build` runs on the full graph and the result is restricted to the block.
 */
export function derivedGraph(graph: Graph, key: string, build: (g: Graph) => Graph): Graph {
  return derivedBlock(graph, key, build).graph;
}

/**
 * derivedGraph, with the input edge id in the derived full graph of each CSR entry of the result
 * (null when the result is not a block: then its own edgeIds say it), for per-edge inputs.
 */
export function derivedBlock(graph: Graph, key: string, build: (g: Graph) => Graph): { graph: Graph; edges: Int32Array | null } {
  const info = blocks.get(graph);
  if (info === undefined) return { graph: derived(graph, key, () => build(graph)), edges: null };
  const full = info.frontier.full;
  const d = derived(full, key, () => build(full));
  return derived(graph, `block:${key}`, () => restrict(graph, info, d));
}

/** The block's own edges, mapped to the full graph's input edge ids. */
export function blockEdges(graph: Graph): Int32Array | null {
  const info = blocks.get(graph);
  if (info === undefined) return null;
  return derived(graph, 'block:edges', () => inputIds(info.frontier.full, info.positions));
}

function inputIds(g: Graph, positions: Int32Array): Int32Array {
  const ids = graphHandle(g).edgeIds;
  return ids === null ? positions : Int32Array.from(positions, (p) => ids[p]);
}

/** Restricts a graph derived from the full graph to the rows (and sampled edges) of a block. */
function restrict(block: Graph, info: BlockInfo, d: Graph): { graph: Graph; edges: Int32Array } {
  const { frontier } = info;
  const full = frontier.full;
  if (d === full) return { graph: block, edges: inputIds(full, info.positions) };
  const dh = graphHandle(d);
  const fh = graphHandle(full);
  if (dh.indices === fh.indices) {
    // Same CSR as the full graph, new weights (DGL's degree norms): the block's positions hold.
    const w = dh.weights;
    const g = w === null ? block : withCsrWeights(block, Float32Array.from(info.positions, (p) => w[p]));
    return { graph: g, edges: inputIds(d, info.positions) };
  }
  const rows = block.numNodes;
  const nodes = frontier.nodes;
  const local = scratch(full);
  for (let i = 0; i < block.numSrcNodes; i++) local[nodes[i]] = i;
  const bptr = graphHandle(block).indptr;
  const fptr = fh.indptr;
  const findices = fh.indices;
  const dptr = dh.indptr;
  const dindices = dh.indices;
  const indptr = new Int32Array(rows + 1);
  const cols: number[] = [];
  const positions: number[] = [];
  const seen = frontier.sampled ? new Map<number, number>() : null;
  for (let i = 0; i < rows; i++) {
    const v = nodes[i];
    const db = Number(dptr[v]);
    const de = Number(dptr[v + 1]);
    if (seen === null) {
      for (let p = db; p < de; p++) {
        cols.push(local[dindices[p]]);
        positions.push(p);
      }
    } else {
      // Which (source, occurrence) pairs the sample kept of row v; loops are always kept.
      const wanted = new Set<string>();
      const kept = new Set<number>();
      for (let j = Number(bptr[i]); j < Number(bptr[i + 1]); j++) kept.add(info.positions[j]);
      seen.clear();
      for (let p = Number(fptr[v]); p < Number(fptr[v + 1]); p++) {
        const u = findices[p];
        const occ = seen.get(u) ?? 0;
        seen.set(u, occ + 1);
        if (u !== v && kept.has(p)) wanted.add(`${u}:${occ}`);
      }
      seen.clear();
      for (let p = db; p < de; p++) {
        const u = dindices[p];
        const occ = seen.get(u) ?? 0;
        seen.set(u, occ + 1);
        if (u === v || wanted.has(`${u}:${occ}`)) {
          cols.push(local[u]);
          positions.push(p);
        }
      }
    }
    indptr[i + 1] = cols.length;
  }
  for (let i = 0; i < block.numSrcNodes; i++) local[nodes[i]] = -1;
  const pos = Int32Array.from(positions);
  const w = dh.weights;
  const g = Graph.fromCSR(indptr, Int32Array.from(cols), {
    numSrcNodes: block.numSrcNodes,
    edgeWeight: w === null ? undefined : Float32Array.from(pos, (p) => w[p]),
  });
  return { graph: g, edges: inputIds(d, pos) };
}

/** A node → local id map over the full graph, all −1 between uses. */
function scratch(full: Graph): Int32Array {
  return derived(full, 'block:local', () => new Int32Array(full.numNodes).fill(-1));
}

/**
 * The CSR positions of every row's self loops (rows without loops are absent), found in one scan
 * of the graph and cached with it, so that sampling a hub's row never scans the row.
 */
function loopPositions(full: Graph): Map<number, number[]> {
  return derived(full, 'block:loops', () => {
    const h = graphHandle(full);
    const out = new Map<number, number[]>();
    for (let v = 0; v < full.numNodes; v++) {
      const end = Number(h.indptr[v + 1]);
      for (let p = Number(h.indptr[v]); p < end; p++) {
        if (h.indices[p] !== v) continue;
        const list = out.get(v);
        if (list === undefined) out.set(v, [p]);
        else list.push(p);
      }
    }
    return out;
  });
}

/** A 32-bit mixing function (the finaliser of MurmurHash3's successor, "lowbias32"). */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * `k` of the `n` indices [0, n), uniformly without replacement (Floyd's algorithm), ascending. The
 * stream depends only on (seed, distance, node): a node's sample does not depend on the other
 * query nodes, the thread count or the order of the work.
 */
function sampleIndices(n: number, k: number, seed: number, distance: number, node: number): number[] {
  let state = mix(seed ^ mix(node ^ mix(distance + 0x9e3779b9)));
  const next = (bound: number): number => {
    state = mix((state + 0x9e3779b9) >>> 0);
    return Math.floor((state / 4294967296) * bound);
  };
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = next(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

export interface FrontierOptions {
  /** Per hop, from the query nodes outwards: at most this many in-edges per node (−1: all). */
  fanout: readonly number[] | null;
  seed: number;
  /** Give up (return null) once S_0 would hold more nodes than this. */
  maxNodes?: number;
}

/** Builds the frontier of `seeds` (distinct node ids) over `hops` hops of `full` (null: over maxNodes). */
export function buildFrontier(full: Graph, seeds: Int32Array, hops: number, options: FrontierOptions & { maxNodes: number }): Frontier | null;
export function buildFrontier(full: Graph, seeds: Int32Array, hops: number, options: FrontierOptions): Frontier;
export function buildFrontier(full: Graph, seeds: Int32Array, hops: number, options: FrontierOptions): Frontier | null {
  const maxNodes = options.maxNodes ?? Infinity;
  const h0 = graphHandle(full);
  const fptr = h0.indptr;
  const findices = h0.indices;
  const fweights = h0.weights;
  const local = scratch(full);
  const loops = options.fanout === null ? null : loopPositions(full);
  let nodes = new Int32Array(Math.max(16, seeds.length * 2));
  let count = 0;
  const add = (u: number): void => {
    if (local[u] >= 0) return;
    if (count === nodes.length) {
      const grown = new Int32Array(nodes.length * 2);
      grown.set(nodes);
      nodes = grown;
    }
    local[u] = count;
    nodes[count++] = u;
  };
  const sizes: number[] = new Array(hops + 1);
  const parts: Array<{ indptr: Int32Array; positions: Int32Array; cols?: Int32Array }> = new Array(hops);
  try {
    for (const s of seeds) add(s);
    sizes[hops] = count;
    for (let h = hops; h >= 1; h--) {
      const distance = hops - h;
      const k = options.fanout === null ? -1 : options.fanout[distance];
      const rows = sizes[h];
      const indptr = new Int32Array(rows + 1);
      let positions = new Int32Array(64);
      let used = 0;
      const push = (p: number): void => {
        if (used === positions.length) {
          const grown = new Int32Array(positions.length * 2);
          grown.set(positions);
          positions = grown;
        }
        positions[used++] = p;
      };
      for (let i = 0; i < rows; i++) {
        const v = nodes[i];
        const b = Number(fptr[v]);
        const e = Number(fptr[v + 1]);
        if (k < 0 || e - b <= k) {
          for (let p = b; p < e; p++) push(p);
        } else {
          // Self loops are not sampled (they are the node's own term): kept, and fanout bounds the
          // rest. A uniform sample of k + (loops) positions of the row, less its loops, then k of
          // what remains, is a uniform k-subset of the row's other edges — in O(k), not O(degree).
          const own = loops!.get(v);
          if (own === undefined) {
            for (const j of sampleIndices(e - b, k, options.seed, distance, v)) push(b + j);
          } else {
            const d = e - b;
            let others = sampleIndices(d, Math.min(d, k + own.length), options.seed, distance, v)
              .map((j) => b + j)
              .filter((p) => findices[p] !== v);
            if (others.length > k) others = sampleIndices(others.length, k, options.seed ^ 0x5bd1e995, distance, v).map((j) => others[j]);
            for (const p of others.concat(own).sort((x, y) => x - y)) push(p);
          }
        }
        indptr[i + 1] = used;
      }
      for (let j = 0; j < used; j++) {
        add(findices[positions[j]]);
        if (count > maxNodes) return null;
      }
      sizes[h - 1] = count;
      parts[h - 1] = { indptr, positions: positions.slice(0, used) };
    }
    // Local ids are final once assigned (each set is a prefix of the one before).
    for (const part of parts) part.cols = Int32Array.from(part.positions, (p) => local[findices[p]]);
  } finally {
    for (let i = 0; i < count; i++) local[nodes[i]] = -1;
  }
  const all = nodes.slice(0, count);
  const frontier: Frontier = { full, nodes: all, sizes, blocks: [], sampled: options.fanout !== null && options.fanout.some((k) => k >= 0) };
  const list: Graph[] = [];
  for (let h = 1; h <= hops; h++) {
    const { indptr, positions, cols } = parts[h - 1];
    const g = Graph.fromCSR(indptr, cols!, {
      numSrcNodes: sizes[h - 1],
      edgeWeight: fweights === null ? undefined : Float32Array.from(positions, (p) => fweights[p]),
    });
    blocks.set(g, { frontier, index: h - 1, positions });
    list.push(g);
  }
  const last = Graph.fromCSR(new Int32Array(sizes[hops] + 1), new Int32Array(0), { numSrcNodes: sizes[hops] });
  blocks.set(last, { frontier, index: hops, positions: new Int32Array(0) });
  list.push(last);
  (frontier as { blocks: readonly Graph[] }).blocks = list;
  return frontier;
}
