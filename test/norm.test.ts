/**
 * ops.columnAffine, ops.layerNorm and ops.graphLayerNorm against float64 references
 * (test/reference/norm.ts states the bounds) at every awkward width and SIMD level, into
 * NaN-poisoned outputs; rows of mean 1e4 with a spread of 1 and of 1e-2; PyG's two graph-mode
 * formulas; 1 and 2 threads bitwise equal; async equal to sync; error codes.
 */
import { afterAll, describe, expect, it } from 'vitest';

import { GnnError, Tensor, getNumThreads, ops, setNumThreads } from '../lib/index';
import { nanFilled } from './helpers/compare';
import { LANES, WIDTHS, expectClose, expectSameBits, values } from './helpers/rowops';
import { availableSimdLevels, withSimd } from './helpers/simd';
import { columnAffineReference, graphLayerNormReference, layerNormReference } from './reference/norm';

const LEVELS = availableSimdLevels();

function poisoned(shape: number[]): Tensor<'float32'> {
  return Tensor.from(nanFilled(shape.reduce((a, b) => a * b, 1)), shape);
}

/** Rows of mean `mean` and values spread over ±spread (float32). */
function offsetRows(n: number, seed: number, mean: number, spread: number): Float32Array {
  return Float32Array.from(values(n, seed, -spread, spread), (v) => mean + v);
}

describe('columnAffine matches float64', () => {
  for (const width of WIDTHS) {
    it(`[7, ${width}]: scale and shift, scale only, shift only, neither`, () => {
      const x = values(7 * width, width, -4, 4);
      const scale = values(width, width + 1, -2, 2);
      const shift = values(width, width + 2, -3, 3);
      for (const [s, t] of [[scale, shift], [scale, null], [null, shift], [null, null]] as const) {
        const ref = columnAffineReference(x, width, s, t);
        for (const level of LEVELS) {
          const out = poisoned([7, width]);
          withSimd(level, () =>
            ops.columnAffineSync(Tensor.from(x, [7, width]), s === null ? null : Tensor.from(s), t === null ? null : Tensor.from(t, [1, width]), { out }),
          );
          expectClose(out.data, ref.out, ref.bound, `${level} F=${width} scale=${s !== null} shift=${t !== null}`);
        }
      }
    });
  }

  it('folds BatchNorm (eval) exactly as scale = w/sqrt(var+eps), shift = b − mean·scale; in place; any rank', () => {
    const f = 33;
    const x = values(5 * 2 * f, 9, -3, 3);
    const scale = values(f, 10, 0.5, 2);
    const shift = values(f, 11);
    const flat = ops.columnAffineSync(Tensor.from(x, [10, f]), Tensor.from(scale), Tensor.from(shift));
    const t = Tensor.from(x.slice(), [5, 2, f]);
    expect(ops.columnAffineSync(t, Tensor.from(scale), Tensor.from(shift), { out: t })).toBe(t);
    expectSameBits(t.data, flat.data, 'rank 3 in place vs rank 2');
    for (let i = 0; i < x.length; i++) expect(flat.data[i]).toBe(Math.fround(x[i] * scale[i % f] + shift[i % f]));
    for (const shape of [[0, 5], [4, 0]]) expect(ops.columnAffineSync(Tensor.zeros(shape), null, null).shape).toEqual(shape);
  });
});

describe('layerNorm matches float64 (torch.nn.functional.layer_norm)', () => {
  for (const width of WIDTHS) {
    it(`[6, ${width}]: centred rows, rows of mean 1e4 ± 1 and 1e4 ± 1e-2, with and without weight and bias`, () => {
      const weight = values(width, width + 3, -2, 2);
      const bias = values(width, width + 4, -1, 1);
      const inputs: Array<[string, Float32Array]> = [
        ['in [-3, 3]', values(6 * width, width + 5, -3, 3)],
        ['1e4 ± 1', offsetRows(6 * width, width + 6, 1e4, 1)],
        ['1e4 ± 1e-2', offsetRows(6 * width, width + 7, 1e4, 1e-2)],
      ];
      for (const [label, x] of inputs) {
        for (const [w, b] of [[weight, bias], [null, null], [weight, null], [null, bias]] as const) {
          for (const level of LEVELS) {
            const ref = layerNormReference(x, width, w, b, 1e-5, LANES[level]);
            const out = poisoned([6, width]);
            withSimd(level, () =>
              ops.layerNormSync(Tensor.from(x, [6, width]), {
                weight: w === null ? undefined : Tensor.from(w),
                bias: b === null ? null : Tensor.from(b),
                out,
              }),
            );
            expectClose(out.data, ref.out, ref.bound, `${level} F=${width} ${label} w=${w !== null} b=${b !== null}`);
          }
        }
      }
    });
  }

  it('a large mean costs nothing: rows at 1e4 ± 1 are within 1e-5 of float64 (a float32 one-pass mean is off by ~1e-3)', () => {
    const width = 257;
    const x = offsetRows(64 * width, 21, 1e4, 1);
    for (const level of LEVELS) {
      const out = withSimd(level, () => ops.layerNormSync(Tensor.from(x, [64, width])));
      const ref = layerNormReference(x, width, null, null, 1e-5, LANES[level]);
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(out.data[i] - ref.out[i]));
      expect(worst, `${level} worst absolute error`).toBeLessThan(1e-5);
    }
  });

  it('special rows: constant rows give bias, one column gives bias, NaN and inf stay in their row', () => {
    const width = 40;
    const x = values(4 * width, 3, -2, 2);
    for (let c = 0; c < width; c++) x[2 * width + c] = 12345.5; // constant row
    x[width + 7] = Number.NaN;
    x[3 * width + 1] = Number.POSITIVE_INFINITY;
    const bias = values(width, 4);
    for (const level of LEVELS) {
      const y = withSimd(level, () => ops.layerNormSync(Tensor.from(x, [4, width]), { bias: Tensor.from(bias) })).data;
      for (let c = 0; c < width; c++) {
        expect(Number.isFinite(y[c]), `${level} row 0`).toBe(true);
        expect(y[width + c], `${level} NaN row`).toBeNaN();
        expect(y[2 * width + c], `${level} constant row`).toBe(bias[c]);
        expect(y[3 * width + c], `${level} inf row`).toBeNaN();
      }
      const one = withSimd(level, () => ops.layerNormSync(Tensor.from(Float32Array.from([5, -7, 1e30]), [3, 1]), { bias: Tensor.from(Float32Array.from([0.25])) }));
      expect(Array.from(one.data)).toEqual([0.25, 0.25, 0.25]);
    }
  });

  it('eps is added to the variance; in place; any rank; empty tensors', () => {
    const x = values(2 * 3 * 10, 12, -0.01, 0.01);
    const big = ops.layerNormSync(Tensor.from(x, [6, 10]), { eps: 0.5 });
    const ref = layerNormReference(x, 10, null, null, 0.5, 16);
    for (let i = 0; i < x.length; i++) expect(Math.abs(big.data[i] - ref.out[i])).toBeLessThanOrEqual(ref.bound[i]);
    const flat = ops.layerNormSync(Tensor.from(x, [6, 10]));
    const t = Tensor.from(x.slice(), [2, 3, 10]);
    expect(ops.layerNormSync(t, { out: t })).toBe(t);
    expectSameBits(t.data, flat.data, 'rank 3 in place vs rank 2');
    for (const shape of [[0, 5], [4, 0], [0]]) expect(ops.layerNormSync(Tensor.zeros(shape)).shape).toEqual(shape);
  });
});

describe('graphLayerNorm matches PyG LayerNorm(mode="graph")', () => {
  const n = 300;
  // Unsorted graph ids with gaps (empty graphs 3 and 6) and a one-node graph (5).
  const batch = Int32Array.from({ length: n }, (_, r) => (r === 17 ? 5 : [0, 1, 2, 4, 7][(r * 7) % 5]));
  for (const width of WIDTHS) {
    it(`[${n}, ${width}]: with batch (eps on the variance) and without (eps on the std)`, () => {
      const x = values(n * width, width + 8, -3, 3);
      const shifted = offsetRows(n * width, width + 9, 1e4, 1);
      const weight = values(width, width + 10, -2, 2);
      const bias = values(width, width + 11);
      for (const [label, data] of [['in [-3, 3]', x], ['1e4 ± 1', shifted]] as const) {
        for (const b of [batch, null]) {
          for (const level of LEVELS) {
            const ref = graphLayerNormReference(data, width, b, weight, bias, 1e-5, LANES[level]);
            const out = poisoned([n, width]);
            withSimd(level, () =>
              ops.graphLayerNormSync(Tensor.from(data, [n, width]), {
                batch: b === null ? undefined : Tensor.from(b, [n]),
                weight: Tensor.from(weight),
                bias: Tensor.from(bias),
                out,
              }),
            );
            expectClose(out.data, ref.out, ref.bound, `${level} F=${width} ${label} batch=${b !== null}`);
          }
        }
      }
    });
  }

  it('PyG\'s two paths differ only where eps goes: one graph with a batch of zeros vs no batch', () => {
    const x = values(50 * 4, 30, -0.1, 0.1);
    const t = Tensor.from(x, [50, 4]);
    const withBatch = ops.graphLayerNormSync(t, { batch: new Int32Array(50), eps: 0.25 });
    const without = ops.graphLayerNormSync(t, { eps: 0.25 });
    const a = graphLayerNormReference(x, 4, new Int32Array(50), null, null, 0.25, 16);
    const b = graphLayerNormReference(x, 4, null, null, null, 0.25, 16);
    expectClose(withBatch.data, a.out, a.bound, 'eps on the variance');
    expectClose(without.data, b.out, b.bound, 'eps on the std');
    expect(Math.abs(withBatch.data[0] - without.data[0])).toBeGreaterThan(1e-2);
    // And neither is the per-node layerNorm.
    expect(Math.abs(ops.layerNormSync(t).data[0] - withBatch.data[0])).toBeGreaterThan(1e-3);
  });
});

const defaultThreads = getNumThreads();
afterAll(() => {
  setNumThreads(defaultThreads);
});

describe('thread counts and async', () => {
  // 2^17 elements is where the kernels start using more than one thread; these are ~2x that.
  const N = 4099;
  const F = 65;
  const x = Tensor.from(offsetRows(N * F, 40, 3, 2), [N, F]);
  const w = Tensor.from(values(F, 41));
  const b = Tensor.from(values(F, 42));
  const batch = Int32Array.from({ length: N }, (_, r) => Math.floor((r * 13) / N) * 3);
  const cases = [
    { name: 'columnAffine', sync: () => ops.columnAffineSync(x, w, b, { out: poisoned([N, F]) }), async: () => ops.columnAffine(x, w, b, { out: poisoned([N, F]) }) },
    { name: 'layerNorm', sync: () => ops.layerNormSync(x, { weight: w, bias: b, out: poisoned([N, F]) }), async: () => ops.layerNorm(x, { weight: w, bias: b, out: poisoned([N, F]) }) },
    { name: 'graphLayerNorm batch', sync: () => ops.graphLayerNormSync(x, { batch, weight: w, out: poisoned([N, F]) }), async: () => ops.graphLayerNorm(x, { batch, weight: w, out: poisoned([N, F]) }) },
    { name: 'graphLayerNorm one graph', sync: () => ops.graphLayerNormSync(x, { out: poisoned([N, F]) }), async: () => ops.graphLayerNorm(x, { out: poisoned([N, F]) }) },
  ];
  for (const c of cases) {
    it(`${c.name}: 1 and 2 threads bitwise equal at every level; async equals sync`, async () => {
      for (const level of LEVELS) {
        setNumThreads(1);
        const one = withSimd(level, c.sync);
        setNumThreads(2);
        const two = withSimd(level, c.sync);
        expectSameBits(two.data, one.data, `${level} ${c.name} 2 threads vs 1`);
        for (const v of one.data) if (Number.isNaN(v)) expect.fail(`${c.name}: an output element was not written`);
      }
      const viaAsync = await c.async();
      expectSameBits(viaAsync.data, c.sync().data, `${c.name} async vs sync`);
    });
  }
});

describe('errors', () => {
  const x = Tensor.from(values(12, 1), [3, 4]);
  const expectCode = (fn: () => unknown, code: string, message: RegExp): void => {
    let caught: unknown;
    try {
      fn();
    } catch (error) {
      caught = error;
    }
    expect(caught, 'threw').toBeInstanceOf(Error);
    expect((caught as { code: string }).code).toBe(code);
    expect((caught as Error).message).toMatch(message);
  };
  it('shapes, types, eps, batch and options are checked with codes that name the argument', async () => {
    expectCode(() => ops.columnAffineSync(x, Tensor.from(values(3, 2)), null), 'ERR_GNN_SHAPE_MISMATCH', /^scale: expected a row vector \[4\].*got \[3\]/);
    expectCode(() => ops.columnAffineSync(x, null, Tensor.zeros([2, 4])), 'ERR_GNN_SHAPE_MISMATCH', /^shift: expected a row vector \[4\].*got \[2, 4\]/);
    expectCode(() => ops.columnAffineSync(x, null, null, { out: Tensor.zeros([4, 3]) }), 'ERR_GNN_SHAPE_MISMATCH', /^out: expected shape \[3, 4\], got \[4, 3\]/);
    expectCode(() => ops.columnAffineSync(x, x as never, null), 'ERR_GNN_SHAPE_MISMATCH', /^scale/);
    expectCode(() => ops.columnAffineSync(new Float32Array(4) as never, null, null), 'ERR_INVALID_ARG_TYPE', /^x: expected a Tensor/);
    expectCode(() => ops.columnAffineSync(x, null, null, { inplace: true } as never), 'ERR_INVALID_ARG_VALUE', /columnAffineSync options/);
    const shared = Tensor.from(values(4, 3));
    expectCode(() => ops.columnAffineSync(x, shared, null, { out: Tensor.from(new Float32Array(shared.data.buffer, 0, 4), [1, 4]) as never }), 'ERR_GNN_SHAPE_MISMATCH', /^out: expected/);
    expectCode(() => ops.layerNormSync(x, { eps: -1 }), 'ERR_OUT_OF_RANGE', /^eps: expected a number >= 0/);
    expectCode(() => ops.layerNormSync(x, { eps: Number.NaN }), 'ERR_OUT_OF_RANGE', /^eps/);
    expectCode(() => ops.layerNormSync(x, { eps: '1e-5' as never }), 'ERR_INVALID_ARG_TYPE', /^eps: expected a number/);
    expectCode(() => ops.layerNormSync(x, { weight: Tensor.zeros([5]) }), 'ERR_GNN_SHAPE_MISMATCH', /^weight: expected a row vector \[4\]/);
    expectCode(() => ops.layerNormSync(x, { batch: new Int32Array(3) } as never), 'ERR_INVALID_ARG_VALUE', /layerNormSync options/);
    expectCode(() => ops.layerNormSync(Tensor.zeros([]) as never), 'ERR_GNN_SHAPE_MISMATCH', /^x: expected a Tensor of rank 1 or more/);
    expectCode(() => ops.graphLayerNormSync(Tensor.zeros([2, 3, 4])), 'ERR_GNN_SHAPE_MISMATCH', /^x/);
    expectCode(() => ops.graphLayerNormSync(x, { batch: new Int32Array(2) }), 'ERR_GNN_SHAPE_MISMATCH', /^batch: expected 3 graph ids/);
    expectCode(() => ops.graphLayerNormSync(x, { batch: new Float32Array(3) as never }), 'ERR_INVALID_ARG_TYPE', /^batch: expected an Int32Array/);
    expectCode(() => ops.graphLayerNormSync(x, { batch: Int32Array.from([0, -1, 0]) }), 'ERR_OUT_OF_RANGE', /^batch: expected graph ids in \[0, 3\), got batch\[1\] = -1/);
    const out = poisoned([3, 4]);
    expectCode(() => ops.graphLayerNormSync(x, { batch: Int32Array.from([0, 1, 3]), out }), 'ERR_OUT_OF_RANGE', /batch\[2\] = 3/);
    for (const v of out.data) expect(v, 'nothing written on a bad batch').toBeNaN();
    // Async forms reject with the same codes and keep the caller's stack.
    await expect(ops.layerNorm(x, { eps: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(ops.columnAffine(x, Tensor.zeros([3]), null)).rejects.toBeInstanceOf(GnnError);
    const rejected = await ops.graphLayerNorm(x, { batch: Int32Array.from([0, 5, 0]) }).catch((e: Error) => e);
    expect((rejected as unknown as { code: string }).code).toBe('ERR_OUT_OF_RANGE');
    expect((rejected as unknown as Error).stack).toMatch(/norm\.test\.ts/);
  });

  it('the async forms resolve with their out tensor', async () => {
    const out = poisoned([3, 4]);
    expect(await ops.layerNorm(x, { out })).toBe(out);
    expect(await ops.columnAffine(x, null, null, { out: x })).toBe(x);
  });
});
