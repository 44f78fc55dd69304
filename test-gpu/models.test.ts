/**
 * Every layer and the PyG models end to end on the real GPU: model.to('cuda') on a CUDA graph and
 * features, against PyG's own float32 outputs (data/models) with the bound the CPU tests use, and
 * against the CPU forward pass.
 *
 * Bounds. PyG's float32 outputs differ from a float64 re-run by d (max_abs_*_diff_f32_vs_f64 in the
 * fixtures): float32 rounding in one summation order. Ours sums in other orders, on the CPU and on
 * the GPU, each within that order's rounding: |gpu − pyg| ≤ 4d + 1e-6·max|out| (as the CPU tests),
 * and |gpu − cpu| ≤ 8d + 2e-6·max|out|. int8 models: a code can move by one step where a float32
 * value sits on a rounding boundary of its quantizer, so the int8 model on the GPU is held to its
 * CPU twin by predictions (≥ 99.5% the same argmax) and |gpu − cpu| ≤ 2% of max|out|.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { Graph, Tensor, io, loadModelSync, quantize } from '../lib/index';
import { announce, expectWithin, gpu, host } from './helpers';

announce('models');
const describeGpu = describe.skipIf(!gpu);

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
const maxAbs = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

function argmax(v: Float32Array, width: number): Int32Array {
  const out = new Int32Array(v.length / width);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (v[r * width + c] > v[r * width + best]) best = c;
    out[r] = best;
  }
  return out;
}

describeGpu('PyG models on cuda:0', () => {
  const cora = io.loadPlanetoid(path.join(root, 'cora'));
  const citeseer = io.loadPlanetoid(path.join(root, 'citeseer'));
  const CASES = [
    { id: 'gcn_cora', data: cora, x: 'cora_normalized' },
    { id: 'gat_cora', data: cora, x: 'cora_normalized' },
    { id: 'sage_cora', data: cora, x: 'cora_normalized' },
    { id: 'gin_cora', data: cora, x: 'cora_raw' },
    { id: 'gcn_citeseer', data: citeseer, x: 'citeseer_normalized' },
  ];

  it.each(CASES)('$id: PyG logits, predictions and accuracy; the CPU within 8d', async ({ id, data, x }) => {
    const dir = path.join(models, id);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { metrics: { test_acc: number; max_abs_logit_diff_f32_vs_f64: number } };
    const ref = f32(path.join(dir, 'logits.f32.gz'));
    const features = f32(path.join(models, 'inputs', `${x}.f32.gz`));
    const xt = Tensor.from(features, [data.graph.numNodes, features.length / data.graph.numNodes]);
    const d = json.metrics.max_abs_logit_diff_f32_vs_f64;
    const cpu = loadModelSync(dir).forwardSync(data.graph, xt);
    const model = loadModelSync(dir).to('cuda');
    const g = data.graph.to('cuda');
    const xd = xt.to('cuda');
    const out = host(model.forwardSync(g, xd));
    expectWithin(out, ref, 4 * d + 1e-6 * maxAbs(ref), `${id} vs PyG`);
    expectWithin(out, cpu.data, 8 * d + 2e-6 * maxAbs(ref), `${id} vs CPU`);
    const classes = data.numClasses;
    expect(Array.from(argmax(out, classes))).toEqual(Array.from(argmax(ref, classes)));
    const pred = argmax(out, classes);
    let correct = 0;
    let total = 0;
    for (let i = 0; i < pred.length; i++) {
      if (data.testMask![i] === 0) continue;
      total++;
      if (pred[i] === data.y!.data[i]) correct++;
    }
    expect(correct / total).toBeCloseTo(json.metrics.test_acc, 6);
    // Deterministic on the device: async, and a second pass over reused buffers, give the same bits.
    expectWithin(host(await model.forward(g, xd)), out, 0, `${id} async`);
    expectWithin(host(model.forwardSync(g, xd)), out, 0, `${id} second pass`);
  });

  it.each(CASES)('$id int8 (int8 GEMMs and aggregation) against the CPU int8 model', ({ id, data, x }) => {
    const dir = path.join(models, id);
    const features = f32(path.join(models, 'inputs', `${x}.f32.gz`));
    const xt = Tensor.from(features, [data.graph.numNodes, features.length / data.graph.numNodes]);
    const q = quantize(loadModelSync(dir), { gemm: 'int8', aggregation: 'int8' });
    const cpu = q.forwardSync(data.graph, xt);
    const out = host(q.to('cuda').forwardSync(data.graph.to('cuda'), xt.to('cuda')));
    expectWithin(out, cpu.data, 0.02 * maxAbs(cpu.data), `${id} int8`);
    const a = argmax(out, data.numClasses);
    const b = argmax(cpu.data, data.numClasses);
    let same = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
    expect(same / a.length).toBeGreaterThanOrEqual(0.995);
  });
});

describeGpu('every layer (data/models/layers) on cuda:0', () => {
  const dir = path.join(models, 'layers');
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'graph.json'), 'utf8')) as {
    num_nodes: number;
    num_graphs: number;
    files: Record<'edge_index' | 'x' | 'edge_weight' | 'edge_attr' | 'batch', { path: string; shape: number[] }>;
  };
  const x = Tensor.from(f32(path.join(dir, meta.files.x.path)), meta.files.x.shape);
  const edgeAttr = Tensor.from(f32(path.join(dir, meta.files.edge_attr.path)), meta.files.edge_attr.shape);
  const batch = i32(path.join(dir, meta.files.batch.path));
  const edgeIndex = i32(path.join(dir, meta.files.edge_index.path));
  const plain = Graph.fromEdgeIndex(edgeIndex, meta.num_nodes);
  const weighted = Graph.fromEdgeIndex(edgeIndex, meta.num_nodes, { edgeWeight: f32(path.join(dir, meta.files.edge_weight.path)) });
  const cases = (JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as { cases: string[] }).cases;

  it.each(cases)('%s: PyG output within 4d, the CPU within 8d', async (id) => {
    const caseDir = path.join(dir, id);
    const ref = JSON.parse(fs.readFileSync(path.join(caseDir, 'reference.json'), 'utf8')) as {
      inputs: { edge_weight: boolean; edge_attr: boolean; batch: boolean };
      output: { path: string };
      max_abs_out: number;
      max_abs_diff_f32_vs_f64: number;
    };
    const want = f32(path.join(caseDir, ref.output.path));
    const graph = ref.inputs.edge_weight ? weighted : plain;
    const context = (attr: Tensor<'float32'>) => ({
      ...(ref.inputs.edge_attr ? { edgeAttr: attr } : {}),
      ...(ref.inputs.batch ? { batch, numGraphs: meta.num_graphs } : {}),
    });
    const model = loadModelSync(caseDir).to('cuda');
    const g = graph.to('cuda');
    const run = () => model.forwardSync(g, x.to('cuda'), context(edgeAttr.to('cuda')));
    if (id === 'sage_normalize') {
      // Row L2 norms are summed on the host in float64: CPU only (README, "GPU (CUDA)").
      expect(run).toThrow(expect.objectContaining({ code: 'ERR_GNN_DEVICE' }));
      return;
    }
    const out = host(run());
    const d = ref.max_abs_diff_f32_vs_f64;
    expectWithin(out, want, 4 * d + 1e-6 * ref.max_abs_out, `${id} vs PyG`);
    const cpu = loadModelSync(caseDir).forwardSync(graph, x, context(edgeAttr));
    expectWithin(out, cpu.data, 8 * d + 2e-6 * ref.max_abs_out, `${id} vs CPU`);
    expectWithin(host(await model.forward(g, x.to('cuda'), context(edgeAttr.to('cuda')))), out, 0, `${id} async`);
  });
});
