/**
 * Calibration: ECE / MCE / Brier and the reliability bins against a naive reference written from
 * the definitions (both binnings); a perfectly calibrated synthetic predictor has ECE within the
 * sampling error computed for it; a constant over-confident one has the closed-form ECE, MCE and
 * Brier exactly. Temperature scaling: the fit is the exact NLL minimiser (derivative zero, equal to
 * a golden-section search), recovers a known T on synthetic logits within its standard error, stops
 * at the range when no finite optimum exists; the wrapper divides logits by T, keeps predictions,
 * saves in model.json and loads back bit for bit (fp32 and int8).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { GnnError, Graph, Random, Tensor, TemperatureScaling, calibrationMetrics, evaluate, fitTemperature, loadModelSync, nn, quantize, temperatureScaling, withTemperature } from '../lib/index';
import { expectError } from './helpers/errors';

function tensor(rows: number[][]): Tensor<'float32'> {
  return Tensor.from(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
}

function same(a: Tensor<'float32'>, b: Tensor<'float32'>): boolean {
  return Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
}

function withTmp<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnn-eval-'));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Probabilities [n, c] from float32 logits, in float64. */
function softmaxRows(t: Tensor<'float32'>): number[][] {
  const [n, c] = t.shape;
  return Array.from({ length: n }, (_, r) => {
    const z = Array.from(t.data.subarray(r * c, (r + 1) * c));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
}

/** ECE, MCE, Brier and bins from the definitions, rows in plain loops. */
function reference(probs: number[][], labels: ArrayLike<number>, bins: number, binning: 'width' | 'mass'): { ece: number; mce: number; brier: number; counts: number[] } {
  const n = probs.length;
  const conf = probs.map((p) => Math.max(...p));
  const pred = probs.map((p) => p.indexOf(Math.max(...p)));
  let members: number[][];
  if (binning === 'width') {
    members = Array.from({ length: bins }, (_, b) => conf.map((c, i) => [c, i]).filter(([c]) => (b === bins - 1 ? c >= b / bins : c >= b / bins && c < (b + 1) / bins)).map(([, i]) => i));
  } else {
    // Position bins over the sorted confidences, each row placed by the first position of its value
    // (equal confidences share a bin).
    const sorted = [...conf].sort((a, b) => a - b);
    const first = (c: number): number => sorted.indexOf(c);
    members = Array.from({ length: bins }, () => [] as number[]);
    // Position s is in the last bin b whose start ⌊b·n/B⌋ is <= s.
    const binAt = (pos: number): number => Array.from({ length: bins }, (_, b) => b).filter((b) => Math.floor((b * n) / bins) <= pos).length - 1;
    conf.forEach((c, i) => members[binAt(first(c))].push(i));
  }
  let ece = 0;
  let mce = 0;
  for (const m of members) {
    if (m.length === 0) continue;
    const acc = m.filter((i) => pred[i] === labels[i]).length / m.length;
    const c = m.reduce((a, i) => a + conf[i], 0) / m.length;
    ece += (m.length / n) * Math.abs(acc - c);
    mce = Math.max(mce, Math.abs(acc - c));
  }
  const brier = probs.reduce((a, p, i) => a + p.reduce((s, v, k) => s + (v - (k === labels[i] ? 1 : 0)) ** 2, 0), 0) / n;
  return { ece, mce, brier, counts: members.map((m) => m.length) };
}

function randomLogits(n: number, c: number, scale: number, seed: number): Tensor<'float32'> {
  const rng = new Random(seed);
  return Tensor.from(Float32Array.from({ length: n * c }, () => scale * rng.normal()), [n, c]);
}

/** Labels drawn from softmax(z / T) of each row. */
function sampledLabels(z: Tensor<'float32'>, temperature: number, seed: number): Int32Array {
  const rng = new Random(seed);
  const [n, c] = z.shape;
  const scaled = Tensor.from(Float32Array.from(z.data, (v) => v / temperature), [n, c]);
  const p = softmaxRows(scaled);
  return Int32Array.from(p, (row) => {
    let u = rng.float();
    for (let k = 0; k < c - 1; k++) if ((u -= row[k]) < 0) return k;
    return c - 1;
  });
}

describe('calibrationMetrics against the definitions', () => {
  const z = randomLogits(997, 5, 2, 1);
  const labels = sampledLabels(z, 1.5, 2);
  const probs = softmaxRows(z);
  for (const binning of ['width', 'mass'] as const) {
    for (const bins of [1, 10, 15]) {
      it(`${binning} bins, B = ${bins}`, () => {
        const m = calibrationMetrics(z, labels, { bins, binning });
        const ref = reference(probs, labels, bins, binning);
        expect(m.count).toBe(997);
        expect(m.bins.map((b) => b.count)).toEqual(ref.counts);
        expect(m.ece).toBeCloseTo(ref.ece, 12);
        expect(m.mce).toBeCloseTo(ref.mce, 12);
        expect(m.brier).toBeCloseTo(ref.brier, 12);
        expect(m.bins.reduce((a, b) => a + b.count, 0)).toBe(997);
      });
    }
  }

  it('a hand-sized example: two width bins', () => {
    // Confidences 0.9 (correct), 0.8 (wrong), 0.6 (correct), 0.55 (correct); 2 bins [0, .5), [.5, 1].
    const p = [[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.55, 0.45]];
    const m = calibrationMetrics(tensor(p), [0, 1, 1, 0], { scores: 'probabilities', bins: 2 });
    const conf = (0.9 + 0.8 + 0.6 + 0.55) / 4;
    expect(m.bins[0].count).toBe(0);
    expect(m.bins[0].accuracy).toBeNaN();
    expect(m.bins[1].count).toBe(4);
    expect(m.bins[1].accuracy).toBe(0.75);
    expect(m.bins[1].confidence).toBeCloseTo(conf, 6);
    expect(m.ece).toBeCloseTo(Math.abs(conf - 0.75), 6);
    expect(m.brier).toBeCloseTo((2 * 0.1 ** 2 + 2 * 0.8 ** 2 + 2 * 0.4 ** 2 + 2 * 0.45 ** 2) / 4, 6);
  });
});

describe('ECE of synthetic predictors', () => {
  it('a perfectly calibrated predictor: ECE within the sampling error computed for it', () => {
    // Each row: confidence c ~ U(0.25, 1) on a random class k, (1 − c)/3 on the others; the label
    // is drawn from that same distribution, so P(correct | c) = c exactly.
    const n = 20000;
    const c = 4;
    const rng = new Random(7);
    const probs = new Float32Array(n * c);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const conf = 0.25 + 0.75 * rng.float();
      const k = rng.int(c);
      for (let j = 0; j < c; j++) probs[i * c + j] = j === k ? conf : (1 - conf) / 3;
      const others = [0, 1, 2, 3].filter((j) => j !== k);
      labels[i] = rng.float() < conf ? k : others[rng.int(3)];
    }
    const t = Tensor.from(probs, [n, c]);
    for (const binning of ['width', 'mass'] as const) {
      const m = calibrationMetrics(t, labels, { scores: 'probabilities', bins: 15, binning });
      // E|acc_b − conf_b| <= sd_b = sqrt(Σ c(1 − c)) / n_b, so E[ECE] <= (1/n) Σ_b sqrt(Σ_{i in b} c_i(1 − c_i)).
      const byBin = new Map<number, number>();
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probs[a * c + argmax(probs, a, c)] - probs[b * c + argmax(probs, b, c)] || a - b);
      order.forEach((i, rank) => {
        const conf = probs[i * c + argmax(probs, i, c)];
        const b = binning === 'width' ? Math.min(Math.floor(conf * 15), 14) : Math.floor((rank * 15) / n);
        byBin.set(b, (byBin.get(b) ?? 0) + conf * (1 - conf));
      });
      const bound = [...byBin.values()].reduce((a, v) => a + Math.sqrt(v), 0) / n;
      expect(bound).toBeLessThan(0.015);
      expect(m.ece).toBeLessThan(2 * bound);
      expect(Math.abs(m.meanConfidence - m.accuracy)).toBeLessThan(3 * Math.sqrt(0.25 / n) + 1e-3);
    }
  });

  it('a constant over-confident predictor: ECE = MCE = confidence − accuracy, Brier in closed form', () => {
    // Every row gives class 0 probability c = 0.9 and each other class q = (1 − c)/3; 600 of the
    // 1000 labels are 0, the rest spread over 1..3.
    const n = 1000;
    const c = 4;
    const probs = new Float32Array(n * c);
    for (let i = 0; i < n; i++) probs.set([0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3], i * c);
    const labels = Int32Array.from({ length: n }, (_, i) => (i < 600 ? 0 : 1 + (i % 3)));
    const cf = Math.fround(0.9);
    const q = Math.fround(0.1 / 3);
    const brier = 0.6 * ((1 - cf) ** 2 + 3 * q * q) + 0.4 * (cf * cf + (1 - q) ** 2 + 2 * q * q);
    for (const binning of ['width', 'mass'] as const) {
      for (const bins of [1, 10, 15]) {
        const m = calibrationMetrics(Tensor.from(probs, [n, c]), labels, { scores: 'probabilities', bins, binning });
        expect(m.ece).toBeCloseTo(cf - 0.6, 12);
        expect(m.mce).toBeCloseTo(cf - 0.6, 12);
        expect(m.brier).toBeCloseTo(brier, 12);
        expect(m.accuracy).toBe(0.6);
      }
    }
  });
});

function argmax(p: Float32Array, row: number, c: number): number {
  let best = 0;
  for (let k = 1; k < c; k++) if (p[row * c + k] > p[row * c + best]) best = k;
  return best;
}

/** Mean NLL of softmax(z · β) in float64, and its first two derivatives in β. */
function nllRef(z: Tensor<'float32'>, labels: Int32Array, beta: number): { f: number; d1: number; d2: number } {
  const [n, c] = z.shape;
  let f = 0;
  let d1 = 0;
  let d2 = 0;
  for (let i = 0; i < n; i++) {
    const row = Array.from(z.data.subarray(i * c, (i + 1) * c));
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(beta * (v - m)));
    const s = e.reduce((a, b) => a + b, 0);
    const mean = row.reduce((a, v, k) => a + (v * e[k]) / s, 0);
    const second = row.reduce((a, v, k) => a + (v * v * e[k]) / s, 0);
    f += Math.log(s) + beta * m - beta * row[labels[i]];
    d1 += mean - row[labels[i]];
    d2 += second - mean * mean;
  }
  return { f: f / n, d1: d1 / n, d2: d2 / n };
}

describe('fitTemperature', () => {
  it('is the exact minimiser: zero derivative, equal to a golden-section search', () => {
    const z = randomLogits(2000, 6, 3, 11);
    const labels = sampledLabels(z, 1.7, 12);
    const fit = fitTemperature(z, labels);
    expect(fit.atBound).toBe(false);
    expect(Math.abs(nllRef(z, labels, 1 / fit.temperature).d1)).toBeLessThan(1e-10);
    // Golden section on log T over [0.01, 100].
    let a = Math.log(0.01);
    let b = Math.log(100);
    const g = (u: number): number => nllRef(z, labels, Math.exp(-u)).f;
    const phi = (Math.sqrt(5) - 1) / 2;
    for (let k = 0; k < 80; k++) {
      const c = b - phi * (b - a);
      const d = a + phi * (b - a);
      if (g(c) < g(d)) b = d;
      else a = c;
    }
    expect(fit.temperature).toBeCloseTo(Math.exp((a + b) / 2), 6);
    expect(fit.nll.after).toBeCloseTo(nllRef(z, labels, 1 / fit.temperature).f, 12);
    expect(fit.nll.before).toBeCloseTo(nllRef(z, labels, 1).f, 12);
    expect(fit.nll.after).toBeLessThanOrEqual(fit.nll.before);
    expect(fit.iterations).toBeLessThan(30);
  });

  it.each([0.4, 1, 2.5])('recovers a known T = %s on synthetic logits within 4 standard errors', (t) => {
    const z = randomLogits(20000, 5, 2.5, 21);
    const labels = sampledLabels(z, t, 22);
    const fit = fitTemperature(z, labels);
    // Asymptotic standard error of the MLE of β = 1/T: 1 / sqrt(n · f''(β)).
    const se = 1 / Math.sqrt(20000 * nllRef(z, labels, 1 / t).d2);
    expect(Math.abs(1 / fit.temperature - 1 / t)).toBeLessThan(4 * se);
    expect(se).toBeLessThan(0.02 / t);
  });

  it('fits over the mask only, and one binary logit column as [0, z]', () => {
    const z = randomLogits(400, 1, 3, 31);
    const labels = Int32Array.from(sampledLabels(Tensor.from(Float32Array.from({ length: 800 }, (_, i) => (i % 2 === 0 ? 0 : z.data[i >> 1])), [400, 2]), 2, 32));
    const two = Tensor.from(Float32Array.from({ length: 800 }, (_, i) => (i % 2 === 0 ? 0 : z.data[i >> 1])), [400, 2]);
    const a = fitTemperature(Tensor.from(z.data), labels);
    const b = fitTemperature(two, labels);
    expect(a.temperature).toBeCloseTo(b.temperature, 10);
    const mask = Uint8Array.from({ length: 400 }, (_, i) => i % 3);
    const sub = Tensor.from(Float32Array.from(two.data.filter((_, k) => mask[k >> 1] !== 0)), [mask.filter((m) => m !== 0).length, 2]);
    expect(fitTemperature(two, labels, { mask }).temperature).toBeCloseTo(fitTemperature(sub, labels.filter((_, i) => mask[i] !== 0)).temperature, 10);
  });

  it('no finite optimum: the nearer end of the range, flagged', () => {
    // Every row correct with a margin: the NLL falls as T -> 0.
    const sharp = fitTemperature(tensor([[3, 0], [0, 2], [1, -1]]), [0, 1, 0]);
    expect(sharp.atBound).toBe(true);
    expect(sharp.temperature).toBeCloseTo(0.01, 12);
    // Every row wrong: uniform is best, T -> ∞.
    const flat = fitTemperature(tensor([[3, 0], [0, 2]]), [1, 0], { range: [0.5, 20] });
    expect(flat.atBound).toBe(true);
    expect(flat.temperature).toBeCloseTo(20, 12);
  });

  it('bad input is coded', () => {
    const z = tensor([[1, 0], [0, 1]]);
    expectError(() => fitTemperature(z, [0, 2]), 'ERR_OUT_OF_RANGE', RangeError, /labels\[1\]/);
    expectError(() => fitTemperature(z, [0, 1], { mask: [1] }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /mask/);
    expectError(() => fitTemperature(tensor([[1, NaN], [0, 1]]), [0, 1]), 'ERR_INVALID_ARG_VALUE', TypeError, /logits\[0\]/);
    expectError(() => fitTemperature(z, [0, 1], { mask: [0, 0] }), 'ERR_INVALID_ARG_VALUE', TypeError, /at least one row/);
    expectError(() => fitTemperature(z, [0, 1], { range: [2, 1] }), 'ERR_OUT_OF_RANGE', RangeError, /range/);
    expectError(() => new TemperatureScaling({ temperature: 0 }), 'ERR_OUT_OF_RANGE', RangeError, /temperature/);
    expectError(() => new TemperatureScaling({ temperature: 1e-50 }), 'ERR_OUT_OF_RANGE', RangeError, /temperature/);
  });
});

describe('the temperature-scaled model', () => {
  const N = 60;
  const rng = new Random(5);
  const src = Int32Array.from({ length: 240 }, () => rng.int(N));
  const dst = Int32Array.from({ length: 240 }, () => rng.int(N));
  const graph = Graph.fromCOO(src, dst, { numNodes: N });
  const x = Tensor.from(Float32Array.from({ length: N * 8 }, () => rng.normal()), [N, 8]);
  const model = new nn.Sequential([
    ['conv1', new nn.GCNConv({ inChannels: 8, outChannels: 32 })],
    ['act', new nn.ReLU()],
    ['conv2', new nn.GCNConv({ inChannels: 32, outChannels: 4 })],
  ]);
  model.resetParameters({ seed: 9 });
  const logits = model.forwardSync(graph, x).clone();
  const labels = sampledLabels(Tensor.from(Float32Array.from(logits.data, (v) => 3 * v), [N, 4]), 1, 6);
  const val = Uint8Array.from({ length: N }, (_, i) => (i % 2 === 0 ? 1 : 0));

  it('divides the logits by T, keeps every prediction and lowers the validation NLL', () => {
    const r = temperatureScaling(model, graph, x, labels, { mask: val });
    expect(r.temperature).toBeCloseTo(fitTemperature(logits, labels, { mask: val }).temperature, 12);
    expect(r.nll.after).toBeLessThan(r.nll.before);
    const out = r.model.forwardSync(graph, x);
    const inv = Math.fround(1 / r.temperature);
    out.data.forEach((v, i) => expect(v).toBe(Math.fround(logits.data[i] * inv)));
    expect(evaluate(r.model, graph, x, labels).metrics.confusion).toEqual(evaluate(model, graph, x, labels).metrics.confusion);
    // The layers are shared, not copied; a refit starts from the raw logits.
    expect(r.model.layers[0][1]).toBe(model.layers[0][1]);
    expect(r.model.layers.map(([n]) => n)).toEqual(['conv1', 'act', 'conv2', 'temperature']);
    const again = temperatureScaling(r.model, graph, x, labels, { mask: val });
    expect(again.temperature).toBeCloseTo(r.temperature, 12);
    expect(again.model.layers.length).toBe(4);
    // forwardNodes runs through it too (the layer reads no neighbours).
    const rows = r.model.forwardNodesSync(graph, x, Int32Array.of(3, 7));
    expect(Array.from(rows.data.subarray(0, 4))).toEqual(Array.from(out.data.subarray(12, 16)));
  });

  it('saves the temperature in model.json and loads back to the same bits', () => {
    const r = withTemperature(model, 1.75);
    withTmp((dir) => {
      r.save(dir);
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { architecture: { forward: Array<Record<string, unknown>> } };
      expect(json.architecture.forward.at(-1)).toEqual({ name: 'temperature', type: 'TemperatureScaling', args: { temperature: 1.75 } });
      const back = loadModelSync(dir);
      expect(back.layers.at(-1)![1]).toBeInstanceOf(TemperatureScaling);
      expect((back.layers.at(-1)![1] as TemperatureScaling).temperature).toBe(1.75);
      expect(same(back.forwardSync(graph, x), r.forwardSync(graph, x))).toBe(true);
    });
  });

  it('wraps an int8 model: the plan carries over, and the file round-trips', () => {
    const q = quantize(model, { gemm: 'int8' });
    const r = withTemperature(q, 0.8);
    expect(r.quantization).toEqual(q.quantization);
    const qOut = q.forwardSync(graph, x);
    const inv = Math.fround(1 / 0.8);
    const rOut = r.forwardSync(graph, x);
    rOut.data.forEach((v, i) => expect(v).toBe(Math.fround(qOut.data[i] * inv)));
    withTmp((dir) => {
      r.save(dir);
      const back = loadModelSync(dir);
      expect(back.quantization).not.toBeNull();
      expect(same(back.forwardSync(graph, x), r.forwardSync(graph, x))).toBe(true);
    });
  });

  it('a bare layer becomes the "model" layer of the wrapper', () => {
    const conv = new nn.GCNConv({ inChannels: 8, outChannels: 4 });
    conv.resetParameters({ seed: 1 });
    const r = withTemperature(conv, 2);
    expect(Object.keys(r.parameters()).sort()).toEqual(['model.bias', 'model.lin.weight']);
    withTmp((dir) => {
      r.save(dir);
      expect(same(loadModelSync(dir).forwardSync(graph, x), r.forwardSync(graph, x))).toBe(true);
    });
    expectError(() => withTemperature(conv, -1), 'ERR_OUT_OF_RANGE', RangeError, /temperature/);
    expectError(() => temperatureScaling(model, graph, x, labels, { mask: val, context: {}, bins: 3 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /bins/);
  });
});
