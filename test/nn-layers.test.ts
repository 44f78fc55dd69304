/**
 * Every layer against the float64 references in test/reference/layers.ts, on a graph with isolated
 * nodes, self loops, duplicate edges and a hub of in-degree 1100 (test/fixtures/graphs.ts), with
 * random parameters (resetParameters) and features; pyg and dgl semantics; dense and sparse input;
 * sync and async the same bits.
 *
 * Tolerance: |ours − ref| <= TOL · max|ref| per output tensor, TOL = 2^-17 (≈ 7.6e-6, 64 float32
 * units of the largest output): float32 rounding over a chain of at most three GEMMs (K <= 24)
 * and one or three aggregations (up to 1101 terms, summed in vector lanes), measured at <= 2^-19.
 */
import { describe, expect, it } from 'vitest';

import { CsrMatrix, Graph, Tensor, nn } from '../lib/index';
import type { Features } from '../lib/index';
import { awkwardGraph, edgeIndexOf, randomArray } from './fixtures/graphs';
import * as R from './reference/layers';

const TOL = 2 ** -17;
const base = awkwardGraph(5, { numNodes: 1200, hubDegree: 1100 });
const E = base.src.length;
const edgeWeight = randomArray(E, 77, 0.1, 2);
const graph = Graph.fromEdgeIndex(edgeIndexOf(base), base.numNodes);
const weighted = Graph.fromEdgeIndex(edgeIndexOf(base), base.numNodes, { edgeWeight });
const ref: R.RefGraph = { n: base.numNodes, src: base.src, dst: base.dst, w: null };
const refW: R.RefGraph = { ...ref, w: edgeWeight };
const FIN = 12;
const N = base.numNodes;
const xData = randomArray(N * FIN, 3);
const x = Tensor.from(xData, [N, FIN]);

function close(ours: Tensor<'float32'>, want: Float64Array, label: string): void {
  expect(ours.numel, label).toBe(want.length);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  const bound = TOL * scale;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(ours.data[i] - want[i]);
    if (!(d <= bound)) throw new Error(`${label}: element ${i}: ours ${ours.data[i]}, reference ${want[i]}, |diff| ${d} > ${bound}`);
  }
}

function params(m: nn.Module): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(m.parameters()).map(([k, t]) => [k, t.data]));
}

/** forwardSync on dense and sparse input, forward (async): all equal bits, and the dense output returned. */
async function run(m: nn.Module, g: Graph, input: Features = x, context?: nn.ForwardContext): Promise<Tensor<'float32'>> {
  const a = m.forwardSync(g, input, context);
  const b = await m.forward(g, input, context);
  expect(Buffer.compare(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength), Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength))).toBe(0);
  if (input instanceof Tensor) {
    const s = m.forwardSync(g, CsrMatrix.fromDense(input), context);
    close(s, Float64Array.from(a.data), 'sparse input vs dense input');
  }
  return a;
}

describe('GCNConv', () => {
  it.each([
    ['default', {}, false],
    ['edge weights', {}, true],
    ['improved with edge weights', { improved: true }, true],
    ['improved without edge weights (PyG ignores it)', { improved: true }, false],
    ['normalize false', { normalize: false }, true],
    ['no self loops', { addSelfLoops: false }, false],
  ] as const)('pyg: %s', async (_, opts, useWeights) => {
    const m = new nn.GCNConv({ inChannels: FIN, outChannels: 8, ...opts }).resetParameters({ seed: 1 });
    m.bias!.value.data.set(randomArray(8, 9));
    const p = params(m);
    const want = R.gcnPyg(useWeights ? refW : ref, xData, FIN, p['lin.weight'], 8, p.bias, {
      loops: m.addSelfLoops, improved: m.improved, normalize: m.normalize,
    });
    close(await run(m, useWeights ? weighted : graph), want, 'GCNConv');
  });

  it('dgl: norm both with out-degree at the source, no loops added, weight [in, out] transposed on load', async () => {
    const g = graph.addSelfLoops();
    const { edgeIndex } = g.toEdgeIndex();
    const e = edgeIndex.length / 2;
    const rg: R.RefGraph = { n: N, src: edgeIndex.slice(0, e), dst: edgeIndex.slice(e), w: null };
    for (const fout of [8, 24]) {
      const m = new nn.GCNConv({ inChannels: FIN, outChannels: fout, semantics: 'dgl' });
      const w = randomArray(FIN * fout, 4);
      const b = randomArray(fout, 5);
      m.loadStateDict({ weight: Tensor.from(w, [FIN, fout]), bias: Tensor.from(b, [fout]) });
      // The reference takes [out, in].
      const wt = new Float32Array(fout * FIN);
      for (let i = 0; i < FIN; i++) for (let j = 0; j < fout; j++) wt[j * FIN + i] = w[i * fout + j];
      close(await run(m, g), R.gcnDgl(rg, xData, FIN, wt, fout, b), `GCNConv dgl ${fout}`);
    }
  });

  it('dgl refuses nodes with no in-edges unless allowed', () => {
    const m = new nn.GCNConv({ inChannels: FIN, outChannels: 4, semantics: 'dgl' });
    expect(() => m.forwardSync(graph, x)).toThrow(expect.objectContaining({ code: 'ERR_GNN_INVALID_GRAPH' }));
    const ok = new nn.GCNConv({ inChannels: FIN, outChannels: 4, semantics: 'dgl', allowZeroInDegree: true });
    expect(ok.forwardSync(graph, x).shape).toEqual([N, 4]);
  });

  it('hand-derived: PyG and DGL differ on a directed edge with asymmetric degrees', () => {
    // Edges 0->1, 0->2, 1->2 plus one loop per node. x = [1, 0, 0], W = [[1]], no bias.
    const g = Graph.fromEdgeIndex(new Int32Array([0, 0, 1, 0, 1, 2, 1, 2, 2, 0, 1, 2]), 3);
    const one = Tensor.from(new Float32Array([1, 0, 0]), [3, 1]);
    const W = { 'lin.weight': Tensor.from(new Float32Array([1]), [1, 1]) };
    const pyg = new nn.GCNConv({ inChannels: 1, outChannels: 1, bias: false });
    pyg.loadStateDict(W);
    // PyG: in-degrees (with loops) 1, 2, 3 at both ends: out[1] = 1/sqrt(1·2), out[2] = 1/sqrt(1·3).
    const a = pyg.forwardSync(g, one).data;
    expect(a[0]).toBeCloseTo(1, 7);
    expect(a[1]).toBeCloseTo(1 / Math.sqrt(2), 7);
    expect(a[2]).toBeCloseTo(1 / Math.sqrt(3), 7);
    const dgl = new nn.GCNConv({ inChannels: 1, outChannels: 1, bias: false, semantics: 'dgl' });
    dgl.loadStateDict(W);
    // DGL: out-degree of 0 is 3: out[0] = 1/sqrt(3·1), out[1] = 1/sqrt(3·2), out[2] = 1/sqrt(3·3).
    const b = dgl.forwardSync(g, one).data;
    expect(b[0]).toBeCloseTo(1 / Math.sqrt(3), 7);
    expect(b[1]).toBeCloseTo(1 / Math.sqrt(6), 7);
    expect(b[2]).toBeCloseTo(1 / 3, 7);
  });
});

describe('GATConv', () => {
  it.each([
    [3, true, true],
    [3, false, true],
    [1, true, true],
    [2, true, false],
  ] as const)('pyg: heads %i concat %s loops %s', async (heads, concat, loops) => {
    const m = new nn.GATConv({ inChannels: FIN, outChannels: 5, heads, concat, addSelfLoops: loops }).resetParameters({ seed: 2 });
    m.bias!.value.data.set(randomArray(m.bias!.value.numel, 6));
    const p = params(m);
    const want = R.gat(ref, xData, FIN, { w: p['lin.weight'], attSrc: p.att_src, attDst: p.att_dst, bias: p.bias }, { heads, out: 5, concat, slope: 0.2, loops });
    close(await run(m, graph), want, 'GATConv');
  });

  it('pyg: edgeDim with mean-filled loop features', async () => {
    const D = 4;
    const m = new nn.GATConv({ inChannels: FIN, outChannels: 5, heads: 2, edgeDim: D }).resetParameters({ seed: 3 });
    const p = params(m);
    const attr = randomArray(E * D, 12);
    // Reference edge term on the looped edge list: lin_edge(edge_attr') · att_edge per head.
    const looped = R.addRemainingLoops({ ...ref, w: null }, 1);
    const attrL = new Float64Array(looped.src.length * D);
    let row = 0;
    const sum = new Float64Array(N * D);
    const cnt = new Int32Array(N);
    for (let e = 0; e < E; e++) {
      if (ref.src[e] === ref.dst[e]) continue;
      for (let k = 0; k < D; k++) {
        attrL[row * D + k] = attr[e * D + k];
        sum[ref.dst[e] * D + k] += attr[e * D + k];
      }
      cnt[ref.dst[e]]++;
      row++;
    }
    for (let v = 0; v < N; v++, row++) for (let k = 0; k < D; k++) attrL[row * D + k] = cnt[v] > 0 ? sum[v * D + k] / cnt[v] : 0;
    const ee = R.lin(attrL, looped.src.length, D, p['lin_edge.weight'], 10);
    const term = new Float64Array(looped.src.length * 2);
    for (let e = 0; e < looped.src.length; e++) for (let h = 0; h < 2; h++) for (let c = 0; c < 5; c++) term[e * 2 + h] += ee[e * 10 + h * 5 + c] * p.att_edge[h * 5 + c];
    const want = R.gat(ref, xData, FIN, { w: p['lin.weight'], attSrc: p.att_src, attDst: p.att_dst, bias: p.bias, edgeTerm: term }, { heads: 2, out: 5, concat: true, slope: 0.2, loops: true });
    close(await run(m, graph, x, { edgeAttr: Tensor.from(attr, [E, D]) }), want, 'GATConv edge_dim');
  });

  it('loads PyG 2.0–2.4 (lin_src = lin_dst) and DGL keys; rejects different lin_src / lin_dst', () => {
    const w = Tensor.from(randomArray(10 * FIN, 1), [10, FIN]);
    const att = Tensor.from(randomArray(10, 2), [1, 2, 5]);
    const bias = Tensor.from(randomArray(10, 3), [10]);
    const a = new nn.GATConv({ inChannels: FIN, outChannels: 5, heads: 2 });
    a.loadStateDict({ 'lin_src.weight': w, 'lin_dst.weight': Tensor.from(w.data.slice(), w.shape), att_src: att, att_dst: att, bias });
    const b = new nn.GATConv({ inChannels: FIN, outChannels: 5, heads: 2, semantics: 'dgl', allowZeroInDegree: true });
    b.loadStateDict({ 'fc.weight': w, attn_l: att, attn_r: att, bias });
    expect(a.weight.value).toBe(w);
    expect(b.weight.value).toBe(w);
    const c = new nn.GATConv({ inChannels: FIN, outChannels: 5, heads: 2 });
    const other = Tensor.from(randomArray(10 * FIN, 9), [10, FIN]);
    expect(() => c.loadStateDict({ 'lin_src.weight': w, 'lin_dst.weight': other, att_src: att, att_dst: att, bias })).toThrow(/lin_src\.weight and lin_dst\.weight/);
  });
});

describe('GATConv DGL residuals', () => {
  const g = graph.addSelfLoops();
  const keys = (w: Tensor<'float32'>, att: Tensor<'float32'>) => ({ 'fc.weight': w, attn_l: att, attn_r: att });
  it('a linear residual carries the only bias (DGL >= 1.1: res_fc.bias, no bias)', () => {
    const w = Tensor.from(randomArray(6 * FIN, 1), [6, FIN]);
    const att = Tensor.from(randomArray(6, 2), [1, 2, 3]);
    const res = Tensor.from(randomArray(6 * FIN, 3), [6, FIN]);
    const rb = Tensor.from(randomArray(6, 4), [6]);
    const m = new nn.GATConv({ inChannels: FIN, outChannels: 3, heads: 2, semantics: 'dgl', residual: true });
    m.loadStateDict({ ...keys(w, att), 'res_fc.weight': res, 'res_fc.bias': rb });
    const plain = new nn.GATConv({ inChannels: FIN, outChannels: 3, heads: 2, semantics: 'dgl', bias: false });
    plain.loadStateDict(keys(w, att));
    const base = plain.forwardSync(g, x).data;
    const r = R.lin(xData, N, FIN, res.data, 6, rb.data);
    close(m.forwardSync(g, x), Float64Array.from(base, (v, i) => v + r[i]), 'dgl linear residual');
  });
  it('an identity residual (in == H·C) has no tensor and adds x', () => {
    const w = Tensor.from(randomArray(FIN * FIN, 5), [FIN, FIN]);
    const att = Tensor.from(randomArray(FIN, 6), [1, 3, 4]);
    const b = Tensor.from(randomArray(FIN, 7), [FIN]);
    const m = new nn.GATConv({ inChannels: FIN, outChannels: 4, heads: 3, semantics: 'dgl', residual: true });
    m.loadStateDict({ ...keys(w, att), bias: b });
    const plain = new nn.GATConv({ inChannels: FIN, outChannels: 4, heads: 3, semantics: 'dgl' });
    plain.loadStateDict({ ...keys(w, att), bias: b });
    const base = plain.forwardSync(g, x).data;
    close(m.forwardSync(g, x), Float64Array.from(base, (v, i) => v + xData[i]), 'dgl identity residual');
  });
});

describe('SAGEConv', () => {
  it.each([
    ['mean', {}],
    ['max', { aggr: 'max' }],
    ['min', { aggr: 'min' }],
    ['sum with project', { aggr: 'sum', project: true }],
    ['normalize', { normalize: true }],
    ['no root weight', { rootWeight: false }],
    ['mean, widening (aggregate first)', { outChannels: 20 }],
  ] as const)('pyg: %s', async (_, opts) => {
    const o = { inChannels: FIN, outChannels: 8, ...opts };
    const m = new nn.SAGEConv(o).resetParameters({ seed: 4 });
    const p = params(m);
    const want = R.sage(ref, xData, FIN, { linL: p['lin_l.weight'], biasL: p['lin_l.bias'], linR: p['lin_r.weight'] ?? null, lin: p['lin.weight'], linBias: p['lin.bias'] }, {
      out: o.outChannels, aggr: m.aggr as 'sum' | 'mean' | 'max' | 'min', normalize: m.normalize,
    });
    close(await run(m, graph), want, 'SAGEConv');
  });

  it('dgl: mean with edge weights, pool, and gcn; DGL keys', async () => {
    const mk = (t: 'mean' | 'pool' | 'gcn') => new nn.SAGEConv({ inChannels: FIN, outChannels: 8, semantics: 'dgl', aggregatorType: t }).resetParameters({ seed: 5 });
    const mean = mk('mean');
    let p = params(mean);
    close(await run(mean, weighted), R.sage(refW, xData, FIN, { linL: p['lin_l.weight'], biasL: p['lin_l.bias'], linR: p['lin_r.weight'] }, { out: 8, aggr: 'mean', normalize: false, weighted: true }), 'dgl mean');
    const pool = mk('pool');
    p = params(pool);
    close(await run(pool, graph), R.sage(ref, xData, FIN, { linL: p['lin_l.weight'], biasL: p['lin_l.bias'], linR: p['lin_r.weight'], lin: p['lin.weight'], linBias: p['lin.bias'] }, { out: 8, aggr: 'max', normalize: false }), 'dgl pool');
    const gcn = mk('gcn');
    p = params(gcn);
    const agg = R.aggregate(ref, xData, FIN, 'sum');
    const indeg = new Int32Array(N);
    for (const v of ref.dst) indeg[v]++;
    const hN = agg.map((v, i) => (v + xData[i]) / (indeg[Math.floor(i / FIN)] + 1));
    close(await run(gcn, graph), R.lin(hN, N, FIN, p['lin_l.weight'], 8, p['lin_l.bias']), 'dgl gcn');
    // DGL's key names land in the same slots.
    const d = new nn.SAGEConv({ inChannels: FIN, outChannels: 8, semantics: 'dgl' });
    d.loadStateDict({ 'fc_neigh.weight': mean.linL.value, 'fc_self.weight': mean.linR!.value, 'fc_self.bias': mean.linLBias!.value });
    expect(Array.from(d.forwardSync(weighted, x).data)).toEqual(Array.from(mean.forwardSync(weighted, x).data));
  });
});

describe('GINConv', () => {
  const mlp = () => new nn.Sequential([new nn.Linear({ inChannels: FIN, outChannels: 16 }), new nn.ReLU(), new nn.Linear({ inChannels: 16, outChannels: 8 })]);
  it.each([
    ['eps 0', 0],
    ['trained eps 0.37', 0.37],
  ])('pyg: %s', async (_, eps) => {
    const m = new nn.GINConv({ nn: mlp(), eps, trainEps: true }).resetParameters({ seed: 6 });
    const p = params(m);
    const want = R.gin(ref, xData, FIN, eps, { w1: p['nn.0.weight'], b1: p['nn.0.bias'], hid: 16, w2: p['nn.2.weight'], b2: p['nn.2.bias'], out: 8 });
    close(await run(m, graph), want, 'GINConv');
  });

  it('narrowing first Linear is applied before the aggregation (same function)', async () => {
    const wide = new nn.GINConv({ nn: new nn.Sequential([new nn.Linear({ inChannels: FIN, outChannels: 4 }), new nn.ReLU(), new nn.Linear({ inChannels: 4, outChannels: 3 })]), eps: 0.25 }).resetParameters({ seed: 7 });
    const p = params(wide);
    close(await run(wide, graph), R.gin(ref, xData, FIN, 0.25, { w1: p['nn.0.weight'], b1: p['nn.0.bias'], hid: 4, w2: p['nn.2.weight'], b2: p['nn.2.bias'], out: 3 }), 'GINConv narrowing');
  });

  it('dgl: apply_func keys and weighted messages', async () => {
    const m = new nn.GINConv({ nn: mlp(), semantics: 'dgl' }).resetParameters({ seed: 8 });
    const p = params(m);
    const d = new nn.GINConv({ nn: mlp(), semantics: 'dgl' });
    d.loadStateDict({ eps: m.eps.value, 'apply_func.0.weight': m.parameters()['nn.0.weight'], 'apply_func.0.bias': m.parameters()['nn.0.bias'], 'apply_func.2.weight': m.parameters()['nn.2.weight'], 'apply_func.2.bias': m.parameters()['nn.2.bias'] });
    const want = R.gin(refW, xData, FIN, 0, { w1: p['nn.0.weight'], b1: p['nn.0.bias'], hid: 16, w2: p['nn.2.weight'], b2: p['nn.2.bias'], out: 8 }, true);
    close(await run(d, weighted), want, 'GINConv dgl');
  });
});

describe('GraphConv, SGConv, APPNP, ChebConv', () => {
  it.each(['sum', 'mean', 'max'] as const)('GraphConv aggr %s with edge weights', async (aggr) => {
    for (const out of [6, 20]) {
      const m = new nn.GraphConv({ inChannels: FIN, outChannels: out, aggr: aggr === 'sum' ? 'add' : aggr }).resetParameters({ seed: 9 });
      const p = params(m);
      close(await run(m, weighted), R.graphConv(refW, xData, FIN, { rel: p['lin_rel.weight'], bias: p['lin_rel.bias'], root: p['lin_root.weight'] }, out, aggr), `GraphConv ${aggr} ${out}`);
    }
  });

  it('SGConv K=2, pyg and dgl', async () => {
    for (const out of [5, 16]) {
      const m = new nn.SGConv({ inChannels: FIN, outChannels: out, K: 2 }).resetParameters({ seed: 10 });
      const p = params(m);
      const { g: gl, coef } = R.gcnCoef(ref, true, false);
      close(await run(m, graph), R.lin(R.propagate(gl, xData, FIN, coef, 2), N, FIN, p['lin.weight'], out, p['lin.bias']), `SGConv pyg ${out}`);
    }
    const d = new nn.SGConv({ inChannels: FIN, outChannels: 5, K: 2, semantics: 'dgl', allowZeroInDegree: true }).resetParameters({ seed: 11 });
    expect(() => new nn.SGConv({ inChannels: FIN, outChannels: 5, semantics: 'dgl' }).forwardSync(graph, x)).toThrow(expect.objectContaining({ code: 'ERR_GNN_INVALID_GRAPH' }));
    const p = params(d);
    close(await run(d, graph), R.lin(R.propagate(ref, xData, FIN, R.dglBothCoef(ref, true), 2), N, FIN, p['lin.weight'], 5, p['lin.bias']), 'SGConv dgl');
  });

  it('APPNP K=3 alpha 0.1, pyg and dgl', async () => {
    const m = new nn.APPNP({ K: 3, alpha: 0.1 });
    const { g: gl, coef } = R.gcnCoef(ref, true, false);
    close(await run(m, graph), R.appnp(gl, xData, FIN, coef, 3, 0.1), 'APPNP pyg');
    const d = new nn.APPNP({ K: 3, alpha: 0.1, semantics: 'dgl' });
    close(await run(d, graph), R.appnp(ref, xData, FIN, R.dglBothCoef(ref), 3, 0.1), 'APPNP dgl');
  });

  it.each([1, 2, 3])('ChebConv K=%i sym (pyg)', async (K) => {
    const m = new nn.ChebConv({ inChannels: FIN, outChannels: 6, K }).resetParameters({ seed: 12 });
    m.bias!.value.data.set(randomArray(6, 13));
    const p = params(m);
    const lins = Array.from({ length: K }, (_, k) => p[`lins.${k}.weight`]);
    close(await run(m, graph), R.chebPygSym(ref, xData, FIN, lins, p.bias, 6), `ChebConv K=${K}`);
  });

  it("ChebConv: DGL's concatenated linear.weight splits into the K blocks", () => {
    const K = 3;
    const whole = randomArray(6 * K * FIN, 14);
    const m = new nn.ChebConv({ inChannels: FIN, outChannels: 6, K, semantics: 'dgl' });
    m.loadStateDict({ 'linear.weight': Tensor.from(whole, [6, K * FIN]), 'linear.bias': Tensor.from(randomArray(6, 15), [6]) });
    for (let k = 0; k < K; k++) {
      for (let r = 0; r < 6; r++) {
        expect(Array.from(m.lins[k].value.data.subarray(r * FIN, (r + 1) * FIN))).toEqual(Array.from(whole.subarray(r * K * FIN + k * FIN, r * K * FIN + (k + 1) * FIN)));
      }
    }
    expect(m.activation).toBe('relu');
  });
});

describe('global pooling', () => {
  it.each(['add', 'mean', 'max'] as const)('global_%s_pool with a shuffled batch vector and an empty graph', async (reduce) => {
    const batch = new Int32Array(N);
    for (let i = 0; i < N; i++) batch[i] = (i * 7) % 3; // graphs 0..2, interleaved; graph 3 is empty
    const m = new nn.GlobalPool({ reduce });
    const out = await run(m, graph, x, { batch, numGraphs: 4 });
    expect(out.shape).toEqual([4, FIN]);
    const want = new Float64Array(4 * FIN).fill(reduce === 'max' ? -Infinity : 0);
    const count = new Int32Array(4);
    for (let i = 0; i < N; i++) {
      count[batch[i]]++;
      for (let j = 0; j < FIN; j++) {
        const o = batch[i] * FIN + j;
        want[o] = reduce === 'max' ? Math.max(want[o], xData[i * FIN + j]) : want[o] + xData[i * FIN + j];
      }
    }
    for (let g = 0; g < 4; g++) for (let j = 0; j < FIN; j++) {
      const o = g * FIN + j;
      if (count[g] === 0) want[o] = 0;
      else if (reduce === 'mean') want[o] /= count[g];
    }
    close(out, want, `pool ${reduce}`);
    expect(() => m.forwardSync(graph, x, { batch: new Int32Array(3) })).toThrow(expect.objectContaining({ code: 'ERR_GNN_SHAPE_MISMATCH' }));
  });
});

describe('Sequential and modules', () => {
  it('a PyG-style 2-layer model loads its whole state_dict by prefix and reports missing / unexpected keys by name', () => {
    const model = new nn.Sequential([
      ['conv1', new nn.GCNConv({ inChannels: FIN, outChannels: 8 })],
      ['act', new nn.ReLU()],
      ['conv2', new nn.GCNConv({ inChannels: 8, outChannels: 3 })],
    ]).resetParameters({ seed: 1 });
    const dict = Object.fromEntries(Object.entries(model.parameters()).map(([k, t]) => [`model.${k}`, t]));
    const copy = new nn.Sequential([
      ['conv1', new nn.GCNConv({ inChannels: FIN, outChannels: 8 })],
      ['act', new nn.ReLU()],
      ['conv2', new nn.GCNConv({ inChannels: 8, outChannels: 3 })],
    ]);
    expect(copy.loadStateDict(dict, { prefix: 'model' })).toEqual({ missing: [], unexpected: [] });
    expect(Array.from(copy.forwardSync(graph, x).data)).toEqual(Array.from(model.forwardSync(graph, x).data));
    const partial = { ...dict, 'model.conv3.bias': dict['model.conv1.bias'] };
    delete (partial as Record<string, unknown>)['model.conv2.lin.weight'];
    expect(() => copy.loadStateDict(partial, { prefix: 'model.' })).toThrow(/missing model\.conv2\.lin\.weight; unexpected model\.conv3\.bias/);
    expect(copy.loadStateDict(partial, { prefix: 'model.', strict: false })).toEqual({ missing: ['model.conv2.lin.weight'], unexpected: ['model.conv3.bias'] });
    expect(() => copy.loadStateDict({ 'conv1.lin.weight': Tensor.zeros([8, 3]) }, { strict: false })).toThrow(/conv1\.lin\.weight: expected shape \[8, 12\], got \[8, 3\]/);
  });

  it('constructor options are checked by name', () => {
    expect(() => new nn.GCNConv({ inChannels: 0, outChannels: 2 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new nn.GCNConv({ inChannels: 2, outChannels: 2, normalize: false, addSelfLoops: true })).toThrow(/addSelfLoops/);
    expect(() => new nn.GATConv({ inChannels: 2, outChannels: 2, bogus: 1 } as never)).toThrow(/bogus/);
    expect(() => new nn.SAGEConv({ inChannels: 2, outChannels: 2, aggr: 'lstm' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new nn.ChebConv({ inChannels: 2, outChannels: 2, K: 2, lambdaMax: -1 })).toThrow(/lambdaMax/);
  });

  it('shape errors name the argument', () => {
    const m = new nn.GCNConv({ inChannels: 5, outChannels: 2 });
    expect(() => m.forwardSync(graph, x)).toThrow(expect.objectContaining({ code: 'ERR_GNN_SHAPE_MISMATCH' }));
  });
});

describe('workspace reuse between forward passes', () => {
  const model = (): nn.Sequential =>
    new nn.Sequential([
      ['conv1', new nn.GATConv({ inChannels: FIN, outChannels: 4, heads: 2 })],
      ['act', new nn.ELU()],
      ['conv2', new nn.GCNConv({ inChannels: 8, outChannels: 3 })],
    ]).resetParameters({ seed: 21 });

  it('results of earlier passes are never overwritten, and later passes give the same bits', async () => {
    const m = model();
    const first = m.forwardSync(graph, x);
    const copy = first.data.slice();
    expect(m.workspaceBytes).toBeGreaterThan(0);
    const second = m.forwardSync(graph, x);
    const third = await m.forward(graph, x);
    expect(second.data.buffer).not.toBe(first.data.buffer);
    expect(third.data.buffer).not.toBe(second.data.buffer);
    expect(Array.from(first.data)).toEqual(Array.from(copy));
    expect(Array.from(second.data)).toEqual(Array.from(copy));
    expect(Array.from(third.data)).toEqual(Array.from(copy));
    m.releaseWorkspace();
    expect(m.workspaceBytes).toBe(0);
  });

  it('concurrent passes of one model each get their own buffers', async () => {
    const m = model();
    const other = Tensor.from(randomArray(N * FIN, 99), [N, FIN]);
    const wantA = model().forwardSync(graph, x);
    const wantB = model().forwardSync(graph, other);
    const runs = await Promise.all([m.forward(graph, x), m.forward(graph, other), m.forward(graph, x), m.forward(graph, other)]);
    expect(Array.from(runs[0].data)).toEqual(Array.from(wantA.data));
    expect(Array.from(runs[1].data)).toEqual(Array.from(wantB.data));
    expect(Array.from(runs[2].data)).toEqual(Array.from(wantA.data));
    expect(Array.from(runs[3].data)).toEqual(Array.from(wantB.data));
  });

  it("writes into the caller's out, reusing its own result buffer next pass", async () => {
    const m = model();
    const want = model().forwardSync(graph, x);
    const out = Tensor.full([N, 3], Number.NaN);
    expect(m.forwardSync(graph, x, { out })).toBe(out);
    expect(Array.from(out.data)).toEqual(Array.from(want.data));
    const held = m.workspaceBytes;
    out.data.fill(Number.NaN);
    expect(await m.forward(graph, x, { out })).toBe(out);
    expect(Array.from(out.data)).toEqual(Array.from(want.data));
    expect(m.workspaceBytes).toBe(held);
    expect(() => m.forwardSync(graph, x, { out: Tensor.zeros([N, 4]) })).toThrow(expect.objectContaining({ code: 'ERR_GNN_SHAPE_MISMATCH' }));
    await expect(m.forward(graph, x, { out: Tensor.zeros([N, 4]) })).rejects.toMatchObject({ code: 'ERR_GNN_SHAPE_MISMATCH' });
    expect(() => m.forwardSync(graph, x, { out: new Float32Array(3) as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(Array.from(m.forwardSync(graph, x).data)).toEqual(Array.from(want.data));
  });

  it('a failed pass returns its buffers and leaves the model usable', () => {
    const m = model();
    expect(() => m.forwardSync(graph, Tensor.zeros([N, FIN + 1]))).toThrow(expect.objectContaining({ code: 'ERR_GNN_SHAPE_MISMATCH' }));
    expect(Array.from(m.forwardSync(graph, x).data)).toEqual(Array.from(model().forwardSync(graph, x).data));
  });
});

describe('DGL semantics, more layers', () => {
  it("SGConv and APPNP with edge weights use DGL's EdgeWeightNorm('both') (weighted degrees)", async () => {
    const outW = new Float64Array(N);
    const inW = new Float64Array(N);
    for (let e = 0; e < E; e++) {
      outW[base.src[e]] += edgeWeight[e];
      inW[base.dst[e]] += edgeWeight[e];
    }
    const coef = Float64Array.from(base.src, (u, e) => edgeWeight[e] / Math.sqrt(outW[u] * inW[base.dst[e]]));
    const sg = new nn.SGConv({ inChannels: FIN, outChannels: 5, K: 2, semantics: 'dgl', allowZeroInDegree: true }).resetParameters({ seed: 31 });
    const p = params(sg);
    close(await run(sg, weighted), R.lin(R.propagate(refW, xData, FIN, coef, 2), N, FIN, p['lin.weight'], 5, p['lin.bias']), 'SGConv dgl weighted');
    const ap = new nn.APPNP({ K: 2, alpha: 0.3, semantics: 'dgl' });
    close(await run(ap, weighted), R.appnp(refW, xData, FIN, coef, 2, 0.3), 'APPNP dgl weighted');
    expect(() => new nn.SGConv({ inChannels: FIN, outChannels: 5, semantics: 'dgl', allowZeroInDegree: true }).forwardSync(Graph.fromEdgeIndex(edgeIndexOf(base), N, { edgeWeight: Float32Array.from(edgeWeight, (w, i) => (i === 7 ? -w : w)) }), x)).toThrow(
      expect.objectContaining({ code: 'ERR_GNN_INVALID_GRAPH' }),
    );
  });

  it("GATv2Conv 'dgl' (fc_src / fc_dst / attn, no loops, no output bias) equals 'pyg' without loops and with a zero bias", async () => {
    const g = graph.addSelfLoops();
    const pyg = new nn.GATv2Conv({ inChannels: FIN, outChannels: 4, heads: 2, addSelfLoops: false }).resetParameters({ seed: 32 });
    const p = pyg.parameters();
    p.bias.data.fill(0);
    const dgl = new nn.GATv2Conv({ inChannels: FIN, outChannels: 4, heads: 2, semantics: 'dgl' });
    dgl.loadStateDict({ 'fc_src.weight': p['lin_l.weight'], 'fc_src.bias': p['lin_l.bias'], 'fc_dst.weight': p['lin_r.weight'], 'fc_dst.bias': p['lin_r.bias'], attn: p.att });
    expect(Array.from((await run(dgl, g)).data)).toEqual(Array.from(pyg.forwardSync(g, x).data));
    expect(() => dgl.forwardSync(graph, x)).toThrow(expect.objectContaining({ code: 'ERR_GNN_INVALID_GRAPH' }));
  });
});
