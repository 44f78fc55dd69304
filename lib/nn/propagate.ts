/**
 * The graphs a convolution propagates over, derived once per graph and recipe (graph-cache.ts):
 * PyG's gcn_norm with its exact self-loop rules, DGL's degree normalisations (out-degree of the
 * source, in-degree of the target, unweighted counts clamped to 1), and the zero-in-degree check
 * DGL makes. Each derivation runs on the full graph, also when the layer runs on a block
 * (block.ts: derivedGraph restricts the result to the block's rows).
 * @internal
 */
import { GnnError } from '../errors';
import { withCsrWeights } from '../graph';
import type { Graph } from '../graph';
import { derivedGraph } from './block';
import { derived } from './graph-cache';

/**
 * PyG's GCNConv / SGConv / APPNP normalisation of a plain edge_index. PyG's quirk is kept: with no
 * edge weights, `improved` has no effect (its loops are added unweighted and then set to 1).
 */
export function pygGcnGraph(graph: Graph, addSelfLoops: boolean, improved: boolean): Graph {
  const effective = improved && graph.hasEdgeWeight;
  return derivedGraph(graph, `pyg-gcn:${addSelfLoops}:${effective}`, (g) => g.gcnNorm({ addSelfLoops, improved: effective }));
}

export type DglNorm = 'both' | 'right' | 'left' | 'none';

/** Destination node of every CSR entry. */
export function csrTargets(graph: Graph): Int32Array {
  return derived(graph, 'csr-targets', () => {
    const indptr = graph.indptr;
    const out = new Int32Array(graph.numEdges);
    for (let v = 0; v < graph.numNodes; v++) {
      const end = Number(indptr[v + 1]);
      for (let p = Number(indptr[v]); p < end; p++) out[p] = v;
    }
    return out;
  });
}

/**
 * DGL's GraphConv / SGConv / APPNPConv edge weights: w_uv · c(u) · c(v) with c(u) =
 * max(outdeg u, 1)^-1/2 on the source side ('both'; 1/outdeg for 'left') and max(indeg v, 1)^-1/2
 * on the target side ('both'; 1/indeg for 'right'). Degrees are unweighted counts, as DGL's. With
 * `inDegreeBothSides` (DGL SGConv) the source side uses the source's in-degree too.
 * Returns the graph itself when nothing scales it.
 */
export function dglNormGraph(graph: Graph, norm: DglNorm, useEdgeWeight: boolean, inDegreeBothSides = false): Graph {
  if (norm === 'none') return graph;
  return derivedGraph(graph, `dgl-norm:${norm}:${useEdgeWeight}:${inDegreeBothSides}`, (graph) => {
    const inDeg = graph.inDegrees();
    const outDeg = inDegreeBothSides ? inDeg : graph.outDegrees();
    const indices = graph.indices;
    const targets = csrTargets(graph);
    const given = useEdgeWeight ? graph.edgeWeight : null;
    const weights = new Float32Array(graph.numEdges);
    for (let p = 0; p < weights.length; p++) {
      const u = indices[p];
      const v = targets[p];
      const du = Math.max(outDeg[u] ?? 0, 1);
      const dv = Math.max(inDeg[v], 1);
      let c = 1;
      if (norm === 'both') c = Math.fround(Math.fround(1 / Math.sqrt(du)) * Math.fround(1 / Math.sqrt(dv)));
      else if (norm === 'left') c = Math.fround(1 / du);
      else c = Math.fround(1 / dv);
      weights[p] = given !== null ? Math.fround(given[p] * c) : c;
    }
    return withCsrWeights(graph, weights);
  });
}

/** DGL's guard: a node with no in-edges gets an invalid output there unless the user allows it. */
export function checkZeroInDegree(graph: Graph, layer: string): void {
  const ok = derived(graph, 'no-zero-in-degree', () => !graph.inDegrees().some((d) => d === 0));
  if (!ok) {
    throw new GnnError(
      'ERR_GNN_INVALID_GRAPH',
      `${layer}: expected every node to have at least one in-edge (DGL semantics; add self loops or pass allowZeroInDegree: true), got nodes with in-degree 0`,
    );
  }
}

/**
 * DGL's EdgeWeightNorm(norm='both', eps=0): w_uv / sqrt(Σ_out w(u) · Σ_in w(v)) with weighted
 * degrees (the recipe DGL's SGConv and APPNPConv follow when given edge weights).
 */
export function dglEdgeWeightNormGraph(graph: Graph): Graph {
  return derivedGraph(graph, 'dgl-edge-weight-norm', (graph) => {
    const w = graph.edgeWeight;
    if (w === null) return graph;
    const indices = graph.indices;
    const targets = csrTargets(graph);
    const outW = new Float64Array(graph.numSrcNodes);
    const inW = new Float64Array(graph.numNodes);
    for (let p = 0; p < w.length; p++) {
      if (!(w[p] > 0)) {
        throw new GnnError('ERR_GNN_INVALID_GRAPH', `EdgeWeightNorm: expected positive edge weights (DGL's 'both'), got ${w[p]} at CSR position ${p}`);
      }
      outW[indices[p]] += w[p];
      inW[targets[p]] += w[p];
    }
    const weights = new Float32Array(w.length);
    for (let p = 0; p < w.length; p++) weights[p] = w[p] / Math.sqrt(outW[indices[p]] * inW[targets[p]]);
    return withCsrWeights(graph, weights);
  });
}
