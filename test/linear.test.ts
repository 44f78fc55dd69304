/**
 * linear against the float64 reference (test/reference/linear.ts states the bound): awkward sizes
 * on both sides of every tile and vector width, primes, a K split into several blocks, a
 * tall-skinny product, every activation with and without bias, on every SIMD level of this CPU.
 * Outputs are poisoned with NaN first, so an element the kernel forgets to write fails. Then: the
 * thread count changes no bit, sync and async agree, the packed-weight cache is reused, repacked
 * and dropped as documented, and every bad argument gives its coded error.
 */
import { MessageChannel } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { GnnError, Tensor, getNumThreads, measurePeakFlops, ops, setNumThreads, setSimdLevel } from '../lib/index';
import type { ActivationName } from '../lib/index';
import { native } from '../lib/native';
import { randomArray } from './fixtures/graphs';
import { expectBitwiseEqual, expectWithin, nanFilled } from './helpers/compare';
import { availableSimdLevels, withSimd } from './helpers/simd';
import { linearReference, pickRows } from './reference/linear';
import { expectError } from './helpers/errors';

const LEVELS = availableSimdLevels();
const WIDTHS = [1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 128, 129, 257];
const ACTIVATIONS: ActivationName[] = ['none', 'relu', 'leaky_relu', 'elu', 'gelu', 'sigmoid', 'tanh'];

interface Problem {
  n: number;
  k: number;
  m: number;
  x: Tensor<'float32'>;
  w: Tensor<'float32'>;
  b: Tensor<'float32'>;
}

function problem(n: number, k: number, m: number, seed: number, scale = 1): Problem {
  return {
    n,
    k,
    m,
    x: Tensor.from(randomArray(n * k, seed, -scale, scale), [n, k]),
    w: Tensor.from(randomArray(m * k, seed + 1, -1, 1), [m, k]),
    b: Tensor.from(randomArray(m, seed + 2, -1, 1), [m]),
  };
}

function poisonedOut(n: number, m: number): Tensor<'float32'> {
  return Tensor.from(nanFilled(n * m), [n, m]);
}

/** Runs linearSync with a NaN-poisoned out on every level and checks it against the reference. */
function check(p: Problem, act: ActivationName, withBias: boolean, alpha?: number, label = ''): void {
  const ref = linearReference(p.x.data, p.w.data, withBias ? p.b.data : null, p.n, p.k, p.m, act, alpha);
  for (const level of LEVELS) {
    const out = poisonedOut(p.n, p.m);
    const r = withSimd(level, () => ops.linearSync(p.x, p.w, { bias: withBias ? p.b : undefined, activation: act, alpha, out }));
    expect(r).toBe(out);
    expectWithin(out.data, ref.out, ref.bound, `${label} ${level} ${act} bias=${withBias} [${p.n}x${p.k}]·[${p.m}x${p.k}]ᵀ`);
  }
}

describe('linearSync matches the float64 reference', () => {
  it('1 x 1 times 1 x 1, and a 1-D x', () => {
    check(problem(1, 1, 1, 1), 'none', true);
    check(problem(1, 1, 1, 2), 'tanh', false);
    const p = problem(1, 37, 11, 3);
    const ref = linearReference(p.x.data, p.w.data, p.b.data, 1, 37, 11, 'relu');
    for (const level of LEVELS) {
      const out = Tensor.from(nanFilled(11));
      withSimd(level, () => ops.linearSync(Tensor.from(p.x.data), p.w, { bias: p.b, activation: 'relu', out }));
      expect(out.shape).toEqual([11]);
      expectWithin(out.data, ref.out, ref.bound, `${level} 1-D`);
    }
    expect(ops.linearSync(Tensor.from(p.x.data), p.w).shape).toEqual([11]);
  });

  it('primes: 97 x 131 times (61 x 131)ᵀ', () => {
    const p = problem(97, 131, 61, 10);
    check(p, 'none', false);
    check(p, 'none', true);
  });

  for (const k of WIDTHS) {
    it(`K=${k}, M in ${WIDTHS.join(' ')}`, () => {
      for (const m of WIDTHS) {
        // 13 rows: two full tiles and a partial one for every MR (4, 6).
        check(problem(13, k, m, 1000 * k + m), 'none', (k + m) % 2 === 0);
      }
    });
  }

  for (const act of ACTIVATIONS) {
    it(`activation ${act}, with and without bias`, () => {
      const p = problem(37, 129, 65, 20, 0.5);
      for (const alpha of act === 'leaky_relu' ? [undefined, 0.2] : act === 'elu' ? [undefined, 0.5] : [undefined]) {
        check(p, act, true, alpha);
        check(p, act, false, alpha);
      }
    });
  }

  it('K split into several blocks: the epilogue runs once, after the last block', () => {
    // M = 1000 keeps a K-block of the packed weight within the L2 budget only for kc ~ 100, so
    // K = 300 takes three blocks; a bias or activation applied per block would be caught here.
    const p = problem(20, 300, 1000, 30);
    check(p, 'none', true);
    check(p, 'elu', true);
    check(p, 'sigmoid', false);
  });

  it('K = 0 gives act(bias); N = 0 and M = 0 give empty outputs', () => {
    for (const level of LEVELS) {
      withSimd(level, () => {
        const b = Tensor.from(Float32Array.from([-1, 0.5, 2]));
        const out = ops.linearSync(Tensor.zeros([4, 0]), Tensor.zeros([3, 0]), { bias: b, activation: 'relu', out: poisonedOut(4, 3) });
        expect(Array.from(out.data)).toEqual([0, 0.5, 2, 0, 0.5, 2, 0, 0.5, 2, 0, 0.5, 2]);
        expect(Array.from(ops.linearSync(Tensor.zeros([2, 0]), Tensor.zeros([3, 0]), { out: poisonedOut(2, 3) }).data)).toEqual([0, 0, 0, 0, 0, 0]);
        expect(ops.linearSync(Tensor.zeros([0, 5]), Tensor.zeros([3, 5])).shape).toEqual([0, 3]);
        expect(ops.linearSync(Tensor.zeros([4, 5]), Tensor.zeros([0, 5])).shape).toEqual([4, 0]);
      });
    }
  });

  it('NaN and infinity in x propagate to their rows only', () => {
    const p = problem(12, 40, 70, 40);
    p.x.data[3 * 40 + 7] = Number.NaN;
    p.x.data[8 * 40 + 1] = Number.POSITIVE_INFINITY;
    for (const level of LEVELS) {
      const out = withSimd(level, () => ops.linearSync(p.x, p.w, { out: poisonedOut(12, 70) }));
      for (let i = 0; i < 12; i++) {
        for (let j = 0; j < 70; j++) {
          const v = out.data[i * 70 + j];
          if (i === 3 || i === 8) expect(Number.isNaN(v) || !Number.isFinite(v), `${level} row ${i}`).toBe(true);
          else expect(Number.isFinite(v), `${level} row ${i}`).toBe(true);
        }
      }
    }
  });

  it('tall-skinny 100000 x 256 times (64 x 256)ᵀ, sampled rows', () => {
    const p = problem(100_000, 256, 64, 50);
    const rows = [0, 1, 2, 3, 4, 5, 6, 7, 95, 96, 97, 12_345, 50_000, 65_535, 65_536, 99_990, 99_994, 99_995, 99_998, 99_999];
    for (let i = 101; i < 100_000; i += 4999) rows.push(i);
    const ref = linearReference(p.x.data, p.w.data, p.b.data, p.n, p.k, p.m, 'relu', undefined, rows);
    const out = poisonedOut(p.n, p.m);
    for (const level of LEVELS) {
      out.data.fill(Number.NaN);
      withSimd(level, () => ops.linearSync(p.x, p.w, { bias: p.b, activation: 'relu', out }));
      expectWithin(pickRows(out.data, p.m, rows), ref.out, ref.bound, `${level} tall-skinny`);
      let nan = 0;
      for (let i = 0; i < out.data.length; i++) if (Number.isNaN(out.data[i])) nan++;
      expect(nan, `${level}: elements left unwritten`).toBe(0);
    }
  });
});

describe('threads, sync and async', () => {
  it('thread counts 1, 2 and 3 give bitwise equal results', () => {
    const before = getNumThreads();
    try {
      for (const [n, k, m] of [
        [1000, 200, 130],
        [301, 300, 1000],
      ]) {
        const p = problem(n, k, m, 60);
        for (const level of LEVELS) {
          const results = [1, 2, 3].map((t) => {
            setNumThreads(t);
            return withSimd(level, () => ops.linearSync(p.x, p.w, { bias: p.b, activation: 'gelu', out: poisonedOut(n, m) }));
          });
          expectBitwiseEqual(results[1].data, results[0].data, `${level} 2 vs 1 threads`);
          expectBitwiseEqual(results[2].data, results[0].data, `${level} 3 vs 1 threads`);
        }
      }
    } finally {
      setNumThreads(before);
    }
  });

  it('async and sync agree bitwise, and the async form returns out', async () => {
    const p = problem(500, 96, 80, 70);
    for (const level of LEVELS) {
      const sync = withSimd(level, () => ops.linearSync(p.x, p.w, { bias: p.b, activation: 'tanh' }));
      const out = poisonedOut(500, 80);
      const detected = LEVELS[LEVELS.length - 1];
      setSimdLevel(level);
      try {
        const r = await ops.linear(p.x, p.w, { bias: p.b, activation: 'tanh', out });
        expect(r).toBe(out);
      } finally {
        setSimdLevel(detected);
      }
      expectBitwiseEqual(out.data, sync.data, `${level} async vs sync`);
    }
    // Concurrent async calls with one fresh weight: all correct.
    const q = problem(64, 33, 17, 71);
    const want = ops.linearSync(q.x, Tensor.from(q.w.data.slice(), [17, 33])).data;
    const all = await Promise.all([0, 1, 2, 3].map(() => ops.linear(q.x, q.w)));
    for (const r of all) expectBitwiseEqual(r.data, want, 'concurrent');
  });
});

describe('the packed-weight cache', () => {
  // The cache is keyed by the weight Tensor: changing a weight's data in place (which the docs
  // forbid) is how these tests see whether a call used the cached copy or packed afresh.
  function setup(seed: number) {
    const p = problem(9, 70, 40, seed);
    const oldW = p.w.data.slice();
    const newW = randomArray(40 * 70, seed + 7);
    const expectFor = (w: Float32Array) => linearReference(p.x.data, w, null, 9, 70, 40);
    return { p, oldW, newW, expectFor };
  }

  it('reuses the packed copy until it is released or repacked', () => {
    for (const level of LEVELS) {
      withSimd(level, () => {
        const { p, oldW, newW, expectFor } = setup(80);
        const first = ops.linearSync(p.x, p.w);
        const old = expectFor(oldW);
        expectWithin(first.data, old.out, old.bound, `${level} first use`);
        p.w.data.set(newW);
        expectBitwiseEqual(ops.linearSync(p.x, p.w).data, first.data, `${level} reused`);
        expect(ops.releasePackedWeight(p.w)).toBe(true);
        expect(ops.releasePackedWeight(p.w)).toBe(false);
        const fresh = expectFor(newW);
        expectWithin(ops.linearSync(p.x, p.w, { out: poisonedOut(9, 40) }).data, fresh.out, fresh.bound, `${level} after release`);
        // packLinearWeight refreshes the cached copy.
        p.w.data.set(oldW);
        const info = ops.packLinearWeight(p.w);
        expect(info.simd).toBe(level);
        expect(info.bytes).toBeGreaterThanOrEqual(40 * 70 * 4);
        expectWithin(ops.linearSync(p.x, p.w, { out: poisonedOut(9, 40) }).data, old.out, old.bound, `${level} after packLinearWeight`);
      });
    }
  });

  it('a different weight tensor, even over the same data, is packed afresh', () => {
    const { p, newW, expectFor } = setup(90);
    ops.linearSync(p.x, p.w);
    p.w.data.set(newW);
    const sameData = Tensor.from(p.w.data, [40, 70]);
    const fresh = expectFor(newW);
    expectWithin(ops.linearSync(p.x, sameData, { out: poisonedOut(9, 40) }).data, fresh.out, fresh.bound, 'same data, new tensor');
    const other = Tensor.from(randomArray(40 * 70, 91), [40, 70]);
    const ref = linearReference(p.x.data, other.data, null, 9, 70, 40);
    expectWithin(ops.linearSync(p.x, other, { out: poisonedOut(9, 40) }).data, ref.out, ref.bound, 'other weight');
  });

  it('follows a change of SIMD level (repacks for the new layout)', () => {
    const { p, oldW, newW, expectFor } = setup(100);
    for (const level of LEVELS) {
      withSimd(level, () => ops.packLinearWeight(p.w));
      p.w.data.set(newW);
      for (const other of LEVELS.filter((l) => l !== level)) {
        const fresh = expectFor(newW);
        const out = withSimd(other, () => ops.linearSync(p.x, p.w, { out: poisonedOut(9, 40) }));
        expectWithin(out.data, fresh.out, fresh.bound, `packed for ${level}, run at ${other}`);
      }
      p.w.data.set(oldW);
      ops.releasePackedWeight(p.w);
    }
  });

  it('the async first use packs off the event loop and caches the copy', async () => {
    const { p, oldW, newW, expectFor } = setup(110);
    const first = await ops.linear(p.x, p.w);
    const old = expectFor(oldW);
    expectWithin(first.data, old.out, old.bound, 'async first use');
    p.w.data.set(newW);
    expectBitwiseEqual(ops.linearSync(p.x, p.w).data, first.data, 'cached by the async call');
  });

  it('a release while the first async use runs is not undone when it finishes', async () => {
    const { p, newW, expectFor } = setup(120);
    const pending = ops.linear(p.x, p.w);
    ops.releasePackedWeight(p.w);
    await pending;
    p.w.data.set(newW);
    const fresh = expectFor(newW);
    expectWithin(ops.linearSync(p.x, p.w, { out: poisonedOut(9, 40) }).data, fresh.out, fresh.bound, 'not re-cached');
  });
});

function detach(t: Tensor<'float32'>): void {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, [t.data.buffer as ArrayBuffer]);
  port1.close();
  port2.close();
}

describe('linear errors', () => {
  const x = Tensor.zeros([4, 3]);
  const w = Tensor.zeros([5, 3]);

  it('shape mismatches', () => {
    expectError(() => ops.linearSync(Tensor.zeros([4, 2]), w), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /x: expected 3 features in the last dimension to match weight \[5, 3\], got shape \[4, 2\]/);
    expectError(() => ops.linearSync(x, Tensor.zeros([15])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /weight: expected a Tensor of rank 2, got shape \[15\]/);
    expectError(() => ops.linearSync(Tensor.zeros([2, 2, 3]), w), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /x: expected a Tensor of rank 1 or 2/);
    expectError(() => ops.linearSync(x, w, { bias: Tensor.zeros([4]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /bias: expected shape \[5\] to match weight \[5, 3\], got shape \[4\]/);
    expectError(() => ops.linearSync(x, w, { out: Tensor.zeros([4, 4]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /out: expected shape \[4, 5\], got \[4, 4\]/);
  });

  it('dtypes and types', () => {
    expectError(() => ops.linearSync(Tensor.zeros([4, 3], 'int32') as never, w), 'ERR_INVALID_ARG_TYPE', TypeError, /x: expected a float32 Tensor, got a int32 Tensor/);
    expectError(() => ops.linearSync(x, Tensor.zeros([5, 3], 'int8') as never), 'ERR_INVALID_ARG_TYPE', TypeError, /weight: expected a float32 Tensor/);
    expectError(() => ops.linearSync(x, new Float32Array(15) as never), 'ERR_INVALID_ARG_TYPE', TypeError, /weight: expected a Tensor \(float32\), got a Float32Array of length 15/);
    expectError(() => ops.linearSync(x, w, { bias: new Float32Array(5) as never }), 'ERR_INVALID_ARG_TYPE', TypeError, /bias/);
    expectError(() => ops.linearSync(x, w, { out: Tensor.zeros([4, 5], 'uint8') as never }), 'ERR_INVALID_ARG_TYPE', TypeError, /out/);
  });

  it('activation, alpha and options', () => {
    expectError(() => ops.linearSync(x, w, { activation: 'swish' as never }), 'ERR_INVALID_ARG_VALUE', TypeError, /activation: expected one of 'none', 'relu'.*got the string "swish"/);
    expectError(() => ops.linearSync(x, w, { activation: 'elu', alpha: Number.NaN }), 'ERR_INVALID_ARG_TYPE', TypeError, /alpha: expected a finite number/);
    expectError(() => ops.linearSync(x, w, { activaton: 'relu' } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /linearSync options: expected only the keys bias, activation, alpha, out, got the key "activaton"/);
    expectError(() => ops.linearSync(x, w, 'relu' as never), 'ERR_INVALID_ARG_TYPE', TypeError, /linearSync options: expected an object/);
  });

  it('an output that overlaps an input', () => {
    const buffer = new Float32Array(40);
    const xs = Tensor.from(buffer.subarray(0, 12), [4, 3]);
    expectError(() => ops.linearSync(xs, w, { out: Tensor.from(buffer.subarray(10, 30), [4, 5]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /overlaps/);
    const ws = Tensor.from(buffer.subarray(0, 15), [5, 3]);
    expectError(() => ops.linearSync(x, ws, { out: Tensor.from(buffer.subarray(14, 34), [4, 5]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /overlaps/);
    const bs = Tensor.from(buffer.subarray(35, 40));
    expectError(() => ops.linearSync(x, w, { bias: bs, out: Tensor.from(buffer.subarray(20, 40), [4, 5]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /overlaps/);
  });

  it('detached buffers, sync and async (async rejects, never throws)', async () => {
    const dx = Tensor.zeros([4, 3]);
    detach(dx);
    expectError(() => ops.linearSync(dx, w), 'ERR_INVALID_ARG_VALUE', TypeError, /x: expected a usable buffer, got a detached ArrayBuffer/);
    const dw = Tensor.zeros([5, 3]);
    ops.packLinearWeight(dw);
    detach(dw);
    expectError(() => ops.linearSync(x, dw), 'ERR_INVALID_ARG_VALUE', TypeError, /weight: expected a usable buffer/);
    const p = ops.linear(dx, w);
    await expect(p).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(ops.linear(x, w, { activation: 'nope' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(ops.linear(Tensor.zeros([4, 2]), w)).rejects.toBeInstanceOf(GnnError);
  });

  it('packLinearWeight / releasePackedWeight / measurePeakFlops check their arguments', () => {
    expectError(() => ops.packLinearWeight(Tensor.zeros([6])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /weight: expected a Tensor of rank 2/);
    expectError(() => ops.packLinearWeight({} as never), 'ERR_INVALID_ARG_TYPE', TypeError, /weight: expected a Tensor/);
    expectError(() => ops.releasePackedWeight(null as never), 'ERR_INVALID_ARG_TYPE', TypeError, /weight: expected a Tensor/);
    expectError(() => measurePeakFlops({ threads: 0 }), 'ERR_OUT_OF_RANGE', RangeError, /threads: expected an integer in \[1, 4096\], got the number 0/);
    expectError(() => measurePeakFlops({ ms: '5' as never }), 'ERR_INVALID_ARG_TYPE', TypeError, /ms: expected a number/);
    expectError(() => measurePeakFlops({ repeats: 3 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /measurePeakFlops options/);
  });
});

describe('the raw linear entry points check what they are given', () => {
  const a = native();
  const layout = a.gemmLayout();
  const m = 5;
  const k = 3;
  const packedLength = a.packedWeightLength(layout, m, k);
  const ok = () => [new Float32Array(12), 4, k, new Float32Array(packedLength), layout, m, null, new Float32Array(20), 0, 0, null] as Parameters<typeof a.linearSync>;

  function nativeError(mutate: (args: unknown[]) => void, code: string, message: RegExp): void {
    const args: unknown[] = ok();
    mutate(args);
    let caught: unknown;
    try {
      (a.linearSync as (...v: unknown[]) => unknown)(...args);
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string })?.code, String(message)).toBe(code);
    expect((caught as Error).message).toMatch(message);
  }

  it('accepts consistent arguments', () => {
    expect(a.linearSync(...ok())).toBeInstanceOf(Float32Array);
    expect(packedLength).toBeGreaterThanOrEqual(m * k);
  });

  it('refuses inconsistent ones with coded errors', () => {
    nativeError((v) => (v[0] = new Float32Array(11)), 'ERR_GNN_SHAPE_MISMATCH', /x: expected 4 x 3 = 12 elements, got 11/);
    nativeError((v) => (v[3] = new Float32Array(packedLength - 1)), 'ERR_GNN_SHAPE_MISMATCH', /packed: expected/);
    nativeError((v) => (v[4] = 3), 'ERR_OUT_OF_RANGE', /layout: expected an integer in \[0, 2\]/);
    nativeError((v) => (v[6] = new Float32Array(4)), 'ERR_GNN_SHAPE_MISMATCH', /bias: expected 5 elements, got 4/);
    nativeError((v) => (v[7] = new Float32Array(19)), 'ERR_GNN_SHAPE_MISMATCH', /out: expected 4 x 5 = 20 elements, got 19/);
    nativeError((v) => (v[8] = 7), 'ERR_OUT_OF_RANGE', /activation/);
    nativeError((v) => (v[1] = 2 ** 53), 'ERR_OUT_OF_RANGE', /n: expected an integer/);
    nativeError((v) => (v[1] = 2 ** 52), 'ERR_OUT_OF_RANGE', /below 2\^53/);
    nativeError((v) => (v[10] = new Float32Array(14)), 'ERR_GNN_SHAPE_MISMATCH', /weight: expected 5 x 3 = 15 elements, got 14/);
    nativeError((v) => (v[0] = new Int32Array(12)), 'ERR_INVALID_ARG_TYPE', /x: expected a Float32Array, got an Int32Array/);
    nativeError((v) => v.splice(10, 1), 'ERR_INVALID_ARG_TYPE', /linear: expected 11 arguments/);
    // Overlaps the TypeScript layer would have caught: out over x, packed over the weight it packs.
    const shared = new Float32Array(64);
    nativeError((v) => ((v[0] = shared.subarray(0, 12)), (v[7] = shared.subarray(8, 28))), 'ERR_INVALID_ARG_VALUE', /out: expected memory separate/);
    nativeError(
      (v) => ((v[10] = shared.subarray(0, 15)), (v[3] = shared.subarray(10, 10 + packedLength))),
      'ERR_INVALID_ARG_VALUE',
      /packed: expected memory separate/,
    );
    expect(() => a.packedWeightLength(layout, 2 ** 40, 2 ** 20)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => a.packWeightSync(new Float32Array(15), m, k, layout, new Float32Array(1))).toThrow(expect.objectContaining({ code: 'ERR_GNN_SHAPE_MISMATCH' }));
    expect(() => a.measurePeakFlops(1, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe('measurePeakFlops', () => {
  it('reports a positive rate that grows no faster than the threads', () => {
    const one = measurePeakFlops({ threads: 1, ms: 20 });
    expect(one).toBeGreaterThan(0.1);
    expect(Number.isFinite(one)).toBe(true);
    const two = measurePeakFlops({ threads: 2, ms: 20 });
    // Two threads can at most double it (a little slack for timer noise).
    expect(two).toBeLessThan(2.5 * one);
  });
});
