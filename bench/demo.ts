/**
 * `npm run demo`: spmm on Cora (its real 1433-wide features and a GCN-normalised graph) and on an
 * R-MAT graph, next to a well-written pure-JS CSR loop, with times and effective bandwidth.
 */
import * as path from 'node:path';

import { Tensor, backendInfo, loadPlanetoid, ops, randomValues, rmat } from '../lib/index';
import type { Graph } from '../lib/index';
import { jsSpmm } from './baselines/js-spmm';
import { fmt, time } from './harness';

interface Case {
  name: string;
  graph: Graph;
  x: Tensor<'float32'>;
}

async function main(): Promise<void> {
  const info = backendInfo();
  console.log(`gnn-kernels ${info.version}: CPU backend, ${info.simd} kernels, ${info.threads} threads (${info.compiler})\n`);

  const cora = loadPlanetoid(path.resolve(__dirname, '..', '..', 'data', 'cora'));
  const coraX = cora.x as Tensor<'float32'>;
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

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
