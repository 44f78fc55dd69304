/**
 * Classification metrics against values computed by hand on small fixtures (argmax ties, a class
 * never predicted nor present, all rows of one class), the binary ranking metrics against hand
 * counts (ties included), graph-level rows from a pooled model with a batch vector, the PyG-trained
 * Cora GCN against its recorded test accuracy, and coded errors for bad input.
 */
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { GnnError, Graph, Tensor, classificationMetrics, evaluate, evaluateScores, evaluation, io, loadModelSync, nn } from '../lib/index';
import { expectError } from './helpers/errors';

// 8 rows, 3 classes. Row 1 ties classes 0 and 1 (argmax: 0); row 3 ties all three.
const LOGITS = [
  [2, 1, 0],
  [1, 1, 0],
  [0, 3, 1],
  [0, 0, 0],
  [5, 0, 0],
  [0, 2, 1],
  [1, 0, 2],
  [3, 0, 0],
];
const LABELS = Int32Array.of(0, 1, 1, 2, 0, 0, 2, 1);
// Predictions 0 0 1 0 0 1 2 0: confusion[true][pred] counted by hand.
const CONFUSION = [
  [2, 1, 0],
  [2, 1, 0],
  [1, 0, 1],
];

function tensor(rows: number[][]): Tensor<'float32'> {
  return Tensor.from(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
}

/** −log softmax(z)[y], by the definition. */
function nll(z: number[], y: number): number {
  return Math.log(z.reduce((a, v) => a + Math.exp(v), 0)) - z[y];
}

describe('classificationMetrics on a hand-computed fixture', () => {
  const m = classificationMetrics(tensor(LOGITS), LABELS, { topK: [1, 2, 3] });

  it('counts, accuracy and the confusion matrix (ties go to the lower class)', () => {
    expect(m.count).toBe(8);
    expect(m.numClasses).toBe(3);
    expect(m.accuracy).toBe(4 / 8);
    expect(m.confusion).toEqual(CONFUSION);
    expect(m.perClass.support).toEqual([3, 3, 2]);
    expect(m.perClass.predicted).toEqual([5, 2, 1]);
  });

  it('per-class precision, recall, F1 and macro / micro F1', () => {
    const close = (a: number[], b: number[]): void => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 12));
    close(m.perClass.precision, [2 / 5, 1 / 2, 1]);
    close(m.perClass.recall, [2 / 3, 1 / 3, 1 / 2]);
    close(m.perClass.f1, [0.5, 0.4, 2 / 3]);
    expect(m.macroF1).toBeCloseTo((0.5 + 0.4 + 2 / 3) / 3, 12);
    expect(m.microF1).toBeCloseTo(m.accuracy, 12);
  });

  it('top-k ranks tied classes as the argmax does (lower class first)', () => {
    // Label ranks: 0, 1 (tie with class 0), 0, 2 (three-way tie), 0, 2, 0, 1.
    expect(m.topK).toEqual({ 1: 0.5, 2: 6 / 8, 3: 1 });
  });

  it('log loss is the mean exact −log softmax of the label', () => {
    const ref = LOGITS.reduce((a, z, i) => a + nll(z, LABELS[i]), 0) / 8;
    expect(m.logLoss).toBeCloseTo(ref, 12);
    expect(m.binary).toBeUndefined();
  });

  it('a mask restricts every count to its rows', () => {
    const mask = Uint8Array.of(1, 1, 0, 0, 1, 0, 0, 1);
    const r = classificationMetrics(tensor(LOGITS), LABELS, { mask });
    expect(r.count).toBe(4);
    expect(r.accuracy).toBe(2 / 4);
    expect(r.confusion).toEqual([
      [2, 0, 0],
      [2, 0, 0],
      [0, 0, 0],
    ]);
    // Class 2 is neither a label nor a prediction: it does not enter the macro mean.
    expect(r.macroF1).toBeCloseTo((2 / 3 + 0) / 2, 12);
  });

  it('probabilities give the same counts and clip log p at 1e-15', () => {
    const probs = LOGITS.map((z) => {
      const s = z.reduce((a, v) => a + Math.exp(v), 0);
      return z.map((v) => Math.exp(v) / s);
    });
    const r = classificationMetrics(tensor(probs), LABELS, { scores: 'probabilities' });
    expect(r.confusion).toEqual(CONFUSION);
    expect(r.logLoss).toBeCloseTo(m.logLoss, 6);
    const zero = classificationMetrics(tensor([[1, 0]]), [1], { scores: 'probabilities' });
    expect(zero.logLoss).toBeCloseTo(-Math.log(1e-15), 9);
  });
});

describe('edge cases', () => {
  it('an empty class (never a label, never predicted) reports zeros and leaves macro F1 alone', () => {
    const m = classificationMetrics(tensor(LOGITS.map((z) => [...z, -10])), LABELS);
    expect(m.numClasses).toBe(4);
    expect(m.perClass.support[3]).toBe(0);
    expect(m.perClass.predicted[3]).toBe(0);
    expect([m.perClass.precision[3], m.perClass.recall[3], m.perClass.f1[3]]).toEqual([0, 0, 0]);
    expect(m.macroF1).toBeCloseTo((0.5 + 0.4 + 2 / 3) / 3, 12);
  });

  it('all labels of one class: accuracy and F1 defined, AUCs NaN', () => {
    const m = classificationMetrics(tensor([[2, 0], [1, 0], [0, 1]]), [0, 0, 0]);
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
    expect(m.perClass.recall[0]).toBeCloseTo(2 / 3, 12);
    expect(m.perClass.precision[0]).toBe(1);
    expect(m.perClass.f1[1]).toBe(0);
    expect(m.macroF1).toBeCloseTo((0.8 + 0) / 2, 12); // class 1 was predicted once
    expect(m.binary!.rocAuc).toBeNaN();
    expect(m.binary!.prAuc).toBeNaN();
  });

  it('no rows to evaluate: counts 0 and NaN rates', () => {
    const m = classificationMetrics(tensor(LOGITS), LABELS, { mask: new Uint8Array(8) });
    expect(m.count).toBe(0);
    expect(m.accuracy).toBeNaN();
    expect(m.logLoss).toBeNaN();
    expect(JSON.parse(JSON.stringify(m)).accuracy).toBeNull();
  });

  it('labels outside the mask are not checked (unlabelled nodes may carry -1)', () => {
    const labels = Int32Array.from(LABELS);
    labels[2] = -1;
    const m = classificationMetrics(tensor(LOGITS), labels, { mask: [1, 1, 0, 1, 1, 1, 1, 1] });
    expect(m.count).toBe(7);
  });
});

describe('binary tasks', () => {
  it('ROC AUC and PR AUC of the classic four-point example', () => {
    expect(evaluation.rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    // Thresholds 0.8 (P 1, R 0.5), 0.4 (P 1/2, R 0.5), 0.35 (P 2/3, R 1): AP = 0.5 + 0.5·2/3.
    expect(evaluation.prAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.5 + 1 / 3, 12);
  });

  it('tied scores count half a win and enter the PR curve as one threshold', () => {
    // Pairs (pos, neg): (0.5, 0.5) ½, (0.5, 0.2) 1, (0.9, 0.5) 1, (0.9, 0.2) 1.
    expect(evaluation.rocAuc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1])).toBeCloseTo(3.5 / 4, 12);
    // 0.9: P 1, R ½; {0.5, 0.5}: P 2/3, R 1.
    expect(evaluation.prAuc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1])).toBeCloseTo(0.5 + 0.5 * (2 / 3), 12);
    expect(evaluation.rocAuc([1, 1, 1], [1, 0, 1])).toBeCloseTo(0.5, 12);
  });

  it('two logit columns rank by the margin, one column by the logit itself', () => {
    const two = tensor([[0, 0.1], [0, 0.4], [0, 0.35], [0, 0.8]]);
    const m2 = classificationMetrics(two, [0, 0, 1, 1]);
    expect(m2.binary!.rocAuc).toBeCloseTo(0.75, 12);
    const one = Tensor.from(Float32Array.of(-1, 0.4, 0.35, 2));
    const m1 = classificationMetrics(one, [0, 0, 1, 1]);
    expect(m1.binary!.rocAuc).toBeCloseTo(0.75, 12);
    // One logit column: class 1 when the logit is > 0.
    expect(m1.confusion).toEqual([
      [1, 1],
      [0, 2],
    ]);
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    const ref = -(Math.log(1 - sig(-1)) + Math.log(1 - sig(0.4)) + Math.log(sig(Math.fround(0.35))) + Math.log(sig(2))) / 4;
    expect(m1.logLoss).toBeCloseTo(ref, 6);
  });
});

describe('graph-level rows (a pooled model and a batch vector)', () => {
  it('scores one row per graph against one label per graph', () => {
    // Three graphs of 4 nodes each, rings.
    const src: number[] = [];
    const dst: number[] = [];
    for (let g = 0; g < 3; g++) for (let i = 0; i < 4; i++) src.push(4 * g + i), dst.push(4 * g + ((i + 1) % 4));
    const graph = Graph.fromCOO(Int32Array.from(src), Int32Array.from(dst), { numNodes: 12 });
    const batch = Int32Array.from({ length: 12 }, (_, i) => i >> 2);
    const model = new nn.Sequential([new nn.GCNConv({ inChannels: 3, outChannels: 2 }), new nn.GlobalMeanPool()]);
    model.resetParameters({ seed: 3 });
    const x = Tensor.from(Float32Array.from({ length: 36 }, (_, i) => Math.sin(i)), [12, 3]);
    const out = model.forwardSync(graph, x, { batch });
    expect(out.shape).toEqual([3, 2]);
    const pred = [0, 1, 2].map((g) => (out.data[2 * g + 1] > out.data[2 * g] ? 1 : 0));
    const labels = [1, 0, 1];
    const r = evaluate(model, graph, x, labels, { context: { batch } });
    expect(r.metrics.count).toBe(3);
    expect(r.metrics.accuracy).toBeCloseTo(pred.filter((p, g) => p === labels[g]).length / 3, 12);
    expect(r.toJSON()).toEqual(evaluateScores(out, labels).toJSON());
  });
});

describe('the PyG-trained Cora GCN', () => {
  it('test accuracy equals the accuracy PyG recorded (0.806)', () => {
    const root = path.resolve(__dirname, '..', 'data');
    const cora = io.loadPlanetoid(path.join(root, 'cora'));
    const model = loadModelSync(path.join(root, 'models', 'gcn_cora'));
    const x = cora.x!.clone();
    // PyG's NormalizeFeatures: rows divided by their sums.
    const [n, f] = x.shape;
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let c = 0; c < f; c++) s += x.data[r * f + c];
      for (let c = 0; c < f; c++) x.data[r * f + c] /= Math.max(s, 1);
    }
    const r = evaluate(model, cora.graph, x, cora.y!, { mask: cora.testMask! });
    expect(r.metrics.count).toBe(1000);
    expect(r.metrics.accuracy).toBeCloseTo(0.806, 12);
    expect(r.metrics.microF1).toBeCloseTo(0.806, 12);
    expect(r.metrics.perClass.support.reduce((a, b) => a + b, 0)).toBe(1000);
  });
});

describe('bad input', () => {
  const scores = tensor(LOGITS);

  it('a label out of range is ERR_OUT_OF_RANGE naming the row', () => {
    expectError(() => classificationMetrics(scores, Int32Array.of(0, 1, 1, 3, 0, 0, 2, 1)), 'ERR_OUT_OF_RANGE', RangeError, /labels\[3\].*\[0, 2\].*3/);
    expectError(() => classificationMetrics(scores, [0, 1, 1, 2, 0, 0, 2, 0.5]), 'ERR_OUT_OF_RANGE', RangeError, /labels\[7\]/);
  });

  it('a mask or labels of the wrong length is ERR_GNN_SHAPE_MISMATCH', () => {
    expectError(() => classificationMetrics(scores, LABELS, { mask: new Uint8Array(7) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /mask: expected 8 entries.*got 7/);
    expectError(() => classificationMetrics(scores, LABELS.subarray(0, 5)), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /labels: expected 8/);
  });

  it('NaN or infinite scores are ERR_INVALID_ARG_VALUE naming the row', () => {
    const bad = tensor(LOGITS);
    bad.data[5 * 3 + 1] = NaN;
    expectError(() => classificationMetrics(bad, LABELS), 'ERR_INVALID_ARG_VALUE', TypeError, /scores\[5\].*NaN in column 1/);
    bad.data[5 * 3 + 1] = Infinity;
    expectError(() => classificationMetrics(bad, LABELS), 'ERR_INVALID_ARG_VALUE', TypeError, /scores\[5\]/);
  });

  it('probabilities outside [0, 1] or not summing to 1 are ERR_INVALID_ARG_VALUE', () => {
    expectError(() => classificationMetrics(tensor([[0.5, 0.6]]), [0], { scores: 'probabilities' }), 'ERR_INVALID_ARG_VALUE', TypeError, /summing to 1/);
    expectError(() => classificationMetrics(tensor([[1.5, -0.5]]), [0], { scores: 'probabilities' }), 'ERR_INVALID_ARG_VALUE', TypeError, /\[0, 1\]/);
  });

  it('wrong types and options', () => {
    expectError(() => classificationMetrics(Float32Array.of(1) as never, [0]), 'ERR_INVALID_ARG_TYPE', TypeError, /scores/);
    expectError(() => classificationMetrics(scores, 'abc' as never), 'ERR_INVALID_ARG_TYPE', TypeError, /labels/);
    expectError(() => classificationMetrics(scores, LABELS, { topk: [1] } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /topK/);
    expectError(() => classificationMetrics(scores, LABELS, { topK: [0] }), 'ERR_OUT_OF_RANGE', RangeError, /topK\[0\]/);
    expectError(() => classificationMetrics(scores, LABELS, { scores: 'logprobs' } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /'logits' or 'probabilities'/);
    expectError(() => evaluation.rocAuc([1, 2], [0, 2]), 'ERR_OUT_OF_RANGE', RangeError, /labels\[1\]/);
    expectError(() => evaluation.rocAuc([1, NaN], [0, 1]), 'ERR_INVALID_ARG_VALUE', TypeError, /scores\[1\]/);
    expectError(() => evaluate({} as never, null as never, null as never, LABELS), 'ERR_INVALID_ARG_TYPE', TypeError, /model/);
  });
});
