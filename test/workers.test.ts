/**
 * The addon is context-aware: it loads and computes in several worker_threads at once, and the
 * process survives workers terminated in the middle of a job. Workers load the built package
 * (dist/), which `npm test` builds first (pretest).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { Graph, Tensor, ops, randomValues, rmat } from '../lib/index';
import { expectBitwiseEqual } from './helpers/compare';

const entry = path.resolve(__dirname, '..', 'dist', 'cjs', 'index.js');

// Each worker builds the same seeded graph and features, runs spmmSync and spmm, and posts both.
const computeScript = `
const { parentPort, workerData } = require('node:worker_threads');
const gnn = require(workerData.entry);
const g = gnn.rmat({ scale: 12, seed: workerData.seed });
const x = gnn.Tensor.from(gnn.randomValues(g.numNodes * 33, workerData.seed), [g.numNodes, 33]);
const sync = gnn.ops.spmmSync(g, x, { reduce: 'mean' });
gnn.ops.spmm(g, x, { reduce: 'mean' }).then((asyncOut) => {
  parentPort.postMessage({ sync: sync.data, async: asyncOut.data, info: gnn.backendInfo().simd });
});
`;

// Posts 'started' and then runs long async and sync jobs until terminated.
const longScript = `
const { parentPort, workerData } = require('node:worker_threads');
const gnn = require(workerData.entry);
const g = gnn.rmat({ scale: 15, seed: 2 });
const x = gnn.Tensor.from(gnn.randomValues(g.numNodes * 256, 1), [g.numNodes, 256]);
const out = gnn.Tensor.zeros([g.numNodes, 256]);
parentPort.postMessage('started');
(async () => {
  for (;;) {
    await gnn.ops.spmm(g, x, { out });
    gnn.ops.spmmSync(g, x, { out, reduce: 'max' });
  }
})();
`;

function runWorker(script: string, data: object): Worker {
  return new Worker(script, { eval: true, workerData: { entry, ...data } });
}

describe('worker_threads', () => {
  it('the built package exists (npm test builds it first)', () => {
    expect(fs.existsSync(entry), `${entry} missing: run npm run build:ts`).toBe(true);
  });

  it('loads and computes in two workers at once, matching the main thread', async () => {
    const results = await Promise.all(
      [1, 2].map(
        (seed) =>
          new Promise<{ seed: number; sync: Float32Array; async: Float32Array }>((resolve, reject) => {
            const w = runWorker(computeScript, { seed });
            w.once('message', (m: { sync: Float32Array; async: Float32Array }) => {
              resolve({ seed, ...m });
              void w.terminate();
            });
            w.once('error', reject);
          }),
      ),
    );
    for (const r of results) {
      const g: Graph = rmat({ scale: 12, seed: r.seed });
      const x = Tensor.from(randomValues(g.numNodes * 33, r.seed), [g.numNodes, 33]);
      const want = ops.spmmSync(g, x, { reduce: 'mean' }).data;
      expectBitwiseEqual(r.sync, want, `worker ${r.seed} sync`);
      expectBitwiseEqual(r.async, want, `worker ${r.seed} async`);
    }
  });

  it('survives workers terminated mid-job, repeatedly', async () => {
    for (let round = 0; round < 6; round++) {
      const w = runWorker(longScript, {});
      await new Promise<void>((resolve, reject) => {
        w.once('message', () => resolve());
        w.once('error', reject);
      });
      await new Promise((r) => setTimeout(r, 5 + round * 7));
      const code = await w.terminate();
      expect(code).toBe(1);
    }
    // The main thread still computes correctly afterwards.
    const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 0]), 2);
    const r = await ops.spmm(g, Tensor.from(new Float32Array([1, 2]), [2, 1]));
    expect(Array.from(r.data)).toEqual([2, 1]);
  });
});
