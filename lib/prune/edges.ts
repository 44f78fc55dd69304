/**
 * prune.edges(graph, { topK, threshold, by }): a smaller graph keeping, for every destination node,
 * its strongest in-edges.
 *
 *   by 'weight' (default): an edge's score is its edge weight (the graph must be weighted).
 *   by 'attention': its attention coefficient in a GAT layer (`model`, run on `x`), averaged over
 *     heads (see attention.ts).
 *   threshold: keep only edges whose score is >= threshold.
 *   topK: then keep at most k in-edges per node, the highest scores; ties are broken by edge id
 *     (the edge earlier in the caller's input order wins), so the result is deterministic.
 * Returns the new graph (same nodes, kept edges in their original input order, weights carried)
 * and `edgeIds`: for each edge of the new graph (in its input order), its id in the old graph.
 */
import { GnnError, invalidArgType, invalidArgValue } from '../errors';
import type { Features } from '../csr-matrix';
import { Graph } from '../graph';
import { checkOptions } from '../validate';
import type { Module } from '../nn/module';
import { attentionScores } from './attention';

export interface PruneEdgesOptions {
  /** Keep at most this many in-edges per node (a positive integer). */
  topK?: number;
  /** Keep only edges scoring at least this. */
  threshold?: number;
  /** What scores an edge: 'weight' (default) or 'attention'. */
  by?: 'weight' | 'attention';
  /** by 'attention': the GAT model (a GATConv / GATv2Conv, or a model whose first message-passing layer is one). */
  model?: Module;
  /** by 'attention': the node features the model runs on. */
  x?: Features;
}

export interface PrunedEdges {
  graph: Graph;
  /** For each edge of `graph` (input order), its id in the original graph. */
  edgeIds: Int32Array;
}

/** Per-edge scores in the caller's edge order. */
function scoresOf(graph: Graph, edgeWeight: Float32Array | null, opts: PruneEdgesOptions): Float32Array {
  const by = opts.by ?? 'weight';
  if (by === 'weight') {
    const w = edgeWeight;
    if (w === null) throw invalidArgValue('by', "'attention' or a weighted graph for 'weight'", 'weight');
    return w;
  }
  if (by !== 'attention') throw invalidArgValue('by', "'weight' or 'attention'", by);
  if (opts.model === undefined || opts.x === undefined) throw invalidArgValue('model', "a GAT model and its x with by: 'attention'", opts.model);
  return attentionScores(opts.model, graph, opts.x);
}

export function edges(graph: Graph, options: PruneEdgesOptions): PrunedEdges {
  if (!(graph instanceof Graph)) throw invalidArgType('graph', 'a Graph', graph);
  const opts = checkOptions(options, 'prune.edges', ['topK', 'threshold', 'by', 'model', 'x']);
  if (graph.numSrcNodes !== graph.numNodes) {
    throw invalidArgValue('graph', 'a square graph (numSrcNodes = numNodes)', `${graph.numSrcNodes} -> ${graph.numNodes} nodes`);
  }
  const { topK, threshold } = opts;
  if (topK === undefined && threshold === undefined) throw invalidArgValue('options', 'topK and/or threshold', options);
  if (topK !== undefined && (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1)) throw invalidArgValue('topK', 'a positive integer', topK);
  if (threshold !== undefined && (typeof threshold !== 'number' || Number.isNaN(threshold))) throw invalidArgValue('threshold', 'a number', threshold);
  const { edgeIndex, edgeWeight } = graph.toEdgeIndex();
  const scores = scoresOf(graph, edgeWeight, opts);
  if (scores.length !== graph.numEdges) throw new GnnError('ERR_GNN_INTERNAL', `prune.edges: ${scores.length} scores for ${graph.numEdges} edges`);
  const indptr = graph.indptr;
  const ids = graph.edgeIds;
  const keep = new Uint8Array(graph.numEdges);
  const candidates: number[] = [];
  for (let v = 0; v < graph.numNodes; v++) {
    candidates.length = 0;
    for (let j = Number(indptr[v]); j < Number(indptr[v + 1]); j++) {
      const e = ids[j];
      if (threshold === undefined || scores[e] >= threshold) candidates.push(e);
    }
    if (topK !== undefined && candidates.length > topK) {
      // Highest score first; NaN scores last; ties by edge id.
      candidates.sort((a, b) => {
        const sa = Number.isNaN(scores[a]) ? -Infinity : scores[a];
        const sb = Number.isNaN(scores[b]) ? -Infinity : scores[b];
        return sb - sa || a - b;
      });
      candidates.length = topK;
    }
    for (const e of candidates) keep[e] = 1;
  }
  let count = 0;
  for (let e = 0; e < keep.length; e++) count += keep[e];
  const edgeIds = new Int32Array(count);
  for (let e = 0, i = 0; e < keep.length; e++) if (keep[e] === 1) edgeIds[i++] = e;
  const E = graph.numEdges;
  const src = Int32Array.from(edgeIds, (e) => edgeIndex[e]);
  const dst = Int32Array.from(edgeIds, (e) => edgeIndex[E + e]);
  const weight = edgeWeight === null ? undefined : Float32Array.from(edgeIds, (e) => edgeWeight[e]);
  return { graph: Graph.fromCOO(src, dst, { numNodes: graph.numNodes, edgeWeight: weight }), edgeIds };
}
