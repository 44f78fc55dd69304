/**
 * Model files: model.json + model.safetensors written by save() and read by loadModel(); bad and
 * hostile files rejected with ERR_GNN_MODEL_FILE naming the problem, never a crash.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { Graph, Tensor, loadModel, loadModelSync, nn, writeSafetensors } from '../lib/index';
import { awkwardGraph, edgeIndexOf, randomArray } from './fixtures/graphs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gnn-model-file-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const base = awkwardGraph(2, { numNodes: 300, hubDegree: 200 });
const graph = Graph.fromEdgeIndex(edgeIndexOf(base), base.numNodes);
const x = Tensor.from(randomArray(300 * 10, 1), [300, 10]);

function everyLayerModel(): nn.Sequential {
  const mlp = new nn.Sequential([new nn.Linear({ inChannels: 16, outChannels: 16 }), new nn.ReLU(), new nn.Linear({ inChannels: 16, outChannels: 16 })]);
  return new nn.Sequential([
    ['drop', new nn.Dropout({ p: 0.5 })],
    ['gcn', new nn.GCNConv({ inChannels: 10, outChannels: 16, improved: true })],
    ['a1', new nn.LeakyReLU({ negativeSlope: 0.1 })],
    ['gat', new nn.GATConv({ inChannels: 16, outChannels: 4, heads: 4 })],
    ['a2', new nn.ELU()],
    ['sage', new nn.SAGEConv({ inChannels: 16, outChannels: 16, aggr: 'max', project: true })],
    ['gin', new nn.GINConv({ nn: mlp, eps: 0.2, trainEps: true })],
    ['gc', new nn.GraphConv({ inChannels: 16, outChannels: 16, aggr: 'mean' })],
    ['sg', new nn.SGConv({ inChannels: 16, outChannels: 16, K: 2 })],
    ['appnp', new nn.APPNP({ K: 2, alpha: 0.2 })],
    ['cheb', new nn.ChebConv({ inChannels: 16, outChannels: 8, K: 3 })],
    ['a3', new nn.Tanh()],
    ['out', new nn.Linear({ inChannels: 8, outChannels: 3 })],
    ['sm', new nn.Softmax(true)],
  ]).resetParameters({ seed: 3 });
}

describe('save and load', () => {
  it('round trips every layer type to identical bits (sync and async load)', async () => {
    const model = everyLayerModel();
    const dir = path.join(tmp, 'every');
    model.save(dir);
    const loaded = loadModelSync(dir);
    expect(loaded.toJSON()).toEqual(model.toJSON());
    const a = model.forwardSync(graph, x);
    expect(Array.from(loaded.forwardSync(graph, x).data)).toEqual(Array.from(a.data));
    const b = await loadModel(path.join(dir, 'model.json'));
    expect(Array.from(b.forwardSync(graph, x).data)).toEqual(Array.from(a.data));
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(json.format_version).toBe(1);
    expect(json.input.channels).toBe(10);
    expect(json.architecture.forward.map((e: { name?: string; op?: string }) => e.op ?? e.name)).toEqual([
      'dropout', 'gcn', 'leaky_relu', 'gat', 'elu', 'sage', 'gin', 'gc', 'sg', 'appnp', 'cheb', 'tanh', 'out', 'log_softmax',
    ]);
  });

  it('infers channels, heads, concat and K from tensor shapes when model.json leaves them out', () => {
    const model = everyLayerModel();
    const dir = path.join(tmp, 'infer');
    model.save(dir);
    const file = path.join(dir, 'model.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const strip = (args: Record<string, unknown>, type?: string): void => {
      // SGConv's and APPNP's K (propagation steps) leave no trace in the tensors; ChebConv's does.
      for (const k of ['inChannels', 'outChannels', 'heads', 'concat', ...(type === 'ChebConv' ? ['K'] : [])]) delete args[k];
    };
    for (const e of json.architecture.forward) {
      if (e.args === undefined || e.type === 'APPNP') continue;
      strip(e.args, e.type);
      if (e.args.nn !== undefined) for (const l of e.args.nn.layers) if (l.args) strip(l.args);
    }
    fs.writeFileSync(file, JSON.stringify(json));
    const loaded = loadModelSync(dir);
    expect(loaded.toJSON()).toEqual(model.toJSON());
    expect(Array.from(loaded.forwardSync(graph, x).data)).toEqual(Array.from(model.forwardSync(graph, x).data));
  });

  it('a bare layer saves as a one-layer model named "model" and loads back to identical bits', () => {
    const layer = new nn.GCNConv({ inChannels: 10, outChannels: 4 });
    const params = layer.parameters();
    for (const [i, t] of Object.values(params).entries()) t.data.set(randomArray(t.numel, 50 + i));
    const dir = path.join(tmp, 'bare');
    layer.save(dir);
    const loaded = loadModelSync(dir);
    expect(Object.keys(loaded.parameters()).sort()).toEqual(Object.keys(params).map((k) => `model.${k}`).sort());
    expect(Array.from(loaded.forwardSync(graph, x).data)).toEqual(Array.from(layer.forwardSync(graph, x).data));
  });

  it('F16 and BF16 storage round to the nearest half and load as float32', () => {
    const model = everyLayerModel();
    for (const dtype of ['F16', 'BF16'] as const) {
      const dir = path.join(tmp, dtype);
      model.save(dir, { dtype });
      const loaded = loadModelSync(dir);
      const w = model.parameters()['gcn.lin.weight'].data;
      const v = loaded.parameters()['gcn.lin.weight'].data;
      const rel = dtype === 'F16' ? 2 ** -11 : 2 ** -8;
      for (let i = 0; i < w.length; i++) expect(Math.abs(v[i] - w[i])).toBeLessThanOrEqual(rel * Math.abs(w[i]) + 1e-7);
      expect(fs.statSync(path.join(dir, 'model.safetensors')).size).toBeLessThan(fs.statSync(path.join(tmp, 'every', 'model.safetensors')).size * 0.6);
    }
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = Record<string, any>;

describe('bad model files', () => {
  const good = (): { dir: string; json: Record<string, unknown> } => {
    const dir = fs.mkdtempSync(path.join(tmp, 'bad-'));
    new nn.Sequential([['conv1', new nn.GCNConv({ inChannels: 10, outChannels: 4 })], ['act', new nn.ReLU()], ['conv2', new nn.GCNConv({ inChannels: 4, outChannels: 2 })]]).resetParameters().save(dir);
    return { dir, json: JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) };
  };
  const expectFileError = (dir: string, message: RegExp): void => {
    let error: unknown;
    try {
      loadModelSync(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_GNN_MODEL_FILE' });
    expect((error as Error).message).toMatch(message);
  };
  const edit = (mutate: (j: J) => void): string => {
    const { dir, json } = good();
    mutate(json);
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    return dir;
  };

  it.each([
    ['format version', (j: J): void => {
      j.format_version = 2;
    }, /format_version: expected 1, got 2/],
    ['no forward list', (j: J): void => {
      delete j.architecture;
    }, /architecture\.forward/],
    ['unknown layer type', (j: J): void => {
      j.architecture.forward[0].type = 'MagicConv';
    }, /unknown layer type "MagicConv"/],
    ['unknown argument', (j: J): void => {
      j.architecture.forward[0].args.heads_please = 3;
    }, /heads_please/],
    ['wrong flow', (j: J): void => {
      j.architecture.forward[0].args.flow = 'target_to_source';
    }, /flow/],
    ['duplicate names', (j: J): void => {
      j.architecture.forward[2].name = 'conv1';
    }, /appears twice/],
    ['unknown op', (j: J): void => {
      j.architecture.forward[1] = { op: 'swishy' };
    }, /swishy/],
    ['shape mismatch', (j: J): void => {
      j.architecture.forward[0].args.outChannels = 5;
    }, /conv1\.lin\.weight: expected shape \[5, 10\], got \[4, 10\]/],
    ['path traversal', (j: J): void => {
      j.parameters.file = '../../etc/passwd';
    }, /parameters\.file/],
  ] as const)('%s', (_, mutate, message) => {
    expectFileError(edit(mutate), message);
  });

  it('missing and unexpected tensors are named', () => {
    const { dir } = good();
    const t = (shape: number[]) => Tensor.from(randomArray(shape.reduce((a, b) => a * b, 1), 1), shape);
    writeSafetensors(path.join(dir, 'model.safetensors'), { 'conv1.lin.weight': t([4, 10]), 'conv1.bias': t([4]), 'conv2.lin.weight': t([2, 4]), 'conv3.bias': t([2]) });
    expectFileError(dir, /missing conv2\.bias; unexpected conv3\.bias/);
    expect(loadModelSync(dir, { strict: false }).forwardSync(graph, x).shape).toEqual([300, 2]);
  });

  it('bad JSON, a missing directory and a truncated safetensors file', () => {
    const { dir } = good();
    fs.writeFileSync(path.join(dir, 'model.json'), '{"format_version": 1, ');
    expectFileError(dir, /model\.json/);
    expectFileError(path.join(tmp, 'does-not-exist'), /cannot read the model/);
    const second = good().dir;
    const st = fs.readFileSync(path.join(second, 'model.safetensors'));
    fs.writeFileSync(path.join(second, 'model.safetensors'), st.subarray(0, st.length - 3));
    expectFileError(second, /./);
  });

  it('PyG and DGL argument names map to ours', () => {
    const pyg = nn.moduleFromJSON({ type: 'GATConv', args: { in_channels: 8, out_channels: 4, heads: 2, negative_slope: 0.1, add_self_loops: true, cached: false, aggr: 'add' } }, 'pyg');
    expect(pyg.toJSON().args).toMatchObject({ inChannels: 8, outChannels: 4, heads: 2, negativeSlope: 0.1, semantics: 'pyg' });
    const dgl = nn.moduleFromJSON({ type: 'GraphConv', args: { in_feats: 8, out_feats: 4, norm: 'both', allow_zero_in_degree: true, activation: null } }, 'dgl');
    expect(dgl).toBeInstanceOf(nn.GCNConv);
    expect(dgl.toJSON().args).toMatchObject({ inChannels: 8, outChannels: 4, semantics: 'dgl', allowZeroInDegree: true });
    const sage = nn.moduleFromJSON({ type: 'SAGEConv', args: { in_feats: 8, out_feats: 4, aggregator_type: 'pool', feat_drop: 0.5 } }, 'dgl');
    expect(sage.toJSON().args).toMatchObject({ semantics: 'dgl', aggregatorType: 'pool' });
  });
});
