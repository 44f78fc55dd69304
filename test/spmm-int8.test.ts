/**
 * spmmInt8 (int8 features, fp32 accumulation) against the float64 dequantize-then-reduce
 * reference (test/reference/spmm-int8.ts states the bounds): every reducer, every weights form,
 * per-row and per-tensor scales, awkward widths (SIMD tails), zero rows and extreme codes, every
 * SIMD level of this CPU, on graphs with isolated nodes, self loops, duplicate edges and a hub.
 * Outputs are poisoned with NaN first, so an element the kernel forgets to write fails.
 */
import { describe, expect, it } from 'vitest';

import { GnnError, Graph, Tensor, getNumThreads, ops, setNumThreads } from '../lib/index';
import type { Reduce } from '../lib/index';
import { native } from '../lib/native';
import { QuantizedTensor } from '../lib/quantized';
import { awkwardGraph, edgeIndexOf, randomArray } from './fixtures/graphs';
import type { EdgeList } from './fixtures/graphs';
import { expectBitwiseEqual, expectWithin, nanFilled } from './helpers/compare';
import { dataset } from './helpers/data';
import { expectError } from './helpers/errors';
import { availableSimdLevels, withSimd } from './helpers/simd';
import { quantizeInt8, spmmInt8Reference } from './reference/spmm-int8';

const WIDTHS = [1, 3, 15, 16, 17, 63, 64, 65, 130, 256];
const REDUCES: Reduce[] = ['sum', 'mean', 'max', 'min'];
const LEVELS = availableSimdLevels();

type WeightForm = 'none' | 'graph' | 'edge' | 'array' | 'heads2' | 'heads4' | 'heads8';

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

/** Random features quantized, then made awkward: zero rows, and codes ±127 / −128 in places. */
function features(rows: number, width: number, seed: number, granularity: 'row' | 'tensor'): QuantizedTensor {
  const x = randomArray(rows * width, seed, -3, 3);
  for (let r = 0; r < rows; r += 17) x.fill(0, r * width, (r + 1) * width); // zero rows
  const qt = quantizeInt8(x, rows, width, granularity);
  const q = qt.data.data as Int8Array;
  for (let i = 5; i < q.length; i += 53) q[i] = i % 3 === 0 ? -128 : i % 3 === 1 ? 127 : -127;
  return qt;
}

function weightsFor(c: Case, form: WeightForm, width: number) {
  const heads = form === 'heads2' ? 2 : form === 'heads4' ? 4 : form === 'heads8' ? 8 : 1;
  const E = c.edges.src.length;
  if (form === 'none') return { ref: null, heads, option: undefined };
  if (heads === 1) {
    const option = form === 'graph' ? ('graph' as const) : form === 'edge' ? Tensor.from(c.weights) : c.weights;
    return { ref: c.weights, heads, option };
  }
  const hw = randomArray(E * heads, width * 31 + heads, -1.5, 1.5);
  return { ref: hw, heads, option: Tensor.from(hw, [E, heads]) };
}

function formsFor(width: number): WeightForm[] {
  const forms: WeightForm[] = ['none', 'graph', 'edge', 'array'];
  if (width % 2 === 0) forms.push('heads2');
  if (width % 4 === 0) forms.push('heads4');
  if (width % 8 === 0) forms.push('heads8');
  return forms;
}

describe('spmmInt8Sync matches the float64 reference', () => {
  const c = makeCase(1);
  for (const width of WIDTHS) {
    it(`F=${width}`, () => {
      for (const granularity of ['row', 'tensor'] as const) {
        const x = features(c.edges.numSrcNodes, width, 100 + width, granularity);
        expect(x.granularity).toBe(granularity);
        for (const reduce of REDUCES) {
          for (const form of formsFor(width)) {
            const w = weightsFor(c, form, width);
            const ref = spmmInt8Reference(c.edges, x, reduce, w.ref, w.heads);
            for (const level of LEVELS) {
              const out = Tensor.from(nanFilled(c.edges.numNodes * width), [c.edges.numNodes, width]);
              withSimd(level, () => ops.spmmInt8Sync(c.graph, x, { reduce, weights: w.option, out }));
              expectWithin(out.data, ref.out, ref.bound, `${level} ${granularity} ${reduce} ${form} F=${width}`);
            }
          }
        }
      }
    });
  }
});

describe('spmmInt8 on Cora', () => {
  it('real features (1433 wide) quantized per row, every reducer, plain and GCN-normalised', () => {
    const d = dataset('cora');
    const xf = d.x as Tensor<'float32'>;
    const width = xf.shape[1];
    const x = quantizeInt8(xf.data, xf.shape[0], width, 'row');
    const edgeList = (g: Graph): EdgeList => {
      const { edgeIndex } = g.toEdgeIndex();
      const e = g.numEdges;
      return { numNodes: g.numNodes, numSrcNodes: g.numSrcNodes, src: edgeIndex.slice(0, e), dst: edgeIndex.slice(e) };
    };
    const norm = d.graph.gcnNorm();
    const normW = norm.toEdgeIndex().edgeWeight as Float32Array;
    for (const reduce of REDUCES) {
      const ref = spmmInt8Reference(edgeList(d.graph), x, reduce);
      const refW = spmmInt8Reference(edgeList(norm), x, reduce, normW);
      for (const level of LEVELS) {
        withSimd(level, () => {
          const out = ops.spmmInt8Sync(d.graph, x, { reduce, out: Tensor.from(nanFilled(d.graph.numNodes * width), [d.graph.numNodes, width]) });
          expectWithin(out.data, ref.out, ref.bound, `cora ${level} ${reduce}`);
          const outW = ops.spmmInt8Sync(norm, x, { reduce, weights: 'graph' });
          expectWithin(outW.data, refW.out, refW.bound, `cora gcn ${level} ${reduce}`);
        });
      }
    }
  });
});

describe('spmmInt8 NaN and infinities', () => {
  const c = makeCase(7, { numNodes: 400, hubDegree: 300 });
  for (const width of [1, 17, 64, 130]) {
    it(`F=${width}: NaN / Inf scales and weights propagate like the reference`, () => {
      const x = features(c.edges.numSrcNodes, width, 7 + width, 'row');
      const scale = x.scale.slice();
      for (let u = 3; u < scale.length; u += 41) scale[u] = u % 2 === 0 ? Number.NaN : Number.POSITIVE_INFINITY;
      const q = x.data.data as Int8Array;
      for (let u = 3; u < scale.length; u += 82) q[u * width] = 0; // inf scale x code 0 = NaN
      const poisoned = new QuantizedTensor(x.data, scale);
      const w = c.weights.slice();
      for (let e = 1; e < w.length; e += 97) w[e] = e % 3 === 0 ? Number.NaN : e % 3 === 1 ? 0 : Number.NEGATIVE_INFINITY;
      for (const reduce of REDUCES) {
        for (const [xx, weights] of [[poisoned, null], [x, w], [poisoned, w]] as const) {
          const ref = spmmInt8Reference(c.edges, xx, reduce, weights);
          for (const level of LEVELS) {
            const out = withSimd(level, () => ops.spmmInt8Sync(c.graph, xx, { reduce, weights: weights ?? undefined }));
            expectWithin(out.data, ref.out, ref.bound, `${level} ${reduce} F=${width}`);
          }
        }
      }
    });
  }

  it('max and min see NaN made by a zero weight times an infinite scale', () => {
    const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 1]), 2);
    const x = new QuantizedTensor(Tensor.from(new Int8Array([5, 3]), [2, 1]), new Float32Array([Number.POSITIVE_INFINITY, 1]));
    for (const level of LEVELS) {
      withSimd(level, () => {
        for (const reduce of ['max', 'min'] as const) {
          const out = ops.spmmInt8Sync(g, x, { reduce, weights: Tensor.from(new Float32Array([0, 1])) }).data;
          expect(Number.isNaN(out[1]), `${level} ${reduce}`).toBe(true);
          const finite = ops.spmmInt8Sync(g, x, { reduce, weights: Tensor.from(new Float32Array([2, 1])) }).data;
          expect(finite[1], `${level} ${reduce} finite weights`).toBe(reduce === 'max' ? Number.POSITIVE_INFINITY : 3);
        }
      });
    }
  });
});

describe('spmmInt8 edge cases', () => {
  it('small exact cases: per-row and per-tensor scales, heads, empty rows', () => {
    // edges 0 -> 1 and 1 -> 1; node 0 and 2 receive nothing
    const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 1]), 3);
    const codes = Tensor.from(new Int8Array([1, -2, 3, 4, 127, -128, 0, 0, 0, 0, 0, 0]), [3, 4]);
    const perRow = new QuantizedTensor(codes, new Float32Array([0.5, 2, 1]));
    expect(Array.from(ops.spmmInt8Sync(g, perRow).data)).toEqual([0, 0, 0, 0, 0.5 + 254, -1 - 256, 1.5, 2, 0, 0, 0, 0]);
    expect(Array.from(ops.spmmInt8Sync(g, perRow, { reduce: 'max' }).data)).toEqual([0, 0, 0, 0, 254, -1, 1.5, 2, 0, 0, 0, 0]);
    const perTensor = new QuantizedTensor(codes, new Float32Array([0.25]));
    expect(Array.from(ops.spmmInt8Sync(g, perTensor, { reduce: 'mean' }).data)).toEqual([0, 0, 0, 0, 16, -16.25, 0.375, 0.5, 0, 0, 0, 0]);
    // head weights: edge 0 -> (10, 100), edge 1 -> (1, 2)
    const w = Tensor.from(new Float32Array([10, 100, 1, 2]), [2, 2]);
    expect(Array.from(ops.spmmInt8Sync(g, perRow, { weights: w }).data.subarray(4, 8))).toEqual([5 + 254, -10 - 256, 150, 200]);
  });

  it('graphs with no edges, zero nodes and zero-width features', () => {
    const g = Graph.fromEdgeIndex(new Int32Array(0), 5);
    const x = quantizeInt8(randomArray(15, 1), 5, 3, 'row');
    for (const reduce of REDUCES) {
      const out = ops.spmmInt8Sync(g, x, { reduce, out: Tensor.from(nanFilled(15), [5, 3]) });
      expect(Array.from(out.data)).toEqual(new Array(15).fill(0));
    }
    const empty = Graph.fromEdgeIndex(new Int32Array(0), 0);
    expect(ops.spmmInt8Sync(empty, quantizeInt8(new Float32Array(0), 0, 4, 'row')).shape).toEqual([0, 4]);
    const g2 = Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 0]), 2);
    expect(ops.spmmInt8Sync(g2, quantizeInt8(new Float32Array(0), 2, 0, 'row')).shape).toEqual([2, 0]);
  });

  it('bipartite graphs (more or fewer source nodes than nodes)', () => {
    for (const numSrcNodes of [700, 2600]) {
      const edges = awkwardGraph(5, { numNodes: 1500, numSrcNodes, hubDegree: 1100 });
      // CSR over destinations, sources numbered in [0, numSrcNodes).
      const order = Array.from(edges.dst.keys()).sort((a, b) => edges.dst[a] - edges.dst[b] || a - b);
      const indptr = new Int32Array(edges.numNodes + 1);
      for (const v of edges.dst) indptr[v + 1]++;
      for (let v = 0; v < edges.numNodes; v++) indptr[v + 1] += indptr[v];
      const indices = Int32Array.from(order, (e) => edges.src[e]);
      const bip = Graph.fromCSR(indptr, indices, { numSrcNodes });
      expect(bip.numSrcNodes).toBe(numSrcNodes);
      const x = quantizeInt8(randomArray(numSrcNodes * 33, 9), numSrcNodes, 33, 'row');
      for (const reduce of REDUCES) {
        const ref = spmmInt8Reference(edges, x, reduce);
        const out = ops.spmmInt8Sync(bip, x, { reduce, out: Tensor.from(nanFilled(edges.numNodes * 33), [edges.numNodes, 33]) });
        expectWithin(out.data, ref.out, ref.bound, `bipartite ${numSrcNodes} ${reduce}`);
      }
    }
  });
});

describe('spmmInt8 results do not depend on the thread count', () => {
  const c = makeCase(3, { numNodes: 20000, avgDegree: 8, hubDegree: 5000 });
  const threads = getNumThreads();
  for (const width of [1, 17, 64, 130]) {
    it(`F=${width}, 1 vs 2 vs 3 threads, bitwise`, () => {
      const x = features(c.edges.numNodes, width, width, 'row');
      const E = c.edges.src.length;
      const forms = [undefined, 'graph' as const, Tensor.from(c.weights)];
      if (width % 2 === 0) forms.push(Tensor.from(randomArray(E * 2, 5), [E, 2]));
      try {
        for (const reduce of REDUCES) {
          for (const weights of forms) {
            const outs = [1, 2, 3].map((t) => {
              setNumThreads(t);
              return ops.spmmInt8Sync(c.graph, x, { reduce, weights }).data;
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

describe('spmmInt8 async form', () => {
  it('resolves to the sync result, bitwise, for every reducer', async () => {
    const c = makeCase(11);
    const x = features(c.edges.numSrcNodes, 65, 3, 'row');
    for (const reduce of REDUCES) {
      const sync = ops.spmmInt8Sync(c.graph, x, { reduce, weights: 'graph' });
      const out = Tensor.from(nanFilled(c.edges.numNodes * 65), [c.edges.numNodes, 65]);
      const got = await ops.spmmInt8(c.graph, x, { reduce, weights: 'graph', out });
      expect(got).toBe(out);
      expectBitwiseEqual(got.data, sync.data, reduce);
    }
  });

  it('rejects with coded errors', async () => {
    const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 1]), 2);
    const x = quantizeInt8(randomArray(6, 1), 3, 2, 'row');
    await expect(ops.spmmInt8(g, x)).rejects.toMatchObject({ code: 'ERR_GNN_SHAPE_MISMATCH' });
    await expect(ops.spmmInt8(g, quantizeInt8(randomArray(4, 1), 2, 2, 'row'), { reduce: 'prod' as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
  });
});

describe('spmmInt8 argument errors', () => {
  const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 1]), 2, { edgeWeight: new Float32Array([1, 2]) });
  const x = quantizeInt8(randomArray(8, 1), 2, 4, 'row');
  it('x must be an int8 QuantizedTensor with one row per source node', () => {
    const u8 = new QuantizedTensor(Tensor.from(new Uint8Array(8), [2, 4]), new Float32Array([1, 1]), new Int32Array([128, 128]));
    expectError(() => ops.spmmInt8Sync(g, u8), 'ERR_INVALID_ARG_VALUE', TypeError, /x: expected int8 \(symmetric\) codes, got a QuantizedTensor of dtype 'uint8'/);
    expectError(() => ops.spmmInt8Sync(g, Tensor.zeros([2, 4]) as never), 'ERR_INVALID_ARG_TYPE', TypeError, /x: expected a QuantizedTensor/);
    const rows3 = quantizeInt8(randomArray(12, 1), 3, 4, 'row');
    expectError(() => ops.spmmInt8Sync(g, rows3), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /x: expected 2 rows .*got shape \[3, 4\]/);
  });
  it('options: reducer, weights, out, unknown keys', () => {
    expectError(() => ops.spmmInt8Sync(g, x, { reduce: 'prod' as never }), 'ERR_INVALID_ARG_VALUE', TypeError, /reduce/);
    expectError(() => ops.spmmInt8Sync(g, x, { weights: new Float32Array(3) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /weights: expected 2 rows/);
    expectError(
      () => ops.spmmInt8Sync(g, x, { weights: Tensor.from(new Float32Array(6), [2, 3]) }),
      'ERR_GNN_SHAPE_MISMATCH',
      GnnError,
      /divisible by the 3 heads/,
    );
    expectError(() => ops.spmmInt8Sync(g, x, { weights: 'all' as never }), 'ERR_INVALID_ARG_TYPE', TypeError, /weights/);
    const unweighted = Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 1]), 2);
    expectError(() => ops.spmmInt8Sync(unweighted, x, { weights: 'graph' }), 'ERR_INVALID_ARG_VALUE', TypeError, /graph with edge weights/);
    expectError(() => ops.spmmInt8Sync(g, x, { out: Tensor.zeros([2, 3]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /out: expected shape \[2, 4\]/);
    expectError(() => ops.spmmInt8Sync(g, x, { reduc: 'sum' } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /reduc/);
  });
  it('the native entry checks lengths, kinds and ranges itself', () => {
    const a = native() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const handle = { indptr: new Int32Array([0, 1, 2]), indices: new Int32Array([0, 1]), edgeIds: null, weights: null, numCols: 2 };
    const q = new Int8Array(8);
    const out = new Float32Array(8);
    const call = (...over: [number, unknown][]) => {
      const args: unknown[] = [handle, q, 4, new Float32Array(2), null, null, 1, out, 0];
      for (const [i, v] of over) args[i] = v;
      return () => a.qspmmSync(...args);
    };
    expect(call()()).toBe(out);
    expectError(call([3, new Float32Array(3)]), 'ERR_GNN_SHAPE_MISMATCH', Error as ErrorConstructor, /scale: expected 2 entries .* or 1 .*got 3/);
    expectError(call([1, new Int8Array(7)]), 'ERR_GNN_SHAPE_MISMATCH', Error as ErrorConstructor, /x: expected 2 x 4 = 8 elements, got 7/);
    expectError(call([7, new Float32Array(9)]), 'ERR_GNN_SHAPE_MISMATCH', Error as ErrorConstructor, /out: expected 2 x 4 = 8 elements, got 9/);
    expectError(call([1, new Uint8Array(8)]), 'ERR_INVALID_ARG_TYPE', TypeError, /x: expected an Int8Array/);
    expectError(call([8, 4]), 'ERR_OUT_OF_RANGE', RangeError, /reduce: expected an integer in \[0, 3\], got 4/);
    expectError(call([4, new Float32Array(3)]), 'ERR_GNN_SHAPE_MISMATCH', Error as ErrorConstructor, /weights: expected/);
    expectError(call([6, 3]), 'ERR_GNN_SHAPE_MISMATCH', Error as ErrorConstructor, /divisible by the 3 heads/);
    expectError(() => a.qspmmSync(handle, q, 4), 'ERR_INVALID_ARG_TYPE', TypeError, /expected 9 arguments, got 3/);
  });
});
