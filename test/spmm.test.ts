/**
 * spmm against the float64 reference: every reducer, every weights form, feature widths from 1 to
 * 300 (SIMD tails included), every SIMD level of this CPU, on graphs with isolated nodes, self
 * loops, duplicate edges and a hub of degree >= 1000. Outputs are poisoned with NaN first, so an
 * element the kernel forgets to write fails.
 */
import { describe, expect, it } from 'vitest';

import { Graph, Tensor, getNumThreads, ops, setNumThreads } from '../lib/index';
import type { Reduce } from '../lib/index';
import { awkwardGraph, edgeIndexOf, randomArray } from './fixtures/graphs';
import type { EdgeList } from './fixtures/graphs';
import { expectBitwiseEqual, expectWithin, nanFilled } from './helpers/compare';
import { availableSimdLevels, withSimd } from './helpers/simd';
import { spmmReference } from './reference/spmm';

const WIDTHS = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129, 255, 256, 257, 300];
const REDUCES: Reduce[] = ['sum', 'mean', 'max', 'min'];
const LEVELS = availableSimdLevels();

type WeightForm = 'none' | 'graph' | 'edge' | 'heads2' | 'heads4';

interface Case {
  edges: EdgeList;
  graph: Graph;
  weights: Float32Array; // caller order, one per edge
}

function makeCase(seed: number, options = {}): Case {
  const edges = awkwardGraph(seed, options);
  const weights = randomArray(edges.src.length, seed + 1, -2, 2);
  const graph = Graph.fromEdgeIndex(edgeIndexOf(edges), edges.numNodes, { edgeWeight: weights });
  return { edges, graph, weights };
}

function run(c: Case, width: number, reduce: Reduce, form: WeightForm, x: Float32Array) {
  const heads = form === 'heads2' ? 2 : form === 'heads4' ? 4 : 1;
  const E = c.edges.src.length;
  const headWeights = heads > 1 ? randomArray(E * heads, width * 31 + heads, -1.5, 1.5) : null;
  const ref =
    form === 'none'
      ? spmmReference(c.edges, x, width, reduce)
      : spmmReference(c.edges, x, width, reduce, headWeights ?? c.weights, heads);
  const weights =
    form === 'none'
      ? undefined
      : form === 'graph'
        ? ('graph' as const)
        : form === 'edge'
          ? Tensor.from(c.weights)
          : Tensor.from(headWeights as Float32Array, [E, heads]);
  return { ref, weights };
}

describe('spmmSync matches the float64 reference', () => {
  const c = makeCase(1);
  for (const width of WIDTHS) {
    const forms: WeightForm[] = ['none', 'graph', 'edge'];
    if (width % 2 === 0) forms.push('heads2');
    if (width % 4 === 0) forms.push('heads4');
    it(`F=${width}`, () => {
      const x = randomArray(c.edges.numSrcNodes * width, 100 + width);
      const xt = Tensor.from(x, [c.edges.numSrcNodes, width]);
      for (const reduce of REDUCES) {
        for (const form of forms) {
          const { ref, weights } = run(c, width, reduce, form, x);
          for (const level of LEVELS) {
            const out = Tensor.from(nanFilled(c.edges.numNodes * width), [c.edges.numNodes, width]);
            withSimd(level, () => ops.spmmSync(c.graph, xt, { reduce, weights, out }));
            expectWithin(out.data, ref.out, ref.bound, `${level} ${reduce} ${form} F=${width}`);
          }
        }
      }
    });
  }
});

describe('max and min on both of their paths', () => {
  // Average degree >= 8: the kernel scans the inputs and, when all are finite, runs plain vmaxps;
  // with a NaN or infinity anywhere it checks every message and redoes the rows that saw one.
  const dense = makeCase(21, { numNodes: 700, avgDegree: 12, hubDegree: 1000 });
  it('has a graph dense enough for the scan', () => {
    expect(dense.graph.numEdges).toBeGreaterThanOrEqual(8 * dense.graph.numSrcNodes);
  });
  for (const width of [1, 16, 33, 64, 129, 256, 300]) {
    it(`F=${width}: finite inputs, and inputs with NaN and infinities`, () => {
      const x = randomArray(dense.edges.numSrcNodes * width, 300 + width);
      const poisoned = x.slice();
      for (let i = 0; i < poisoned.length; i += 97) poisoned[i] = i % 3 === 0 ? Number.NaN : i % 3 === 1 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
      for (const data of [x, poisoned]) {
        const xt = Tensor.from(data, [dense.edges.numSrcNodes, width]);
        for (const reduce of ['max', 'min'] as const) {
          for (const form of ['none', 'edge'] as const) {
            const ref = form === 'none' ? spmmReference(dense.edges, data, width, reduce) : spmmReference(dense.edges, data, width, reduce, dense.weights);
            for (const level of LEVELS) {
              const out = Tensor.from(nanFilled(dense.edges.numNodes * width), [dense.edges.numNodes, width]);
              withSimd(level, () => ops.spmmSync(dense.graph, xt, { reduce, weights: form === 'edge' ? 'graph' : undefined, out }));
              expectWithin(out.data, ref.out, ref.bound, `${level} ${reduce} ${form} F=${width} ${data === x ? 'finite' : 'poisoned'}`);
            }
          }
        }
      }
    });
  }
});

describe('spmm edge cases', () => {
  it('bipartite graphs (more or fewer source nodes than nodes)', () => {
    for (const numSrcNodes of [700, 2600]) {
      const edges = awkwardGraph(5, { numNodes: 1500, numSrcNodes, hubDegree: 1100 });
      // CSR over destinations, sources numbered in [0, numSrcNodes).
      const order = Array.from(edges.dst.keys()).sort((a, b) => edges.dst[a] - edges.dst[b] || a - b);
      const indptr = new Int32Array(edges.numNodes + 1);
      for (const v of edges.dst) indptr[v + 1]++;
      for (let v = 0; v < edges.numNodes; v++) indptr[v + 1] += indptr[v];
      const indices = Int32Array.from(order, (e) => edges.src[e]);
      const sorted: EdgeList = { ...edges, src: indices, dst: Int32Array.from(order, (e) => edges.dst[e]) };
      const bip = Graph.fromCSR(indptr, indices, { numSrcNodes });
      expect(bip.numSrcNodes).toBe(numSrcNodes);
      for (const width of [5, 64]) {
        const x = randomArray(numSrcNodes * width, 9);
        for (const reduce of REDUCES) {
          const ref = spmmReference(sorted, x, width, reduce);
          const out = ops.spmmSync(bip, Tensor.from(x, [numSrcNodes, width]), { reduce, out: Tensor.from(nanFilled(edges.numNodes * width), [edges.numNodes, width]) });
          expectWithin(out.data, ref.out, ref.bound, `bipartite ${numSrcNodes} ${reduce}`);
        }
      }
    }
  });

  it('a graph with no edges gives zeros for every reducer', () => {
    const g = Graph.fromEdgeIndex(new Int32Array(0), 5);
    for (const reduce of REDUCES) {
      const out = ops.spmmSync(g, Tensor.from(randomArray(15, 1), [5, 3]), { reduce, out: Tensor.from(nanFilled(15), [5, 3]) });
      expect(Array.from(out.data)).toEqual(new Array(15).fill(0));
    }
  });

  it('graphs with zero nodes and zero-width features', () => {
    const empty = Graph.fromEdgeIndex(new Int32Array(0), 0);
    expect(ops.spmmSync(empty, Tensor.zeros([0, 4])).shape).toEqual([0, 4]);
    const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 0]), 2);
    expect(ops.spmmSync(g, Tensor.zeros([2, 0])).shape).toEqual([2, 0]);
  });

  it('1-D features are a single column', () => {
    const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 2, 1, 2, 2]), 3);
    const out = ops.spmmSync(g, Tensor.from(new Float32Array([1, 10, 100])));
    expect(out.shape).toEqual([3]);
    expect(Array.from(out.data)).toEqual([0, 1, 110]);
  });

  it('NaN and infinities propagate through every reducer', () => {
    // node 2 receives from 0 (NaN in column 0) and 1 (+Inf in column 1); node 1 from 0 only
    const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 0, 2, 2, 1]), 3);
    const x = Tensor.from(new Float32Array([Number.NaN, 1, 2, Number.POSITIVE_INFINITY, 0, 0]), [3, 2]);
    for (const level of LEVELS) {
      withSimd(level, () => {
        for (const reduce of REDUCES) {
          const out = ops.spmmSync(g, x, { reduce }).data;
          expect(Number.isNaN(out[4]), `${level} ${reduce} NaN column`).toBe(true);
          expect(out[5], `${level} ${reduce} inf column`).toBe(reduce === 'min' ? 1 : Number.POSITIVE_INFINITY);
          expect(Number.isNaN(out[2]), `${level} ${reduce} node 1`).toBe(true);
        }
      });
    }
  });

  it('max and min see NaN made by a zero weight times an infinity (0 x inf)', () => {
    const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 1]), 2);
    const x = Tensor.from(new Float32Array([Number.POSITIVE_INFINITY, 3]), [2, 1]);
    for (const level of LEVELS) {
      withSimd(level, () => {
        for (const reduce of ['max', 'min'] as const) {
          const out = ops.spmmSync(g, x, { reduce, weights: Tensor.from(new Float32Array([0, 1])) }).data;
          expect(Number.isNaN(out[1]), `${level} ${reduce}`).toBe(true);
          const finite = ops.spmmSync(g, x, { reduce, weights: Tensor.from(new Float32Array([2, 1])) }).data;
          expect(finite[1], `${level} ${reduce} finite weights`).toBe(reduce === 'max' ? Number.POSITIVE_INFINITY : 3);
        }
      });
    }
  });

  it('weights broadcast per head: head h scales its own columns only', () => {
    const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 1]), 2);
    const x = Tensor.from(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), [2, 6]);
    const w = Tensor.from(new Float32Array([10, 100, 1, 2, 3, 4]), [2, 3]);
    const out = ops.spmmSync(g, x, { weights: w }).data;
    // edge 0: 0 -> 1 with head weights (10, 100, 1); edge 1: 1 -> 1 with (2, 3, 4)
    expect(Array.from(out.subarray(6))).toEqual([10 + 14, 20 + 16, 300 + 27, 400 + 30, 5 + 44, 6 + 48]);
  });
});

describe('results do not depend on the thread count', () => {
  const c = makeCase(3, { numNodes: 20000, avgDegree: 8, hubDegree: 5000 });
  const threads = getNumThreads();
  for (const width of [1, 7, 64, 129]) {
    it(`F=${width}, 1 vs 2 vs 3 threads, bitwise`, () => {
      const x = Tensor.from(randomArray(c.edges.numNodes * width, width), [c.edges.numNodes, width]);
      try {
        for (const reduce of REDUCES) {
          for (const weights of [undefined, 'graph' as const, Tensor.from(c.weights)]) {
            const outs = [1, 2, 3].map((t) => {
              setNumThreads(t);
              return ops.spmmSync(c.graph, x, { reduce, weights }).data;
            });
            expectBitwiseEqual(outs[0], outs[1], `${reduce} 1 vs 2`);
            expectBitwiseEqual(outs[0], outs[2], `${reduce} 1 vs 3`);
          }
        }
      } finally {
        setNumThreads(threads);
      }
    });
  }
});
