/**
 * Receptive-field inference (model.forwardNodesSync / forwardNodes): without a fan-out the rows
 * must be the same bits as the full-graph forward's, for every node-local layer type and for
 * models mixing them, on a graph with isolated nodes, self loops, duplicate edges and a hub; with
 * a fan-out the sample is deterministic, bounded, and the output is the layer over the sample
 * (checked against a float64 reference of SAGE mean). Plus embed + forwardNodes, and the errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CsrMatrix, Graph, Tensor, io, loadModelSync, nn } from '../lib/index';
import type { Features } from '../lib/index';
import { buildFrontier } from '../lib/nn/block';
import { planQuery, receptiveSettings } from '../lib/nn/receptive';
import { awkwardGraph, edgeIndexOf, randomArray } from './fixtures/graphs';

const base = awkwardGraph(21, { numNodes: 900, hubDegree: 700, isolated: 30 });
const E = base.src.length;
const N = base.numNodes;
const graph = Graph.fromEdgeIndex(edgeIndexOf(base), N);
const weighted = Graph.fromEdgeIndex(edgeIndexOf(base), N, { edgeWeight: randomArray(E, 78, 0.1, 2) });
const FIN = 12;
const x = Tensor.from(randomArray(N * FIN, 4), [N, FIN]);
const HUB = 7;
const ISOLATED = N - 1; // awkwardGraph leaves the last ids without edges

/** Node sets: one node, a few, the hub, isolated nodes, repeats in any order, every node. */
function nodeSets(n: number): Array<[string, Int32Array]> {
  const all = Int32Array.from({ length: n }, (_, i) => n - 1 - i);
  return [
    ['one node', Int32Array.of(3)],
    ['a few', Int32Array.of(17, 5, 400, 123)],
    ['the hub', Int32Array.of(HUB)],
    ['isolated', Int32Array.of(ISOLATED, ISOLATED - 1)],
    ['repeats', Int32Array.of(9, HUB, 9, 2, HUB, ISOLATED, 9)],
    ['every node (reversed)', all],
  ];
}

function rowsOf(t: Tensor<'float32'>, nodes: Int32Array): Float32Array {
  const w = t.numel / t.shape[0];
  const out = new Float32Array(nodes.length * w);
  nodes.forEach((v, i) => out.set(t.data.subarray(v * w, (v + 1) * w), i * w));
  return out;
}

function sameBits(a: Float32Array, b: Float32Array, label: string): void {
  expect(a.length, label).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) throw new Error(`${label}: element ${i}: forwardNodes ${a[i]}, full forward ${b[i]}`);
  }
}

/** forwardNodesSync (and, for one set, forwardNodes) against the full forward's rows, bitwise. */
async function exact(model: nn.Sequential, g: Graph, input: Features, label: string, options: { edgeAttr?: Tensor<'float32'> } = {}): Promise<void> {
  const full = model.forwardSync(g, input, options.edgeAttr === undefined ? undefined : { edgeAttr: options.edgeAttr });
  for (const [name, nodes] of nodeSets(g.numNodes)) {
    const rows = model.forwardNodesSync(g, input, nodes, options);
    expect(rows.shape).toEqual([nodes.length, ...full.shape.slice(1)]);
    sameBits(rows.data, rowsOf(full, nodes), `${label}, ${name}`);
  }
  const nodes = Int32Array.of(HUB, 40, 41);
  sameBits((await model.forwardNodes(g, input, nodes, options)).data, rowsOf(full, nodes), `${label}, async`);
}

// Blocks however large the frontier (the default runs the full pass past 30% of the nodes; tested below).
beforeAll(() => {
  receptiveSettings.fullPassFraction = Infinity;
});
afterAll(() => {
  receptiveSettings.fullPassFraction = 0.3;
});

const seq = (...m: nn.Module[]) => new nn.Sequential(m);
const mlp = (i: number, o: number) => seq(new nn.Linear({ inChannels: i, outChannels: 16 }), new nn.ReLU(), new nn.Linear({ inChannels: 16, outChannels: o }));

/** One layer of each type and option set that matters (each is run alone, on both graphs). */
const LAYERS: Array<[string, () => nn.Module]> = [
  ['GCNConv pyg', () => new nn.GCNConv({ inChannels: FIN, outChannels: 8 })],
  ['GCNConv pyg improved, wide', () => new nn.GCNConv({ inChannels: FIN, outChannels: 20, improved: true })],
  ['GCNConv pyg unnormalised', () => new nn.GCNConv({ inChannels: FIN, outChannels: 8, normalize: false })],
  ['GCNConv dgl both', () => new nn.GCNConv({ inChannels: FIN, outChannels: 8, semantics: 'dgl', allowZeroInDegree: true })],
  ['GCNConv dgl right, aggregate first', () => new nn.GCNConv({ inChannels: FIN, outChannels: 16, semantics: 'dgl', norm: 'right', allowZeroInDegree: true })],
  ['GATConv 3 heads concat', () => new nn.GATConv({ inChannels: FIN, outChannels: 5, heads: 3 })],
  ['GATConv 3 heads mean, residual', () => new nn.GATConv({ inChannels: FIN, outChannels: 5, heads: 3, concat: false, residual: true })],
  ['GATConv dgl', () => new nn.GATConv({ inChannels: FIN, outChannels: 4, heads: 2, semantics: 'dgl', allowZeroInDegree: true })],
  ['GATv2Conv', () => new nn.GATv2Conv({ inChannels: FIN, outChannels: 4, heads: 2 })],
  ['GATv2Conv shared weights, mean', () => new nn.GATv2Conv({ inChannels: FIN, outChannels: 4, heads: 2, shareWeights: true, concat: false })],
  ['SAGEConv mean', () => new nn.SAGEConv({ inChannels: FIN, outChannels: 8 })],
  ['SAGEConv sum, project first', () => new nn.SAGEConv({ inChannels: FIN, outChannels: 8, aggr: 'sum' })],
  ['SAGEConv max, project, normalize', () => new nn.SAGEConv({ inChannels: FIN, outChannels: 8, aggr: 'max', project: true, normalize: true })],
  ['SAGEConv min, no root', () => new nn.SAGEConv({ inChannels: FIN, outChannels: 16, aggr: 'min', rootWeight: false })],
  ['SAGEConv dgl gcn', () => new nn.SAGEConv({ inChannels: FIN, outChannels: 8, semantics: 'dgl', aggregatorType: 'gcn' })],
  ['SAGEConv dgl pool', () => new nn.SAGEConv({ inChannels: FIN, outChannels: 8, semantics: 'dgl', aggregatorType: 'pool' })],
  ['GINConv (narrowing nn)', () => new nn.GINConv({ nn: mlp(FIN, 6), eps: 0.3 })],
  ['GINConv (widening nn), mean', () => new nn.GINConv({ nn: seq(new nn.Linear({ inChannels: FIN, outChannels: 20 }), new nn.ReLU()), aggr: 'mean' })],
  ['GINConv dgl max', () => new nn.GINConv({ nn: mlp(FIN, 6), aggr: 'max', semantics: 'dgl' })],
  ['GraphConv add', () => new nn.GraphConv({ inChannels: FIN, outChannels: 8 })],
  ['GraphConv mean, wide', () => new nn.GraphConv({ inChannels: FIN, outChannels: 16, aggr: 'mean' })],
  ['SGConv K=2', () => new nn.SGConv({ inChannels: FIN, outChannels: 8, K: 2 })],
  ['SGConv K=3 wide', () => new nn.SGConv({ inChannels: FIN, outChannels: 16, K: 3 })],
  ['SGConv dgl K=2', () => new nn.SGConv({ inChannels: FIN, outChannels: 8, K: 2, semantics: 'dgl', allowZeroInDegree: true })],
  ['APPNP K=3', () => new nn.APPNP({ K: 3, alpha: 0.1 })],
  ['APPNP dgl K=2', () => new nn.APPNP({ K: 2, alpha: 0.2, semantics: 'dgl' })],
  ['ChebConv K=3 sym', () => new nn.ChebConv({ inChannels: FIN, outChannels: 8, K: 3 })],
  ['ChebConv K=2 rw', () => new nn.ChebConv({ inChannels: FIN, outChannels: 8, K: 2, normalization: 'rw' })],
  ['ChebConv K=3 unnormalised', () => new nn.ChebConv({ inChannels: FIN, outChannels: 8, K: 3, normalization: null })],
  ['ChebConv K=1', () => new nn.ChebConv({ inChannels: FIN, outChannels: 8, K: 1 })],
  ['ChebConv dgl K=3', () => new nn.ChebConv({ inChannels: FIN, outChannels: 8, K: 3, semantics: 'dgl' })],
  ['Linear + ReLU + Dropout', () => seq(new nn.Linear({ inChannels: FIN, outChannels: 8 }), new nn.ReLU(), new nn.Dropout({ p: 0.5 }))],
  ['BatchNorm', () => new nn.BatchNorm({ inChannels: FIN })],
  ['LayerNorm node', () => new nn.LayerNorm({ inChannels: FIN, mode: 'node' })],
  ['LogSoftmax', () => new nn.Softmax(true)],
];

describe('forwardNodes: exact rows for every layer type', () => {
  it.each(LAYERS)('%s', async (name, make) => {
    const layer = make().resetParameters({ seed: 11 });
    const model = seq(layer);
    await exact(model, graph, x, name);
    await exact(model, weighted, x, `${name} (weighted)`);
  });

  it('sparse input features (CsrMatrix)', async () => {
    const sparse = CsrMatrix.fromDense(Tensor.from(x.data.map((v) => (v > 0.3 ? v : 0)), [N, FIN]));
    await exact(seq(new nn.GCNConv({ inChannels: FIN, outChannels: 8 }).resetParameters({ seed: 2 })), graph, sparse, 'GCN sparse');
    await exact(seq(new nn.SAGEConv({ inChannels: FIN, outChannels: 8 }).resetParameters({ seed: 2 })), graph, sparse, 'SAGE sparse');
  });

  it('GATConv and GATv2Conv with edge features', async () => {
    const D = 3;
    const edgeAttr = Tensor.from(randomArray(E * D, 9), [E, D]);
    for (const fillValue of ['mean', 0.5] as const) {
      const gat = seq(new nn.GATConv({ inChannels: FIN, outChannels: 4, heads: 2, edgeDim: D, fillValue }).resetParameters({ seed: 3 }));
      await exact(gat, graph, x, `GAT edge_dim fill ${fillValue}`, { edgeAttr });
    }
    const v2 = seq(new nn.GATv2Conv({ inChannels: FIN, outChannels: 4, heads: 2, edgeDim: D }).resetParameters({ seed: 3 }));
    await exact(v2, graph, x, 'GATv2 edge_dim', { edgeAttr });
    const dgl = seq(new nn.GATConv({ inChannels: FIN, outChannels: 4, heads: 2, edgeDim: D, semantics: 'dgl', allowZeroInDegree: true }).resetParameters({ seed: 3 }));
    await exact(dgl, graph, x, 'GAT dgl edge_dim', { edgeAttr });
  });
});

describe('forwardNodes: models mixing layers', () => {
  const models: Array<[string, () => nn.Sequential]> = [
    ['GCN → ReLU → Dropout → GCN → LogSoftmax', () => seq(new nn.GCNConv({ inChannels: FIN, outChannels: 16 }), new nn.ReLU(), new nn.Dropout(), new nn.GCNConv({ inChannels: 16, outChannels: 5 }), new nn.Softmax(true))],
    ['GAT(heads) → ELU → SAGE → BatchNorm', () => seq(new nn.GATConv({ inChannels: FIN, outChannels: 6, heads: 2 }), new nn.ELU(), new nn.SAGEConv({ inChannels: 12, outChannels: 7 }), new nn.BatchNorm({ inChannels: 7 }))],
    ['GIN → SGConv K=2 → LayerNorm(node) → Linear', () => seq(new nn.GINConv({ nn: mlp(FIN, 10) }), new nn.SGConv({ inChannels: 10, outChannels: 6, K: 2 }), new nn.LayerNorm({ inChannels: 6, mode: 'node' }), new nn.Linear({ inChannels: 6, outChannels: 3 }))],
    ['Cheb K=2 → GraphConv → APPNP K=2', () => seq(new nn.ChebConv({ inChannels: FIN, outChannels: 9, K: 2 }), new nn.GraphConv({ inChannels: 9, outChannels: 5, aggr: 'mean' }), new nn.APPNP({ K: 2, alpha: 0.1 }))],
    ['GATv2 → GCN dgl → SAGE max', () => seq(new nn.GATv2Conv({ inChannels: FIN, outChannels: 5, heads: 2 }), new nn.GCNConv({ inChannels: 10, outChannels: 8, semantics: 'dgl', allowZeroInDegree: true }), new nn.SAGEConv({ inChannels: 8, outChannels: 4, aggr: 'max' }))],
  ];
  it.each(models)('%s', async (name, make) => {
    const model = make().resetParameters({ seed: 5 });
    await exact(model, graph, x, name);
    await exact(model, weighted, x, `${name} (weighted)`);
  });

  it('embed + forwardNodes gives the full forward rows, and the cache follows (graph, x) identity', () => {
    const model = models[1][1]().resetParameters({ seed: 6 });
    const full = model.forwardSync(graph, x);
    const emb = model.embedSync(graph, x);
    expect(emb.shape).toEqual([N, 12]); // default: up to the last layer that reads neighbours (SAGE)
    for (const [name, nodes] of nodeSets(N)) sameBits(model.forwardNodesSync(graph, x, nodes).data, rowsOf(full, nodes), `embed, ${name}`);
    // A fanout now has one entry: the embedding leaves one hop.
    expect(() => model.forwardNodesSync(graph, x, Int32Array.of(1), { fanout: [3, 3] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    model.forwardNodesSync(graph, x, Int32Array.of(1), { fanout: [3] });
    // Another x object (even with equal contents) does not use the cache: two hops again.
    const copy = Tensor.from(x.data.slice(), [N, FIN]);
    model.forwardNodesSync(graph, copy, Int32Array.of(1), { fanout: [3, 3] });
    // The cache is used: an embedding changed in place changes the rows.
    emb.data.fill(0);
    const stale = model.forwardNodesSync(graph, x, Int32Array.of(1));
    model.clearEmbeddings();
    sameBits(model.forwardNodesSync(graph, x, Int32Array.of(1)).data, rowsOf(full, Int32Array.of(1)), 'after clearEmbeddings');
    expect(Array.from(stale.data)).not.toEqual(Array.from(rowsOf(full, Int32Array.of(1))));
  });

  it('embed with explicit layers, async', async () => {
    const model = models[0][1]().resetParameters({ seed: 7 });
    const full = await model.forward(graph, x);
    await model.embed(graph, x, { layers: 2 });
    const nodes = Int32Array.of(HUB, 3, ISOLATED);
    sameBits((await model.forwardNodes(graph, x, nodes)).data, rowsOf(full, nodes), 'embed layers 2');
    await model.embed(graph, x, { layers: 5 }); // everything: a query is a gather
    sameBits(model.forwardNodesSync(graph, x, nodes).data, rowsOf(full, nodes), 'embed layers 5');
  });
});

describe('forwardNodes: PyG-trained models', () => {
  const root = path.resolve(__dirname, '..', 'data');
  const cora = io.loadPlanetoid(path.join(root, 'cora'));
  const f32 = (file: string): Float32Array => {
    const raw = gunzipSync(fs.readFileSync(file));
    const out = new Float32Array(raw.length / 4);
    new Uint8Array(out.buffer).set(raw);
    return out;
  };
  const inputs = { normalized: f32(path.join(root, 'models', 'inputs', 'cora_normalized.f32.gz')), raw: f32(path.join(root, 'models', 'inputs', 'cora_raw.f32.gz')) };
  it.each([
    ['gcn_cora', 'normalized'],
    ['gat_cora', 'normalized'],
    ['sage_cora', 'normalized'],
    ['gin_cora', 'raw'],
  ] as const)('%s', async (id, input) => {
    const model = loadModelSync(path.join(root, 'models', id));
    const n = cora.graph.numNodes;
    const xt = Tensor.from(inputs[input], [n, inputs[input].length / n]);
    await exact(model, cora.graph, xt, id);
  });
});

describe('forwardNodes: large frontiers', () => {
  it('past fullPassFraction of the nodes, the full pass runs and gives the same rows', () => {
    const model = seq(new nn.SAGEConv({ inChannels: FIN, outChannels: 8 }), new nn.ReLU(), new nn.GCNConv({ inChannels: 8, outChannels: 4 })).resetParameters({ seed: 1 });
    const nodes = Int32Array.of(HUB, 1, 2, HUB);
    const viaBlocks = model.forwardNodesSync(graph, x, nodes);
    expect(planQuery(model, graph, x, nodes, undefined, null).frontier).not.toBeNull();
    receptiveSettings.fullPassFraction = 0.01;
    try {
      expect(planQuery(model, graph, x, nodes, undefined, null).frontier).toBeNull();
      // Sampling always cuts blocks.
      expect(planQuery(model, graph, x, nodes, { fanout: [2, 2] }, null).frontier).not.toBeNull();
      sameBits(model.forwardNodesSync(graph, x, nodes).data, viaBlocks.data, 'full pass');
    } finally {
      receptiveSettings.fullPassFraction = Infinity;
    }
  });
});

describe('forwardNodes: fan-out', () => {
  const sage = () => seq(new nn.SAGEConv({ inChannels: FIN, outChannels: 6 }), new nn.ReLU(), new nn.SAGEConv({ inChannels: 6, outChannels: 4 })).resetParameters({ seed: 8 });
  const nodes = Int32Array.of(HUB, 3, 11, 500, ISOLATED, 3);

  it('is deterministic for a seed, and changes with it', () => {
    const m = sage();
    const a = m.forwardNodesSync(graph, x, nodes, { fanout: [4, 3], seed: 1 });
    const b = m.forwardNodesSync(graph, x, nodes, { fanout: [4, 3], seed: 1 });
    sameBits(a.data, b.data, 'same seed');
    const c = m.forwardNodesSync(graph, x, nodes, { fanout: [4, 3], seed: 2 });
    expect(Array.from(c.data)).not.toEqual(Array.from(a.data));
    // A node's sample does not depend on the other query nodes.
    const alone = m.forwardNodesSync(graph, x, Int32Array.of(HUB), { fanout: [4, 3], seed: 1 });
    sameBits(alone.data, a.data.subarray(0, 4), 'hub alone');
    // -1 everywhere is the exact pass.
    sameBits(m.forwardNodesSync(graph, x, nodes, { fanout: [-1, -1] }).data, m.forwardNodesSync(graph, x, nodes).data, 'fanout -1');
  });

  it('each node aggregates over at most fanout in-edges (self loops kept), sampled without replacement', () => {
    const fanout = [5, 2];
    const f = buildFrontier(graph, Int32Array.of(HUB, 3, 11, 500, ISOLATED), 2, { fanout, seed: 9 });
    const full = { indptr: graph.indptr as Int32Array, indices: graph.indices };
    for (let h = 1; h <= 2; h++) {
      const b = f.blocks[h - 1];
      const k = fanout[2 - h];
      const bp = b.indptr as Int32Array;
      for (let i = 0; i < b.numNodes; i++) {
        const v = f.nodes[i];
        const deg = full.indptr[v + 1] - full.indptr[v];
        let loops = 0;
        for (let p = full.indptr[v]; p < full.indptr[v + 1]; p++) if (full.indices[p] === v) loops++;
        expect(bp[i + 1] - bp[i]).toBe(Math.min(deg, loops + Math.min(k, deg - loops)));
      }
    }
    expect(f.sizes[2]).toBe(5);
  });

  it('SAGE mean over the sampled in-edges matches a float64 reference', () => {
    const layer = new nn.SAGEConv({ inChannels: FIN, outChannels: 6 }).resetParameters({ seed: 12 });
    const queries = Int32Array.of(HUB, 3, 11, 500, ISOLATED);
    const ours = seq(layer).forwardNodesSync(graph, x, queries, { fanout: [6], seed: 4 });
    const f = buildFrontier(graph, queries, 1, { fanout: [6], seed: 4 });
    const b = f.blocks[0];
    const bp = b.indptr as Int32Array;
    const bi = b.indices;
    const wl = layer.linL.value.data;
    const wr = layer.linR!.value.data;
    const bias = layer.linLBias!.value.data;
    let scale = 0;
    const want = new Float64Array(queries.length * 6);
    for (let i = 0; i < queries.length; i++) {
      const agg = new Float64Array(FIN);
      const d = bp[i + 1] - bp[i];
      for (let p = bp[i]; p < bp[i + 1]; p++) for (let c = 0; c < FIN; c++) agg[c] += x.data[f.nodes[bi[p]] * FIN + c] / d;
      for (let o = 0; o < 6; o++) {
        let s = bias[o];
        for (let c = 0; c < FIN; c++) s += wl[o * FIN + c] * agg[c] + wr[o * FIN + c] * x.data[queries[i] * FIN + c];
        want[i * 6 + o] = s;
        scale = Math.max(scale, Math.abs(s));
      }
    }
    for (let j = 0; j < want.length; j++) expect(Math.abs(ours.data[j] - want[j])).toBeLessThanOrEqual(2 ** -17 * scale);
    // The hub aggregated over 6 neighbours, not its ~700: its row differs from the exact one.
    const exactRow = seq(layer).forwardNodesSync(graph, x, Int32Array.of(HUB));
    expect(Array.from(exactRow.data)).not.toEqual(Array.from(ours.data.subarray(0, 6)));
  });

  it('GCN and GAT run under a fan-out (loops kept, full-graph normalisation of the kept edges)', () => {
    const m = seq(new nn.GCNConv({ inChannels: FIN, outChannels: 8 }), new nn.ReLU(), new nn.GATConv({ inChannels: 8, outChannels: 3, heads: 2 })).resetParameters({ seed: 13 });
    const a = m.forwardNodesSync(weighted, x, nodes, { fanout: [3, 3], seed: 5 });
    expect(a.shape).toEqual([nodes.length, 6]);
    expect(a.data.every(Number.isFinite)).toBe(true);
    sameBits(a.data, m.forwardNodesSync(weighted, x, nodes, { fanout: [3, 3], seed: 5 }).data, 'repeat');
  });
});

describe('forwardNodes: errors', () => {
  const m = seq(new nn.GCNConv({ inChannels: FIN, outChannels: 4 }), new nn.ReLU(), new nn.GCNConv({ inChannels: 4, outChannels: 2 }));
  const code = (c: string) => expect.objectContaining({ code: c });
  it('bad nodes', async () => {
    expect(() => m.forwardNodesSync(graph, x, Int32Array.of(N))).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => m.forwardNodesSync(graph, x, Int32Array.of(-1))).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => m.forwardNodesSync(graph, x, [1, 2] as unknown as Int32Array)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => m.forwardNodesSync(graph, x, new Float32Array([1]) as unknown as Int32Array)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    await expect(m.forwardNodes(graph, x, Int32Array.of(N))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });
  it('bad fanout and options', () => {
    expect(() => m.forwardNodesSync(graph, x, Int32Array.of(1), { fanout: [3] })).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => m.forwardNodesSync(graph, x, Int32Array.of(1), { fanout: [3, 3, 3] })).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => m.forwardNodesSync(graph, x, Int32Array.of(1), { fanout: [3, -2] })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => m.forwardNodesSync(graph, x, Int32Array.of(1), { fanout: 3 as unknown as number[] })).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => m.forwardNodesSync(graph, x, Int32Array.of(1), { fanout: [3, 3], seed: -1 })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => m.forwardNodesSync(graph, x, Int32Array.of(1), { fanuot: [3, 3] } as never)).toThrow(code('ERR_INVALID_ARG_VALUE'));
  });
  it('non-local layers are named', () => {
    const cases: Array<[string, nn.Module]> = [
      ['LayerNorm', new nn.LayerNorm({ inChannels: 2 })],
      ['global_mean_pool', new nn.GlobalMeanPool()],
      ['BatchNorm', new nn.BatchNorm({ inChannels: 2, trackRunningStats: false })],
    ];
    for (const [name, layer] of cases) {
      const bad = seq(new nn.GCNConv({ inChannels: FIN, outChannels: 2 }), layer);
      expect(() => bad.forwardNodesSync(graph, x, Int32Array.of(1))).toThrow(code('ERR_INVALID_ARG_VALUE'));
      expect(() => bad.forwardNodesSync(graph, x, Int32Array.of(1))).toThrow(new RegExp(name));
    }
  });
  it('a bipartite graph or x of the wrong size', () => {
    const bip = Graph.fromCSR(Int32Array.of(0, 1), Int32Array.of(1), { numSrcNodes: 2 });
    expect(() => m.forwardNodesSync(bip, x, Int32Array.of(0))).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => m.forwardNodesSync(graph, Tensor.zeros([N - 1, FIN]), Int32Array.of(0))).toThrow(code('ERR_GNN_SHAPE_MISMATCH'));
  });
});
