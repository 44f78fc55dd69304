/**
 * R-MAT power-law graphs (Chakrabarti et al. 2004) with the Graph500 initiator A=0.57, B=0.19,
 * C=0.19, D=0.05, edge factor 16 and scrambled vertex labels. Self loops and duplicate edges are
 * kept, as Graph500 generates them. Deterministic for a seed.
 */
import { Graph } from '../graph';
import { invalidArgValue } from '../errors';
import { checkInteger, checkOptions } from '../validate';
import { Random } from './random';

export interface RmatOptions {
  /** log2 of the number of nodes (1 … 30). */
  scale: number;
  /** Edges per node; default 16 (Graph500). */
  edgeFactor?: number;
  /** Initiator probabilities; default Graph500's 0.57, 0.19, 0.19 (d = 1 − a − b − c). */
  a?: number;
  b?: number;
  c?: number;
  /** Randomly relabel the nodes (Graph500 does); default true. */
  scramble?: boolean;
  /** Default 1. */
  seed?: number;
}

/** Generates the edges as PyG edge_index (sources then targets). */
export function rmatEdgeIndex(options: RmatOptions): { edgeIndex: Int32Array; numNodes: number } {
  const opts = checkOptions(options, 'rmat', ['scale', 'edgeFactor', 'a', 'b', 'c', 'scramble', 'seed']);
  const scale = checkInteger('scale', opts.scale, 1, 30);
  const edgeFactor = checkInteger('edgeFactor', opts.edgeFactor ?? 16, 0, 1024);
  const a = opts.a ?? 0.57;
  const b = opts.b ?? 0.19;
  const c = opts.c ?? 0.19;
  for (const [name, p] of [['a', a], ['b', b], ['c', c]] as const) {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw invalidArgValue(name, 'a probability in [0, 1]', p);
  }
  if (a + b + c > 1) throw invalidArgValue('a + b + c', 'at most 1', a + b + c);
  const rng = new Random(opts.seed ?? 1);
  const numNodes = 2 ** scale;
  const numEdges = numNodes * edgeFactor;
  if (numEdges > 2 ** 31 - 1) throw invalidArgValue('scale and edgeFactor', 'fewer than 2^31 edges', numEdges);
  const ta = Math.floor(a * 4294967296);
  const tab = Math.floor((a + b) * 4294967296);
  const tabc = Math.floor((a + b + c) * 4294967296);
  const edgeIndex = new Int32Array(2 * numEdges);
  for (let e = 0; e < numEdges; e++) {
    let u = 0;
    let v = 0;
    for (let level = 0; level < scale; level++) {
      const r = rng.uint32();
      u <<= 1;
      v <<= 1;
      if (r >= ta) {
        if (r < tab) v |= 1;
        else if (r < tabc) u |= 1;
        else {
          u |= 1;
          v |= 1;
        }
      }
    }
    edgeIndex[e] = u;
    edgeIndex[numEdges + e] = v;
  }
  if (opts.scramble ?? true) {
    const perm = new Int32Array(numNodes);
    for (let i = 0; i < numNodes; i++) perm[i] = i;
    rng.shuffle(perm);
    for (let i = 0; i < edgeIndex.length; i++) edgeIndex[i] = perm[edgeIndex[i]];
  }
  return { edgeIndex, numNodes };
}

/** An R-MAT graph (see {@link RmatOptions}). */
export function rmat(options: RmatOptions): Graph {
  const { edgeIndex, numNodes } = rmatEdgeIndex(options);
  return Graph.fromEdgeIndex(edgeIndex, numNodes);
}
