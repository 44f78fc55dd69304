/**
 * `npm run bench:micro`: Benchmark.js suites for per-call overhead, where statistics over many
 * short runs matter: spmmSync vs spmm (async) on a tiny graph and on Cora, against the JS loop.
 */
import * as path from 'node:path';

import Benchmark from 'benchmark';

import { Graph, Tensor, loadPlanetoid, ops, randomValues } from '../lib/index';
import { jsSpmm } from './baselines/js-spmm';

function suite(name: string, graph: Graph, width: number): Promise<void> {
  const x = Tensor.from(randomValues(graph.numSrcNodes * width, 1), [graph.numSrcNodes, width]);
  const out = Tensor.zeros([graph.numNodes, width]);
  const outJs = new Float32Array(graph.numNodes * width);
  const indptr = graph.indptr as Int32Array;
  const indices = graph.indices;
  return new Promise((resolve) => {
    new Benchmark.Suite(name)
      .add('spmmSync', () => {
        ops.spmmSync(graph, x, { out });
      })
      .add('spmm (async, awaited)', {
        defer: true,
        fn: (deferred: { resolve(): void }) => {
          void ops.spmm(graph, x, { out }).then(() => deferred.resolve());
        },
      })
      .add('JS loop', () => {
        jsSpmm(indptr, indices, x.data, width, outJs, 'sum');
      })
      .on('cycle', (event: Benchmark.Event) => {
        const b = event.target as Benchmark.Target & { stats: { mean: number; rme: number } };
        console.log(`${name.padEnd(22)} ${String(b.name).padEnd(24)} ${(b.stats.mean * 1e6).toFixed(2).padStart(10)} us/call  ±${b.stats.rme.toFixed(1)}%`);
      })
      .on('complete', () => resolve())
      .run({ async: true });
  });
}

async function main(): Promise<void> {
  const tiny = Graph.fromEdgeIndex(new Int32Array([0, 1, 2, 3, 1, 2, 3, 0]), 4);
  await suite('tiny graph (4 nodes) F=16', tiny, 16);
  const cora = loadPlanetoid(path.resolve(__dirname, '..', '..', 'data', 'cora'));
  await suite('Cora F=16', cora.graph, 16);
  await suite('Cora F=128', cora.graph, 128);
}

void main();
