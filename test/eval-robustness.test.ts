/**
 * Robustness sweeps: at strength 0 every perturbation reproduces the clean result; each
 * perturbation does exactly what its definition says (checked on its own output: symmetric and
 * nested edge removal, insertion of new distinct non-edges, the top-degree neighbours of a
 * hand-built graph, masking and noise rates); a sweep point equals the model run by hand on the
 * perturbed input; sweeps are deterministic for a seed, average their repeats, run one forward per
 * step on the same model object, cut per-edge attributes with the edges; coded errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { CsrMatrix, GnnError, Graph, Random, Tensor, classificationMetrics, io, loadModelSync, nn, robustnessChart, robustnessSweep } from '../lib/index';
import type { Features, PerturbationKind } from '../lib/index';
import type { ForwardContext } from '../lib/nn/module';
import { addNoise, edgeList, insertionPairs, maskFeatures, neighbourRemovalMask, rankedNeighbours, rebuild, removalMask } from '../lib/eval/perturb';
import { expectError } from './helpers/errors';

const ALL: PerturbationKind[] = ['feature-noise', 'feature-mask', 'edge-removal', 'edge-insertion', 'neighbour-removal'];

const root = path.resolve(__dirname, '..', 'data');
const cora = io.loadPlanetoid(path.join(root, 'cora'));
const raw = gunzipSync(fs.readFileSync(path.join(root, 'models', 'inputs', 'cora_normalized.f32.gz')));
const x = Tensor.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), [cora.graph.numNodes, 1433]);
const labels = cora.y!.data as Int32Array;
const test = cora.testMask!;
const gcn = loadModelSync(path.join(root, 'models', 'gcn_cora'));

/** A model that counts its forward passes (and otherwise is the GCN's layers). */
class Counting extends nn.Sequential {
  calls = 0;
  override forwardSync(graph: Graph, features: Features, context?: ForwardContext): Tensor<'float32'> {
    this.calls++;
    return super.forwardSync(graph, features, context);
  }
}

/** A symmetric random graph with no self loops and no duplicates. */
function undirected(n: number, m: number, seed: number): Graph {
  const rng = new Random(seed);
  const seen = new Set<number>();
  const src: number[] = [];
  const dst: number[] = [];
  while (seen.size < 2 * m) {
    const u = rng.int(n);
    const v = rng.int(n);
    if (u === v || seen.has(u * n + v)) continue;
    seen.add(u * n + v).add(v * n + u);
    src.push(u, v);
    dst.push(v, u);
  }
  return Graph.fromCOO(Int32Array.from(src), Int32Array.from(dst), { numNodes: n });
}

describe('strength 0 reproduces the clean result', () => {
  it.each([
    ['dense', x],
    ['CSR', CsrMatrix.fromDense(x)],
  ] as const)('every perturbation, %s features', (_, features) => {
    const r = robustnessSweep(gcn, cora.graph, features, labels, { mask: test, perturbations: ALL.map((kind) => ({ kind, strengths: [0] })) });
    const clean = classificationMetrics(gcn.forwardSync(cora.graph, x), labels, { mask: test }).accuracy;
    expect(r.clean).toEqual({ count: 1000, accuracy: clean });
    for (const c of r.curves) {
      expect(c.points).toHaveLength(1);
      expect(c.points[0]).toEqual({ strength: 0, accuracy: clean, flipRate: 0, accuracyStd: 0, flipRateStd: 0, edges: cora.graph.numEdges });
    }
  });
});

describe('the perturbations', () => {
  const g = undirected(300, 1200, 1);
  const list = edgeList(g);

  it('the edge list knows the graph is undirected (and a directed one is not)', () => {
    expect(list.symmetric).toBe(true);
    expect(list.src.length).toBe(2400);
    expect(edgeList(Graph.fromCOO(Int32Array.of(0, 1), Int32Array.of(1, 2), { numNodes: 3 })).symmetric).toBe(false);
    expect(edgeList(cora.graph).symmetric).toBe(true);
  });

  it('edge removal: an edge and its reverse share a fate; nested in p; the rate within 4σ', () => {
    const key = (i: number): string => `${list.src[i]},${list.dst[i]}`;
    let previous: Uint8Array | null = null;
    for (const p of [0, 0.1, 0.3, 0.7, 1]) {
      const keep = removalMask(list, p, 5);
      const kept = new Set<string>();
      keep.forEach((k, i) => k === 1 && kept.add(key(i)));
      for (let i = 0; i < keep.length; i++) expect(kept.has(`${list.dst[i]},${list.src[i]}`)).toBe(keep[i] === 1);
      if (previous !== null) for (let i = 0; i < keep.length; i++) expect(keep[i] <= previous[i]).toBe(true);
      const removedPairs = (keep.length - kept.size) / 2;
      expect(Math.abs(removedPairs - 1200 * p)).toBeLessThanOrEqual(4 * Math.sqrt(1200 * p * (1 - p)) + 1e-9);
      previous = keep;
      const { graph: h } = rebuild(list, keep);
      expect(h.numEdges).toBe(kept.size);
    }
  });

  it('edge insertion: distinct non-edges u ≠ v, both directions, the same prefix for any count', () => {
    const existing = new Set(Array.from(list.src, (u, i) => `${u},${list.dst[i]}`));
    const big = insertionPairs(list, 500, 9);
    const small = insertionPairs(list, 120, 9);
    expect(big.src.length).toBe(1000);
    expect(Array.from(small.src)).toEqual(Array.from(big.src.subarray(0, 240)));
    const added = new Set<string>();
    for (let i = 0; i < big.src.length; i++) {
      const [u, v] = [big.src[i], big.dst[i]];
      expect(u).not.toBe(v);
      expect(existing.has(`${u},${v}`)).toBe(false);
      expect(added.has(`${u},${v}`)).toBe(false);
      added.add(`${u},${v}`);
    }
    for (let i = 0; i < big.src.length; i += 2) expect([big.src[i + 1], big.dst[i + 1]]).toEqual([big.dst[i], big.src[i]]);
    expectError(() => insertionPairs(edgeList(Graph.fromCOO(Int32Array.of(0, 1), Int32Array.of(1, 0), { numNodes: 3 })), 3, 1), 'ERR_OUT_OF_RANGE', RangeError, /at most 2 new node pairs/);
  });

  it('neighbour removal takes the in-neighbours of highest in-degree, ties by id, both directions', () => {
    // Undirected: 0–1, 0–2, 0–3, 1–2, 1–4, 3–4, 2–5, plus a self loop on 0.
    // Degrees (in-edges, loop included): 0:4, 1:3, 2:3, 3:2, 4:2, 5:1.
    const pairs = [[0, 1], [0, 2], [0, 3], [1, 2], [1, 4], [3, 4], [2, 5]];
    const src = [...pairs.flatMap(([a, b]) => [a, b]), 0];
    const dst = [...pairs.flatMap(([a, b]) => [b, a]), 0];
    const h = Graph.fromCOO(Int32Array.from(src), Int32Array.from(dst), { numNodes: 6 });
    const l = edgeList(h);
    const targets = Int32Array.of(0, 5);
    const ranked = rankedNeighbours(l, targets);
    expect(ranked.map((r) => Array.from(r))).toEqual([[1, 2, 3], [2]]); // 1 and 2 tie at 3: lower id first
    const kept = (k: number): string[] => {
      const keep = neighbourRemovalMask(l, targets, ranked, k);
      return Array.from(l.src, (u, i) => `${u}>${l.dst[i]}`).filter((_, i) => keep[i] === 1).sort();
    };
    expect(kept(0)).toHaveLength(15);
    // k = 1: 1–0 and 2–5 go (both directions).
    expect(kept(1)).toEqual(['0>0', '0>2', '0>3', '1>2', '1>4', '2>0', '2>1', '3>0', '3>4', '4>1', '4>3'].sort());
    // k = 5: all of 0's neighbours, and 5's; the self loop stays.
    expect(kept(5)).toEqual(['0>0', '1>2', '1>4', '2>1', '3>4', '4>1', '4>3'].sort());
  });

  it('feature masking: rate within 4σ, nested, and the same entries for dense and CSR features', () => {
    const rng = new Random(2);
    const dense = Tensor.from(Float32Array.from({ length: 200 * 50 }, () => (rng.float() < 0.3 ? 1 + rng.float() : 0)), [200, 50]);
    const nnz = dense.data.filter((v) => v !== 0).length;
    const a = maskFeatures(dense, 0.25, 4, Tensor.zeros([200, 50])) as Tensor<'float32'>;
    const b = maskFeatures(dense, 0.5, 4, Tensor.zeros([200, 50])) as Tensor<'float32'>;
    const zeroed = dense.data.filter((v, i) => v !== 0 && a.data[i] === 0).length;
    expect(Math.abs(zeroed - 0.25 * nnz)).toBeLessThan(4 * Math.sqrt(nnz * 0.25 * 0.75));
    a.data.forEach((v, i) => expect(v === 0 ? true : v === dense.data[i]).toBe(true));
    a.data.forEach((v, i) => v === 0 && expect(b.data[i]).toBe(0));
    const sparse = maskFeatures(CsrMatrix.fromDense(dense), 0.25, 4, null) as CsrMatrix;
    expect(Array.from(sparse.toDense().data)).toEqual(Array.from(a.data));
  });

  it('feature noise: x + σ·ε with ε standard normal', () => {
    const base = Tensor.from(Float32Array.from({ length: 40_000 }, (_, i) => i % 7), [400, 100]);
    const out = addNoise(base, 0.5, 3, Tensor.zeros([400, 100]));
    let s = 0;
    let sq = 0;
    out.data.forEach((v, i) => {
      const e = (v - base.data[i]) / 0.5;
      s += e;
      sq += e * e;
    });
    expect(Math.abs(s / 40_000)).toBeLessThan(4 / Math.sqrt(40_000));
    expect(Math.abs(sq / 40_000 - 1)).toBeLessThan(4 * Math.sqrt(2 / 40_000));
  });
});

describe('robustnessSweep', () => {
  it('a point equals the model run by hand on the perturbed graph', () => {
    const r = robustnessSweep(gcn, cora.graph, x, labels, { mask: test, seed: 3, perturbations: [{ kind: 'edge-removal', strengths: [0.3] }] });
    const list = edgeList(cora.graph);
    const { graph } = rebuild(list, removalMask(list, 0.3, 3));
    const out = gcn.forwardSync(graph, x);
    const cleanPred = classificationMetrics(gcn.forwardSync(cora.graph, x), labels, { mask: test });
    const m = classificationMetrics(out, labels, { mask: test });
    const p = r.curve('edge-removal').points[0];
    expect(p.accuracy).toBe(m.accuracy);
    expect(p.edges).toBe(graph.numEdges);
    expect(p.flipRate).toBeGreaterThan(0);
    expect(p.accuracy).toBeLessThan(cleanPred.accuracy + 0.05);
  });

  it('is deterministic for a seed, differs across seeds, and averages its repeats', () => {
    const perturbations = [
      { kind: 'edge-removal' as const, strengths: [0.2, 0.5] },
      { kind: 'feature-mask' as const, strengths: [0.3] },
    ];
    const a = robustnessSweep(gcn, cora.graph, x, labels, { mask: test, seed: 8, perturbations });
    const b = robustnessSweep(gcn, cora.graph, x, labels, { mask: test, seed: 8, perturbations });
    const c = robustnessSweep(gcn, cora.graph, x, labels, { mask: test, seed: 9, perturbations });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a.curves)).not.toBe(JSON.stringify(c.curves));
    const both = robustnessSweep(gcn, cora.graph, x, labels, { mask: test, seed: 8, repeats: 2, perturbations });
    both.curves.forEach((curve, k) =>
      curve.points.forEach((p, j) => {
        const pa = a.curves[k].points[j];
        const pc = c.curves[k].points[j];
        expect(p.accuracy).toBeCloseTo((pa.accuracy + pc.accuracy) / 2, 12);
        expect(p.flipRate).toBeCloseTo((pa.flipRate + pc.flipRate) / 2, 12);
        expect(p.accuracyStd).toBeCloseTo(Math.abs(pa.accuracy - pc.accuracy) / 2, 12);
      }),
    );
  });

  it('one forward per step, on the same model object; stronger perturbations cost accuracy', () => {
    const model = new Counting(gcn.layers);
    const r = robustnessSweep(model, cora.graph, x, labels, { mask: test, repeats: 2, perturbations: ['edge-insertion', 'neighbour-removal'] });
    // 1 clean + 5 insertion strengths × 2 draws + 5 neighbour-removal strengths (deterministic: one draw).
    expect(model.calls).toBe(1 + 5 * 2 + 5);
    for (const c of r.curves) {
      const first = c.points[0];
      const last = c.points.at(-1)!;
      expect(first.flipRate).toBe(0);
      expect(last.accuracy).toBeLessThan(first.accuracy - 0.05);
    }
    expect(r.curve('edge-insertion').points.map((p) => p.edges)).toEqual([0, 0.1, 0.25, 0.5, 1].map((s) => cora.graph.numEdges + 2 * Math.round((s * cora.graph.numEdges) / 2)));
  });

  it('without labels: flip rate only', () => {
    const r = robustnessSweep(gcn, cora.graph, x, null, { perturbations: [{ kind: 'feature-noise', strengths: [0, 1] }] });
    expect(r.clean.count).toBe(cora.graph.numNodes);
    expect(r.clean.accuracy).toBeNaN();
    expect(r.curves[0].points[1].accuracy).toBeNaN();
    expect(r.curves[0].points[1].flipRate).toBeGreaterThan(0);
  });

  it('cuts per-edge attributes with the edges (GAT with edge_dim); insertion refuses them', () => {
    const g = undirected(80, 300, 4);
    const rng = new Random(6);
    const edgeAttr = Tensor.from(Float32Array.from({ length: g.numEdges * 3 }, () => rng.normal()), [g.numEdges, 3]);
    const feats = Tensor.from(Float32Array.from({ length: 80 * 5 }, () => rng.normal()), [80, 5]);
    const model = new nn.Sequential([new nn.GATConv({ inChannels: 5, outChannels: 4, heads: 2, concat: false, edgeDim: 3 })]);
    model.resetParameters({ seed: 2 });
    const y = Int32Array.from({ length: 80 }, (_, i) => i % 4);
    const r = robustnessSweep(model, g, feats, y, { seed: 1, context: { edgeAttr }, perturbations: [{ kind: 'edge-removal', strengths: [0, 0.4] }, { kind: 'neighbour-removal', strengths: [0, 2] }] });
    expect(r.curves.map((c) => c.points[0].flipRate)).toEqual([0, 0]);
    // The 0.4 point by hand: kept edges and their attribute rows.
    const list = edgeList(g);
    const { graph: h, kept } = rebuild(list, removalMask(list, 0.4, 1));
    const attr = Tensor.from(Float32Array.from({ length: kept.length * 3 }, (_, i) => edgeAttr.data[kept[Math.floor(i / 3)] * 3 + (i % 3)]), [kept.length, 3]);
    expect(r.curves[0].points[1].accuracy).toBe(classificationMetrics(model.forwardSync(h, feats, { edgeAttr: attr }), y).accuracy);
    expectError(() => robustnessSweep(model, g, feats, y, { context: { edgeAttr }, perturbations: [{ kind: 'edge-insertion', strengths: [0.5] }] }), 'ERR_INVALID_ARG_VALUE', TypeError, /edgeAttr/);
  });

  it('graph-level models: neighbour removal around every node', () => {
    const g = undirected(30, 60, 2);
    const batch = Int32Array.from({ length: 30 }, (_, i) => Math.floor(i / 10));
    const model = new nn.Sequential([new nn.GCNConv({ inChannels: 2, outChannels: 2 }), new nn.GlobalAddPool()]);
    model.resetParameters({ seed: 5 });
    const feats = Tensor.from(Float32Array.from({ length: 60 }, (_, i) => Math.cos(i)), [30, 2]);
    const r = robustnessSweep(model, g, feats, [0, 1, 0], { context: { batch }, perturbations: [{ kind: 'neighbour-removal', strengths: [0, 100] }] });
    expect(r.clean.count).toBe(3);
    expect(r.curves[0].points[1].edges).toBe(0);
  });

  it('charts and tables', () => {
    const r = robustnessSweep(gcn, cora.graph, x, labels, { mask: test, perturbations: [{ kind: 'edge-removal', strengths: [0, 0.5] }] });
    expect(r.toTable()).toContain('edge-removal (share of edges removed)');
    expect(r.toSVG('edge-removal')).toContain('data-series="flip rate"');
    expect(robustnessChart([{ name: 'fp32', report: r }], 'edge-removal')).toContain('data-series="fp32"');
    expectError(() => r.toSVG('feature-noise'), 'ERR_INVALID_ARG_VALUE', TypeError, /edge-removal/);
  });

  it('bad input is coded', () => {
    const sweep = (o: object): unknown => robustnessSweep(gcn, cora.graph, x, labels, o);
    expectError(() => sweep({ perturbations: ['blur'] }), 'ERR_INVALID_ARG_VALUE', TypeError, /perturbations\[0\]\.kind/);
    expectError(() => sweep({ perturbations: [{ kind: 'edge-removal', strengths: [1.5] }] }), 'ERR_OUT_OF_RANGE', RangeError, /strengths\[0\].*\[0, 1\]/);
    expectError(() => sweep({ perturbations: [{ kind: 'neighbour-removal', strengths: [1.5] }] }), 'ERR_OUT_OF_RANGE', RangeError, /integer/);
    expectError(() => sweep({ perturbations: [{ kind: 'feature-noise', strengths: [-1] }] }), 'ERR_OUT_OF_RANGE', RangeError, />= 0/);
    expectError(() => sweep({ perturbations: [{ kind: 'feature-noise', strengths: [] }] }), 'ERR_INVALID_ARG_TYPE', TypeError, /non-empty/);
    expectError(() => sweep({ seed: -1 }), 'ERR_OUT_OF_RANGE', RangeError, /seed/);
    expectError(() => sweep({ mask: [1] }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /mask/);
    expectError(() => robustnessSweep(gcn, cora.graph, x, Int32Array.from(labels).fill(9), { mask: test }), 'ERR_OUT_OF_RANGE', RangeError, /labels\[\d+\]/);
    const bip = Graph.fromCSR(Int32Array.of(0, 1, 2), Int32Array.of(0, 2), { numSrcNodes: 3 });
    const lin = new nn.SAGEConv({ inChannels: 2, outChannels: 2 });
    expectError(() => robustnessSweep(lin, bip, Tensor.zeros([3, 2]), null, { perturbations: ['edge-removal'] }), 'ERR_INVALID_ARG_VALUE', TypeError, /square graph/);
  });
});
