/**
 * SparseWeight and sparseWeightLinear against the float64 reference (test/reference/linear.ts states
 * the bound: a float32 sum of the row's terms in any fixed order, plus the bias, then the
 * activation's own ulps). Weights are random at densities 0, 0.01, 0.1, 0.5 and 1, with an empty
 * row and a full row, on widths on both sides of every block and vector width (block rows 4 / 16
 * / 32), on every SIMD level of this CPU. Outputs are poisoned with NaN first, so an element the
 * kernel forgets to write fails. Then: the thread count changes no bit, sync and async agree, the
 * dense `linear` on the zero-filled weight agrees within both paths' bounds, and every bad argument
 * gives its coded error.
 */
import { describe, expect, it } from 'vitest';

import { GnnError, Random, SparseWeight, Tensor, getNumThreads, ops, setNumThreads, setSimdLevel } from '../lib/index';
import type { ActivationName } from '../lib/index';
import { randomArray } from './fixtures/graphs';
import { expectBitwiseEqual, expectWithin, nanFilled } from './helpers/compare';
import { expectError } from './helpers/errors';
import { availableSimdLevels, withSimd } from './helpers/simd';
import { linearReference } from './reference/linear';
import { addon } from '../lib/backend';

const LEVELS = availableSimdLevels();
const WIDTHS = [1, 3, 15, 16, 17, 63, 64, 65, 130];
const ROWS = [1, 5, 16, 17, 100];
const DENSITIES = [0, 0.01, 0.1, 0.5, 1];
const ACTIVATIONS: ActivationName[] = ['none', 'relu', 'leaky_relu', 'elu', 'gelu', 'sigmoid', 'tanh'];

/** A dense [m, k] weight with about density m k nonzeros; row 0 empty and row 1 full when 0 < density < 1 and m > 2. */
function sparseDense(m: number, k: number, density: number, seed: number): Tensor<'float32'> {
  const rng = new Random(seed);
  const w = Tensor.zeros([m, k]);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < k; c++) {
      let keep = rng.float() < density;
      if (m > 2 && density > 0 && density < 1) keep = r === 1 || (r !== 0 && keep);
      if (density === 1) keep = true;
      // Never an exact zero among the kept values, so fromDense keeps exactly these.
      if (keep) w.data[r * k + c] = (rng.float() < 0.5 ? -1 : 1) * (0.05 + rng.float());
    }
  }
  return w;
}

interface Problem {
  n: number;
  k: number;
  m: number;
  x: Tensor<'float32'>;
  dense: Tensor<'float32'>;
  w: SparseWeight;
  b: Tensor<'float32'>;
}

function problem(n: number, k: number, m: number, density: number, seed: number, scale = 1): Problem {
  const dense = sparseDense(m, k, density, seed);
  return {
    n,
    k,
    m,
    x: Tensor.from(randomArray(n * k, seed + 1, -scale, scale), [n, k]),
    dense,
    w: SparseWeight.fromDense(dense),
    b: Tensor.from(randomArray(m, seed + 2, -1, 1), [m]),
  };
}

const poisoned = (n: number, m: number): Tensor<'float32'> => Tensor.from(nanFilled(n * m), [n, m]);

function check(p: Problem, act: ActivationName, withBias: boolean, alpha?: number, label = ''): void {
  const ref = linearReference(p.x.data, p.dense.data, withBias ? p.b.data : null, p.n, p.k, p.m, act, alpha);
  for (const level of LEVELS) {
    const out = poisoned(p.n, p.m);
    const r = withSimd(level, () => ops.sparseWeightLinearSync(p.x, p.w, { bias: withBias ? p.b : undefined, activation: act, alpha, out }));
    expect(r).toBe(out);
    expectWithin(out.data, ref.out, ref.bound, `${label} ${level} ${act} bias=${withBias} N=${p.n} K=${p.k} M=${p.m} nnz=${p.w.nnz}`);
  }
}

describe('SparseWeight', () => {
  it('fromDense keeps the nonzeros (drops 0 and -0, keeps NaN) and toDense round-trips', () => {
    const d = Tensor.from(Float32Array.from([0, 1.5, -0, 0, Number.NaN, 0, -2, 0, 0, 0, 0, 3]), [3, 4]);
    const w = SparseWeight.fromDense(d);
    expect(w.shape).toEqual([3, 4]);
    expect(Array.from(w.indptr)).toEqual([0, 1, 3, 4]);
    expect(Array.from(w.indices)).toEqual([1, 0, 2, 3]);
    expect(Array.from(w.values)).toEqual([1.5, Number.NaN, -2, 3]);
    expect(w.nnz).toBe(4);
    expect(w.density).toBeCloseTo(4 / 12, 12);
    expect(w.byteLength).toBe(4 * 4 + 4 * 4 + 4 * 4);
    const back = w.toDense();
    expect(Array.from(back.data)).toEqual([0, 1.5, 0, 0, Number.NaN, 0, -2, 0, 0, 0, 0, 3]);
    expect(Object.is(back.data[2], 0)).toBe(true); // -0 was dropped, so it comes back as +0
    for (const [m, k, density] of [
      [7, 13, 0.3],
      [1, 1, 1],
      [5, 0, 0],
      [0, 5, 0],
      [65, 130, 0.01],
    ]) {
      const dense = sparseDense(m, k, density, m * 100 + k);
      const sw = SparseWeight.fromDense(dense);
      expectBitwiseEqual(sw.toDense().data, dense.data, `round trip ${m}x${k}`);
      expect(new SparseWeight([m, k], sw.indptr, sw.indices, sw.values).nnz).toBe(sw.nnz);
    }
    expect(SparseWeight.fromDense(Tensor.zeros([0, 0])).density).toBe(0);
  });

  it('the constructor checks its arrays with coded errors', () => {
    const ip = Int32Array.from([0, 1, 3]);
    const ix = Int32Array.from([2, 0, 3]);
    const v = Float32Array.from([1, 2, 3]);
    expect(new SparseWeight([2, 4], ip, ix, v).nnz).toBe(3);
    expectError(() => new SparseWeight([2, 4], Int32Array.from([0, 1]), ix, v), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /indptr: expected 3 entries/);
    expectError(() => new SparseWeight([2, 4], ip, ix, Float32Array.from([1, 2])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /values/);
    expectError(() => new SparseWeight([2, 4], Int32Array.from([1, 1, 3]), ix, v), 'ERR_INVALID_ARG_VALUE', TypeError, /indptr: expected to start at 0/);
    expectError(() => new SparseWeight([2, 4], Int32Array.from([0, 1, 2]), ix, v), 'ERR_INVALID_ARG_VALUE', TypeError, /end at nnz = 3/);
    expectError(() => new SparseWeight([3, 4], Int32Array.from([0, 2, 1, 3]), ix, v), 'ERR_INVALID_ARG_VALUE', TypeError, /non-decreasing/);
    expectError(() => new SparseWeight([2, 4], ip, Int32Array.from([2, 0, 4]), v), 'ERR_OUT_OF_RANGE', RangeError, /indices\[2\] = 4/);
    expectError(() => new SparseWeight([2, 4], ip, Int32Array.from([2, 0, -1]), v), 'ERR_OUT_OF_RANGE', RangeError, /\[0, 4\)/);
    expectError(() => new SparseWeight([2, 4], ip, Int32Array.from([2, 3, 1]), v), 'ERR_INVALID_ARG_VALUE', TypeError, /increasing ids/);
    expectError(() => new SparseWeight([2, 4], ip, Int32Array.from([2, 3, 3]), v), 'ERR_INVALID_ARG_VALUE', TypeError, /increasing ids/);
    expectError(() => new SparseWeight([2, 4], Float32Array.from([0, 1, 3]) as unknown as Int32Array, ix, v), 'ERR_INVALID_ARG_TYPE', TypeError, /indptr: expected an Int32Array/);
    expectError(() => new SparseWeight([2, 4], ip, Array.from(ix) as unknown as Int32Array, v), 'ERR_INVALID_ARG_TYPE', TypeError, /indices/);
    expectError(() => new SparseWeight([2, 4], ip, ix, Float64Array.from(v) as unknown as Float32Array), 'ERR_INVALID_ARG_TYPE', TypeError, /values: expected a Float32Array/);
    expectError(() => new SparseWeight([2, -4], ip, ix, v), 'ERR_OUT_OF_RANGE', RangeError, /shape\[1\]/);
    expectError(() => new SparseWeight([2.5, 4], ip, ix, v), 'ERR_OUT_OF_RANGE', RangeError, /shape\[0\]/);
    expectError(() => new SparseWeight([2] as unknown as [number, number], ip, ix, v), 'ERR_INVALID_ARG_TYPE', TypeError, /shape/);
    expectError(() => SparseWeight.fromDense(Tensor.zeros([4])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /rank 2/);
    expectError(() => SparseWeight.fromDense(Tensor.from(new Int32Array(4), [2, 2]) as unknown as Tensor<'float32'>), 'ERR_INVALID_ARG_TYPE', TypeError);
  });
});

describe('sparseWeightLinearSync matches the float64 reference', () => {
  for (const density of DENSITIES) {
    it(`density ${density}: K, M in ${WIDTHS.join(' ')}, N in ${ROWS.join(' ')}`, () => {
      let i = 0;
      for (const k of WIDTHS) {
        for (const m of WIDTHS) {
          for (const n of ROWS) {
            i++;
            check(problem(n, k, m, density, 7919 * k + 31 * m + n), 'none', i % 2 === 0);
          }
        }
      }
    });
  }

  for (const act of ACTIVATIONS) {
    it(`activation ${act}, with and without bias`, () => {
      const p = problem(37, 129, 65, 0.3, 20, 0.5);
      for (const alpha of act === 'leaky_relu' ? [undefined, 0.2] : act === 'elu' ? [undefined, 0.5] : [undefined]) {
        check(p, act, true, alpha);
        check(p, act, false, alpha);
      }
      // Empty rows give act(bias) exactly as the activation op computes it.
      const empty = problem(5, 9, 20, 0, 21);
      for (const level of LEVELS) {
        const out = withSimd(level, () => ops.sparseWeightLinearSync(empty.x, empty.w, { bias: empty.b, activation: act, out: poisoned(5, 20) }));
        const want = withSimd(level, () => ops.activationSync(empty.b, act));
        for (let r = 0; r < 5; r++) expectBitwiseEqual(out.data.subarray(r * 20, r * 20 + 20), want.data, `${level} ${act} empty rows`);
      }
    });
  }

  it('a 1-D x gives [M]; K = 0, N = 0 and M = 0 work', () => {
    const p = problem(1, 37, 11, 0.4, 3);
    const ref = linearReference(p.x.data, p.dense.data, p.b.data, 1, 37, 11, 'relu');
    for (const level of LEVELS) {
      const out = Tensor.from(nanFilled(11));
      withSimd(level, () => ops.sparseWeightLinearSync(Tensor.from(p.x.data), p.w, { bias: p.b, activation: 'relu', out }));
      expectWithin(out.data, ref.out, ref.bound, `${level} 1-D`);
      withSimd(level, () => {
        const b = Tensor.from(Float32Array.from([-1, 0.5, 2]));
        const w0 = SparseWeight.fromDense(Tensor.zeros([3, 0]));
        const out0 = ops.sparseWeightLinearSync(Tensor.zeros([4, 0]), w0, { bias: b, activation: 'relu', out: poisoned(4, 3) });
        expect(Array.from(out0.data)).toEqual([0, 0.5, 2, 0, 0.5, 2, 0, 0.5, 2, 0, 0.5, 2]);
        expect(ops.sparseWeightLinearSync(Tensor.zeros([0, 5]), SparseWeight.fromDense(Tensor.zeros([3, 5]))).shape).toEqual([0, 3]);
        expect(ops.sparseWeightLinearSync(Tensor.zeros([4, 5]), SparseWeight.fromDense(Tensor.zeros([0, 5]))).shape).toEqual([4, 0]);
      });
    }
    expect(ops.sparseWeightLinearSync(Tensor.from(p.x.data), p.w).shape).toEqual([11]);
  });

  it('large K and N (Cora-like 1433 -> 16, 3000 rows), every level', () => {
    const p = problem(3000, 1433, 16, 0.05, 90);
    const ref = linearReference(p.x.data, p.dense.data, p.b.data, p.n, p.k, p.m, 'elu');
    check(p, 'elu', true);
    expect(ref.out.length).toBe(3000 * 16);
  });

  it('agrees with the dense linear on the zero-filled weight, within both bounds', () => {
    for (const [n, k, m, density] of [
      [100, 130, 65, 0.1],
      [17, 64, 130, 0.5],
      [33, 1433, 16, 0.02],
    ]) {
      const p = problem(n, k, m, density, n + k + m);
      const ref = linearReference(p.x.data, p.dense.data, p.b.data, n, k, m, 'tanh');
      const twice = ref.bound.map((b) => 2 * b);
      for (const level of LEVELS) {
        const sparse = withSimd(level, () => ops.sparseWeightLinearSync(p.x, p.w, { bias: p.b, activation: 'tanh' }));
        const dense = withSimd(level, () => ops.linearSync(p.x, p.dense, { bias: p.b, activation: 'tanh' }));
        expectWithin(sparse.data, Float64Array.from(dense.data), twice, `${level} sparse vs dense ${n}x${k}x${m}`);
      }
    }
  });

  it('NaN in x reaches only the rows (and channels) whose stored weights read it', () => {
    const p = problem(40, 30, 20, 0.2, 41);
    p.x.data[7 * 30 + 4] = Number.NaN;
    for (const level of LEVELS) {
      const out = withSimd(level, () => ops.sparseWeightLinearSync(p.x, p.w, { out: poisoned(40, 20) }));
      for (let r = 0; r < 40; r++) {
        for (let c = 0; c < 20; c++) {
          const reads = p.dense.data[c * 30 + 4] !== 0;
          expect(Number.isNaN(out.data[r * 20 + c]), `${level} [${r}, ${c}]`).toBe(r === 7 && reads);
        }
      }
    }
  });
});

describe('threads, sync and async', () => {
  it('thread counts 1, 2 and 3 give bitwise equal results', () => {
    const before = getNumThreads();
    try {
      for (const [n, k, m, d] of [
        [1000, 130, 65, 0.3],
        [3001, 200, 17, 0.05],
      ]) {
        const p = problem(n, k, m, d, 60);
        for (const level of LEVELS) {
          const results = [1, 2, 3].map((t) => {
            setNumThreads(t);
            return withSimd(level, () => ops.sparseWeightLinearSync(p.x, p.w, { bias: p.b, activation: 'gelu', out: poisoned(n, m) }));
          });
          expectBitwiseEqual(results[1].data, results[0].data, `${level} 2 vs 1 threads`);
          expectBitwiseEqual(results[2].data, results[0].data, `${level} 3 vs 1 threads`);
        }
      }
    } finally {
      setNumThreads(before);
    }
  });

  it('async and sync agree bitwise, the async form returns out, and its errors reject', async () => {
    const p = problem(500, 96, 80, 0.2, 70);
    const detected = LEVELS[LEVELS.length - 1];
    for (const level of LEVELS) {
      const sync = withSimd(level, () => ops.sparseWeightLinearSync(p.x, p.w, { bias: p.b, activation: 'sigmoid' }));
      const out = poisoned(500, 80);
      setSimdLevel(level);
      try {
        const r = await ops.sparseWeightLinear(p.x, p.w, { bias: p.b, activation: 'sigmoid', out });
        expect(r).toBe(out);
      } finally {
        setSimdLevel(detected);
      }
      expectBitwiseEqual(out.data, sync.data, `${level} async vs sync`);
    }
    const all = await Promise.all([0, 1, 2, 3].map(() => ops.sparseWeightLinear(p.x, p.w)));
    const want = ops.sparseWeightLinearSync(p.x, p.w);
    for (const r of all) expectBitwiseEqual(r.data, want.data, 'concurrent');
    await expect(ops.sparseWeightLinear(Tensor.zeros([3, 95]), p.w)).rejects.toMatchObject({ code: 'ERR_GNN_SHAPE_MISMATCH' });
    await expect(ops.sparseWeightLinear(p.x, p.w, { out: p.x })).rejects.toMatchObject({ code: 'ERR_GNN_SHAPE_MISMATCH' });
  });

  it('the kernel reads the copy made on first use: changing the arrays afterwards cannot reach it', () => {
    const p = problem(20, 10, 6, 0.5, 80);
    const before = ops.sparseWeightLinearSync(p.x, p.w);
    p.w.indices.fill(1_000_000);
    p.w.indptr[3] = -5;
    const after = ops.sparseWeightLinearSync(p.x, p.w);
    expectBitwiseEqual(after.data, before.data, 'after mutation');
  });
});

describe('errors', () => {
  const p = problem(6, 10, 4, 0.5, 90);
  it('shapes, dtypes, options and overlapping out', () => {
    expectError(() => ops.sparseWeightLinearSync(Tensor.zeros([6, 9]), p.w), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /x: expected 10 features/);
    expectError(() => ops.sparseWeightLinearSync(Tensor.zeros([2, 3, 10]), p.w), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /rank 1 or 2/);
    expectError(() => ops.sparseWeightLinearSync(Tensor.from(new Int32Array(60), [6, 10]) as unknown as Tensor<'float32'>, p.w), 'ERR_INVALID_ARG_TYPE', TypeError, /x: expected a float32 Tensor/);
    expectError(() => ops.sparseWeightLinearSync(p.x, p.dense as unknown as SparseWeight), 'ERR_INVALID_ARG_TYPE', TypeError, /weight: expected a SparseWeight/);
    expectError(() => ops.sparseWeightLinearSync(p.x, p.w, { bias: Tensor.zeros([5]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /bias: expected shape \[4\]/);
    expectError(() => ops.sparseWeightLinearSync(p.x, p.w, { bias: Tensor.from(new Int32Array(4)) as unknown as Tensor<'float32'> }), 'ERR_INVALID_ARG_TYPE', TypeError, /bias/);
    expectError(() => ops.sparseWeightLinearSync(p.x, p.w, { out: Tensor.zeros([6, 5]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /out: expected shape \[6, 4\]/);
    const shared = new Float32Array(6 * 10 + 6 * 4);
    const x = Tensor.from(shared.subarray(0, 60), [6, 10]);
    x.data.set(p.x.data);
    expectError(() => ops.sparseWeightLinearSync(x, p.w, { out: Tensor.from(shared.subarray(50, 74), [6, 4]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /overlaps/);
    expect(ops.sparseWeightLinearSync(x, p.w, { out: Tensor.from(shared.subarray(60, 84), [6, 4]) }).shape).toEqual([6, 4]);
    expectError(() => ops.sparseWeightLinearSync(p.x, p.w, { activation: 'swish' as ActivationName }), 'ERR_INVALID_ARG_VALUE', TypeError, /activation/);
    expectError(() => ops.sparseWeightLinearSync(p.x, p.w, { bogus: 1 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /bogus/);
    expectError(() => ops.sparseWeightLinearSync(p.x, p.w, { alpha: Number.NaN }), 'ERR_INVALID_ARG_TYPE', TypeError, /alpha/);
  });

  it('the raw addon refuses bad CSR arrays and sizes (it never trusts its caller for indptr)', () => {
    const a = addon();
    const x = new Float32Array(12);
    const out = new Float32Array(6);
    const ix = Int32Array.from([0, 2]);
    const v = Float32Array.from([1, 2]);
    const call = (indptr: Int32Array, n = 3, k = 4, o = out) => () => a.sparseLinearSync(x, n, k, indptr, ix, v, 2, null, o, 0, 0);
    expect(() => call(Int32Array.from([0, 1, 2]))()).not.toThrow();
    expectError(call(Int32Array.from([0, 3, 2])), 'ERR_INVALID_ARG_VALUE', TypeError, /non-decreasing/);
    expectError(call(Int32Array.from([0, 1, 3])), 'ERR_INVALID_ARG_VALUE', TypeError, /end at nnz/);
    expectError(call(Int32Array.from([0, 1])), 'ERR_GNN_SHAPE_MISMATCH', Error, /indptr/);
    expectError(call(Int32Array.from([0, 1, 2]), 4), 'ERR_GNN_SHAPE_MISMATCH', Error, /x: expected 4 x 4/);
    expectError(call(Int32Array.from([0, 1, 2]), 3, 4, new Float32Array(5)), 'ERR_GNN_SHAPE_MISMATCH', Error, /out/);
    expectError(() => a.sparseLinearSync(x, 3, 4, Int32Array.from([0, 1, 2]), ix, v, 2, null, x.subarray(0, 6), 0, 0), 'ERR_INVALID_ARG_VALUE', TypeError, /overlaps/);
    expectError(() => a.sparseLinearSync(x, 3, 4, Int32Array.from([0, 1, 2]), ix, v, 2, null, out, 9, 0), 'ERR_OUT_OF_RANGE', RangeError, /activation/);
  });
});

describe('sparseWeightWins', () => {
  it('is a threshold in density and checks its arguments', () => {
    for (const [m, k] of [
      [64, 64],
      [256, 256],
      [16, 1433],
    ]) {
      expect(ops.sparseWeightWins(m, k, 0)).toBe(true);
      expect(ops.sparseWeightWins(m, k, 1)).toBe(false);
      let last = true;
      for (let d = 0; d <= 1; d += 0.01) {
        const w = ops.sparseWeightWins(m, k, d, 10_000);
        if (w) expect(last, `monotone at ${d}`).toBe(true);
        last = w;
      }
    }
    // The measured classes (BENCHMARKS.md): square layers win to ~30%, narrow outputs only at the
    // lowest densities, small layers over many rows (DRAM-bound on both paths) to ~5%.
    expect(ops.sparseWeightWins(256, 256, 0.1)).toBe(true);
    expect(ops.sparseWeightWins(256, 256, 0.5)).toBe(false);
    expect(ops.sparseWeightWins(16, 1433, 0.01)).toBe(true);
    expect(ops.sparseWeightWins(16, 1433, 0.05)).toBe(false);
    expect(ops.sparseWeightWins(64, 64, 0.2, 10_000)).toBe(true);
    expect(ops.sparseWeightWins(64, 64, 0.2, 100_000)).toBe(false);
    expectError(() => ops.sparseWeightWins(64, 64, 1.5), 'ERR_OUT_OF_RANGE', RangeError, /density/);
    expectError(() => ops.sparseWeightWins(-1, 64, 0.5), 'ERR_OUT_OF_RANGE', RangeError, /m/);
    expectError(() => ops.sparseWeightWins(64, 64, 0.5, 2.5), 'ERR_OUT_OF_RANGE', RangeError, /rows/);
  });
});
