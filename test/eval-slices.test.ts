/**
 * Slices: every slicing partitions the rows exactly (each evaluated row in one slice, counts summing
 * to the evaluated rows); degree buckets and hop distances against hand-built graphs (directed, so
 * direction matters); each slice's accuracy and ECE equal the metrics of the same rows evaluated
 * through a mask; the report's gap, worst slice, table and JSON; graph-level rows; coded errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { GnnError, Graph, Random, Tensor, calibrationMetrics, classificationMetrics, evaluateSlices, evaluation, io, loadModelSync, nn } from '../lib/index';
import type { Slicing } from '../lib/index';
import { expectError } from './helpers/errors';

// A directed graph of 9 nodes: a chain 0 -> 1 -> 2 -> 3, a hub 4 fed by five nodes, a duplicate
// edge 3 -> 5, and nodes 6, 7, 8 with no in-edges.
const EDGES: Array<[number, number]> = [
  [0, 1], [1, 2], [2, 3], [4, 3],
  [0, 4], [1, 4], [2, 4], [5, 4], [6, 4],
  [7, 0], [3, 5], [3, 5],
];
const N = 9;
const graph = Graph.fromCOO(Int32Array.from(EDGES, (e) => e[0]), Int32Array.from(EDGES, (e) => e[1]), { numNodes: N });

describe('assignSlices', () => {
  it('in-degree buckets on a log2 scale (duplicate edges count), and base 3', () => {
    // in-degrees: 0:1, 1:1, 2:1, 3:2, 4:5, 5:2, 6:0, 7:0, 8:0
    const a = evaluation.assignSlices('degree', graph, new Int32Array(N), N, 2);
    expect(a.slices).toEqual(['0', '1', '2-3', '4-7']);
    expect(Array.from(a.of)).toEqual([1, 1, 1, 2, 3, 2, 0, 0, 0]);
    const b = evaluation.assignSlices({ by: 'degree', base: 3 }, graph, new Int32Array(N), N, 2);
    expect(b.slices).toEqual(['0', '1-2', '3-8']);
    expect(Array.from(b.of)).toEqual([1, 1, 1, 1, 2, 1, 0, 0, 0]);
  });

  it('hop distance from a node set follows edge direction', () => {
    // From {0}: 1 and 4 at 1 hop, 2 and 3 at 2, 5 at 3; 6, 7, 8 never reached.
    expect(Array.from(evaluation.hopDistances(graph, Int32Array.of(0)))).toEqual([0, 1, 2, 2, 1, 3, -1, -1, -1]);
    const from = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0);
    const a = evaluation.assignSlices({ by: 'hops', from, maxHops: 2 }, graph, new Int32Array(N), N, 2);
    expect(a.slices).toEqual(['0', '1', '2', '>2']);
    expect(Array.from(a.of)).toEqual([0, 1, 2, 2, 1, 3, 3, 3, 3]);
  });

  it('labels, attributes (sorted distinct values) and predicates', () => {
    const labels = Int32Array.of(0, 2, 1, 1, 0, 2, 2, 0, 1);
    expect(Array.from(evaluation.assignSlices('label', graph, labels, N, 3).of)).toEqual(Array.from(labels));
    const a = evaluation.assignSlices({ by: 'attribute', name: 'venue', values: ['b', 'a', 3, 'b', 1, 'a', 3, true, 1] }, graph, labels, N, 3);
    expect(a.slices).toEqual(['1', '3', 'a', 'b', 'true']);
    expect(Array.from(a.of)).toEqual([3, 2, 1, 3, 0, 2, 1, 4, 0]);
    const p = evaluation.assignSlices({ by: 'predicate', name: 'even', test: (v) => v % 2 === 0 }, graph, labels, N, 3);
    expect(p.slices).toEqual(['even', 'not even']);
    expect(Array.from(p.of)).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0]);
  });
});

describe('evaluateSlices on Cora (PyG-trained GCN)', () => {
  const root = path.resolve(__dirname, '..', 'data');
  const cora = io.loadPlanetoid(path.join(root, 'cora'));
  const model = loadModelSync(path.join(root, 'models', 'gcn_cora'));
  const raw = gunzipSync(fs.readFileSync(path.join(root, 'models', 'inputs', 'cora_normalized.f32.gz')));
  const x = Tensor.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), [cora.graph.numNodes, 1433]);
  const labels = cora.y!.data as Int32Array;
  const test = cora.testMask!;
  const year = Int32Array.from({ length: cora.graph.numNodes }, (_, v) => 2000 + (v % 5));
  const slices: Slicing[] = [
    'degree',
    'label',
    { by: 'hops', from: cora.trainMask!, maxHops: 2 },
    { by: 'attribute', name: 'year', values: year },
    { by: 'predicate', name: 'odd id', test: (v) => v % 2 === 1 },
  ];
  const report = evaluateSlices(model, cora.graph, x, labels, { mask: test, slices });
  const logits = model.forwardSync(cora.graph, x);

  it('every slicing partitions the evaluated rows exactly', () => {
    expect(report.overall.count).toBe(1000);
    for (const [k, spec] of slices.entries()) {
      const g = report.slicings[k];
      expect(g.slices.reduce((a, s) => a + s.count, 0)).toBe(1000);
      expect(g.slices.reduce((a, s) => a + s.correct, 0)).toBe(Math.round(report.overall.accuracy * 1000));
      const a = evaluation.assignSlices(spec, cora.graph, labels, cora.graph.numNodes, 7);
      // One slice per row, every slice index valid.
      for (let v = 0; v < a.of.length; v++) {
        expect(a.of[v]).toBeGreaterThanOrEqual(0);
        expect(a.of[v]).toBeLessThan(a.slices.length);
      }
      expect(g.slices.map((s) => s.name)).toEqual(a.slices);
    }
  });

  it("each slice's accuracy and ECE equal those of its rows evaluated through a mask", () => {
    for (const [k, spec] of slices.entries()) {
      const a = evaluation.assignSlices(spec, cora.graph, labels, cora.graph.numNodes, 7);
      report.slicings[k].slices.forEach((s, j) => {
        const mask = Uint8Array.from(a.of, (sl, v) => (sl === j && test[v] ? 1 : 0));
        expect(s.count).toBe(mask.reduce((n, m) => n + m, 0));
        if (s.count === 0) {
          expect(s.accuracy).toBeNaN();
          return;
        }
        expect(s.accuracy).toBe(classificationMetrics(logits, labels, { mask }).accuracy);
        expect(s.ece).toBeCloseTo(calibrationMetrics(logits, labels, { mask }).ece, 12);
        expect(s.gap).toBeCloseTo(s.accuracy - report.overall.accuracy, 15);
      });
    }
  });

  it('label slices are per-class recall; the worst slice has the lowest accuracy', () => {
    const m = classificationMetrics(logits, labels, { mask: test });
    expect(report.slicing('label').slices.map((s) => s.accuracy)).toEqual(m.perClass.recall);
    const deg = report.slicing('degree');
    const worst = report.worst('degree', { minCount: 20 })!;
    const eligible = deg.slices.filter((s) => s.count >= 20);
    expect(worst.accuracy).toBe(Math.min(...eligible.map((s) => s.accuracy)));
    expect(report.worst('in-degree', { minCount: 10_000 })).toBeNull();
  });

  it('table and JSON', () => {
    const table = report.toTable();
    expect(table).toMatch(/^all evaluated rows: 1000, accuracy 80\.6%/);
    expect(table).toContain('in-degree');
    expect(table).toContain('odd id');
    const json = JSON.parse(JSON.stringify(report)) as { slicings: Array<{ by: string }> };
    expect(json.slicings.map((s) => s.by)).toEqual(['degree', 'label', 'hops', 'attribute', 'predicate']);
  });
});

describe('graph-level rows', () => {
  const rng = new Random(3);
  const g = Graph.fromCOO(Int32Array.from({ length: 40 }, () => rng.int(12)), Int32Array.from({ length: 40 }, () => rng.int(12)), { numNodes: 12 });
  const batch = Int32Array.from({ length: 12 }, (_, i) => i >> 2);
  const model = new nn.Sequential([new nn.GCNConv({ inChannels: 3, outChannels: 2 }), new nn.GlobalMeanPool()]);
  model.resetParameters({ seed: 4 });
  const x = Tensor.from(Float32Array.from({ length: 36 }, () => rng.normal()), [12, 3]);

  it('label and attribute slices work per graph; degree slices need node rows', () => {
    const r = evaluateSlices(model, g, x, [0, 1, 1], { context: { batch }, slices: ['label', { by: 'attribute', name: 'size', values: ['s', 'm', 'm'] }] });
    expect(r.overall.count).toBe(3);
    expect(r.slicing('size').slices.map((s) => s.count)).toEqual([2, 1]);
    expectError(() => evaluateSlices(model, g, x, [0, 1, 1], { context: { batch }, slices: ['degree'] }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /one output row per node \(12\), got 3 rows/);
  });
});

describe('bad input', () => {
  const model = new nn.GCNConv({ inChannels: 2, outChannels: 2 });
  const x = Tensor.zeros([N, 2]);
  const labels = new Int32Array(N);

  it('is coded', () => {
    expectError(() => evaluateSlices(model, graph, x, labels, { slices: ['colour' as never] }), 'ERR_INVALID_ARG_VALUE', TypeError, /slices\[\]\.by/);
    expectError(() => evaluateSlices(model, graph, x, labels, { slices: [{ by: 'attribute', name: 'a', values: [1, 2] }] }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /expected 9 entries/);
    expectError(() => evaluateSlices(model, graph, x, labels, { slices: [{ by: 'attribute', name: 'a', values: Array(9).fill(NaN) }] }), 'ERR_INVALID_ARG_VALUE', TypeError, /values\[0\]/);
    expectError(() => evaluateSlices(model, graph, x, labels, { slices: [{ by: 'hops' } as never] }), 'ERR_INVALID_ARG_VALUE', TypeError, /from/);
    expectError(() => evaluateSlices(model, graph, x, labels, { slices: [{ by: 'hops', from: [1] }] }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /from/);
    expectError(() => evaluateSlices(model, graph, x, labels, { slices: [{ by: 'degree', base: 1 }] }), 'ERR_OUT_OF_RANGE', RangeError, /base/);
    expectError(() => evaluateSlices(model, graph, x, labels, { slices: [{ by: 'predicate', test: () => true } as never] }), 'ERR_INVALID_ARG_VALUE', TypeError, /name/);
    expectError(() => evaluateSlices(model, graph, x, labels, { slices: [{ by: 'label', colour: 1 } as never] }), 'ERR_INVALID_ARG_VALUE', TypeError, /colour/);
    expectError(() => evaluateSlices(model, graph, x, labels, { mask: [1, 0] }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /mask/);
    expectError(() => evaluateSlices(model, graph, x, Int32Array.of(0, 0, 0, 0, 0, 0, 0, 0, 5)), 'ERR_OUT_OF_RANGE', RangeError, /labels\[8\]/);
    expectError(() => evaluation.hopDistances(graph, Int32Array.of(0, 9)), 'ERR_OUT_OF_RANGE', RangeError, /from\[1\]/);
    expectError(() => evaluation.hopDistances(graph, [0] as never), 'ERR_INVALID_ARG_TYPE', TypeError, /from/);
    const r = evaluateSlices(model, graph, x, labels);
    expectError(() => r.slicing('colour'), 'ERR_INVALID_ARG_VALUE', TypeError, /colour/);
  });
});
