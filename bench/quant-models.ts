/**
 * `npm run bench:quant`: whole models in fp32 and int8 side by side (interleaved in one run),
 * forwardSync medians after warm-up, at 1 and 2 threads.
 * - Cora / CiteSeer: the PyG-trained models in data/models on their dense inputs: test accuracy of
 *   both, argmax agreement over all nodes, latency.
 * - R-MAT scale 18 (degree 16): 2-layer GCN and SAGE (mean) with 256 input and 256 hidden features,
 *   16 outputs, random weights: fp32 vs int8 latency (target ≥ 1.8x).
 * int8 = quantize(model) defaults: dynamic per-row activations, int8 aggregation; plus int8 with
 * fp32 aggregation to show where the time goes.
 * Options (env): BENCH_THREADS=1,2 BENCH_REPEATS=100 BENCH_REPEATS_LARGE=9 BENCH_SCALE=18
 * BENCH_ONLY=cora,citeseer,rmat.
 */
import * as path from 'node:path';

import { Tensor, getNumThreads, loadModelSync, loadPlanetoid, nn, quantizationReport, quantize, randomValues, rmat, setNumThreads } from '../lib/index';
import type { Graph, nn as NN } from '../lib/index';
import { environment, fmt, readF32Gz } from './harness';
type Module = NN.Module;

const list = (v: string | undefined, d: string): string[] => (v ?? d).split(',').filter((s) => s !== '');
const THREADS = list(process.env.BENCH_THREADS, '1,2').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 100);
const REPEATS_LARGE = Number(process.env.BENCH_REPEATS_LARGE ?? 9);
const SCALE = Number(process.env.BENCH_SCALE ?? 18);
const ONLY = new Set(list(process.env.BENCH_ONLY, 'cora,citeseer,rmat'));
const DATA = path.resolve(__dirname, '..', '..', 'data');

/** Medians of forwardSync for each model, interleaved so host noise hits all alike. */
function medians(models: Module[], graph: Graph, x: Tensor<'float32'>, repeats: number): number[] {
  const warm = Math.max(2, Math.min(10, repeats / 10));
  for (let i = 0; i < warm; i++) for (const m of models) m.forwardSync(graph, x);
  const samples = models.map(() => [] as number[]);
  for (let r = 0; r < repeats; r++) {
    models.forEach((m, i) => {
      const t0 = process.hrtime.bigint();
      m.forwardSync(graph, x);
      samples[i].push(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  }
  return samples.map((s) => s.sort((a, b) => a - b)[s.length >> 1]);
}

function twoLayer(kind: 'GCN' | 'SAGE', fin: number, hidden: number, out: number): Module {
  const conv = (a: number, b: number): Module => (kind === 'GCN' ? new nn.GCNConv({ inChannels: a, outChannels: b }) : new nn.SAGEConv({ inChannels: a, outChannels: b }));
  return new nn.Sequential([['conv1', conv(fin, hidden)], ['act', new nn.ReLU()], ['conv2', conv(hidden, out)]]).resetParameters({ seed: 1 });
}

function main(): void {
  const env = environment();
  const before = getNumThreads();
  console.error(`# ${String(env.cpu)}, ${String(env.simd)}, node ${String(env.node)}`);
  const lines: string[] = [
    `Machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores; SIMD ${String(env.simd)}; Node ${String(env.node)}; ${String(env.date).slice(0, 10)}; commit ${String(env.gitSha)}.`,
    '',
  ];

  const small: string[] = ['| dataset | model | int8 scheme | test acc fp32 | test acc int8 | agreement (all nodes) | threads | fp32 ms | int8 ms | speed-up |', '|---|---|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (const [ds, ids, input] of [
    ['cora', ['gcn_cora', 'gat_cora', 'sage_cora', 'gin_cora'], 'cora_normalized'],
    ['citeseer', ['gcn_citeseer'], 'citeseer_normalized'],
  ] as const) {
    if (!ONLY.has(ds)) continue;
    const d = loadPlanetoid(path.join(DATA, ds));
    for (const id of ids) {
      const xs = readF32Gz(path.join(DATA, 'models', 'inputs', `${id === 'gin_cora' ? 'cora_raw' : input}.f32.gz`));
      const x = Tensor.from(xs, [d.graph.numNodes, xs.length / d.graph.numNodes]);
      const fp = loadModelSync(path.join(DATA, 'models', id));
      const schemes: Array<[string, Module]> = [
        ['defaults (dynamic, auto GEMM + agg)', quantize(fp)],
        ['static (minmax), int8 GEMM + agg forced', quantize(fp, { activations: 'static', calibration: { graph: d.graph, x }, gemm: 'int8', aggregation: 'int8' })],
      ];
      for (const [scheme, q] of schemes) {
        const test = quantizationReport(fp, q, d.graph, x, d.y!.data as Int32Array, { mask: d.testMask! });
        const all = quantizationReport(fp, q, d.graph, x);
        for (const threads of THREADS) {
          setNumThreads(threads);
          const [f, i] = medians([fp, q], d.graph, x, REPEATS);
          small.push(`| ${ds} | ${id.split('_')[0].toUpperCase()} | ${scheme} | ${fmt(100 * test.accuracy!.fp32, 1)}% | ${fmt(100 * test.accuracy!.quantized, 1)}% | ${fmt(100 * all.agreement, 2)}% | ${threads} | ${fmt(f, 3)} | ${fmt(i, 3)} | ${fmt(f / i)}x |`);
          console.error(small[small.length - 1]);
        }
      }
    }
  }
  if (small.length > 2) lines.push(...small, '');

  if (ONLY.has('rmat')) {
    const g = rmat({ scale: SCALE, edgeFactor: 16, seed: 1 });
    const x = Tensor.from(randomValues(g.numNodes * 256, 7), [g.numNodes, 256]);
    lines.push(`R-MAT scale ${SCALE}: ${g.numNodes} nodes, ${g.numEdges} edges; 256 input, 256 hidden, 16 output features; random weights; ${REPEATS_LARGE} repeats.`, '');
    lines.push('| model | threads | fp32 ms | int8 ms (defaults) | speed-up | int8 ms (fp32 agg) | speed-up |', '|---|---:|---:|---:|---:|---:|---:|');
    for (const kind of ['GCN', 'SAGE'] as const) {
      const fp = twoLayer(kind, 256, 256, 16);
      const q = quantize(fp);
      const q32 = quantize(fp, { aggregation: 'fp32' });
      for (const threads of THREADS) {
        setNumThreads(threads);
        const [f, i, i32] = medians([fp, q, q32], g, x, REPEATS_LARGE);
        lines.push(`| ${kind} | ${threads} | ${fmt(f, 1)} | ${fmt(i, 1)} | ${fmt(f / i)}x | ${fmt(i32, 1)} | ${fmt(f / i32)}x |`);
        console.error(lines[lines.length - 1]);
      }
    }
  }
  setNumThreads(before);
  console.log(lines.join('\n'));
}

main();
