/**
 * spmm on the real graphs copied from PyG's Planetoid datasets (data/): Cora with its own 1433-wide
 * features, CiteSeer (48 isolated nodes) and PubMed (real structure, generated features).
 */
import { describe, it } from 'vitest';

import { Tensor, ops } from '../lib/index';
import type { Reduce } from '../lib/index';
import { randomArray } from './fixtures/graphs';
import type { EdgeList } from './fixtures/graphs';
import { expectWithin, nanFilled } from './helpers/compare';
import { dataset } from './helpers/data';
import { availableSimdLevels, withSimd } from './helpers/simd';
import { spmmReference } from './reference/spmm';

function edgeListOf(g: ReturnType<typeof dataset>['graph']): EdgeList {
  const { edgeIndex } = g.toEdgeIndex();
  const e = g.numEdges;
  return { numNodes: g.numNodes, numSrcNodes: g.numSrcNodes, src: edgeIndex.slice(0, e), dst: edgeIndex.slice(e) };
}

const REDUCES: Reduce[] = ['sum', 'mean', 'max', 'min'];

describe('real graphs', () => {
  it('Cora: every reducer on the real features, plain and GCN-normalised', () => {
    const d = dataset('cora');
    const x = d.x as Tensor<'float32'>;
    const width = x.shape[1];
    const edges = edgeListOf(d.graph);
    const norm = d.graph.gcnNorm();
    const normEdges = edgeListOf(norm);
    const normW = norm.toEdgeIndex().edgeWeight as Float32Array;
    for (const reduce of REDUCES) {
      const ref = spmmReference(edges, x.data, width, reduce);
      const refW = spmmReference(normEdges, x.data, width, reduce, normW);
      for (const level of availableSimdLevels()) {
        withSimd(level, () => {
          const out = ops.spmmSync(d.graph, x, { reduce, out: Tensor.from(nanFilled(d.graph.numNodes * width), [d.graph.numNodes, width]) });
          expectWithin(out.data, ref.out, ref.bound, `cora ${level} ${reduce}`);
          const outW = ops.spmmSync(norm, x, { reduce, weights: 'graph' });
          expectWithin(outW.data, refW.out, refW.bound, `cora gcn ${level} ${reduce}`);
        });
      }
    }
  });

  it('CiteSeer (isolated nodes) and PubMed with generated features', () => {
    for (const name of ['citeseer', 'pubmed'] as const) {
      const g = dataset(name).graph;
      const edges = edgeListOf(g);
      for (const width of [16, 64]) {
        const x = randomArray(g.numNodes * width, width);
        for (const reduce of REDUCES) {
          const ref = spmmReference(edges, x, width, reduce);
          const out = ops.spmmSync(g, Tensor.from(x, [g.numNodes, width]), { reduce, out: Tensor.from(nanFilled(g.numNodes * width), [g.numNodes, width]) });
          expectWithin(out.data, ref.out, ref.bound, `${name} ${reduce} F=${width}`);
        }
      }
    }
  });
});
