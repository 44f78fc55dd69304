/**
 * `npm run demo`: the PyG-trained Cora models (GCN, GAT, SAGE, GIN from data/models) served here:
 * test accuracy, agreement with PyG's own predictions and logits, latency (sync and async, dense
 * and sparse input features); the same models quantized to int8 beside their fp32 rows; how each
 * is judged (accuracy, calibration before and after temperature scaling, the worst in-degree slice,
 * robustness curves; SVG charts written to demo-output/); then spmm on Cora and R-MAT next to a
 * well-written pure-JS CSR loop.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  CsrMatrix,
  Tensor,
  backendInfo,
  evaluate,
  evaluateSlices,
  loadModelSync,
  loadPlanetoid,
  ops,
  quantizationReport,
  quantize,
  randomValues,
  rmat,
  robustnessChart,
  robustnessSweep,
  temperatureScaling,
} from '../lib/index';
import type { Features, Graph, RobustnessReport } from '../lib/index';
import { jsSpmm } from './baselines/js-spmm';
import { fmt, readF32Gz, time } from './harness';

interface Case {
  name: string;
  graph: Graph;
  x: Tensor<'float32'>;
}

async function main(): Promise<void> {
  const info = backendInfo();
  console.log(`gnn-kernels ${info.version}: CPU backend, ${info.simd} kernels, ${info.threads} threads (${info.compiler})\n`);

  const data = path.resolve(__dirname, '..', '..', 'data');
  const cora = loadPlanetoid(path.join(data, 'cora'));
  const coraX = cora.x as Tensor<'float32'>;
  await servePygModels(cora, data);
  await serveQuantized(cora, data);
  evaluateModels(cora, data);

  const gcn = cora.graph.gcnNorm();
  console.log(`Cora: ${cora.graph.numNodes} nodes, ${cora.graph.numEdges} edges, ${coraX.shape[1]} features; GCN-normalised: ${gcn.numEdges} edges with self loops`);
  const big = rmat({ scale: 16, seed: 1 });
  console.log(`R-MAT scale 16: ${big.numNodes} nodes, ${big.numEdges} edges (Graph500 parameters)\n`);

  // One async call, as a service would make it: off the event loop.
  const agg = await ops.spmm(gcn, coraX, { weights: 'graph' });
  const row0 = agg.data.subarray(0, agg.shape[1]).reduce((a, b) => a + b, 0);
  console.log(`async spmm (GCN aggregation) on Cora: out [${agg.shape.join(', ')}], sum of node 0's row = ${row0.toFixed(4)}\n`);

  const cases: Case[] = [
    { name: 'Cora, raw features (F=1433)', graph: cora.graph, x: coraX },
    { name: 'Cora, F=64', graph: cora.graph, x: Tensor.from(randomValues(2708 * 64, 1), [2708, 64]) },
    { name: 'R-MAT 16, F=64', graph: big, x: Tensor.from(randomValues(big.numNodes * 64, 2), [big.numNodes, 64]) },
    { name: 'R-MAT 16, F=128', graph: big, x: Tensor.from(randomValues(big.numNodes * 128, 3), [big.numNodes, 128]) },
  ];
  const header = ['case', 'reduce', 'gnn-kernels ms', 'JS loop ms', 'speed-up', 'GB/s (gather model)'];
  const rows: string[][] = [];
  for (const c of cases) {
    const width = c.x.shape[1];
    const out = Tensor.zeros([c.graph.numNodes, width]);
    const outJs = new Float32Array(c.graph.numNodes * width);
    const indptr = c.graph.indptr as Int32Array;
    const indices = c.graph.indices;
    for (const reduce of ['sum', 'max'] as const) {
      const ours = time(() => ops.spmmSync(c.graph, c.x, { reduce, out }), 15).medianMs;
      const js = time(() => jsSpmm(indptr, indices, c.x.data, width, outJs, reduce), 3, 1).medianMs;
      const bytes = (c.graph.numEdges * (width + 1) + c.graph.numNodes * (width + 1)) * 4;
      rows.push([c.name, reduce, fmt(ours, 3), fmt(js), `${fmt(js / ours, 0)}x`, fmt(bytes / (ours / 1e3) / 1e9)]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log('\nMedians after warm-up; outputs reused. Full tables: `npm run bench` (BENCHMARKS.md).');
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

async function latency(run: () => unknown, repeats: number): Promise<number> {
  for (let i = 0; i < 10; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

/** The models trained in PyTorch Geometric 2.6.1 (the project's shared/models, copied to data/models). */
async function servePygModels(cora: ReturnType<typeof loadPlanetoid>, data: string): Promise<void> {
  console.log('PyG-trained models on Cora (data/models: model.json + model.safetensors, trained with PyG 2.6.1):');
  const header = ['model', 'test acc', 'PyG acc', 'same argmax', 'max |logit - PyG|', 'sync ms', 'async ms', 'sync ms (CSR x)'];
  const rows: string[][] = [];
  const n = cora.graph.numNodes;
  for (const id of ['gcn_cora', 'gat_cora', 'sage_cora', 'gin_cora']) {
    const dir = path.join(data, 'models', id);
    const model = loadModelSync(dir);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { metrics: { test_acc: number } };
    const xs = readF32Gz(path.join(data, 'models', 'inputs', id === 'gin_cora' ? 'cora_raw.f32.gz' : 'cora_normalized.f32.gz'));
    const x: Features = Tensor.from(xs, [n, xs.length / n]);
    const sparse = CsrMatrix.fromDense(x);
    const ref = readF32Gz(path.join(dir, 'logits.f32.gz'));
    const out = await model.forward(cora.graph, x);
    const classes = out.shape[1];
    const pred = argmax(out.data, classes);
    const pygPred = argmax(ref, classes);
    let same = 0;
    let correct = 0;
    let tested = 0;
    let maxDiff = 0;
    for (let i = 0; i < n; i++) {
      if (pred[i] === pygPred[i]) same++;
      if (cora.testMask![i] === 1) {
        tested++;
        if (pred[i] === cora.y!.data[i]) correct++;
      }
    }
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out.data[i] - ref[i]));
    const syncMs = await latency(() => model.forwardSync(cora.graph, x), 50);
    const asyncMs = await latency(() => model.forward(cora.graph, x), 50);
    const sparseMs = await latency(() => model.forwardSync(cora.graph, sparse), 50);
    rows.push([
      id.split('_')[0].toUpperCase(),
      `${fmt((100 * correct) / tested, 1)}%`,
      `${fmt(100 * meta.metrics.test_acc, 1)}%`,
      `${same}/${n}`,
      maxDiff.toExponential(1),
      fmt(syncMs, 3),
      fmt(asyncMs, 3),
      fmt(sparseMs, 3),
    ]);
  }
  printTable(header, rows);
  console.log('Medians of 50 forwards after warm-up; "CSR x": the bag-of-words features as a CsrMatrix (first layer as an SpMM).\n');
}

/** Bytes of a saved model directory's safetensors file. */
function savedBytes(model: { save(dir: string): void }): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnn-demo-'));
  try {
    model.save(dir);
    return fs.statSync(path.join(dir, 'model.safetensors')).size;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** fp32 and int8 (dynamic activations, int8 aggregation) rows of each Cora model, side by side. */
async function serveQuantized(cora: ReturnType<typeof loadPlanetoid>, data: string): Promise<void> {
  console.log("The same models quantized: quantize(model) — int8 weights per channel; int8 GEMMs (activations quantized per row) and int8 aggregation where measured to win ('auto'):");
  const header = ['model', 'precision', 'test acc', 'same argmax as fp32', 'sync ms', 'async ms', 'file KiB'];
  const rows: string[][] = [];
  const n = cora.graph.numNodes;
  const labels = cora.y!.data as Int32Array;
  for (const id of ['gcn_cora', 'gat_cora', 'sage_cora', 'gin_cora']) {
    const fp = loadModelSync(path.join(data, 'models', id));
    const q = quantize(fp);
    const xs = readF32Gz(path.join(data, 'models', 'inputs', id === 'gin_cora' ? 'cora_raw.f32.gz' : 'cora_normalized.f32.gz'));
    const x = Tensor.from(xs, [n, xs.length / n]);
    const test = quantizationReport(fp, q, cora.graph, x, labels, { mask: cora.testMask! });
    const all = quantizationReport(fp, q, cora.graph, x);
    for (const [precision, model] of [['fp32', fp], ['int8', q]] as const) {
      const syncMs = await latency(() => model.forwardSync(cora.graph, x), 50);
      const asyncMs = await latency(() => model.forward(cora.graph, x), 50);
      rows.push([
        precision === 'fp32' ? id.split('_')[0].toUpperCase() : '',
        precision,
        `${fmt(100 * (precision === 'fp32' ? test.accuracy!.fp32 : test.accuracy!.quantized), 1)}%`,
        precision === 'fp32' ? '' : `${fmt(100 * all.agreement, 2)}%`,
        fmt(syncMs, 3),
        fmt(asyncMs, 3),
        fmt(savedBytes(model) / 1024, 0),
      ]);
    }
  }
  printTable(header, rows);
  console.log('Dense input features (the int8 GEMM quantizes them per row); medians of 50 forwards after warm-up. Accuracy cost and per-layer error: quantizationReport().\n');
}

/**
 * The evaluation tools on the Cora models, fp32 and int8: test accuracy, ECE on the test nodes before
 * and after a temperature fitted on the validation nodes, and the in-degree bucket of lowest test
 * accuracy; then GCN's charts (reliability, accuracy by in-degree, robustness) into demo-output/.
 */
function evaluateModels(cora: ReturnType<typeof loadPlanetoid>, data: string): void {
  console.log('Judged as users judge them (lib/eval): test accuracy; ECE (15 bins) on the test nodes, raw and after a temperature T fitted on the validation nodes; the in-degree bucket of lowest test accuracy (>= 20 nodes):');
  const header = ['model', 'precision', 'test acc', 'ECE', 'T (val)', 'ECE at T', 'worst in-degree slice'];
  const rows: string[][] = [];
  const n = cora.graph.numNodes;
  const labels = cora.y!.data as Int32Array;
  const test = cora.testMask!;
  const out = path.resolve(__dirname, '..', '..', 'demo-output');
  fs.mkdirSync(out, { recursive: true });
  const sweeps: Array<{ name: string; report: RobustnessReport }> = [];
  for (const id of ['gcn_cora', 'gat_cora', 'sage_cora', 'gin_cora']) {
    const fp = loadModelSync(path.join(data, 'models', id));
    const xs = readF32Gz(path.join(data, 'models', 'inputs', id === 'gin_cora' ? 'cora_raw.f32.gz' : 'cora_normalized.f32.gz'));
    const x = Tensor.from(xs, [n, xs.length / n]);
    for (const [precision, model] of [['fp32', fp], ['int8', quantize(fp)]] as const) {
      const raw = evaluate(model, cora.graph, x, labels, { mask: test });
      const fit = temperatureScaling(model, cora.graph, x, labels, { mask: cora.valMask! });
      const calibrated = evaluate(fit.model, cora.graph, x, labels, { mask: test });
      const slices = evaluateSlices(model, cora.graph, x, labels, { mask: test, slices: ['degree'] });
      const worst = slices.worst('degree', { minCount: 20 })!;
      rows.push([
        precision === 'fp32' ? id.split('_')[0].toUpperCase() : '',
        precision,
        `${fmt(100 * raw.metrics.accuracy, 1)}%`,
        raw.calibration.ece.toFixed(3),
        fit.temperature.toFixed(3),
        calibrated.calibration.ece.toFixed(3),
        `${worst.name}: ${fmt(100 * worst.accuracy, 1)}% (${worst.count} nodes, ${fmt(100 * worst.gap, 1)} pts)`,
      ]);
      if (id === 'gcn_cora') {
        if (precision === 'fp32') {
          fs.writeFileSync(path.join(out, 'gcn-reliability.svg'), raw.reliabilitySVG('GCN on Cora (test): reliability, raw logits'));
          fs.writeFileSync(path.join(out, 'gcn-reliability-calibrated.svg'), calibrated.reliabilitySVG(`GCN on Cora (test): reliability at T = ${fit.temperature.toFixed(3)}`));
          fs.writeFileSync(path.join(out, 'gcn-accuracy-by-degree.svg'), slices.toSVG('degree', 'GCN on Cora (test): accuracy by in-degree'));
        }
        const report = robustnessSweep(model, cora.graph, x, labels, { mask: test, seed: 1, perturbations: ['edge-removal', 'feature-noise'] });
        sweeps.push({ name: `GCN ${precision}`, report });
      }
    }
  }
  printTable(header, rows);
  console.log('T minimises the validation NLL, not ECE: a few confidently wrong predictions (GIN) can push T until the model is under-confident.');
  for (const kind of ['edge-removal', 'feature-noise'] as const) {
    fs.writeFileSync(path.join(out, `gcn-robustness-${kind}.svg`), robustnessChart(sweeps, kind, `GCN on Cora (test): accuracy under ${kind}`));
    const pts = sweeps.map((s) => s.report.curve(kind).points);
    console.log(`GCN under ${kind} (${sweeps[0].report.curve(kind).unit}): ${pts[0].map((p, i) => `${p.strength}: ${fmt(100 * p.accuracy, 1)}% / ${fmt(100 * pts[1][i].accuracy, 1)}%`).join(', ')} (fp32 / int8 test accuracy)`);
  }
  console.log(`Charts (reliability, accuracy by in-degree, robustness curves) written to ${path.relative(process.cwd(), out) || '.'}/\n`);
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
