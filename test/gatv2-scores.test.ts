/**
 * ops.gatv2Scores against a float64 reference (test/reference/gatv2.ts states the bound) on a graph
 * with isolated nodes, self loops, duplicate edges and a hub of in-degree >= 1000, in a shuffled
 * caller edge order; heads 1, 2 and 8 at the awkward widths; every SIMD level; NaN-poisoned
 * outputs; att as [1, H, F], [H, F] and [H·F]; a bipartite graph; 1 and 2 threads bitwise equal;
 * async equal to sync; error codes.
 */
import { afterAll, describe, expect, it } from 'vitest';

import { GnnError, Graph, Tensor, getNumThreads, ops, setNumThreads } from '../lib/index';
import { awkwardGraph, edgeIndexOf, randomArray } from './fixtures/graphs';
import { nanFilled } from './helpers/compare';
import { LANES, WIDTHS, expectClose, expectSameBits } from './helpers/rowops';
import { availableSimdLevels, withSimd } from './helpers/simd';
import { gatv2ScoresReference } from './reference/gatv2';

const LEVELS = availableSimdLevels();

const edges = awkwardGraph(37, { numNodes: 900, hubDegree: 1100 });
const graph = Graph.fromEdgeIndex(edgeIndexOf(edges), edges.numNodes);
const E = edges.src.length;
const N = edges.numNodes;

function poisoned(shape: number[]): Tensor<'float32'> {
  return Tensor.from(nanFilled(shape.reduce((a, b) => a * b, 1)), shape);
}

describe('gatv2Scores matches float64', () => {
  it('the graph has what the kernels must survive', () => {
    const deg = graph.inDegrees();
    expect(Math.max(...deg)).toBeGreaterThanOrEqual(1000);
    expect(deg.some((d) => d === 0)).toBe(true);
    expect(edges.src.some((s, k) => s === edges.dst[k])).toBe(true);
  });

  const cases: Array<[number, number]> = [];
  for (const f of WIDTHS) cases.push([1, f]);
  for (const f of [1, 7, 8, 9, 16, 31, 33, 64]) cases.push([8, f]);
  for (const f of [2, 9, 63, 65, 129]) cases.push([2, f]);
  for (const [heads, f] of cases) {
    it(`${heads} heads of ${f}`, () => {
      const xl = randomArray(N * heads * f, heads * 1000 + f, -2, 2);
      const xr = randomArray(N * heads * f, heads * 1000 + f + 1, -2, 2);
      const att = randomArray(heads * f, heads * 1000 + f + 2, -1, 1);
      for (const level of LEVELS) {
        const ref = gatv2ScoresReference(edges, xl, xr, att, heads, 0.2, LANES[level]);
        const out = poisoned([E, heads]);
        withSimd(level, () =>
          ops.gatv2ScoresSync(graph, Tensor.from(xl, [N, heads * f]), Tensor.from(xr, [N, heads, f]), Tensor.from(att, [1, heads, f]), { out }),
        );
        expectClose(out.data, ref.out, ref.bound, `${level} H=${heads} F=${f}`);
      }
    });
  }

  it('att as [H, F] or [H·F] with heads; slopes 0.01 and 1 (a plain dot product); xl rank 3', () => {
    const heads = 2;
    const f = 33;
    const xl = randomArray(N * heads * f, 5, -2, 2);
    const xr = randomArray(N * heads * f, 6, -2, 2);
    const att = randomArray(heads * f, 7);
    const want = ops.gatv2ScoresSync(graph, Tensor.from(xl, [N, heads * f]), Tensor.from(xr, [N, heads * f]), Tensor.from(att, [1, heads, f]));
    const a = ops.gatv2ScoresSync(graph, Tensor.from(xl, [N, heads, f]), Tensor.from(xr, [N, heads * f]), Tensor.from(att, [heads, f]));
    const b = ops.gatv2ScoresSync(graph, Tensor.from(xl, [N, heads * f]), Tensor.from(xr, [N, heads * f]), Tensor.from(att), { heads });
    expectSameBits(a.data, want.data, '[H, F]');
    expectSameBits(b.data, want.data, '[H·F] with heads');
    for (const slope of [0.01, 1]) {
      for (const level of LEVELS) {
        const ref = gatv2ScoresReference(edges, xl, xr, att, heads, slope, LANES[level]);
        const out = poisoned([E, heads]);
        withSimd(level, () =>
          ops.gatv2ScoresSync(graph, Tensor.from(xl, [N, heads * f]), Tensor.from(xr, [N, heads * f]), Tensor.from(att), { heads, negativeSlope: slope, out }),
        );
        expectClose(out.data, ref.out, ref.bound, `${level} slope ${slope}`);
      }
    }
  });

  it('bipartite: 5 source rows, 3 destination rows, with an empty destination', () => {
    const g = Graph.fromCSR(Int32Array.from([0, 3, 3, 6]), Int32Array.from([4, 0, 4, 1, 2, 3]), { numSrcNodes: 5 });
    const list = { numNodes: 3, numSrcNodes: 5, src: Int32Array.from([4, 0, 4, 1, 2, 3]), dst: Int32Array.from([0, 0, 0, 2, 2, 2]) };
    const xl = randomArray(5 * 2 * 9, 1, -2, 2);
    const xr = randomArray(3 * 2 * 9, 2, -2, 2);
    const att = randomArray(2 * 9, 3);
    for (const level of LEVELS) {
      const ref = gatv2ScoresReference(list, xl, xr, att, 2, 0.2, LANES[level]);
      const out = poisoned([6, 2]);
      withSimd(level, () => ops.gatv2ScoresSync(g, Tensor.from(xl, [5, 18]), Tensor.from(xr, [3, 18]), Tensor.from(att, [1, 2, 9]), { out }));
      expectClose(out.data, ref.out, ref.bound, `${level} bipartite`);
    }
  });

  it('NaN in a source row reaches only that source\'s edges; no edges gives an empty result', () => {
    const f = 16;
    const xl = randomArray(N * f, 8);
    const xr = randomArray(N * f, 9);
    const att = randomArray(f, 10);
    const bad = edges.src[0];
    xl[bad * f + 3] = Number.NaN;
    for (const level of LEVELS) {
      const s = withSimd(level, () => ops.gatv2ScoresSync(graph, Tensor.from(xl, [N, f]), Tensor.from(xr, [N, f]), Tensor.from(att))).data;
      for (let k = 0; k < E; k++) expect(Number.isNaN(s[k]), `${level} edge ${k}`).toBe(edges.src[k] === bad);
    }
    const empty = Graph.fromEdgeIndex(new Int32Array(0), 4);
    expect(ops.gatv2ScoresSync(empty, Tensor.zeros([4, 6]), Tensor.zeros([4, 6]), Tensor.zeros([1, 2, 3])).shape).toEqual([0, 2]);
  });
});

const defaultThreads = getNumThreads();
afterAll(() => {
  setNumThreads(defaultThreads);
});

describe('thread counts and async', () => {
  it('1 and 2 threads bitwise equal at every level; async equals sync', async () => {
    const big = awkwardGraph(41, { numNodes: 6000, hubDegree: 3000 });
    const g = Graph.fromEdgeIndex(edgeIndexOf(big), big.numNodes);
    const heads = 2;
    const f = 33;
    const xl = Tensor.from(randomArray(6000 * heads * f, 1, -2, 2), [6000, heads * f]);
    const xr = Tensor.from(randomArray(6000 * heads * f, 2, -2, 2), [6000, heads * f]);
    const att = Tensor.from(randomArray(heads * f, 3), [1, heads, f]);
    const run = (): Tensor<'float32'> => ops.gatv2ScoresSync(g, xl, xr, att, { out: poisoned([g.numEdges, heads]) });
    for (const level of LEVELS) {
      setNumThreads(1);
      const one = withSimd(level, run);
      setNumThreads(2);
      const two = withSimd(level, run);
      expectSameBits(two.data, one.data, `${level} 2 threads vs 1`);
      for (const v of one.data) if (Number.isNaN(v)) expect.fail('an output element was not written');
    }
    const viaAsync = await ops.gatv2Scores(g, xl, xr, att, { out: poisoned([g.numEdges, heads]) });
    expectSameBits(viaAsync.data, run().data, 'async vs sync');
  });
});

describe('errors', () => {
  const x = Tensor.zeros([N, 8]);
  const att = Tensor.zeros([1, 2, 4]);
  const expectCode = (fn: () => unknown, code: string, message: RegExp): void => {
    let caught: unknown;
    try {
      fn();
    } catch (error) {
      caught = error;
    }
    expect(caught, 'threw').toBeInstanceOf(Error);
    expect((caught as { code: string }).code).toBe(code);
    expect((caught as Error).message).toMatch(message);
  };
  it('shapes, heads, slope and options are checked with codes that name the argument', async () => {
    expectCode(() => ops.gatv2ScoresSync(graph, Tensor.zeros([N - 1, 8]), x, att), 'ERR_GNN_SHAPE_MISMATCH', new RegExp(`^xl: expected \\[${N}, 8\\].*got \\[${N - 1}, 8\\]`));
    expectCode(() => ops.gatv2ScoresSync(graph, x, Tensor.zeros([N, 9]), att), 'ERR_GNN_SHAPE_MISMATCH', new RegExp(`^xr: expected \\[${N}, 8\\].*got \\[${N}, 9\\]`));
    expectCode(() => ops.gatv2ScoresSync(graph, x, x, att, { heads: 4 }), 'ERR_GNN_SHAPE_MISMATCH', /^att: expected 4 heads, got shape \[1, 2, 4\]/);
    expectCode(() => ops.gatv2ScoresSync(graph, x, x, Tensor.zeros([8]), { heads: 3 }), 'ERR_GNN_SHAPE_MISMATCH', /^att: expected 3 heads of equal width/);
    expectCode(() => ops.gatv2ScoresSync(graph, Tensor.zeros([N, 4, 2]), x, att), 'ERR_GNN_SHAPE_MISMATCH', /^xl: expected 2 heads, got shape/);
    expectCode(() => ops.gatv2ScoresSync(graph, x, x, Tensor.zeros([2, 2, 2])), 'ERR_GNN_SHAPE_MISMATCH', /^att: expected \[1, H, F\]/);
    expectCode(() => ops.gatv2ScoresSync(graph, x, x, att, { heads: 0 }), 'ERR_OUT_OF_RANGE', /^heads: expected an integer/);
    expectCode(() => ops.gatv2ScoresSync(graph, x, x, att, { negativeSlope: Number.POSITIVE_INFINITY }), 'ERR_OUT_OF_RANGE', /^negativeSlope: expected a number finite in float32/);
    expectCode(() => ops.gatv2ScoresSync(graph, x, x, att, { negativeSlope: '0.2' as never }), 'ERR_INVALID_ARG_TYPE', /^negativeSlope: expected a number/);
    expectCode(() => ops.gatv2ScoresSync(graph, x, x, att, { out: Tensor.zeros([E, 3]) }), 'ERR_GNN_SHAPE_MISMATCH', new RegExp(`^out: expected shape \\[${E}, 2\\], got \\[${E}, 3\\]`));
    expectCode(() => ops.gatv2ScoresSync(graph, x, x, att, { slope: 0.2 } as never), 'ERR_INVALID_ARG_VALUE', /gatv2ScoresSync options/);
    expectCode(() => ops.gatv2ScoresSync({} as never, x, x, att), 'ERR_INVALID_ARG_TYPE', /graph/);
    const buffer = new Float32Array(N * 8 + 2 * E);
    const xs = Tensor.from(buffer.subarray(0, N * 8), [N, 8]);
    const shared = Tensor.from(buffer.subarray(N * 8 - 8, N * 8 - 8 + 2 * E), [E, 2]);
    expectCode(() => ops.gatv2ScoresSync(graph, xs, x, att, { out: shared }), 'ERR_GNN_SHAPE_MISMATCH', /^out: expected memory separate/);
    await expect(ops.gatv2Scores(graph, x, x, att, { heads: 4 })).rejects.toBeInstanceOf(GnnError);
    const rejected = await ops.gatv2Scores(graph, x, x, att, { negativeSlope: Number.NaN }).catch((e: Error) => e);
    expect((rejected as unknown as { code: string }).code).toBe('ERR_OUT_OF_RANGE');
  });
});
