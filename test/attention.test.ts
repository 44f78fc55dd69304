/**
 * sddmm, edgeSoftmax and the fused gatAggregate against float64 references (test/reference/
 * attention.ts states the bounds) on graphs with isolated nodes, self loops, duplicate edges and a
 * hub of degree >= 1000; heads 1, 2 and 8; awkward widths; scores of ±80 and -Infinity; every SIMD
 * level; outputs poisoned with NaN; fused equal to the unfused chain; thread counts bitwise equal.
 */
import { describe, expect, it } from 'vitest';

import { GnnError, Graph, Tensor, getNumThreads, ops, setNumThreads } from '../lib/index';
import { awkwardGraph, edgeIndexOf, randomArray } from './fixtures/graphs';
import { expectBitwiseEqual, expectWithin, nanFilled } from './helpers/compare';
import { availableSimdLevels, withSimd } from './helpers/simd';
import { edgeSoftmaxReference, gatReference, sddmmReference } from './reference/attention';

const LEVELS = availableSimdLevels();
const WIDTHS = [1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 128, 129, 257];

const edges = awkwardGraph(31, { numNodes: 900, hubDegree: 1100 });
const graph = Graph.fromEdgeIndex(edgeIndexOf(edges), edges.numNodes);
const E = edges.src.length;
const N = edges.numNodes;

function poisoned(shape: number[]): Tensor<'float32'> {
  return Tensor.from(nanFilled(shape.reduce((a, b) => a * b, 1)), shape);
}

describe('sddmm', () => {
  for (const heads of [1, 2, 8]) {
    for (const f of [1, 7, 9, 16, 33, 64, 129]) {
      it(`dot, ${heads} heads of ${f}`, () => {
        const u = randomArray(N * heads * f, heads * 100 + f);
        const v = randomArray(N * heads * f, heads * 100 + f + 1);
        const ref = sddmmReference(edges, u, heads * f, v, heads * f, 'dot', heads);
        for (const level of LEVELS) {
          const out = poisoned([E, heads]);
          withSimd(level, () =>
            ops.sddmmSync(graph, Tensor.from(u, [N, heads, f]), Tensor.from(v, [N, heads * f]), { op: 'dot', out }),
          );
          expectWithin(out.data, ref.out, ref.bound, `${level} dot H=${heads} F=${f}`);
        }
      });
    }
  }
  for (const op of ['add', 'sub', 'mul'] as const) {
    it(`${op}: equal widths and head broadcasting`, () => {
      for (const [du, dv] of [[1, 1], [8, 8], [33, 33], [2, 8], [8, 2], [1, 5]]) {
        const u = randomArray(N * du, du * 7);
        const v = randomArray(N * dv, dv * 11);
        const ref = sddmmReference(edges, u, du, v, dv, op);
        for (const level of LEVELS) {
          const out = poisoned([E, ref.width]);
          withSimd(level, () => ops.sddmmSync(graph, Tensor.from(u, [N, du]), Tensor.from(v, [N, dv]), { op, out }));
          expectWithin(out.data, ref.out, ref.bound, `${level} ${op} ${du}x${dv}`);
        }
      }
    });
  }
  it('1-D operands give a 1-D result; async equals sync', async () => {
    const u = Tensor.from(randomArray(N, 1));
    const v = Tensor.from(randomArray(N, 2));
    const s = ops.sddmmSync(graph, u, v, { op: 'add' });
    expect(s.shape).toEqual([E]);
    expectBitwiseEqual((await ops.sddmm(graph, u, v, { op: 'add' })).data, s.data);
  });
});

describe('edgeSoftmax', () => {
  for (const heads of [1, 2, 8, 17]) {
    it(`${heads} heads, scores of ±80 and -Infinity`, () => {
      const scores = randomArray(E * heads, heads, -80, 80);
      for (let i = 0; i < scores.length; i += 13) scores[i] = Number.NEGATIVE_INFINITY;
      // A destination whose scores are all -Infinity.
      const lonely = edges.dst[0];
      for (let k = 0; k < E; k++) if (edges.dst[k] === lonely) for (let h = 0; h < heads; h++) scores[k * heads + h] = Number.NEGATIVE_INFINITY;
      const ref = edgeSoftmaxReference(edges, scores, heads);
      for (const level of LEVELS) {
        const out = poisoned([E, heads]);
        withSimd(level, () => ops.edgeSoftmaxSync(graph, Tensor.from(scores, [E, heads]), { out }));
        expectWithin(out.data, ref.out, ref.bound, `${level} H=${heads}`);
        for (let k = 0; k < E; k++) if (edges.dst[k] === lonely) expect(out.data[k * heads]).toBe(0);
      }
    });
  }
  it('sums to 1 per destination, NaN propagates to its row, and works in place', () => {
    const scores = randomArray(E * 2, 3, -5, 5);
    const t = Tensor.from(scores.slice(), [E, 2]);
    const out = ops.edgeSoftmaxSync(graph, t, { out: t });
    expect(out).toBe(t);
    const sums = new Float64Array(N * 2);
    for (let k = 0; k < E; k++) for (let h = 0; h < 2; h++) sums[edges.dst[k] * 2 + h] += out.data[k * 2 + h];
    const deg = graph.inDegrees();
    for (let v = 0; v < N; v++) for (let h = 0; h < 2; h++) if (deg[v] > 0) expect(Math.abs(sums[v * 2 + h] - 1)).toBeLessThan(1e-5);
    const withNan = scores.slice();
    withNan[0] = Number.NaN; // edge 0, head 0
    const r = ops.edgeSoftmaxSync(graph, Tensor.from(withNan, [E, 2])).data;
    for (let k = 0; k < E; k++) {
      if (edges.dst[k] === edges.dst[0]) {
        expect(Number.isNaN(r[k * 2])).toBe(true);
        expect(Number.isNaN(r[k * 2 + 1])).toBe(false);
      }
    }
  });
});

describe('gatAggregate', () => {
  const cases: Array<[number, number]> = [];
  for (const f of WIDTHS) cases.push([1, f]);
  for (const f of [1, 7, 8, 9, 16, 31, 32, 33, 64]) cases.push([8, f]);
  for (const f of [2, 63, 129]) cases.push([2, f]);
  for (const [heads, f] of cases) {
    it(`${heads} heads of ${f}, matches the reference and the unfused chain`, () => {
      const x = randomArray(N * heads * f, heads * 1000 + f);
      const aSrc = randomArray(N * heads, f + 1, -3, 3);
      const aDst = randomArray(N * heads, f + 2, -3, 3);
      const edgeTerm = f % 2 === 1 ? randomArray(E * heads, f + 3, -1, 1) : null;
      const ref = gatReference(edges, x, heads, f, aSrc, aDst, edgeTerm, 0.2);
      const xt = Tensor.from(x, [N, heads * f]);
      const st = Tensor.from(aSrc, [N, heads]);
      const dt = Tensor.from(aDst, [N, heads]);
      const et = edgeTerm === null ? undefined : Tensor.from(edgeTerm, [E, heads]);
      for (const level of LEVELS) {
        withSimd(level, () => {
          const out = poisoned([N, heads * f]);
          const fused = ops.gatAggregateSync(graph, xt, st, dt, { edgeTerm: et, returnAttention: true, out });
          expectWithin(fused.out.data, ref.out, ref.bound, `${level} fused out`);
          expectWithin(fused.attention.data, ref.attention, ref.attentionBound, `${level} fused attention`);
          // The unfused chain: sddmm add -> (+ edge term) -> leaky relu -> edge softmax -> spmm.
          let scores = ops.sddmmSync(graph, st, dt, { op: 'add' });
          if (et !== undefined) {
            const sum = new Float32Array(scores.numel);
            for (let i = 0; i < sum.length; i++) sum[i] = scores.data[i] + et.data[i];
            scores = Tensor.from(sum, [E, heads]);
          }
          const alpha = ops.edgeSoftmaxSync(graph, ops.activationSync(scores, 'leaky_relu', { alpha: 0.2 }));
          expectWithin(alpha.data, ref.attention, ref.attentionBound, `${level} unfused attention`);
          const unfused = ops.spmmSync(graph, xt, { weights: alpha });
          expectWithin(unfused.data, ref.out, ref.bound, `${level} unfused out`);
          const both = new Float64Array(ref.bound.length);
          for (let i = 0; i < both.length; i++) both[i] = 2 * ref.bound[i];
          expectWithin(fused.out.data, Float64Array.from(unfused.data), both, `${level} fused vs unfused`);
        });
      }
    });
  }

  it('scores of ±80 and -Infinity, and nodes whose scores are all -Infinity', () => {
    const heads = 2;
    const f = 5;
    const x = randomArray(N * heads * f, 77);
    const aSrc = randomArray(N * heads, 78, -80, 80);
    const aDst = randomArray(N * heads, 79, -80, 80);
    aSrc[3 * heads] = Number.NEGATIVE_INFINITY; // every edge out of node 3, head 0
    const lonely = edges.dst[5];
    aDst[lonely * heads + 1] = Number.NEGATIVE_INFINITY; // every edge into `lonely`, head 1
    const ref = gatReference(edges, x, heads, f, aSrc, aDst, null, 0.2);
    for (const level of LEVELS) {
      const r = withSimd(level, () =>
        ops.gatAggregateSync(graph, Tensor.from(x, [N, heads * f]), Tensor.from(aSrc, [N, heads]), Tensor.from(aDst, [N, heads]), {
          returnAttention: true,
        }),
      );
      expectWithin(r.out.data, ref.out, ref.bound, `${level} out`);
      expectWithin(r.attention.data, ref.attention, ref.attentionBound, `${level} attention`);
      for (let c = f; c < 2 * f; c++) expect(r.out.data[lonely * heads * f + c]).toBe(0);
    }
  });

  it('rank-3 features, a custom slope, async equals sync', async () => {
    const heads = 4;
    const f = 6;
    const x = Tensor.from(randomArray(N * heads * f, 5), [N, heads, f]);
    const st = Tensor.from(randomArray(N * heads, 6), [N, heads]);
    const dt = Tensor.from(randomArray(N * heads, 7), [N, heads]);
    const ref = gatReference(edges, x.data, heads, f, st.data, dt.data, null, 0.01);
    const sync = ops.gatAggregateSync(graph, x, st, dt, { negativeSlope: 0.01 });
    expect(sync.shape).toEqual([N, heads, f]);
    expectWithin(sync.data, ref.out, ref.bound, 'slope 0.01');
    const r = await ops.gatAggregate(graph, x, st, dt, { negativeSlope: 0.01, returnAttention: true });
    expectBitwiseEqual(r.out.data, sync.data);
  });

  it('never materialises an E x H array: memory does not grow with the edge count', () => {
    // The only allocation is the output; a run over a graph with 8x the edges allocates the same.
    const heads = 8;
    const f = 8;
    const small = awkwardGraph(1, { numNodes: 4000, avgDegree: 4, hubDegree: 0 });
    const large = awkwardGraph(1, { numNodes: 4000, avgDegree: 32, hubDegree: 0 });
    const used: number[] = [];
    for (const el of [small, large]) {
      const g = Graph.fromEdgeIndex(edgeIndexOf(el), el.numNodes);
      const x = Tensor.from(randomArray(el.numNodes * heads * f, 1), [el.numNodes, heads * f]);
      const a = Tensor.from(randomArray(el.numNodes * heads, 2), [el.numNodes, heads]);
      const out = Tensor.zeros([el.numNodes, heads * f]);
      ops.gatAggregateSync(g, x, a, a, { out });
      const before = process.memoryUsage().arrayBuffers;
      for (let i = 0; i < 5; i++) ops.gatAggregateSync(g, x, a, a, { out });
      used.push(process.memoryUsage().arrayBuffers - before);
    }
    expect(used[1]).toBeLessThan(1 << 16);
    expect(used[0]).toBeLessThan(1 << 16);
  });
});

describe('results do not depend on the thread count', () => {
  const big = awkwardGraph(8, { numNodes: 20000, avgDegree: 8, hubDegree: 5000 });
  const g = Graph.fromEdgeIndex(edgeIndexOf(big), big.numNodes);
  const n = big.numNodes;
  const e = big.src.length;
  it('sddmm, edgeSoftmax and gatAggregate: 1, 2 and 3 threads bitwise', () => {
    const threads = getNumThreads();
    const heads = 8;
    const f = 8;
    const x = Tensor.from(randomArray(n * heads * f, 1), [n, heads * f]);
    const st = Tensor.from(randomArray(n * heads, 2), [n, heads]);
    const dt = Tensor.from(randomArray(n * heads, 3), [n, heads]);
    const scores = Tensor.from(randomArray(e * heads, 4, -10, 10), [e, heads]);
    try {
      const runs = [1, 2, 3].map((t) => {
        setNumThreads(t);
        return [
          ops.sddmmSync(g, x, x, { op: 'dot', heads }).data,
          ops.edgeSoftmaxSync(g, scores).data,
          ops.gatAggregateSync(g, x, st, dt, { returnAttention: true }).out.data,
        ];
      });
      for (let i = 0; i < 3; i++) {
        expectBitwiseEqual(runs[0][i], runs[1][i], `op ${i} 1 vs 2`);
        expectBitwiseEqual(runs[0][i], runs[2][i], `op ${i} 1 vs 3`);
      }
    } finally {
      setNumThreads(threads);
    }
  });
});

describe('errors', () => {
  const x = Tensor.zeros([N, 4]);
  const a = Tensor.zeros([N, 2]);
  it('shapes and dtypes, by code', () => {
    expect(() => ops.sddmmSync(graph, Tensor.zeros([N + 1, 4]), x)).toThrow(expect.objectContaining({ code: 'ERR_GNN_SHAPE_MISMATCH' }));
    expect(() => ops.sddmmSync(graph, x, Tensor.zeros([N, 3]), { op: 'dot' })).toThrow(GnnError);
    expect(() => ops.sddmmSync(graph, x, Tensor.zeros([N, 3]), { op: 'add' })).toThrow(expect.objectContaining({ code: 'ERR_GNN_SHAPE_MISMATCH' }));
    expect(() => ops.sddmmSync(graph, x, x, { op: 'div' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => ops.sddmmSync(graph, x, x, { op: 'add', heads: 2 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => ops.edgeSoftmaxSync(graph, Tensor.zeros([E + 1]))).toThrow(expect.objectContaining({ code: 'ERR_GNN_SHAPE_MISMATCH' }));
    expect(() => ops.edgeSoftmaxSync(graph, Tensor.zeros([E], 'int32') as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => ops.gatAggregateSync(graph, x, a, Tensor.zeros([N, 3]))).toThrow(expect.objectContaining({ code: 'ERR_GNN_SHAPE_MISMATCH' }));
    expect(() => ops.gatAggregateSync(graph, Tensor.zeros([N, 5]), a, a)).toThrow(expect.objectContaining({ code: 'ERR_GNN_SHAPE_MISMATCH' }));
    expect(() => ops.gatAggregateSync(graph, x, a, a, { edgeTerm: Tensor.zeros([E, 3]) })).toThrow(expect.objectContaining({ code: 'ERR_GNN_SHAPE_MISMATCH' }));
    expect(() => ops.gatAggregateSync(graph, x, a, a, { slope: 0.1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => ops.gatAggregateSync(graph, x, a, a, { negativeSlope: Number.NaN })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => ops.gatAggregateSync(graph, x, a, a, { out: x })).toThrow(expect.objectContaining({ code: 'ERR_GNN_SHAPE_MISMATCH' }));
  });
});

