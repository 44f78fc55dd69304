/**
 * DriftMonitor: no drift on a fresh sample of the reference's distribution, clear drift on shifted
 * features, rewired degrees and changed predictions, scores monotone in the shift, the statistics
 * against plain references, streaming, thresholds, JSON and input checks.
 */
import { describe, expect, it } from 'vitest';

import { CsrMatrix, DEFAULT_THRESHOLDS, DriftMonitor, DriftProfile, GnnError, Graph, KllSketch, Random, Tensor, loadModelSync, nn, rmat, uniformRandomGraph } from '../lib/index';
import type { DriftModel, DriftReport, DriftSignalName } from '../lib/index';
import { jsDivergence, ksStatistic, psi } from '../lib/monitor/divergence';
import { dataset } from './helpers/data';
import { expectError } from './helpers/errors';

const F = 12;

/** [rows, F] features; column f ~ N(f / 2, (1 + f / 6)^2), then `edit` (row-major index, value, column). */
function features(rows: number, seed: number, edit?: (v: number, f: number) => number): Tensor<'float32'> {
  const rng = new Random(seed);
  const d = new Float32Array(rows * F);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) {
      const v = f / 2 + (1 + f / 6) * rng.normal();
      d[r * F + f] = edit === undefined ? v : edit(v, f);
    }
  }
  return Tensor.from(d, [rows, F]);
}

/** A 2-layer GCN with seeded weights: F → 8 → 4 classes. */
function gcn(): nn.Sequential {
  return new nn.Sequential([new nn.GCNConv({ inChannels: F, outChannels: 8 }), new nn.ReLU(), new nn.GCNConv({ inChannels: 8, outChannels: 4 })]).resetParameters({ seed: 5 });
}

function severities(r: DriftReport): Record<string, string> {
  return Object.fromEntries(r.signals.map((s) => [s.name, s.severity]));
}

function score(r: DriftReport, name: DriftSignalName): number {
  const s = r.signal(name);
  if (s === undefined) throw new Error(`no ${name} signal`);
  return s.score;
}

const ALL_SIGNALS: DriftSignalName[] = ['features.psi', 'features.ks', 'degree.in.ks', 'degree.out.ks', 'predictions.js', 'confidence.js'];

describe('DriftMonitor on synthetic graphs (R-MAT, 4096 nodes, 12 features, a GCN)', () => {
  const graph = rmat({ scale: 12, edgeFactor: 8, seed: 1 });
  const x = features(graph.numNodes, 1);
  const monitor = DriftMonitor.fromReference(graph, x, gcn());

  it('reports no drift on a fresh sample from the same distributions', () => {
    for (const seed of [2, 3]) {
      const g = rmat({ scale: 12, edgeFactor: 8, seed });
      const r = monitor.check(g, features(g.numNodes, seed));
      expect(r.signals.map((s) => s.name)).toEqual(ALL_SIGNALS);
      expect(severities(r)).toEqual(Object.fromEntries(ALL_SIGNALS.map((n) => [n, 'none'])));
      expect(r.overall.severity).toBe('none');
      expect(r.overall.score).toBeLessThan(0.5);
      expect(r.overall.score).toBeGreaterThan(0); // sampling noise is there, and small
    }
  });

  it('reports exactly zero against the reference data itself', () => {
    const r = monitor.check(graph, x);
    for (const s of r.signals) expect(s.score, s.name).toBe(0);
    expect(r.overall).toEqual({ score: 0, severity: 'none' });
  });

  it('alerts on a mean shift and on a scale change, naming the moved features first', () => {
    const shifted = monitor.check(graph, features(graph.numNodes, 7, (v, f) => (f === 3 ? v + 1.5 : v)));
    expect(severities(shifted)['features.psi']).toBe('alert');
    expect(severities(shifted)['features.ks']).toBe('alert');
    expect(shifted.topFeatures[0].feature).toBe(3);
    expect(shifted.topFeatures[1].psi).toBeLessThan(0.1);
    expect(shifted.features.mean.current[3] - shifted.features.mean.reference[3]).toBeCloseTo(1.5, 1);

    // Same mean, twice the spread (around the feature's mean 9 / 2).
    const scaled = monitor.check(graph, features(graph.numNodes, 8, (v, f) => (f === 9 ? 4.5 + 2 * (v - 4.5) : v)));
    expect(severities(scaled)['features.psi']).toBe('alert');
    expect(scaled.topFeatures[0].feature).toBe(9);
    expect(scaled.features.std.current[9] / scaled.features.std.reference[9]).toBeCloseTo(2, 1);
    expect(Math.abs(scaled.features.mean.current[9] - scaled.features.mean.reference[9])).toBeLessThan(0.2);
    expect(scaled.overall.severity).toBe('alert');
    expect(scaled.overall.score).toBeGreaterThanOrEqual(1);
  });

  it('gives PSI and KS that grow with the size of the shift', () => {
    const psis: number[] = [];
    const kss: number[] = [];
    for (const delta of [0, 0.1, 0.2, 0.4, 0.8, 1.6]) {
      const r = monitor.check(features(graph.numNodes, 9, (v, f) => (f === 0 ? v + delta : v)));
      psis.push(r.features.psi[0]);
      kss.push(r.features.ks[0]);
    }
    for (let i = 1; i < psis.length; i++) {
      expect(psis[i], `psi at step ${i}: ${psis}`).toBeGreaterThan(psis[i - 1]);
      expect(kss[i], `ks at step ${i}: ${kss}`).toBeGreaterThan(kss[i - 1]);
    }
    expect(psis[0]).toBeLessThan(0.1);
    expect(psis[5]).toBeGreaterThan(0.25);
    const scales: number[] = [];
    for (const factor of [1, 1.2, 1.5, 2, 3]) {
      const r = monitor.check(features(graph.numNodes, 9, (v, f) => (f === 6 ? 3 + factor * (v - 3) : v)));
      scales.push(r.features.psi[6]);
    }
    for (let i = 1; i < scales.length; i++) expect(scales[i], `scale step ${i}: ${scales}`).toBeGreaterThan(scales[i - 1]);
  });

  it('alerts on degrees when a power-law graph is replaced by a uniform one with the same edge count', () => {
    const uniform = uniformRandomGraph({ numNodes: graph.numNodes, numEdges: graph.numEdges, seed: 4 });
    const r = monitor.check(uniform, features(graph.numNodes, 4));
    expect(severities(r)['degree.in.ks']).toBe('alert');
    expect(severities(r)['degree.out.ks']).toBe('alert');
    expect(severities(r)['features.psi']).toBe('none');
    // And the other way round.
    const fromUniform = DriftMonitor.fromReference(uniform, x);
    const back = fromUniform.check(rmat({ scale: 12, edgeFactor: 8, seed: 5 }), x);
    expect(score(back, 'degree.in.ks')).toBeGreaterThan(0.2);
    expect(back.signal('predictions.js')).toBeUndefined(); // no model, no prediction signals
  });

  it('sees predictions move when the inputs push the model elsewhere', () => {
    const r = monitor.check(graph, features(graph.numNodes, 11, (v) => v - 3));
    expect(severities(r)['predictions.js']).toBe('alert');
    expect(r.overall.severity).toBe('alert');
  });

  it('scores a window of streamed batches exactly as the same rows checked at once', () => {
    const m = DriftMonitor.fromReference(graph, x, gcn());
    const g2 = rmat({ scale: 12, edgeFactor: 8, seed: 2 });
    const x2 = features(g2.numNodes, 2, (v, f) => (f === 1 ? v + 0.3 : v));
    expect(m.latestReport()).toBeUndefined();
    const empty = m.report();
    expect(empty.signals).toEqual([]);
    expect(empty.overall).toEqual({ score: 0, severity: 'none' });
    expect(empty.counts.current).toEqual({ rows: 0, nodes: 0, predictions: 0 });
    expect(m.latestReport()).toBe(empty);

    const whole = m.check(g2, x2);
    expect(m.window.rows).toBe(0); // check() leaves the window alone
    m.observe(g2, x2);
    const windowed = m.report();
    expect(windowed.toJSON()).toEqual(whole.toJSON());
    expect(m.latestReport()).toBe(windowed);

    // Feature-only batches: the rows in two halves give the same feature scores as the whole.
    m.reset();
    const half = (g2.numNodes / 2) * F;
    m.observe(Tensor.from(x2.data.slice(0, half), [g2.numNodes / 2, F]));
    m.observe(Tensor.from(x2.data.slice(half), [g2.numNodes / 2, F]));
    const parts = m.report();
    expect(parts.signals.map((s) => s.name)).toEqual(['features.psi', 'features.ks']);
    expect(Array.from(parts.features.psi)).toEqual(Array.from(whole.features.psi));
    expect(parts.counts.current).toEqual({ rows: g2.numNodes, nodes: 0, predictions: 0 });

    // The window is a profile: serialize it in one process, merge it in another.
    const shipped = DriftProfile.fromJSON(JSON.stringify(m.window));
    expect(DriftProfile.merge(shipped, m.window).rows).toBe(2 * g2.numNodes);
  });

  it('takes a model output from the caller instead of running the model', () => {
    const model = gcn();
    const m = DriftMonitor.fromReference(graph, x, model);
    const g2 = rmat({ scale: 12, edgeFactor: 8, seed: 6 });
    const x2 = features(g2.numNodes, 6);
    const own = m.check(g2, x2);
    const given = m.check(g2, x2, { output: model.forwardSync(g2, x2) });
    expect(given.toJSON()).toEqual(own.toJSON());
    expectError(() => m.check(g2, x2, { output: Tensor.from(new Float32Array(g2.numNodes * 3), [g2.numNodes, 3]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /options\.output: expected 4 columns/);
  });
});

describe('DriftMonitor on Cora (GCN from data/models)', () => {
  const cora = dataset('cora');
  const x = cora.x!;
  const model = loadModelSync('data/models/gcn_cora');
  const monitor = DriftMonitor.fromReference(cora.graph, x, model);

  it('reports no drift on bootstrap resamples of the rows', () => {
    const rng = new Random(3);
    const [rows, cols] = x.shape;
    for (let t = 0; t < 2; t++) {
      const n = 1500;
      const d = new Float32Array(n * cols);
      for (let i = 0; i < n; i++) {
        const r = rng.int(rows);
        d.set(x.data.subarray(r * cols, (r + 1) * cols), i * cols);
      }
      const r = monitor.check(Tensor.from(d, [n, cols]));
      expect(severities(r)).toEqual({ 'features.psi': 'none', 'features.ks': 'none' });
    }
  });

  it('reports only sketch noise on the same graph with its nodes relabelled', () => {
    const n = cora.graph.numNodes;
    const perm = new Random(8).shuffle(Int32Array.from({ length: n }, (_, i) => i));
    const { edgeIndex } = cora.graph.toEdgeIndex();
    const relabelled = edgeIndex.map((v) => perm[v]);
    const g = Graph.fromEdgeIndex(relabelled, n);
    const cols = x.shape[1];
    const px = new Float32Array(x.data.length);
    for (let v = 0; v < n; v++) px.set(x.data.subarray(v * cols, (v + 1) * cols), perm[v] * cols);
    const r = monitor.check(g, Tensor.from(px, [n, cols]));
    expect(r.signals).toHaveLength(6);
    expect(r.overall.severity).toBe('none');
    // The same values in another order: the sketches compact differently, within their bound.
    const eps = KllSketch.rankErrorBound(200);
    for (const name of ['features.ks', 'degree.in.ks', 'degree.out.ks'] as const) expect(score(r, name), name).toBeLessThanOrEqual(2 * eps);
    // PSI reads bin proportions off both sketches: a word in 9 of 2708 papers has a bin of 0.3%
    // known to ±2ε, so PSI moves by a few hundredths, far below the 0.1 warning.
    expect(score(r, 'features.psi')).toBeLessThan(0.05);
    // A GCN is permutation-equivariant: the same predictions, the same distributions.
    expect(score(r, 'predictions.js')).toBe(0);
    expect(score(r, 'confidence.js')).toBe(0);
  });

  it('alerts when a feature that was rare becomes common, and when features go missing', () => {
    const cols = x.shape[1];
    const common = x.clone();
    for (let v = 0; v < cora.graph.numNodes; v += 3) common.data[v * cols + 100] = 1;
    const r = monitor.check(common);
    expect(r.topFeatures[0].feature).toBe(100);
    expect(severities(r)['features.psi']).toBe('alert');

    const missing = x.clone();
    for (let v = 0; v < cora.graph.numNodes; v += 10) missing.data[v * cols + 7] = NaN;
    const m = monitor.check(missing);
    expect(m.topFeatures[0].feature).toBe(7);
    expect(m.features.nonFiniteRate.current[7]).toBeCloseTo(0.1, 2);
    expect(severities(m)['features.psi']).toBe('alert');
    expect(m.features.ks[7]).toBeLessThan(0.05); // the finite values did not move
  });
  it('profiles sparse features (CsrMatrix) exactly as their dense form', () => {
    const sparse = CsrMatrix.fromDense(x);
    const m = DriftMonitor.fromReference(cora.graph, sparse, model);
    expect(JSON.stringify(m.reference)).toBe(JSON.stringify(monitor.reference));
    const shifted = x.clone();
    for (let i = 0; i < shifted.data.length; i += 97) shifted.data[i] = 1;
    expect(m.check(cora.graph, CsrMatrix.fromDense(shifted)).toJSON()).toEqual(monitor.check(cora.graph, shifted).toJSON());
  });
});

describe('the report shape the Predictor reads', () => {
  it('latestReport() → { overall: { score, severity }, signals: [{ name, kind, score, threshold, severity }], topFeatures, toJSON }', () => {
    const g = rmat({ scale: 8, edgeFactor: 4, seed: 1 });
    const m = DriftMonitor.fromReference(g, features(g.numNodes, 1), gcn());
    expect(m.latestReport()).toBeUndefined();
    const r = m.check(g, features(g.numNodes, 2, (v, f) => (f === 0 ? v + 2 : v)));
    expect(m.latestReport()).toBe(r);
    expect(Object.keys(r.overall).sort()).toEqual(['score', 'severity']);
    expect(['none', 'warn', 'alert']).toContain(r.overall.severity);
    for (const s of r.signals) {
      expect(Object.keys(s).sort()).toEqual(['kind', 'name', 'score', 'severity', 'threshold']);
      expect(s.kind).toBe(s.name.split('.').pop());
      expect(Object.keys(s.threshold).sort()).toEqual(['alert', 'warn']);
      expect(Number.isFinite(s.score)).toBe(true);
    }
    expect(r.topFeatures[0]).toEqual({ feature: 0, psi: r.features.psi[0], ks: r.features.ks[0] });
    expect(Object.isFrozen(r.signals)).toBe(true);
    expect(typeof r.toJSON).toBe('function');
  });
});

describe('drift statistics against plain references', () => {
  it('psi: Σ (c − r) ln(c / r), with empty bins floored at 1e-4', () => {
    expect(psi([0.25, 0.25, 0.5], [0.5, 0.25, 0.25])).toBeCloseTo(0.5 * Math.log(2), 14);
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    expect(psi([1, 0], [0.9, 0.1])).toBeCloseTo(-0.1 * Math.log(0.9) + (0.1 - 1e-4) * Math.log(0.1 / 1e-4), 14);
  });

  it('ksStatistic: the largest CDF gap, ties included, equal to a brute-force two-sample KS', () => {
    const rng = new Random(12);
    for (let t = 0; t < 20; t++) {
      const a = Array.from({ length: 1 + rng.int(150) }, () => rng.int(12));
      const b = Array.from({ length: 1 + rng.int(150) }, () => rng.int(12) + rng.int(3));
      const sa = new KllSketch();
      const sb = new KllSketch();
      a.forEach((v) => sa.update(v));
      b.forEach((v) => sb.update(v));
      let brute = 0;
      for (const v of [...a, ...b]) {
        const fa = a.filter((u) => u <= v).length / a.length;
        const fb = b.filter((u) => u <= v).length / b.length;
        brute = Math.max(brute, Math.abs(fa - fb));
      }
      expect(ksStatistic(sa.sortedView(), sb.sortedView())).toBeCloseTo(brute, 14);
    }
    expect(ksStatistic(new KllSketch().sortedView(), new KllSketch().sortedView())).toBe(0);
  });

  it('jsDivergence: bits, 0 for equal, 1 for disjoint, symmetric, equal to the definition', () => {
    expect(jsDivergence([1, 2, 3], [2, 4, 6])).toBeCloseTo(0, 15);
    expect(jsDivergence([5, 0], [0, 7])).toBe(1);
    const p = [0.3, 0.7];
    const q = [0.4, 0.6];
    const m = [0.35, 0.65];
    const kl = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * Math.log2(v / b[i]), 0);
    expect(jsDivergence(p, q)).toBeCloseTo((kl(p, m) + kl(q, m)) / 2, 14);
    expect(jsDivergence(q, p)).toBeCloseTo(jsDivergence(p, q), 15);
    expect(jsDivergence([0, 0], [1, 1])).toBe(0);
  });

  it('predictions.js grows with the share of rows moved to one class', () => {
    const rows = 4000;
    const g = Graph.fromEdgeIndex(new Int32Array([0, 1]), rows);
    const x = features(rows, 1);
    const logits = (moved: number): Tensor<'float32'> => {
      const rng = new Random(4);
      const d = new Float32Array(rows * 3);
      for (let r = 0; r < rows; r++) d[r * 3 + (r < moved * rows ? 0 : rng.int(3))] = 2;
      return Tensor.from(d, [rows, 3]);
    };
    const fixed = (t: Tensor<'float32'>): DriftModel => ({ forwardSync: () => t });
    const m = DriftMonitor.fromReference(g, x, fixed(logits(0)));
    const scores = [0, 0.05, 0.1, 0.2, 0.4].map((moved) => score(m.check(g, x, { output: logits(moved) }), 'predictions.js'));
    for (let i = 1; i < scores.length; i++) expect(scores[i], `${scores}`).toBeGreaterThan(scores[i - 1]);
    expect(scores[0]).toBeLessThan(DEFAULT_THRESHOLDS['predictions.js'].warn);
    expect(scores[4]).toBeGreaterThan(DEFAULT_THRESHOLDS['predictions.js'].alert);
  });
});

describe('DriftMonitor settings, JSON and errors', () => {
  const graph = rmat({ scale: 9, edgeFactor: 4, seed: 3 });
  const x = features(graph.numNodes, 3);

  it('applies threshold overrides and checks them', () => {
    const strict = DriftMonitor.fromReference(graph, x, null, { thresholds: { 'features.psi': { warn: 1e-9, alert: 2e-9 } }, psiBins: 5, topFeatures: 3 });
    expect(strict.thresholds['features.psi']).toEqual({ warn: 1e-9, alert: 2e-9 });
    expect(strict.thresholds['features.ks']).toEqual(DEFAULT_THRESHOLDS['features.ks']);
    const r = strict.check(graph, features(graph.numNodes, 4));
    expect(r.signal('features.psi')!.severity).toBe('alert');
    expect(r.topFeatures).toHaveLength(3);
    expect(r.signal('features.psi')!.threshold).toEqual({ warn: 1e-9, alert: 2e-9 });
    expect(r.overall.score).toBeCloseTo(r.signal('features.psi')!.score / 2e-9, 6);
    expect(DEFAULT_THRESHOLDS['features.psi']).toEqual({ warn: 0.1, alert: 0.25 });
    expectError(() => DriftMonitor.fromReference(graph, x, null, { thresholds: { 'features.psi': { warn: 0.3 } } }), 'ERR_INVALID_ARG_VALUE', TypeError, /thresholds\['features\.psi'\]\.warn: expected at most alert \(0\.25\), got the number 0\.3/);
    expectError(() => DriftMonitor.fromReference(graph, x, null, { thresholds: { 'degree.ks': { warn: 0.3 } } as never }), 'ERR_INVALID_ARG_VALUE', TypeError, /thresholds options: expected only the keys features\.psi/);
    expectError(() => DriftMonitor.fromReference(graph, x, null, { thresholds: { 'confidence.js': { alert: -1 } } }), 'ERR_INVALID_ARG_VALUE', TypeError, /> 0/);
    expectError(() => DriftMonitor.fromReference(graph, x, null, { psiBins: 1 }), 'ERR_OUT_OF_RANGE', RangeError, /psiBins/);
    expectError(() => DriftMonitor.fromReference(graph, x, null, { window: 5 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /DriftMonitor\.fromReference options/);
  });

  it('serializes reports (NaN as null) and rebuilds monitors from a stored profile', () => {
    const model = gcn();
    const m = DriftMonitor.fromReference(graph, x, model, { sketchK: 100 });
    const g2 = rmat({ scale: 9, edgeFactor: 4, seed: 8 });
    const x2 = features(g2.numNodes, 8, (v, f) => (f === 2 ? v - 1 : v));
    const r = m.check(g2, x2);
    const json = JSON.parse(JSON.stringify(r));
    expect(json.overall).toEqual(r.overall);
    expect(json.signals).toEqual(r.signals);
    expect(json.topFeatures).toEqual(r.topFeatures);
    expect(json.features.psi).toEqual(Array.from(r.features.psi));
    expect(String(r)).toMatch(/^DriftReport\(alert, score/);

    const stored = JSON.stringify(m.reference);
    const again = DriftMonitor.fromProfile(DriftProfile.fromJSON(stored), model);
    expect(again.check(g2, x2).toJSON()).toEqual(r.toJSON());
    expect(again.reference.config.sketchK).toBe(100);

    const featuresOnly = DriftMonitor.fromReference(graph, x).check(Tensor.from(new Float32Array(F).fill(NaN), [1, F]));
    expect(JSON.parse(JSON.stringify(featuresOnly)).features.mean.current[0]).toBeNull();
  });

  it('rejects bad input with coded errors and leaves the window unchanged', () => {
    const m = DriftMonitor.fromReference(graph, x, gcn());
    m.observe(graph, x);
    const before = JSON.stringify(m.window);
    expectError(() => m.observe(graph, features(graph.numNodes - 1, 1)), 'ERR_GNN_SHAPE_MISMATCH', GnnError, new RegExp(`x: expected ${graph.numNodes} rows \\(one per source node of the graph\\), got shape \\[${graph.numNodes - 1}, 12\\]`));
    expectError(() => m.check(Tensor.from(new Float32Array(30), [3, 10])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /x: expected 12 columns \(the profile's features\), got shape \[3, 10\]/);
    expectError(() => m.observe({} as Graph, x), 'ERR_INVALID_ARG_TYPE', TypeError, /graph: expected a Graph/);
    expectError(() => m.observe(graph, x, { outputs: 1 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /observe options/);
    let classes = 2;
    const changing = DriftMonitor.fromReference(graph, x, { forwardSync: (g: Graph) => Tensor.from(new Float32Array(g.numNodes * classes), [g.numNodes, classes]) });
    classes = 3;
    expectError(() => changing.check(graph, x), 'ERR_GNN_SHAPE_MISMATCH', GnnError, new RegExp(`model output: expected 2 columns \\(the profile's classes\\), got shape \\[${graph.numNodes}, 3\\]`));
    expect(JSON.stringify(m.window)).toBe(before);
    expectError(() => m.reference.observe({ x }), 'ERR_INVALID_ARG_VALUE', TypeError, /read-only/);
    expectError(() => DriftMonitor.fromProfile(DriftProfile.fromData(null, x), gcn()), 'ERR_INVALID_ARG_VALUE', TypeError, /the reference profile has no predictions/);
    expectError(() => DriftMonitor.fromProfile({} as DriftProfile), 'ERR_INVALID_ARG_TYPE', TypeError, /reference: expected a DriftProfile/);
    expectError(() => DriftMonitor.fromProfile(DriftProfile.fromData(null, x), null, { sketchK: 10 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /only the keys psiBins, topFeatures, thresholds/);
    expectError(() => DriftMonitor.fromReference(null as unknown as Graph, x), 'ERR_INVALID_ARG_TYPE', TypeError, /graph: expected a Graph/);
    const rejecting = DriftMonitor.fromReference(graph, x, null, { nonFinite: 'reject' });
    const bad = x.clone();
    bad.data[5 * F + 2] = NaN;
    expectError(() => rejecting.check(graph, bad), 'ERR_INVALID_ARG_VALUE', TypeError, /NaN at row 5, column 2/);
  });
});
