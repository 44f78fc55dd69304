/**
 * Drift monitoring cost (lib/monitor): profiling a reference (features alone, degrees alone, model
 * predictions), a check of a second sample against it (its profile plus the comparison), the
 * comparison alone, merging two profiles and the JSON round trip, on
 *   cora      Cora's 2708 × 1433 bag-of-words features and graph, its GCN (data/models/gcn_cora)
 *   rmat-17   R-MAT scale 17 (131 072 nodes, 2.1M edges), 128 normal features, a random 2-layer GCN
 * Median wall time of BENCH_REPEATS runs (default 5) after one warm-up, and for the feature profile
 * and the check the mean process CPU time (the JS sketches run on one thread; the model forward on
 * the native pool).
 *
 *   npm run bench:drift
 *   env: BENCH_REPEATS (5), BENCH_SCALE (17), BENCH_FEATURES (128), BENCH_SKETCH_K (200)
 */
import * as path from 'node:path';

import { DriftMonitor, DriftProfile, Tensor, io, loadModelSync, nn, randomValues, rmat } from '../lib/index';
import type { DriftModel, Features, Graph } from '../lib/index';
import { environment, fmt, time } from './harness';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const SCALE = Number(process.env.BENCH_SCALE ?? 17);
const FEATURES = Number(process.env.BENCH_FEATURES ?? 128);
const SKETCH_K = Number(process.env.BENCH_SKETCH_K ?? 200);

interface Input {
  name: string;
  graph: Graph;
  x: Features;
  x2: Features;
  model: DriftModel;
}

function cora(): Input {
  const root = path.resolve(__dirname, '..', '..');
  const d = io.loadPlanetoid(path.join(root, 'data', 'cora'));
  const x = d.x!;
  // The "second sample": the same rows in reverse order (a different stream, the same distribution).
  const [rows, cols] = x.shape;
  const x2 = new Float32Array(x.data.length);
  for (let r = 0; r < rows; r++) x2.set(x.data.subarray(r * cols, (r + 1) * cols), (rows - 1 - r) * cols);
  return { name: 'cora', graph: d.graph, x, x2: Tensor.from(x2, [rows, cols]), model: loadModelSync(path.join(root, 'data', 'models', 'gcn_cora')) };
}

function synthetic(): Input {
  const graph = rmat({ scale: SCALE, edgeFactor: 16, seed: 1 });
  const n = graph.numNodes;
  const model = new nn.Sequential([new nn.GCNConv({ inChannels: FEATURES, outChannels: 16 }), new nn.ReLU(), new nn.GCNConv({ inChannels: 16, outChannels: 8 })]).resetParameters({ seed: 3 });
  return {
    name: `rmat-${SCALE}`,
    graph,
    x: Tensor.from(randomValues(n * FEATURES, 1, { distribution: 'normal' }), [n, FEATURES]),
    x2: Tensor.from(randomValues(n * FEATURES, 2, { distribution: 'normal' }), [n, FEATURES]),
    model,
  };
}

/** Mean process CPU time (user + system, all threads) of one run of `fn` over `repeats` runs. */
function cpuMs(fn: () => void, repeats: number): number {
  fn();
  const start = process.cpuUsage();
  for (let i = 0; i < repeats; i++) fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / repeats;
}

function main(): void {
  console.error(JSON.stringify(environment()));
  const rows: string[] = [];
  for (const input of [cora(), synthetic()]) {
    const { graph, x, x2, model } = input;
    const [n, F] = x.shape;
    const options = { sketchK: SKETCH_K };
    const features = time(() => DriftProfile.fromData(null, x, null, options), REPEATS, 1);
    const degrees = time(() => DriftProfile.create(F, options).observe({ graph }), REPEATS, 1);
    const forward = time(() => model.forwardSync(graph, x), REPEATS, 1);
    const all = time(() => DriftProfile.fromData(graph, x, model, options), REPEATS, 1);
    const monitor = DriftMonitor.fromReference(graph, x, model, options);
    const check = time(() => monitor.check(graph, x2), REPEATS, 1);
    monitor.observe(graph, x2);
    const compare = time(() => monitor.report(), REPEATS, 1);
    const a = DriftProfile.fromData(graph, x, model, options);
    const b = DriftProfile.fromData(graph, x2, model, options);
    const merge = time(() => DriftProfile.merge(a, b), REPEATS, 1);
    let text = '';
    const toJson = time(() => {
      text = JSON.stringify(a);
    }, REPEATS, 1);
    const fromJson = time(() => DriftProfile.fromJSON(text), REPEATS, 1);
    // On a shared host wall time includes waiting for a core: CPU time is the work itself.
    const featuresCpu = cpuMs(() => DriftProfile.fromData(null, x, null, options), REPEATS);
    const checkCpu = cpuMs(() => monitor.check(graph, x2), REPEATS);
    const nsPerValue = (featuresCpu * 1e6) / (n * F);
    console.error(`${input.name}: ${n} x ${F}, ${graph.numEdges} edges: features ${fmt(features.medianMs)} ms (CPU ${fmt(featuresCpu)} ms, ${fmt(nsPerValue)} ns/value), check ${fmt(check.medianMs)} ms`);
    rows.push(
      `| ${input.name} | ${n} × ${F} | ${graph.numEdges} | ${fmt(features.medianMs)} | ${fmt(featuresCpu)} | ${fmt(nsPerValue)} | ${fmt(degrees.medianMs)} | ${fmt(forward.medianMs)} | ${fmt(all.medianMs)} | ${fmt(check.medianMs)} | ${fmt(checkCpu)} | ${fmt(compare.medianMs)} | ${fmt(merge.medianMs)} | ${fmt(toJson.medianMs)} / ${fmt(fromJson.medianMs)} | ${fmt(text.length / 2 ** 20)} |`,
    );
  }
  console.log(`sketchK = ${SKETCH_K}, median of ${REPEATS} runs (ms)\n`);
  console.log('| input | x | edges | features | features CPU | ns / value (CPU) | degrees | model forward | full profile | check | check CPU | compare only | merge | JSON out / in | JSON MiB |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(r);
}

main();
