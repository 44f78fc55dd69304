/**
 * Models on a CUDA device, through the test double of the addon's CUDA half (helpers/fake-cuda.ts:
 * host memory, CPU kernels): every PyG reference model (data/models: the Cora and CiteSeer models)
 * and every single-layer fixture (data/models/layers) moved with model.to('cuda') must give
 * bitwise the CPU forward pass, sync and async, with every intermediate kept on the device; the
 * quantized (int8) forms likewise; the CPU-only paths say so with ERR_GNN_DEVICE.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CsrMatrix, GnnError, Graph, Tensor, io, loadModelSync, nn, prune, quantize } from '../lib/index';
import { setCudaNativeForTesting } from '../lib/device';
import { expectBitwiseEqual } from './helpers/compare';
import { expectError } from './helpers/errors';
import { FakeCuda } from './helpers/fake-cuda';

const root = path.resolve(__dirname, '..', 'data');
const models = path.join(root, 'models');

function f32(file: string): Float32Array {
  const raw = file.endsWith('.gz') ? gunzipSync(fs.readFileSync(file)) : fs.readFileSync(file);
  const out = new Float32Array(raw.length / 4);
  new Uint8Array(out.buffer).set(raw);
  return out;
}
function i32(file: string): Int32Array {
  const raw = fs.readFileSync(file);
  const out = new Int32Array(raw.length / 4);
  new Uint8Array(out.buffer).set(raw);
  return out;
}

const cora = io.loadPlanetoid(path.join(root, 'cora'));
const citeseer = io.loadPlanetoid(path.join(root, 'citeseer'));
const CASES = [
  { id: 'gcn_cora', graph: cora.graph, x: f32(path.join(models, 'inputs', 'cora_normalized.f32.gz')) },
  { id: 'gat_cora', graph: cora.graph, x: f32(path.join(models, 'inputs', 'cora_normalized.f32.gz')) },
  { id: 'sage_cora', graph: cora.graph, x: f32(path.join(models, 'inputs', 'cora_normalized.f32.gz')) },
  { id: 'gin_cora', graph: cora.graph, x: f32(path.join(models, 'inputs', 'cora_raw.f32.gz')) },
  { id: 'gcn_citeseer', graph: citeseer.graph, x: f32(path.join(models, 'inputs', 'citeseer_normalized.f32.gz')) },
];

let fake: FakeCuda;
beforeAll(() => {
  fake = new FakeCuda();
  setCudaNativeForTesting(fake);
});
afterAll(() => setCudaNativeForTesting(undefined));

describe.each(CASES)('PyG model $id on cuda:0', ({ id, graph, x }) => {
  const dir = path.join(models, id);
  const xt = Tensor.from(x, [graph.numNodes, x.length / graph.numNodes]);

  it('model.to(cuda) gives bitwise the CPU forward, sync and async, and stays on the device', async () => {
    const want = loadModelSync(dir).forwardSync(graph, xt);
    const model = loadModelSync(dir);
    expect(model.to('cuda')).toBe(model);
    expect(model.device).toBe('cuda:0');
    for (const t of Object.values(model.parameters())) expect(t.device).toBe('cuda:0');
    const g = graph.to('cuda');
    const xd = xt.to('cuda');
    const before = fake.calls.length;
    const out = model.forwardSync(g, xd);
    expect(out.device).toBe('cuda:0');
    // Between layers nothing comes back to the host.
    expect(fake.calls.slice(before).filter((c) => c === 'download')).toEqual([]);
    expectBitwiseEqual(out.to('cpu').data, want.data, `${id} sync`);
    const again = await model.forward(g, xd);
    expect(again.device).toBe('cuda:0');
    expectBitwiseEqual(again.to('cpu').data, want.data, `${id} async`);
    // A second pass reuses the first one's device buffers (the workspace): no new allocations.
    const allocs = fake.count('alloc');
    const third = model.forwardSync(g, xd);
    expect(fake.count('alloc')).toBe(allocs + 1); // the result only
    expectBitwiseEqual(third.to('cpu').data, want.data, `${id} third`);
  });

  it('int8 (dynamic and static activations, int8 GEMMs and aggregation) gives bitwise the CPU quantized model', async () => {
    const fp = loadModelSync(dir);
    const calibration = [{ graph, x: xt }];
    for (const q of [
      quantize(fp, { gemm: 'int8', aggregation: 'int8' }),
      quantize(fp, { gemm: 'int8', aggregation: 'int8', activations: 'static', calibration }),
    ]) {
      const want = q.forwardSync(graph, xt);
      q.to('cuda');
      const out = q.forwardSync(graph.to('cuda'), xt.to('cuda'));
      expectBitwiseEqual(out.to('cpu').data, want.data, `${id} int8 sync`);
      const again = await q.forward(graph.to('cuda'), xt.to('cuda'));
      expectBitwiseEqual(again.to('cpu').data, want.data, `${id} int8 async`);
      q.to('cpu');
      expectBitwiseEqual(q.forwardSync(graph, xt).data, want.data, `${id} int8 back on the CPU`);
    }
  });
});

describe('model moves', () => {
  const dir = path.join(models, 'gcn_cora');
  const xt = Tensor.from(f32(path.join(models, 'inputs', 'cora_normalized.f32.gz')), [cora.graph.numNodes, 1433]);

  it('moves back to the CPU (releasing the device copies) and gives the same bits', () => {
    const model = loadModelSync(dir);
    const want = model.forwardSync(cora.graph, xt);
    const live = fake.live;
    model.to('cuda');
    const onDevice = Object.values(model.parameters());
    model.forwardSync(cora.graph.to('cuda'), xt.to('cuda'));
    model.to('cpu');
    expect(model.device).toBe('cpu');
    for (const t of onDevice) expect(t.disposed).toBe(true);
    expectBitwiseEqual(model.forwardSync(cora.graph, xt).data, want.data, 'back');
    expect(fake.live).toBeLessThanOrEqual(live + 2); // x's copy and the result of the device pass, collected later
  });

  it('refuses mixed devices with ERR_GNN_DEVICE naming them', () => {
    const model = loadModelSync(dir).to('cuda');
    expectError(() => model.forwardSync(cora.graph, xt), 'ERR_GNN_DEVICE', GnnError, /graph on cpu, x on cpu, model on cuda:0/);
    expectError(() => model.forwardSync(cora.graph.to('cuda'), xt), 'ERR_GNN_DEVICE', GnnError, /graph on cuda:0, x on cpu/);
    const cpuModel = loadModelSync(dir);
    expectError(() => cpuModel.forwardSync(cora.graph.to('cuda'), xt.to('cuda')), 'ERR_GNN_DEVICE', GnnError, /graph on cuda:0, x on cuda:0, model on cpu/);
    expectError(() => model.forwardSync(cora.graph.to('cuda'), CsrMatrix.fromDense(xt)), 'ERR_GNN_DEVICE', GnnError, /CsrMatrix/);
    return expect(model.forward(cora.graph, xt)).rejects.toMatchObject({ code: 'ERR_GNN_DEVICE' });
  });

  it('writes into a context.out on the device, and refuses one elsewhere', () => {
    const model = loadModelSync(dir).to('cuda');
    const want = loadModelSync(dir).forwardSync(cora.graph, xt);
    const out = Tensor.zeros([cora.graph.numNodes, 7], 'float32', { device: 'cuda' });
    expect(model.forwardSync(cora.graph.to('cuda'), xt.to('cuda'), { out })).toBe(out);
    expectBitwiseEqual(out.to('cpu').data, want.data, 'out');
    expectError(() => model.forwardSync(cora.graph.to('cuda'), xt.to('cuda'), { out: Tensor.zeros([cora.graph.numNodes, 7]) }), 'ERR_GNN_DEVICE', GnnError, /context.out/);
  });

  it('keeps tied parameters tied and rolls back when a move fails', () => {
    const lin = new nn.Linear({ inChannels: 3, outChannels: 2 });
    const shared = new nn.Sequential([lin, lin]);
    shared.to('cuda');
    const params = shared.parameters();
    expect(params['0.weight']).toBe(params['1.weight']);
    const failing = new FakeCuda();
    setCudaNativeForTesting(failing);
    const m = new nn.Sequential([new nn.Linear({ inChannels: 3, outChannels: 2 }), new nn.Linear({ inChannels: 2, outChannels: 2 })]);
    const before = m.parameters();
    let calls = 0;
    const alloc = failing.alloc.bind(failing);
    failing.alloc = (device, bytes) => {
      if (++calls === 3) throw new GnnError('ERR_GNN_OUT_OF_MEMORY', 'out of device memory (test)');
      return alloc(device, bytes);
    };
    expectError(() => m.to('cuda'), 'ERR_GNN_OUT_OF_MEMORY', GnnError);
    expect(m.device).toBe('cpu');
    expect(m.parameters()).toEqual(before);
    expect(failing.live).toBe(0);
    setCudaNativeForTesting(fake);
  });

  it('runs CPU-only paths nowhere else: pruned models, receptive-field queries, quantize()', () => {
    const model = loadModelSync(dir);
    const pruned = prune.magnitude(model, { sparsity: 0.9 });
    expectError(() => pruned.to('cuda'), 'ERR_GNN_DEVICE', GnnError, /pruned plan runs on the CPU only/);
    expect(pruned.device).toBe('cpu');
    const seq = loadModelSync(dir) as nn.Sequential;
    seq.to('cuda');
    expectError(() => seq.forwardNodesSync(cora.graph.to('cuda'), xt.to('cuda'), new Int32Array([1, 2])), 'ERR_GNN_DEVICE', GnnError, /forwardNodes: runs on the CPU only/);
    expectError(() => quantize(seq), 'ERR_GNN_DEVICE', GnnError, /quantize: runs on the CPU only/);
  });
});

describe('single-layer fixtures (data/models/layers) on cuda:0', () => {
  const dir = path.join(models, 'layers');
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'graph.json'), 'utf8')) as {
    num_nodes: number;
    num_graphs: number;
    files: Record<'edge_index' | 'x' | 'edge_weight' | 'edge_attr' | 'batch', { path: string; shape: number[] }>;
  };
  const edgeIndex = i32(path.join(dir, meta.files.edge_index.path));
  const x = Tensor.from(f32(path.join(dir, meta.files.x.path)), meta.files.x.shape);
  const edgeAttr = Tensor.from(f32(path.join(dir, meta.files.edge_attr.path)), meta.files.edge_attr.shape);
  const batch = i32(path.join(dir, meta.files.batch.path));
  const plain = Graph.fromEdgeIndex(edgeIndex, meta.num_nodes);
  const weighted = Graph.fromEdgeIndex(edgeIndex, meta.num_nodes, { edgeWeight: f32(path.join(dir, meta.files.edge_weight.path)) });
  const cases = (JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as { cases: string[] }).cases;
  // Paths that sum on the host in float64 run on the CPU only (README, "GPU (CUDA)").
  const CPU_ONLY: Record<string, RegExp> = { sage_normalize: /row L2 normalisation/ };

  it.each(cases)('%s: bitwise the CPU forward, sync and async', async (id) => {
    const caseDir = path.join(dir, id);
    const ref = JSON.parse(fs.readFileSync(path.join(caseDir, 'reference.json'), 'utf8')) as { inputs: { edge_weight: boolean; edge_attr: boolean; batch: boolean } };
    const graph = ref.inputs.edge_weight ? weighted : plain;
    const context = (attr: Tensor<'float32'>) => ({
      ...(ref.inputs.edge_attr ? { edgeAttr: attr } : {}),
      ...(ref.inputs.batch ? { batch, numGraphs: meta.num_graphs } : {}),
    });
    const want = loadModelSync(caseDir).forwardSync(graph, x, context(edgeAttr));
    const model = loadModelSync(caseDir).to('cuda');
    const g = graph.to('cuda');
    const xd = x.to('cuda');
    const ed = edgeAttr.to('cuda');
    if (CPU_ONLY[id] !== undefined) {
      expectError(() => model.forwardSync(g, xd, context(ed)), 'ERR_GNN_DEVICE', GnnError, CPU_ONLY[id]);
      return;
    }
    const out = model.forwardSync(g, xd, context(ed));
    expect(out.device).toBe('cuda:0');
    expectBitwiseEqual(out.to('cpu').data, want.data, `${id} sync`);
    const again = await model.forward(g, xd, context(ed));
    expectBitwiseEqual(again.to('cpu').data, want.data, `${id} async`);
  });
});
