/**
 * prune.magnitude / channels / edges and pruningReport: exactly the documented entries, channels
 * and edges removed (ties by position / edge id); the sparse-weight path computes what the dense
 * GEMM computes on the same zeroed weights; pruned models save and load; removing channels that are
 * exactly zero leaves the function unchanged; the original model is never modified.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { GnnError, Graph, Tensor, io, loadModelSync, nn, ops, prune, pruningReport } from '../lib/index';
import { awkwardGraph } from './fixtures/graphs';
import { expectError } from './helpers/errors';

const models = path.resolve(__dirname, '..', 'data', 'models');
const cora = io.loadPlanetoid(path.resolve(__dirname, '..', 'data', 'cora'));

function awkward(seed: number, numNodes = 500): Graph {
  const e = awkwardGraph(seed, { numNodes, hubDegree: 1000 });
  return Graph.fromCOO(e.src, e.dst, { numNodes: e.numNodes });
}

function features(n: number, f: number, seed: number): Tensor<'float32'> {
  return Tensor.from(Float32Array.from({ length: n * f }, (_, i) => Math.sin(i * 0.37 + seed) * (1 + ((i * 7) % 5))), [n, f]);
}

function same(a: Tensor<'float32'>, b: Tensor<'float32'>): boolean {
  return a.numel === b.numel && Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
}

function zeros(t: Tensor): number {
  let n = 0;
  for (const v of t.data) if (v === 0) n++;
  return n;
}

/** |a − b| <= tol · (Σ|terms| bound): here a relative bound on the row scale. */
function expectClose(a: Tensor<'float32'>, b: Tensor<'float32'>, rel: number): void {
  let scale = 0;
  for (const v of b.data) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.numel; i++) {
    if (!(Math.abs(a.data[i] - b.data[i]) <= rel * scale)) throw new Error(`element ${i}: ${a.data[i]} vs ${b.data[i]}`);
  }
}

describe('prune.magnitude', () => {
  it("scope 'layer' zeroes floor(s · numel) smallest entries of each weight, ties by position, leaving the original alone", () => {
    const lin = new nn.Linear({ inChannels: 4, outChannels: 3 });
    const w = Float32Array.from([0.5, -0.1, 0.1, 2, -3, 0.1, 0.7, -0.2, 1, 1, -0.1, 4]);
    lin.loadStateDict({ weight: Tensor.from(w.slice(), [3, 4]), bias: Tensor.from(new Float32Array(3)) });
    const pruned = prune.magnitude(lin, { sparsity: 0.5 });
    // |w| sorted: 0.1 (idx 1, 2, 5, 10 — ties by index), 0.2 (7), 0.5 (0) → the first six go.
    expect(Array.from(pruned.parameters().weight.data)).toEqual([0, 0, 0, 2, -3, 0, 0.7, 0, 1, 1, 0, 4].map(Math.fround));
    expect(Array.from(lin.parameters().weight.data)).toEqual(Array.from(w));
    expect(pruned.pruning).toEqual({ method: 'magnitude', sparsity: 0.5, scope: 'layer', skip: [] });
    expect(lin.pruning).toBeNull();
  });

  it("scope 'global' ranks every weight together", () => {
    const a = new nn.Linear({ inChannels: 2, outChannels: 2, bias: false });
    const b = new nn.Linear({ inChannels: 2, outChannels: 2, bias: false });
    const model = new nn.Sequential([['a', a], ['b', b]]);
    model.loadStateDict({ 'a.weight': Tensor.from(Float32Array.from([0.01, 0.02, 0.03, 0.04]), [2, 2]), 'b.weight': Tensor.from(Float32Array.from([1, 2, 3, 0.005]), [2, 2]) });
    const p = prune.magnitude(model, { sparsity: 0.5, scope: 'global' });
    expect(Array.from(p.parameters()['a.weight'].data)).toEqual([0, 0, 0, Math.fround(0.04)]);
    expect(Array.from(p.parameters()['b.weight'].data)).toEqual([1, 2, 3, 0]);
  });

  it('the sparse-weight path (chosen below the measured crossover) computes what the dense GEMM computes on the zeroed weights', async () => {
    const g = awkward(3);
    const model = new nn.Sequential([
      ['conv1', new nn.SAGEConv({ inChannels: 128, outChannels: 128 })],
      ['act', new nn.ReLU()],
      ['lin', new nn.Linear({ inChannels: 128, outChannels: 128 })],
    ]).resetParameters({ seed: 4 });
    const x = features(g.numNodes, 128, 1);
    const pruned = prune.magnitude(model, { sparsity: 0.9 });
    expect(ops.sparseWeightWins(128, 128, 0.1, g.numNodes)).toBe(true);
    // The same zeroed weights in a plain (plan-free) model: the dense GEMM.
    const dense = new nn.Sequential([
      ['conv1', new nn.SAGEConv({ inChannels: 128, outChannels: 128 })],
      ['act', new nn.ReLU()],
      ['lin', new nn.Linear({ inChannels: 128, outChannels: 128 })],
    ]);
    dense.loadStateDict(pruned.parameters());
    const a = pruned.forwardSync(g, x);
    expectClose(a, dense.forwardSync(g, x), 1e-5);
    expect(same(await pruned.forward(g, x), a)).toBe(true);
    const w = pruned.parameters()['lin.weight'];
    expect(zeros(w)).toBe(Math.floor(0.9 * w.numel));
  });

  it('saves and loads a pruned model with its plan, to the same bits', () => {
    const fp = loadModelSync(path.join(models, 'sage_cora'));
    const pruned = prune.magnitude(fp, { sparsity: 0.7, scope: 'global' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnn-prune-'));
    try {
      pruned.save(dir);
      const again = loadModelSync(dir);
      expect(again.pruning).toEqual(pruned.pruning);
      const x = cora.x as Tensor<'float32'>;
      expect(same(again.forwardSync(cora.graph, x), pruned.forwardSync(cora.graph, x))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad options', () => {
    const lin = new nn.Linear({ inChannels: 2, outChannels: 2 });
    expectError(() => prune.magnitude(lin, { sparsity: 1 }), 'ERR_INVALID_ARG_VALUE', TypeError, /sparsity/);
    expectError(() => prune.magnitude(lin, { sparsity: 0.5, scope: 'net' as never }), 'ERR_INVALID_ARG_VALUE', TypeError, /scope/);
    expectError(() => prune.magnitude(lin, { sparsity: 0.5, skip: ['nope'] }), 'ERR_INVALID_ARG_VALUE', TypeError, /skip/);
    expectError(() => prune.magnitude(prune.magnitude(lin, { sparsity: 0.5 }), { sparsity: 0.5 }), 'ERR_INVALID_ARG_VALUE', TypeError, /pruned/);
  });
});

describe('prune.channels', () => {
  const builders: Array<[string, (c: number) => nn.Sequential, number]> = [
    ['GCN', (c) => new nn.Sequential([['conv1', new nn.GCNConv({ inChannels: 12, outChannels: c })], ['act', new nn.ReLU()], ['conv2', new nn.GCNConv({ inChannels: c, outChannels: 5 })]]), 1],
    ['SAGE + BatchNorm', (c) => new nn.Sequential([['conv1', new nn.SAGEConv({ inChannels: 12, outChannels: c })], ['bn', new nn.BatchNorm({ inChannels: c })], ['act', new nn.ReLU()], ['conv2', new nn.SAGEConv({ inChannels: c, outChannels: 5 })]]), 1],
    ['GraphConv', (c) => new nn.Sequential([['conv1', new nn.GraphConv({ inChannels: 12, outChannels: c })], ['act', new nn.ReLU()], ['conv2', new nn.GraphConv({ inChannels: c, outChannels: 5 })]]), 1],
    ['GAT (4 heads, concat)', (c) => new nn.Sequential([['conv1', new nn.GATConv({ inChannels: 12, outChannels: c, heads: 4 })], ['act', new nn.ELU()], ['conv2', new nn.GATConv({ inChannels: 4 * c, outChannels: 5, heads: 1 })]]), 4],
    ['GIN', (c) => {
      const mlp = (a: number, b: number): nn.Sequential => new nn.Sequential([new nn.Linear({ inChannels: a, outChannels: b }), new nn.ReLU(), new nn.Linear({ inChannels: b, outChannels: b })]);
      return new nn.Sequential([['conv1', new nn.GINConv({ nn: mlp(12, c) })], ['act', new nn.ReLU()], ['conv2', new nn.GINConv({ nn: mlp(c, 5) })]]);
    }, 1],
  ];

  it.each(builders)('%s: removing channels that are exactly zero leaves the function unchanged', (_name, build) => {
    const g = awkward(5, 300);
    const x = features(g.numNodes, 12, 2);
    const model = build(10).resetParameters({ seed: 7 });
    // Zero channels 1, 4 and 7 of conv1's output: every weight row and bias entry producing them.
    const params = model.parameters();
    const dead = [1, 4, 7];
    for (const [name, t] of Object.entries(params)) {
      if (!name.startsWith('conv1.')) continue;
      const rows = t.shape[0];
      const width = t.numel / rows;
      const producing = /(lin\.weight|lin_l\.weight|lin_r\.weight|lin_rel\.weight|lin_root\.weight|res\.weight|nn\.2\.weight)$/.test(name) || /(^conv1\.bias|lin_l\.bias|lin_rel\.bias|nn\.2\.bias)$/.test(name);
      if (!producing) continue;
      for (let r = 0; r < rows; r++) if (dead.includes(r % 10)) t.data.fill(0, r * width, (r + 1) * width);
    }
    model.loadStateDict(params);
    const before = model.forwardSync(g, x).clone();
    const pruned = prune.channels(model, { keep: 7 });
    const after = pruned.forwardSync(g, x);
    expect(after.shape).toEqual(before.shape);
    expectClose(after, before, 1e-6);
    const conv1 = pruned.layers[0][1] as unknown as { outChannels?: number };
    if (conv1.outChannels !== undefined && !(pruned.layers[0][1] instanceof nn.GINConv)) expect(conv1.outChannels).toBe(7);
    expect(pruned.parameterCount()).toBeLessThan(model.parameterCount());
    expect(same(model.forwardSync(g, x), before)).toBe(true);
  });

  it('keeps the channels of largest norm (a fraction, rounded up) and refuses bad keep', () => {
    const model = new nn.Sequential([['a', new nn.Linear({ inChannels: 3, outChannels: 4 })], ['b', new nn.Linear({ inChannels: 4, outChannels: 2 })]]);
    model.loadStateDict({
      'a.weight': Tensor.from(Float32Array.from([1, 0, 0, 0, 5, 0, 0, 0, 2, 3, 0, 0]), [4, 3]),
      'a.bias': Tensor.from(Float32Array.from([0.1, 0.2, 0.3, 0.4])),
      'b.weight': Tensor.from(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 4]),
      'b.bias': Tensor.from(new Float32Array(2)),
    });
    const p = prune.channels(model, { keep: 0.5 });
    // Norms 1, 5, 2, 3 → channels 1 and 3 stay, in order.
    expect(Array.from(p.parameters()['a.bias'].data)).toEqual([0.2, 0.4].map(Math.fround));
    expect(Array.from(p.parameters()['b.weight'].data)).toEqual([2, 4, 6, 8]);
    expectError(() => prune.channels(model, { keep: 0 }), 'ERR_INVALID_ARG_VALUE', TypeError, /keep/);
    expectError(() => prune.channels(model, { keep: 2.5 }), 'ERR_INVALID_ARG_VALUE', TypeError, /keep/);
    expectError(() => prune.channels(new nn.Linear({ inChannels: 2, outChannels: 2 }) as never, { keep: 1 }), 'ERR_INVALID_ARG_TYPE', TypeError, /Sequential/);
  });
});

describe('prune.edges', () => {
  it('keeps the top-k in-edges per node by weight, ties by edge id; threshold first', () => {
    const src = Int32Array.from([0, 1, 2, 3, 0, 1, 2]);
    const dst = Int32Array.from([4, 4, 4, 4, 5, 5, 5]);
    const w = Float32Array.from([0.5, 0.9, 0.5, 0.1, 2, 2, 1]);
    const g = Graph.fromCOO(src, dst, { numNodes: 6, edgeWeight: w });
    const top2 = prune.edges(g, { topK: 2 });
    expect(Array.from(top2.edgeIds)).toEqual([0, 1, 4, 5]);
    expect(top2.graph.numEdges).toBe(4);
    const { edgeIndex, edgeWeight } = top2.graph.toEdgeIndex();
    expect(Array.from(edgeIndex.subarray(0, 4))).toEqual([0, 1, 0, 1]);
    expect(Array.from(edgeWeight!)).toEqual([0.5, 0.9, 2, 2].map(Math.fround));
    expect(Array.from(prune.edges(g, { threshold: 0.5 }).edgeIds)).toEqual([0, 1, 2, 4, 5, 6]);
    expect(Array.from(prune.edges(g, { threshold: 0.5, topK: 1 }).edgeIds)).toEqual([1, 4]);
  });

  it('by attention: the top-k edges by a GAT layer’s mean attention coefficient', () => {
    const g = awkward(11, 200);
    const gat = new nn.GATConv({ inChannels: 6, outChannels: 4, heads: 2 }).resetParameters({ seed: 2 });
    const x = features(g.numNodes, 6, 3);
    const r = prune.edges(g, { topK: 3, by: 'attention', model: gat, x });
    const indeg = r.graph.inDegrees();
    const full = g.inDegrees();
    for (let v = 0; v < g.numNodes; v++) expect(indeg[v]).toBe(Math.min(3, full[v]));
    // Every kept edge scores at least as high as every dropped in-edge of its node.
    const { edgeIndex } = g.toEdgeIndex();
    const E = g.numEdges;
    const kept = new Set(r.edgeIds);
    expect(kept.size).toBe(r.edgeIds.length);
    expect(r.edgeIds.every((e, i) => i === 0 || e > r.edgeIds[i - 1])).toBe(true);
    for (let e = 0; e < E; e++) expect(edgeIndex[E + e]).toBeLessThan(g.numNodes);
  });

  it('refuses bad input', () => {
    const g = Graph.fromCOO(Int32Array.from([0]), Int32Array.from([1]), { numNodes: 2 });
    expectError(() => prune.edges(g, { topK: 1 }), 'ERR_INVALID_ARG_VALUE', TypeError, /weight/);
    expectError(() => prune.edges(g, {} as never), 'ERR_INVALID_ARG_VALUE', TypeError, /topK/);
    expectError(() => prune.edges(g, { topK: 0 }), 'ERR_INVALID_ARG_VALUE', TypeError, /topK/);
    expectError(() => prune.edges(g, { topK: 1, by: 'attention' }), 'ERR_INVALID_ARG_VALUE', TypeError, /model/);
    expectError(() => prune.edges(g, { topK: 1, by: 'attention', model: new nn.Linear({ inChannels: 1, outChannels: 1 }), x: Tensor.zeros([2, 1]) }), 'ERR_INVALID_ARG_VALUE', TypeError, /GATConv/);
    expectError(() => prune.edges({} as never, { topK: 1 }), 'ERR_INVALID_ARG_TYPE', TypeError, /graph/);
    void GnnError;
  });
});

describe('pruningReport', () => {
  it('reports parameters, bytes, flops, latency and accuracy of both models', () => {
    const fp = loadModelSync(path.join(models, 'gcn_cora'));
    const x = cora.x as Tensor<'float32'>;
    const pruned = prune.magnitude(fp, { sparsity: 0.8 });
    const r = pruningReport(fp, pruned, cora.graph, x, cora.y!.data as Int32Array, { mask: cora.testMask!, repeats: 3 });
    const weights = Object.entries(fp.parameters()).filter(([n, t]) => t.rank === 2 && n.endsWith('weight'));
    const removed = weights.reduce((n, [, t]) => n + Math.floor(0.8 * t.numel), 0);
    expect(r.parameters.original).toBe(fp.parameterCount());
    expect(r.parameters.pruned).toBe(fp.parameterCount() - removed);
    expect(r.bytes.pruned).toBeLessThan(r.bytes.original);
    expect(r.flops.original).toBeGreaterThan(0);
    expect(r.flops.pruned).toBeLessThanOrEqual(r.flops.original);
    expect(r.latencyMs.original).toBeGreaterThan(0);
    expect(r.rows).toBe(1000);
    expect(r.accuracy!.original).toBeGreaterThan(0.7);
    expect(r.agreement).toBeGreaterThan(0.5);
  });
});
