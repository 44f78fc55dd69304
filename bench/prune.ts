/**
 * `npm run bench:prune`: accuracy vs sparsity of the PyG-trained models (data/models) on Cora and
 * CiteSeer, for magnitude pruning (scope 'layer' and 'global') and channel pruning, with the
 * measured latency of each point (pruningReport: medians of interleaved forwardSync repeats after
 * warm-up, dense input features, 1 thread).
 * Options (env): BENCH_REPEATS=30 BENCH_THREADS=1.
 */
import * as path from 'node:path';

import { Tensor, loadModelSync, loadPlanetoid, prune, pruningReport, setNumThreads } from '../lib/index';
import type { nn as NN } from '../lib/index';
import { environment, fmt, readF32Gz } from './harness';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 30);
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const DATA = path.resolve(__dirname, '..', '..', 'data');
const SPARSITIES = [0.5, 0.7, 0.8, 0.9, 0.95, 0.98];
const KEEP = [0.75, 0.5, 0.25];

function main(): void {
  const env = environment();
  setNumThreads(THREADS);
  const lines = [
    `Machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores; SIMD ${String(env.simd)}; Node ${String(env.node)}; ${String(env.date).slice(0, 10)}; commit ${String(env.gitSha)}; ${THREADS} thread(s), ${REPEATS} repeats.`,
    '',
    '| dataset | model | pruning | test acc | agreement | params | FLOPs (linear + spmm) | latency ms (fp32 → pruned) |',
    '|---|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const [ds, ids, input] of [
    ['cora', ['gcn_cora', 'gat_cora', 'sage_cora', 'gin_cora'], 'cora_normalized'],
    ['citeseer', ['gcn_citeseer'], 'citeseer_normalized'],
  ] as const) {
    const d = loadPlanetoid(path.join(DATA, ds));
    const labels = d.y!.data as Int32Array;
    for (const id of ids) {
      const xs = readF32Gz(path.join(DATA, 'models', 'inputs', `${id === 'gin_cora' ? 'cora_raw' : input}.f32.gz`));
      const x = Tensor.from(xs, [d.graph.numNodes, xs.length / d.graph.numNodes]);
      const fp = loadModelSync(path.join(DATA, 'models', id));
      const variants: Array<[string, NN.Module]> = [];
      for (const s of SPARSITIES) variants.push([`magnitude ${s * 100}% (layer)`, prune.magnitude(fp, { sparsity: s })]);
      for (const s of [0.8, 0.9, 0.95]) variants.push([`magnitude ${s * 100}% (global)`, prune.magnitude(fp, { sparsity: s, scope: 'global' })]);
      for (const k of KEEP) variants.push([`channels keep ${k * 100}%`, prune.channels(fp, { keep: k })]);
      let first = true;
      for (const [name, pruned] of variants) {
        const r = pruningReport(fp, pruned, d.graph, x, labels, { mask: d.testMask!, repeats: REPEATS });
        if (first) {
          lines.push(`| ${ds} | ${id.split('_')[0].toUpperCase()} | none | ${fmt(100 * r.accuracy!.original, 1)}% | 100% | ${r.parameters.original} | ${(r.flops.original / 1e6).toFixed(1)} M | ${fmt(r.latencyMs.original, 3)} |`);
          first = false;
        }
        lines.push(
          `| ${ds} | ${id.split('_')[0].toUpperCase()} | ${name} | ${fmt(100 * r.accuracy!.pruned, 1)}% | ${fmt(100 * r.agreement, 1)}% | ${r.parameters.pruned} | ${(r.flops.pruned / 1e6).toFixed(1)} M | ${fmt(r.latencyMs.original, 3)} → ${fmt(r.latencyMs.pruned, 3)} |`,
        );
        console.error(lines[lines.length - 1]);
      }
    }
  }
  console.log(lines.join('\n'));
}

main();
