/**
 * Uniform random graphs: `numEdges` edges whose endpoints are drawn uniformly and independently
 * (Erdős–Rényi G(n, m) with replacement, so duplicates and self loops occur at their natural
 * rate). Deterministic for a seed.
 */
import { Graph } from '../graph';
import { checkInteger, checkOptions } from '../validate';
import { Random } from './random';

export interface UniformGraphOptions {
  numNodes: number;
  numEdges: number;
  /** Default 1. */
  seed?: number;
}

export function uniformRandomGraph(options: UniformGraphOptions): Graph {
  const opts = checkOptions(options, 'uniformRandomGraph', ['numNodes', 'numEdges', 'seed']);
  const n = checkInteger('numNodes', opts.numNodes, 1, 2 ** 31 - 1);
  const m = checkInteger('numEdges', opts.numEdges, 0, 2 ** 31 - 1);
  const rng = new Random(opts.seed ?? 1);
  const edgeIndex = new Int32Array(2 * m);
  for (let i = 0; i < edgeIndex.length; i++) edgeIndex[i] = rng.int(n);
  return Graph.fromEdgeIndex(edgeIndex, n);
}
