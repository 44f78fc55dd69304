/**
 * The perturbations of a robustness sweep, each a function of its strength, deterministic for a
 * seed and nested across strengths (common random numbers: what a stronger perturbation removes
 * includes what a weaker one removed, so curves are smooth rather than noisy):
 *
 *   feature-noise      x + σ·ε, σ = strength · std(x) (std over every entry of x), ε ~ N(0, 1) drawn
 *                      once per seed; a CsrMatrix x becomes dense
 *   feature-mask       each entry of x set to 0 with probability strength (a CsrMatrix stays sparse)
 *   edge-removal       each edge removed with probability strength; an edge, its reverse and any
 *                      parallel copies share one draw, so undirected graphs stay undirected
 *   edge-insertion     round(strength · E) new edges between uniformly drawn node pairs u ≠ v that
 *                      are not edges yet; on an undirected graph (every edge has its reverse) both
 *                      directions are inserted, round(strength · E / 2) pairs; weight 1 on a
 *                      weighted graph
 *   neighbour-removal  strength k (an integer): for each evaluated node v, its k in-neighbours
 *                      u ≠ v of highest in-degree (ties: the lower id) lose every edge u → v, and on
 *                      an undirected graph every edge v → u too. Evaluated nodes are the mask's, or
 *                      every node when the model's rows are not nodes (graph-level).
 * Perturbed graphs are built with the Graph constructors from the caller's edge order, so per-edge
 * inputs (context.edgeAttr) are cut to the kept edges; insertion refuses them (no attributes exist
 * for new edges).
 * @internal
 */
import { CsrMatrix, denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import { described, invalidArgValue, outOfRange } from '../errors';
import { Random } from '../generators/random';
import { Graph } from '../graph';
import { Tensor } from '../tensor';

export type PerturbationKind = 'feature-noise' | 'feature-mask' | 'edge-removal' | 'edge-insertion' | 'neighbour-removal';

export const PERTURBATIONS: readonly PerturbationKind[] = ['feature-noise', 'feature-mask', 'edge-removal', 'edge-insertion', 'neighbour-removal'];

/** What the strength of each perturbation measures. */
export const STRENGTH_UNITS: Record<PerturbationKind, string> = {
  'feature-noise': 'noise σ / std(x)',
  'feature-mask': 'share of feature entries zeroed',
  'edge-removal': 'share of edges removed',
  'edge-insertion': 'inserted edges / existing edges',
  'neighbour-removal': 'top-degree in-neighbours removed per node (k)',
};

export const DEFAULT_STRENGTHS: Record<PerturbationKind, number[]> = {
  'feature-noise': [0, 0.25, 0.5, 1, 2, 4],
  'feature-mask': [0, 0.1, 0.2, 0.4, 0.6, 0.8],
  'edge-removal': [0, 0.1, 0.2, 0.4, 0.6, 0.8, 1],
  'edge-insertion': [0, 0.1, 0.25, 0.5, 1],
  'neighbour-removal': [0, 1, 2, 3, 5],
};

/** Checks one strength of `kind`. */
export function checkStrength(kind: PerturbationKind, value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw outOfRange(name, 'a finite number >= 0', value);
  if ((kind === 'feature-mask' || kind === 'edge-removal') && value > 1) throw outOfRange(name, `a probability in [0, 1] for '${kind}'`, value);
  if (kind === 'neighbour-removal' && !Number.isInteger(value)) throw outOfRange(name, `an integer k >= 0 for '${kind}'`, value);
  return value;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uniform number in [0, 1) fixed by (seed, a, b): the same draw at every strength. */
export function keyedUniform(seed: number, a: number, b: number): number {
  const h = fmix((fmix((seed ^ 0x9e3779b9) >>> 0) ^ a) >>> 0);
  return fmix(((h + 0x632be5ab) ^ b) >>> 0) / 4294967296;
}

/** The graph's edges in the caller's order, and whether every edge has its reverse. */
export interface EdgeList {
  numNodes: number;
  src: Int32Array;
  dst: Int32Array;
  weight: Float32Array | null;
  symmetric: boolean;
  inDegree: Int32Array;
}

export function edgeList(graph: Graph): EdgeList {
  if (graph.numSrcNodes !== graph.numNodes) throw invalidArgValue('graph', 'a square graph (numSrcNodes = numNodes) for edge perturbations', described(`${graph.numSrcNodes} -> ${graph.numNodes} nodes`));
  const { edgeIndex, edgeWeight } = graph.toEdgeIndex();
  const e = graph.numEdges;
  const src = edgeIndex.subarray(0, e);
  const dst = edgeIndex.subarray(e);
  return { numNodes: graph.numNodes, src, dst, weight: edgeWeight, symmetric: isSymmetric(graph.numNodes, src, dst), inDegree: graph.inDegrees() };
}

/** A = Aᵀ as multisets: every node's sorted in-neighbours equal its sorted out-neighbours. */
function isSymmetric(n: number, src: Int32Array, dst: Int32Array): boolean {
  const group = (key: Int32Array, other: Int32Array): { ptr: Int32Array; vals: Int32Array } => {
    const ptr = new Int32Array(n + 1);
    for (const k of key) ptr[k + 1]++;
    for (let i = 0; i < n; i++) ptr[i + 1] += ptr[i];
    const fill = ptr.slice(0, n);
    const vals = new Int32Array(key.length);
    for (let i = 0; i < key.length; i++) vals[fill[key[i]]++] = other[i];
    for (let i = 0; i < n; i++) vals.subarray(ptr[i], ptr[i + 1]).sort();
    return { ptr, vals };
  };
  const a = group(dst, src);
  const b = group(src, dst);
  for (let i = 0; i < a.vals.length; i++) if (a.vals[i] !== b.vals[i]) return false;
  return true;
}

/** A graph of the kept edges (in the caller's order) plus `added` ones, and the kept edge ids. */
export function rebuild(list: EdgeList, keep: Uint8Array, added: { src: Int32Array; dst: Int32Array } | null = null): { graph: Graph; kept: Int32Array } {
  let k = 0;
  for (let i = 0; i < keep.length; i++) k += keep[i];
  const extra = added === null ? 0 : added.src.length;
  const src = new Int32Array(k + extra);
  const dst = new Int32Array(k + extra);
  const kept = new Int32Array(k);
  const weight = list.weight === null ? null : new Float32Array(k + extra).fill(1);
  let j = 0;
  for (let i = 0; i < keep.length; i++) {
    if (keep[i] === 0) continue;
    src[j] = list.src[i];
    dst[j] = list.dst[i];
    if (weight !== null) weight[j] = (list.weight as Float32Array)[i];
    kept[j++] = i;
  }
  if (added !== null) {
    src.set(added.src, k);
    dst.set(added.dst, k);
  }
  const graph = Graph.fromCOO(src, dst, weight === null ? { numNodes: list.numNodes } : { numNodes: list.numNodes, edgeWeight: weight });
  return { graph, kept };
}

/** Edge-removal mask at probability p. */
export function removalMask(list: EdgeList, p: number, seed: number): Uint8Array {
  const keep = new Uint8Array(list.src.length);
  for (let i = 0; i < keep.length; i++) {
    const u = list.src[i];
    const v = list.dst[i];
    keep[i] = keyedUniform(seed, Math.min(u, v), Math.max(u, v)) < p ? 0 : 1;
  }
  return keep;
}

/** A set key of the edge u -> v: u·n + v while that is exact in a double, else text. */
function pairKey(n: number): (u: number, v: number) => number | string {
  return n <= 2 ** 26 ? (u, v) => u * n + v : (u, v) => `${u},${v}`;
}

/** The first `pairs` node pairs u ≠ v, not edges, drawn from the seed (the same prefix for any count). */
export function insertionPairs(list: EdgeList, pairs: number, seed: number): { src: Int32Array; dst: Int32Array } {
  const n = list.numNodes;
  const key = pairKey(n);
  const taken = new Set<number | string>();
  let links = 0;
  for (let i = 0; i < list.src.length; i++) {
    const k = key(list.src[i], list.dst[i]);
    if (list.src[i] !== list.dst[i] && !taken.has(k)) links++;
    taken.add(k);
  }
  // Unordered pairs on an undirected graph, ordered ones otherwise.
  const free = list.symmetric ? (n * (n - 1)) / 2 - links / 2 : n * (n - 1) - links;
  if (pairs > free) throw outOfRange('strength', `at most ${free} new ${list.symmetric ? 'node pairs' : 'edges'} (the graph's non-edges)`, described(`${pairs} to insert`));
  const rng = new Random(seed);
  const per = list.symmetric ? 2 : 1;
  const src = new Int32Array(pairs * per);
  const dst = new Int32Array(pairs * per);
  for (let i = 0; i < pairs; ) {
    const u = rng.int(n);
    const v = rng.int(n);
    if (u === v || taken.has(key(u, v))) continue;
    taken.add(key(u, v));
    src[i * per] = u;
    dst[i * per] = v;
    if (list.symmetric) {
      taken.add(key(v, u));
      src[i * per + 1] = v;
      dst[i * per + 1] = u;
    }
    i++;
  }
  return { src, dst };
}

/**
 * Each target's in-neighbours (u ≠ v, distinct) ranked by in-degree, highest first, ties by id:
 * the order in which neighbour-removal takes them.
 */
export function rankedNeighbours(list: EdgeList, targets: Int32Array): Int32Array[] {
  const n = list.numNodes;
  const isTarget = new Uint8Array(n);
  for (const v of targets) isTarget[v] = 1;
  const lists = new Map<number, Set<number>>();
  for (let i = 0; i < list.src.length; i++) {
    const u = list.src[i];
    const v = list.dst[i];
    if (u === v || isTarget[v] === 0) continue;
    let s = lists.get(v);
    if (s === undefined) lists.set(v, (s = new Set()));
    s.add(u);
  }
  const deg = list.inDegree;
  return Array.from(targets, (v) => Int32Array.from(lists.get(v) ?? []).sort((a, b) => deg[b] - deg[a] || a - b));
}

/** Keep-mask of neighbour-removal with k neighbours per target. */
export function neighbourRemovalMask(list: EdgeList, targets: Int32Array, ranked: Int32Array[], k: number): Uint8Array {
  const key = pairKey(list.numNodes);
  const cut = new Set<number | string>();
  targets.forEach((v, t) => {
    const r = ranked[t];
    for (let j = 0; j < Math.min(k, r.length); j++) {
      cut.add(key(r[j], v));
      if (list.symmetric) cut.add(key(v, r[j]));
    }
  });
  const keep = new Uint8Array(list.src.length);
  for (let i = 0; i < keep.length; i++) keep[i] = cut.has(key(list.src[i], list.dst[i])) ? 0 : 1;
  return keep;
}

/** Standard deviation of every entry of x (zeros of a CsrMatrix included). */
export function featureStd(x: Features): number {
  let sum = 0;
  let sq = 0;
  let count: number;
  if (x instanceof CsrMatrix) {
    const values = x.graph.edgeWeight as Float32Array;
    for (const v of values) {
      sum += v;
      sq += v * v;
    }
    count = x.shape[0] * x.shape[1];
  } else {
    for (const v of x.data) {
      sum += v;
      sq += v * v;
    }
    count = x.numel;
  }
  if (count === 0) return 0;
  const mean = sum / count;
  return Math.sqrt(Math.max(sq / count - mean * mean, 0));
}

/** x + σ·ε into `out` (dense, x's shape). */
export function addNoise(x: Features, sigma: number, seed: number, out: Tensor<'float32'>): Tensor<'float32'> {
  const d = denseFeatures(x).data;
  if (sigma === 0) {
    out.data.set(d);
    return out;
  }
  const rng = new Random(seed);
  for (let i = 0; i < d.length; i++) out.data[i] = d[i] + sigma * rng.normal();
  return out;
}

/** x with each entry zeroed with probability p (dense into `out`; a CsrMatrix as a new one). */
export function maskFeatures(x: Features, p: number, seed: number, out: Tensor<'float32'> | null): Features {
  if (x instanceof CsrMatrix) {
    const g = x.graph;
    const indptr = g.indptr;
    const indices = g.indices;
    const values = g.edgeWeight as Float32Array;
    const rows = x.shape[0];
    const ptr = new Int32Array(rows + 1);
    const idx: number[] = [];
    const val: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let q = Number(indptr[r]); q < Number(indptr[r + 1]); q++) {
        if (keyedUniform(seed, r, indices[q]) < p) continue;
        idx.push(indices[q]);
        val.push(values[q]);
      }
      ptr[r + 1] = idx.length;
    }
    return CsrMatrix.fromCSR(ptr, Int32Array.from(idx), Float32Array.from(val), x.shape);
  }
  const t = out as Tensor<'float32'>;
  const cols = x.rank === 2 ? x.shape[1] : 1;
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    const r = Math.floor(i / cols);
    t.data[i] = keyedUniform(seed, r, i - r * cols) < p ? 0 : d[i];
  }
  return t;
}

/** Rows `kept` of a per-edge tensor [E, D]. */
export function edgeRows(t: Tensor<'float32'>, kept: Int32Array): Tensor<'float32'> {
  const width = t.rank > 1 ? t.numel / t.shape[0] : 1;
  const out = new Float32Array(kept.length * width);
  for (let i = 0; i < kept.length; i++) out.set(t.data.subarray(kept[i] * width, (kept[i] + 1) * width), i * width);
  return Tensor.from(out, [kept.length, ...t.shape.slice(1)]);
}
