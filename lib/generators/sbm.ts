/**
 * Stochastic block model: nodes in K blocks; each ordered pair (u, v), u != v, in blocks (i, j) is
 * an edge with probability p[i][j]. Sampled in O(nodes + edges) by geometric skipping over each
 * block pair, so sparse graphs with millions of nodes are cheap. Undirected models sample each
 * unordered pair once and store both directions. Deterministic for a seed.
 */
import { GnnError, invalidArgType, invalidArgValue } from '../errors';
import { Graph } from '../graph';
import { checkInteger, checkOptions } from '../validate';
import { Random } from './random';

export interface SbmOptions {
  /** Nodes per block. */
  sizes: readonly number[];
  /** Edge probability between blocks, K x K (symmetric when undirected). */
  p: ReadonlyArray<readonly number[]>;
  /** Default false: undirected, both directions stored. */
  directed?: boolean;
  /** Allow u = v pairs; default false. */
  selfLoops?: boolean;
  /** Default 1. */
  seed?: number;
}

export interface SbmResult {
  graph: Graph;
  /** The block of every node (nodes are numbered block by block). */
  blocks: Int32Array;
}

export function stochasticBlockModel(options: SbmOptions): SbmResult {
  const opts = checkOptions(options, 'stochasticBlockModel', ['sizes', 'p', 'directed', 'selfLoops', 'seed']);
  if (!Array.isArray(opts.sizes) || opts.sizes.length === 0) throw invalidArgType('sizes', 'a non-empty array of block sizes', opts.sizes);
  const sizes = opts.sizes.map((s, i) => checkInteger(`sizes[${i}]`, s, 0, 2 ** 31 - 1));
  const k = sizes.length;
  const p = opts.p;
  if (!Array.isArray(p) || p.length !== k || p.some((row) => !Array.isArray(row) || row.length !== k)) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `p: expected a ${k} x ${k} array of probabilities`);
  }
  const directed = opts.directed ?? false;
  const selfLoops = opts.selfLoops ?? false;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const q = p[i][j];
      if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw invalidArgValue(`p[${i}][${j}]`, 'a probability in [0, 1]', q);
      if (!directed && q !== p[j][i]) throw invalidArgValue(`p[${i}][${j}]`, `p[${j}][${i}] (an undirected model is symmetric)`, q);
    }
  }
  const offsets = [0];
  for (const s of sizes) offsets.push(offsets[offsets.length - 1] + s);
  const n = offsets[k];
  if (n > 2 ** 31 - 1) throw invalidArgValue('sizes', 'at most 2^31 - 1 nodes in total', n);
  const rng = new Random(opts.seed ?? 1);
  const src: number[] = [];
  const dst: number[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = directed ? 0 : i; j < k; j++) {
      const q = p[i][j];
      if (q === 0) continue;
      const ni = sizes[i];
      const nj = sizes[j];
      const same = i === j;
      // Enumerate candidate pairs as an index t over the block pair; skip geometrically.
      const total = same && !directed ? (ni * (ni + (selfLoops ? 1 : -1))) / 2 : ni * nj;
      const logq = Math.log1p(-q);
      let t = -1;
      for (;;) {
        const skip = q === 1 ? 0 : Math.floor(Math.log(1 - rng.float()) / logq);
        t += skip + 1;
        if (t >= total) break;
        let u: number;
        let v: number;
        if (same && !directed) {
          // Pair t of the upper triangle (with or without the diagonal): row r starts at
          // r(n - d) - r(r - 1)/2; solve for r, then correct the rounding.
          const d = selfLoops ? 0 : 1;
          const w = 2 * ni - 2 * d + 1;
          let r = Math.max(0, Math.floor((w - Math.sqrt(Math.max(0, w * w - 8 * t))) / 2));
          const rowStart = (rr: number): number => rr * ni - (rr * (rr - 1)) / 2 - rr * d;
          while (r > 0 && rowStart(r) > t) r--;
          while (rowStart(r + 1) <= t) r++;
          u = r;
          v = r + d + (t - rowStart(r));
        } else {
          u = Math.floor(t / nj);
          v = t - u * nj;
          if (same && !selfLoops && v >= u) v += 1;
        }
        const a = offsets[i] + u;
        const b = offsets[j] + v;
        src.push(a);
        dst.push(b);
        if (!directed && a !== b) {
          src.push(b);
          dst.push(a);
        }
      }
    }
  }
  const blocks = new Int32Array(n);
  for (let i = 0; i < k; i++) blocks.fill(i, offsets[i], offsets[i + 1]);
  const graph = Graph.fromCOO(Int32Array.from(src), Int32Array.from(dst), { numNodes: n });
  return { graph, blocks };
}
