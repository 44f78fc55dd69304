/**
 * The PyG-trained reference models (data/models, copied from the project's shared/models by
 * tools/copy-shared-models.sh) loaded from their own model.json + model.safetensors and run on the
 * exact inputs PyG ran: logits against PyG's float32 output, argmax against PyG's, test accuracy.
 *
 * Tolerance: PyG's own float32 logits differ from a float64 re-run of the same weights by up to
 * max_abs_logit_diff_f32_vs_f64 (model.json: 1.5e-6 … 3.1e-5), which is float32 rounding in a
 * different summation order; ours sums in yet another order, so each element may differ from
 * PyG's by that bound's order: |ours − pyg| <= 4·d + 1e-6·max|logit| with d that measured bound,
 * and the mean error must be a further 10x smaller.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { CsrMatrix, Tensor, io, loadModel, loadModelSync, nn } from '../lib/index';

const root = path.resolve(__dirname, '..', 'data');
const models = path.join(root, 'models');

function f32(file: string): Float32Array {
  const raw = file.endsWith('.gz') ? gunzipSync(fs.readFileSync(file)) : fs.readFileSync(file);
  const out = new Float32Array(raw.length / 4);
  new Uint8Array(out.buffer).set(raw);
  return out;
}

const cora = io.loadPlanetoid(path.join(root, 'cora'));
const citeseer = io.loadPlanetoid(path.join(root, 'citeseer'));
const inputs = {
  cora: f32(path.join(models, 'inputs', 'cora_normalized.f32.gz')),
  coraRaw: f32(path.join(models, 'inputs', 'cora_raw.f32.gz')),
  citeseer: f32(path.join(models, 'inputs', 'citeseer_normalized.f32.gz')),
};

const CASES = [
  { id: 'gcn_cora', data: cora, x: inputs.cora },
  { id: 'gat_cora', data: cora, x: inputs.cora },
  { id: 'sage_cora', data: cora, x: inputs.cora },
  { id: 'gin_cora', data: cora, x: inputs.coraRaw },
  { id: 'gcn_citeseer', data: citeseer, x: inputs.citeseer },
] as const;

function compare(ours: Float32Array, ref: Float32Array, bound: number): { max: number; mean: number } {
  expect(ours.length).toBe(ref.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    if (!(d <= bound)) throw new Error(`element ${i}: ours ${ours[i]}, PyG ${ref[i]}, |diff| ${d} > ${bound}`);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / ref.length };
}

function argmax(v: Float32Array, width: number): Int32Array {
  const out = new Int32Array(v.length / width);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (v[r * width + c] > v[r * width + best]) best = c;
    out[r] = best;
  }
  return out;
}

describe.each(CASES)('PyG model $id', ({ id, data, x }) => {
  const dir = path.join(models, id);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
    metrics: { test_acc: number; max_abs_logit_diff_f32_vs_f64: number };
  };
  const ref = f32(path.join(dir, 'logits.f32.gz'));
  const classes = data.numClasses;
  const xt = Tensor.from(x, [data.graph.numNodes, x.length / data.graph.numNodes]);
  const maxLogit = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const bound = 4 * json.metrics.max_abs_logit_diff_f32_vs_f64 + 1e-6 * maxLogit;

  it('loads with strict keys and matches PyG logits, predictions and accuracy', () => {
    const model = loadModelSync(dir);
    const out = model.forwardSync(data.graph, xt);
    expect(out.shape).toEqual([data.graph.numNodes, classes]);
    const { max, mean } = compare(out.data, ref, bound);
    expect(mean).toBeLessThanOrEqual(bound / 10);
    expect(max).toBeGreaterThanOrEqual(0);
    const pred = argmax(out.data, classes);
    const pygPred = argmax(ref, classes);
    let agree = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === pygPred[i]) agree++;
    expect(agree).toBe(pred.length);
    let correct = 0;
    let total = 0;
    for (let i = 0; i < pred.length; i++) {
      if (data.testMask![i] === 0) continue;
      total++;
      if (pred[i] === data.y!.data[i]) correct++;
    }
    expect(correct / total).toBeCloseTo(json.metrics.test_acc, 6);
  });

  it('takes sparse (CSR) input features and still matches PyG', async () => {
    const model = loadModelSync(dir);
    const sparse = CsrMatrix.fromDense(xt);
    expect(sparse.density).toBeLessThan(0.05);
    const out = model.forwardSync(data.graph, sparse);
    compare(out.data, ref, bound);
    const again = await model.forward(data.graph, sparse);
    expect(Array.from(again.data)).toEqual(Array.from(out.data));
  });

  it('gives the same bits through forward (async) and forwardSync', async () => {
    const model = await loadModel(dir);
    const a = model.forwardSync(data.graph, xt);
    const b = await model.forward(data.graph, xt);
    expect(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength))).toBe(true);
  });

  it('saves and loads back to the same bits', () => {
    const model = loadModelSync(dir);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gnn-model-'));
    try {
      model.save(tmp);
      const again = loadModelSync(tmp);
      expect(again.toJSON()).toEqual(model.toJSON());
      const a = model.forwardSync(data.graph, xt);
      const b = again.forwardSync(data.graph, xt);
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('single PyG layers', () => {
  it('GCNConv conv1 of gcn_cora equals PyG conv1_out', () => {
    const model = loadModelSync(path.join(models, 'gcn_cora'));
    const conv1 = model.layers.find(([n]) => n === 'conv1')![1] as nn.GCNConv;
    const out = conv1.forwardSync(cora.graph, Tensor.from(inputs.cora, [2708, 1433]));
    const ref = f32(path.join(models, 'gcn_cora', 'conv1_out.f32.gz'));
    const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    compare(out.data, ref, 2e-6 * scale);
  });

  it('GATConv conv1 of gat_cora (8 heads, concat) equals PyG conv1_out', () => {
    const model = loadModelSync(path.join(models, 'gat_cora'));
    const conv1 = model.layers.find(([n]) => n === 'conv1')![1] as nn.GATConv;
    const out = conv1.forwardSync(cora.graph, Tensor.from(inputs.cora, [2708, 1433]));
    const ref = f32(path.join(models, 'gat_cora', 'conv1_out.f32.gz'));
    const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    compare(out.data, ref, 2e-6 * scale);
  });
});
