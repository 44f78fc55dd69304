/**
 * The row ops on inputs large enough to run on several threads: 1 and 2 threads give bitwise
 * equal results (each element is computed by one task, in an order that does not depend on the
 * split), the async forms equal the sync ones, and they run off the event loop.
 */
import { afterAll, describe, expect, it } from 'vitest';

import { Tensor, getNumThreads, ops, setNumThreads } from '../lib/index';
import { nanFilled } from './helpers/compare';
import { expectSameBits, indices, values } from './helpers/rowops';

// 2^17 elements is where the kernels start using more than one thread; these are 2-8x that.
const N = 4099;
const F = 65;
const x = Tensor.from(values(N * F, 1, -6, 6), [N, F]);
const y = Tensor.from(values(N * F, 2, -6, 6), [N, F]);
const bias = Tensor.from(values(F, 3));
const perRow = Tensor.from(values(N, 4));
const index = indices(3 * N, N, 5); // duplicates throughout
const src = Tensor.from(values(3 * N * F, 6), [3 * N, F]);
const target = values(N * F, 7);

interface Case {
  name: string;
  sync: () => Tensor<'float32'>;
  async: () => Promise<Tensor<'float32'>>;
}

function poisoned(shape: number[]): Tensor<'float32'> {
  let n = 1;
  for (const d of shape) n *= d;
  return Tensor.from(nanFilled(n), shape);
}

const cases: Case[] = [
  { name: 'add', sync: () => ops.addSync(x, y, { alpha: 0.3, beta: 1.5, out: poisoned([N, F]) }), async: () => ops.add(x, y, { alpha: 0.3, beta: 1.5, out: poisoned([N, F]) }) },
  { name: 'add row', sync: () => ops.addSync(x, bias, { out: poisoned([N, F]) }), async: () => ops.add(x, bias, { out: poisoned([N, F]) }) },
  { name: 'scale', sync: () => ops.scaleSync(x, 0.7, { out: poisoned([N, F]) }), async: () => ops.scale(x, 0.7, { out: poisoned([N, F]) }) },
  { name: 'scale per row', sync: () => ops.scaleSync(x, perRow, { out: poisoned([N, F]) }), async: () => ops.scale(x, perRow, { out: poisoned([N, F]) }) },
  { name: 'softmax', sync: () => ops.softmaxSync(x, { out: poisoned([N, F]) }), async: () => ops.softmax(x, { out: poisoned([N, F]) }) },
  { name: 'logSoftmax', sync: () => ops.logSoftmaxSync(x, { out: poisoned([N, F]) }), async: () => ops.logSoftmax(x, { out: poisoned([N, F]) }) },
  { name: 'concat', sync: () => ops.concatSync([x, y], { out: poisoned([N, 2 * F]) }), async: () => ops.concat([x, y], { out: poisoned([N, 2 * F]) }) },
  { name: 'indexSelect', sync: () => ops.indexSelectSync(x, index, { out: poisoned([3 * N, F]) }), async: () => ops.indexSelect(x, index, { out: poisoned([3 * N, F]) }) },
  { name: 'indexCopy', sync: () => ops.indexCopySync(Tensor.from(target.slice(), [N, F]), index, src), async: () => ops.indexCopy(Tensor.from(target.slice(), [N, F]), index, src) },
  { name: 'indexAdd', sync: () => ops.indexAddSync(Tensor.from(target.slice(), [N, F]), index, src, { alpha: 0.5 }), async: () => ops.indexAdd(Tensor.from(target.slice(), [N, F]), index, src, { alpha: 0.5 }) },
];

const defaultThreads = getNumThreads();
afterAll(() => {
  setNumThreads(defaultThreads);
});

describe('thread counts and async', () => {
  for (const c of cases) {
    it(`${c.name}: 1 and 2 threads bitwise equal; async equals sync`, async () => {
      setNumThreads(1);
      const one = c.sync();
      setNumThreads(2);
      const two = c.sync();
      expectSameBits(two.data, one.data, `${c.name} 2 threads vs 1`);
      for (const v of one.data) if (Number.isNaN(v)) expect.fail(`${c.name}: an output element was not written`);
      const viaAsync = await c.async();
      expectSameBits(viaAsync.data, one.data, `${c.name} async vs sync`);
    });
  }

  it('scatters with every entry on a few hot rows: 2 threads equal 1, run after run', () => {
    // A scatter that split the *entries* between threads would race on these rows (lost updates,
    // another order of additions, another last writer). The input is large (1M entries, ~8 ms)
    // because on a busy host the second thread may join a short job too late to overlap.
    const M = 1 << 20;
    const hotIndex = indices(M, 8, 11);
    const hotSrc = Tensor.from(values(M * 4, 12), [M, 4]);
    for (const op of ['copy', 'add'] as const) {
      const run = (): Float32Array => {
        const t = Tensor.zeros([64, 4]);
        if (op === 'copy') ops.indexCopySync(t, hotIndex, hotSrc);
        else ops.indexAddSync(t, hotIndex, hotSrc);
        return t.data;
      };
      setNumThreads(1);
      const one = run();
      setNumThreads(2);
      for (let round = 0; round < 3; round++) expectSameBits(run(), one, `index${op} hot rows, round ${round}`);
    }
  });

  it('concurrent async calls on one input all resolve with the sync result', async () => {
    const want = ops.softmaxSync(x).data;
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map(() => ops.softmax(x)));
    for (const r of results) expectSameBits(r.data, want, 'concurrent softmax');
  });

  it('async forms run off the event loop: timers fire while they run', async () => {
    // Were the work done on the main thread, each promise would already be settled when returned
    // and its continuation a microtask: the 1 ms timer could not fire until the loop ends.
    const big = Tensor.from(values(1 << 22, 8, -5, 5), [1 << 16, 64]);
    const out = Tensor.zeros([1 << 16, 64]);
    ops.softmaxSync(big, { out }); // page the output in
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      let ms = 0;
      for (let round = 0; round < 40 && ms < 60; round++) {
        const t0 = performance.now();
        await ops.softmax(big, { out });
        await ops.logSoftmax(big, { out });
        await ops.add(big, big, { out });
        ms += performance.now() - t0;
      }
      expect(ms, 'ran long enough to observe').toBeGreaterThan(20);
      expect(ticks).toBeGreaterThanOrEqual(3);
    } finally {
      clearInterval(timer);
    }
  });
});
