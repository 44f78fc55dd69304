/**
 * Graph construction and transforms against edge-list references written from PyG's definitions,
 * on awkward random graphs and on Cora / CiteSeer (against PyG's own gcn_norm output).
 */
import { describe, expect, it } from 'vitest';

import { Graph, Tensor, ops } from '../lib/index';
import { awkwardGraph, edgeIndexOf, randomArray } from './fixtures/graphs';
import { dataset, pygGcnNormWeights, rawEdgeIndex } from './helpers/data';
import { addRemainingSelfLoopsRef, csrReference, gcnNormRef, removeSelfLoopsRef, toUndirectedRef } from './reference/graph';
import type { Edges } from './reference/graph';

function edgesOf(g: Graph): Edges {
  const { edgeIndex, edgeWeight } = g.toEdgeIndex();
  const e = g.numEdges;
  return { src: edgeIndex.slice(0, e), dst: edgeIndex.slice(e), weight: edgeWeight };
}

function expectEdges(got: Edges, want: Edges, weightTolerance = 0): void {
  expect(Array.from(got.src)).toEqual(Array.from(want.src));
  expect(Array.from(got.dst)).toEqual(Array.from(want.dst));
  if (want.weight === null) {
    expect(got.weight).toBeNull();
    return;
  }
  expect(got.weight).not.toBeNull();
  const gw = got.weight as Float32Array;
  for (let i = 0; i < want.weight.length; i++) {
    if (Math.abs(gw[i] - want.weight[i]) > weightTolerance * Math.max(1, Math.abs(want.weight[i]))) {
      expect.fail(`weight[${i}] (${want.src[i]} -> ${want.dst[i]}): got ${gw[i]}, expected ${want.weight[i]}`);
    }
  }
}

/** Checks CSR structure against the caller-order edge list the graph reports. */
function expectConsistent(g: Graph): void {
  const ptr = g.indptr;
  const idx = g.indices;
  const ids = g.edgeIds;
  const { src, dst } = edgesOf(g);
  expect(Number(ptr[0])).toBe(0);
  expect(Number(ptr[g.numNodes])).toBe(g.numEdges);
  for (let v = 0; v < g.numNodes; v++) {
    let prevId = -1;
    for (let j = Number(ptr[v]); j < Number(ptr[v + 1]); j++) {
      expect(dst[ids[j]]).toBe(v);
      expect(src[ids[j]]).toBe(idx[j]);
      expect(ids[j]).toBeGreaterThan(prevId); // within a row, edges keep the caller's order
      prevId = ids[j];
    }
  }
}

const awkward = awkwardGraph(11, { numNodes: 1200, hubDegree: 1000 });
const awkwardWeights = randomArray(awkward.src.length, 12, 0.1, 2);

describe('construction', () => {
  it('fromEdgeIndex builds the stable destination-major CSR and keeps the caller order', () => {
    const g = Graph.fromEdgeIndex(edgeIndexOf(awkward), awkward.numNodes, { edgeWeight: awkwardWeights });
    const ref = csrReference(awkward.src, awkward.dst, awkward.numNodes);
    expect(g.numNodes).toBe(awkward.numNodes);
    expect(g.numEdges).toBe(awkward.src.length);
    expect(Array.from(g.indptr as Int32Array)).toEqual(Array.from(ref.indptr));
    expect(Array.from(g.indices)).toEqual(Array.from(ref.indices));
    expect(Array.from(g.edgeIds)).toEqual(Array.from(ref.edgeIds));
    expect(Array.from(g.edgeWeight as Float32Array)).toEqual(Array.from(ref.edgeIds, (e) => awkwardWeights[e]));
    expect(Math.max(...g.inDegrees())).toBeGreaterThanOrEqual(1000);
    expectEdges(edgesOf(g), { src: awkward.src, dst: awkward.dst, weight: awkwardWeights });
  });

  it('fromEdgeIndex accepts a [2, E] int32 Tensor, a BigInt64Array (PyG int64) and infers numNodes', () => {
    const ei = edgeIndexOf(awkward);
    const a = Graph.fromEdgeIndex(Tensor.from(ei, [2, awkward.src.length]), awkward.numNodes);
    const b = Graph.fromEdgeIndex(BigInt64Array.from(ei, (v) => BigInt(v)), awkward.numNodes);
    const c = Graph.fromEdgeIndex(ei);
    const maxId = Math.max(...awkward.src, ...awkward.dst);
    expect(c.numNodes).toBe(maxId + 1);
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    expect(Array.from(a.edgeIds)).toEqual(Array.from(b.edgeIds));
  });

  it('fromCOO and fromEdgeIndex agree', () => {
    const a = Graph.fromCOO(awkward.src, awkward.dst, { numNodes: awkward.numNodes });
    const b = Graph.fromEdgeIndex(edgeIndexOf(awkward), awkward.numNodes);
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    expect(Array.from(a.indptr as Int32Array)).toEqual(Array.from(b.indptr as Int32Array));
  });

  it('fromCSR copies and validates; its caller order is the CSR order', () => {
    const ref = csrReference(awkward.src, awkward.dst, awkward.numNodes);
    const w = randomArray(ref.indices.length, 3);
    const g = Graph.fromCSR(ref.indptr, ref.indices, { edgeWeight: w });
    ref.indices[0] = -5; // the graph holds its own copy
    expect(g.indices[0]).not.toBe(-5);
    expect(Array.from(g.edgeIds)).toEqual(Array.from({ length: g.numEdges }, (_, i) => i));
    expect(Array.from(g.edgeWeight as Float32Array)).toEqual(Array.from(w));
    const wide = Graph.fromCSR(BigInt64Array.from(csrReference(awkward.src, awkward.dst, awkward.numNodes).indptr, (v) => BigInt(v)), g.indices);
    expect(wide.indptr).toBeInstanceOf(Int32Array); // narrowed: the edge count fits in int32
    expect(Array.from(wide.indptr as Int32Array)).toEqual(Array.from(g.indptr as Int32Array));
  });

  it('accessors return copies: mutating them changes nothing the kernels see', () => {
    const g = Graph.fromEdgeIndex(edgeIndexOf(awkward), awkward.numNodes, { edgeWeight: awkwardWeights });
    const twin = Graph.fromEdgeIndex(edgeIndexOf(awkward), awkward.numNodes, { edgeWeight: awkwardWeights });
    g.indices.fill(1 << 30); // would read far out of bounds if the kernel used it
    (g.indptr as Int32Array).fill(-7);
    (g.edgeWeight as Float32Array).fill(Number.NaN);
    g.edgeIds.fill(-1);
    const x = Tensor.from(randomArray(awkward.numNodes * 3, 1), [awkward.numNodes, 3]);
    const a = ops.spmmSync(g, x, { weights: 'graph' });
    const b = ops.spmmSync(twin, x, { weights: 'graph' });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(g.inDegrees())).toEqual(Array.from(twin.inDegrees()));
    expect(g.toEdgeIndex().edgeIndex).toEqual(twin.toEdgeIndex().edgeIndex);
  });

  it('an already target-sorted edge list needs no edge-id permutation', () => {
    const ei = rawEdgeIndex('cora'); // sorted by target, as PyG's Planetoid
    const g = Graph.fromEdgeIndex(ei, 2708);
    expect(Array.from(g.edgeIds.subarray(0, 5))).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(g.indices)).toEqual(Array.from(ei.subarray(0, g.numEdges)));
  });

  it('in- and out-degrees', () => {
    const g = Graph.fromEdgeIndex(edgeIndexOf(awkward), awkward.numNodes);
    const inDeg = new Int32Array(awkward.numNodes);
    const outDeg = new Int32Array(awkward.numNodes);
    awkward.dst.forEach((v) => inDeg[v]++);
    awkward.src.forEach((u) => outDeg[u]++);
    expect(Array.from(g.inDegrees())).toEqual(Array.from(inDeg));
    expect(Array.from(g.outDegrees())).toEqual(Array.from(outDeg));
  });

  it('withEdgeWeight takes weights in the caller order', () => {
    const g = Graph.fromEdgeIndex(edgeIndexOf(awkward), awkward.numNodes).withEdgeWeight(awkwardWeights);
    expectEdges(edgesOf(g), { src: awkward.src, dst: awkward.dst, weight: awkwardWeights });
  });
});

describe('transforms follow PyG', () => {
  const base: Edges = { src: awkward.src, dst: awkward.dst, weight: null };
  const weighted: Edges = { ...base, weight: awkwardWeights };
  const n = awkward.numNodes;
  const build = (e: Edges): Graph => Graph.fromCOO(e.src, e.dst, { numNodes: n, edgeWeight: e.weight ?? undefined });

  it('removeSelfLoops', () => {
    for (const e of [base, weighted]) {
      const g = build(e).removeSelfLoops();
      expectEdges(edgesOf(g), removeSelfLoopsRef(e));
      expectConsistent(g);
    }
  });

  it('addSelfLoops (add_remaining_self_loops): weighted, unweighted, and fillValue on unweighted', () => {
    const w = build(weighted).addSelfLoops({ fillValue: 3 });
    expectEdges(edgesOf(w), addRemainingSelfLoopsRef(weighted, n, 3));
    expectConsistent(w);
    const u = build(base).addSelfLoops();
    expectEdges(edgesOf(u), addRemainingSelfLoopsRef(base, n, 1));
    expect(u.hasEdgeWeight).toBe(false);
    const f = build(base).addSelfLoops({ fillValue: 2.5 });
    expectEdges(edgesOf(f), addRemainingSelfLoopsRef({ ...base, weight: new Float32Array(base.src.length).fill(1) }, n, 2.5));
  });

  it('gcnNorm on random graphs (with and without loops, improved, weighted)', () => {
    for (const e of [base, weighted]) {
      for (const addSelfLoops of [true, false]) {
        for (const improved of [false, true]) {
          const g = build(e).gcnNorm({ addSelfLoops, improved });
          expectEdges(edgesOf(g), gcnNormRef(e, n, addSelfLoops, improved), 4 * 2 ** -24);
          expectConsistent(g);
        }
      }
    }
  });

  it('gcnNorm reproduces PyG 2.6.1 bit for bit on Cora and CiteSeer (isolated nodes included)', () => {
    for (const name of ['cora', 'citeseer'] as const) {
      const d = dataset(name);
      const g = d.graph.gcnNorm();
      const pyg = pygGcnNormWeights(name);
      const got = edgesOf(g);
      const raw = rawEdgeIndex(name);
      const e = raw.length / 2;
      expect(got.src.length).toBe(e + d.graph.numNodes);
      expect(Array.from(got.src.subarray(0, e))).toEqual(Array.from(raw.subarray(0, e)));
      expect(Array.from(got.dst.subarray(e))).toEqual(Array.from({ length: d.graph.numNodes }, (_, i) => i));
      const w = got.weight as Float32Array;
      let mismatches = 0;
      for (let i = 0; i < pyg.length; i++) if (w[i] !== pyg[i]) mismatches++;
      expect(mismatches, `${name}: weights differing from PyG`).toBe(0);
    }
  });

  it('toUndirected with every reducer', () => {
    for (const reduce of ['sum', 'mean', 'max', 'min'] as const) {
      const g = build(weighted).toUndirected({ reduce });
      expectEdges(edgesOf(g), toUndirectedRef(weighted, n, reduce), 8 * 2 ** -24);
      expectConsistent(g);
    }
    const u = build(base).toUndirected();
    expectEdges(edgesOf(u), toUndirectedRef(base, n, 'sum'));
    expect(u.hasEdgeWeight).toBe(false);
    // Undirected and duplicate-free: every edge's reverse is present exactly once.
    const { src, dst } = edgesOf(u);
    const set = new Set(Array.from(src, (s, i) => s * n + dst[i]));
    expect(set.size).toBe(src.length);
    for (let i = 0; i < src.length; i++) expect(set.has(dst[i] * n + src[i])).toBe(true);
  });

  it('transforms of a bipartite graph that need a square one are refused', () => {
    const g = Graph.fromCSR(new Int32Array([0, 1]), new Int32Array([4]), { numSrcNodes: 5 });
    expect(() => g.addSelfLoops()).toThrow(expect.objectContaining({ code: 'ERR_GNN_INVALID_GRAPH' }));
    expect(() => g.gcnNorm()).toThrow(expect.objectContaining({ code: 'ERR_GNN_INVALID_GRAPH' }));
    expect(() => g.toUndirected()).toThrow(expect.objectContaining({ code: 'ERR_GNN_INVALID_GRAPH' }));
    expect(g.removeSelfLoops().numEdges).toBe(1);
  });
});
