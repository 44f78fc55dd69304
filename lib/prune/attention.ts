/**
 * Attention scores for edge pruning: the coefficient α a GATConv gives each edge of the caller's
 * graph, averaged over heads. The layer runs on its own graph (PyG: self loops removed, one added
 * per node); an edge of the caller's graph gets the α of the edge it became there, and a self loop
 * of the caller's graph the α of its node's added loop (all loops of a node share it).
 * Edge features (edgeDim) are not supported here.
 * @internal
 */
import { invalidArgValue } from '../errors';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import type { Tensor } from '../tensor';
import * as ops from '../ops/index';
import { GATConv, attentionGraph, pygLoopedGraph } from '../nn/gat-conv';
import { blockDiagonal } from '../nn/heads';
import type { Module } from '../nn/module';
import { Sequential } from '../nn/sequential';

/** The first GATConv of the model and the node-wise layers before it. */
function firstGat(model: Module): { gat: GATConv; before: Module[] } {
  if (model instanceof GATConv) return { gat: model, before: [] };
  if (model instanceof Sequential) {
    const i = model.layers.findIndex(([, m]) => m instanceof GATConv);
    if (i >= 0) return { gat: model.layers[i][1] as GATConv, before: model.layers.slice(0, i).map(([, m]) => m) };
  }
  throw invalidArgValue('model', 'a GATConv, or a Sequential / Model containing one', model.type);
}

export function attentionScores(model: Module, graph: Graph, x: Features): Float32Array {
  const { gat, before } = firstGat(model);
  if (gat.edgeDim !== null) throw invalidArgValue('model', 'a GATConv without edgeDim (edge features are not supported for attention pruning)', gat.edgeDim);
  let h: Features = x;
  if (before.length > 0) h = new Sequential(before).forwardSync(graph, h);
  const { graph: g } = attentionGraph(graph, {}, gat, 'GATConv');
  const proj = ops.linearSync(h, gat.weight.value);
  const aSrc = ops.linearSync(proj, blockDiagonal(gat.attSrc.value, gat.heads));
  const aDst = ops.linearSync(proj, blockDiagonal(gat.attDst.value, gat.heads));
  const alpha = ops.gatAggregateSync(g, proj, aSrc, aDst, { negativeSlope: gat.negativeSlope, returnAttention: true }).attention as Tensor<'float32'>;
  const heads = gat.heads;
  const mean = (row: number): number => {
    let s = 0;
    for (let k = 0; k < heads; k++) s += alpha.data[row * heads + k];
    return s / heads;
  };
  const scores = new Float32Array(graph.numEdges);
  if (!gat.addSelfLoops) {
    for (let e = 0; e < scores.length; e++) scores[e] = mean(e);
    return scores;
  }
  const { origin } = pygLoopedGraph(graph);
  const loopRow = new Int32Array(graph.numNodes).fill(-1);
  origin.forEach((o, row) => {
    if (o >= 0) scores[o] = mean(row);
    else loopRow[-o - 1] = row;
  });
  const { edgeIndex } = graph.toEdgeIndex();
  const E = graph.numEdges;
  for (let e = 0; e < E; e++) if (edgeIndex[e] === edgeIndex[E + e]) scores[e] = mean(loopRow[edgeIndex[e]]);
  return scores;
}
