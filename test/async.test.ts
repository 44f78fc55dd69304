/**
 * The async ops run off the event loop (a real AsyncWorker): timers fire while a large spmm runs,
 * concurrent calls all complete with the sync results, and failures carry the caller's stack.
 */
import { describe, expect, it } from 'vitest';

import { GnnError, Graph, Tensor, ops, queueStats, rmat, setConcurrency } from '../lib/index';
import { fromNative } from '../lib/errors';
import { randomArray } from './fixtures/graphs';
import { expectBitwiseEqual } from './helpers/compare';

const big = rmat({ scale: 17, edgeFactor: 16, seed: 3 });
const width = 256;
const x = Tensor.from(randomArray(big.numNodes * width, 4), [big.numNodes, width]);
const out = Tensor.zeros([big.numNodes, width]);

function countTicksDuring(run: () => Promise<unknown> | unknown): Promise<{ ticks: number; ms: number }> {
  return new Promise((resolve, reject) => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    Promise.resolve()
      .then(run)
      .then(
        () => {
          clearInterval(timer);
          resolve({ ticks, ms: performance.now() - t0 });
        },
        (error: unknown) => {
          clearInterval(timer);
          reject(error);
        },
      );
  });
}

describe('async spmm', () => {
  it('lets timers fire while it runs; the sync form does not (control)', async () => {
    ops.spmmSync(big, x, { out }); // warm up: page in the output
    const sync = await countTicksDuring(() => ops.spmmSync(big, x, { out }));
    expect(sync.ticks).toBe(0);
    // Repeat the async call until it has run long enough for several 1 ms ticks to be due.
    let ticks = 0;
    let ms = 0;
    for (let i = 0; i < 20 && ms < 40; i++) {
      const r = await countTicksDuring(async () => {
        for (let k = 0; k < 4; k++) await ops.spmm(big, x, { out });
      });
      ticks += r.ticks;
      ms += r.ms;
    }
    expect(ms).toBeGreaterThan(20);
    expect(ticks).toBeGreaterThanOrEqual(3);
  });

  it('concurrent calls all resolve with the sync results, through the job queue', async () => {
    const narrow = Tensor.from(randomArray(big.numNodes * 24, 5), [big.numNodes, 24]);
    const expected = ops.spmmSync(big, narrow, { reduce: 'max' }).data;
    setConcurrency(1);
    try {
      const pending = [0, 1, 2, 3, 4].map(() => ops.spmm(big, narrow, { reduce: 'max' }));
      expect(queueStats().active + queueStats().queued).toBeGreaterThanOrEqual(5);
      const results = await Promise.all(pending);
      for (const r of results) expectBitwiseEqual(r.data, expected);
    } finally {
      setConcurrency(2);
    }
    expect(queueStats()).toEqual({ concurrency: 2, active: 0, queued: 0 });
  });

  it('resolves with the out tensor it was given', async () => {
    const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 0]), 2);
    const o = Tensor.zeros([2, 1]);
    const r = await ops.spmm(g, Tensor.from(new Float32Array([3, 4]), [2, 1]), { out: o });
    expect(r).toBe(o);
    expect(Array.from(o.data)).toEqual([4, 3]);
  });

  it('argument errors reject (never throw synchronously) with the right code', async () => {
    const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 0]), 2);
    const p = ops.spmm(g, Tensor.zeros([3, 1]));
    await expect(p).rejects.toBeInstanceOf(GnnError);
    await expect(p).rejects.toMatchObject({ code: 'ERR_GNN_SHAPE_MISMATCH' });
  });

  it('a native failure is re-thrown with the stack of the call site', () => {
    function userCallSite(): Error {
      return new Error('site');
    }
    const nativeError = Object.assign(new Error('boom'), { code: 'ERR_GNN_INVALID_GRAPH' });
    const e = fromNative(nativeError, userCallSite());
    expect(e).toBeInstanceOf(GnnError);
    expect((e as GnnError).code).toBe('ERR_GNN_INVALID_GRAPH');
    expect(e.stack).toMatch(/^GnnError: boom\n/);
    expect(e.stack).toMatch(/userCallSite/);
  });
});
