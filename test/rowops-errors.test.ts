/**
 * Every error of the row ops, by code and message, sync and async (the async forms reject, never
 * throw, and carry the caller's stack): wrong dtypes and types, shapes that disagree, bad
 * indices (checked natively before anything is written), unknown options, bad factors, outputs
 * overlapping inputs, detached buffers; and the native argument checks behind them.
 */
import { MessageChannel } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { GnnError, Tensor, ops } from '../lib/index';
import { native } from '../lib/native';
import { nanFilled } from './helpers/compare';
import { expectError } from './helpers/errors';
import type { ErrorClass } from './helpers/errors';


async function expectRejection(fn: () => Promise<unknown>, code: string, cls: ErrorClass, message?: RegExp): Promise<Error> {
  let promise: Promise<unknown> | undefined;
  expect(() => {
    promise = fn();
  }, 'async forms never throw synchronously').not.toThrow();
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a rejection with ${code}`).toBeInstanceOf(cls);
  expect((caught as { code?: string }).code).toBe(code);
  if (message !== undefined) expect((caught as Error).message).toMatch(message);
  return caught as Error;
}

function detach(view: ArrayBufferView): void {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, [view.buffer as ArrayBuffer]);
  port1.close();
  port2.close();
}

const f = (shape: number[]): Tensor<'float32'> => Tensor.zeros(shape);
const x = Tensor.from(Float32Array.from({ length: 12 }, (_, i) => i), [4, 3]);
const i32 = Tensor.zeros([4, 3], 'int32');
const OVERLAP = /overlaps one/;

describe('add and scale errors', () => {
  it('dtypes and types', async () => {
    expectError(() => ops.addSync(i32 as never, x), 'ERR_INVALID_ARG_TYPE', TypeError, /a: expected a float32 Tensor, got a int32 Tensor/);
    expectError(() => ops.addSync(x, new Float32Array(12) as never), 'ERR_INVALID_ARG_TYPE', TypeError, /b: expected a Tensor \(float32\), got a Float32Array/);
    expectError(() => ops.scaleSync(x, '2' as never), 'ERR_INVALID_ARG_TYPE', TypeError, /s: expected a number or a float32 Tensor, got the string "2"/);
    expectError(() => ops.scaleSync(x, Tensor.zeros([4], 'int32') as never), 'ERR_INVALID_ARG_TYPE', TypeError, /s: expected a float32 Tensor/);
    await expectRejection(() => ops.add(x, i32 as never), 'ERR_INVALID_ARG_TYPE', TypeError);
    await expectRejection(() => ops.scale(i32 as never, 2), 'ERR_INVALID_ARG_TYPE', TypeError);
  });

  it('shapes that disagree', async () => {
    expectError(() => ops.addSync(x, f([4, 1])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /b: expected shape \[4, 3\] \(like a\) or a row vector \[3\], got \[4, 1\]/);
    expectError(() => ops.addSync(x, f([2, 3])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /got \[2, 3\]/);
    expectError(() => ops.addSync(x, f([12])), 'ERR_GNN_SHAPE_MISMATCH', GnnError);
    expectError(() => ops.addSync(x, f([3]), { out: f([3, 4]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /out: expected shape \[4, 3\], got \[3, 4\]/);
    expectError(() => ops.scaleSync(x, f([5])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /s: expected a number or one factor per row of x, shape \[4\] or \[4, 1\], got \[5\]/);
    expectError(() => ops.scaleSync(x, f([4, 3])), 'ERR_GNN_SHAPE_MISMATCH', GnnError);
    await expectRejection(() => ops.add(x, f([4, 1])), 'ERR_GNN_SHAPE_MISMATCH', GnnError);
  });

  it('unknown options and bad factors', async () => {
    expectError(() => ops.addSync(x, x, { alhpa: 2 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /addSync options: expected only the keys alpha, beta, out, got the key "alhpa"/);
    expectError(() => ops.scaleSync(x, 2, { bias: 1 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /bias/);
    expectError(() => ops.addSync(x, x, 'fast' as never), 'ERR_INVALID_ARG_TYPE', TypeError, /options/);
    expectError(() => ops.addSync(x, x, { alpha: '1' as never }), 'ERR_INVALID_ARG_TYPE', TypeError, /alpha: expected a number/);
    expectError(() => ops.addSync(x, x, { beta: Number.NaN }), 'ERR_OUT_OF_RANGE', RangeError, /beta: expected a number finite in float32, got the number NaN/);
    expectError(() => ops.addSync(x, x, { alpha: 1e39 }), 'ERR_OUT_OF_RANGE', RangeError, /alpha/);
    expectError(() => ops.scaleSync(x, Infinity), 'ERR_OUT_OF_RANGE', RangeError, /s: expected a number finite in float32/);
    await expectRejection(() => ops.add(x, x, { alhpa: 2 } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
  });

  it('outputs that overlap an input other than the one they replace', async () => {
    const buf = new Float32Array(15);
    const a = Tensor.from(buf.subarray(0, 12), [4, 3]);
    const shifted = Tensor.from(buf.subarray(3, 15), [4, 3]);
    expectError(() => ops.addSync(a, x, { out: shifted }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, OVERLAP);
    // A broadcast row inside out's memory would be overwritten by the first row.
    const rowInOut = Tensor.from(buf.subarray(0, 3));
    expectError(() => ops.addSync(x, rowInOut, { out: a }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, OVERLAP);
    expectError(() => ops.addSync(a, rowInOut, { out: a }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, OVERLAP);
    // Per-row factors inside out's memory likewise.
    expectError(() => ops.scaleSync(x, Tensor.from(buf.subarray(0, 4)), { out: a }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, OVERLAP);
    expectError(() => ops.scaleSync(a, 2, { out: shifted }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, OVERLAP);
    await expectRejection(() => ops.scale(a, 2, { out: shifted }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, OVERLAP);
    // Exactly the same memory through another Tensor is in place, and allowed.
    expect(ops.addSync(a, x, { out: Tensor.from(buf.subarray(0, 12), [4, 3]) }).shape).toEqual([4, 3]);
  });

  it('detached buffers', async () => {
    const d = Tensor.from(new Float32Array(12), [4, 3]);
    detach(d.data);
    expectError(() => ops.addSync(d, x), 'ERR_INVALID_ARG_VALUE', TypeError, /a: expected a usable buffer, got a detached ArrayBuffer/);
    expectError(() => ops.addSync(x, x, { out: d }), 'ERR_INVALID_ARG_VALUE', TypeError, /out: expected a usable buffer/);
    expectError(() => ops.scaleSync(d, 2), 'ERR_INVALID_ARG_VALUE', TypeError, /detached/);
    await expectRejection(() => ops.scale(d, 2), 'ERR_INVALID_ARG_VALUE', TypeError, /detached/);
  });
});

describe('softmax and concat errors', () => {
  it('softmax: dtype, rank 0, out shape, overlap, unknown option, detached', async () => {
    expectError(() => ops.softmaxSync(i32 as never), 'ERR_INVALID_ARG_TYPE', TypeError, /x: expected a float32 Tensor/);
    expectError(() => ops.logSoftmaxSync(Tensor.from(new Float32Array([1]), [])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /x: expected a Tensor of rank 1 or more, got shape \[\]/);
    expectError(() => ops.softmaxSync(x, { out: f([12]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /out: expected shape \[4, 3\], got \[12\]/);
    const buf = new Float32Array(13);
    expectError(() => ops.softmaxSync(Tensor.from(buf.subarray(0, 12), [4, 3]), { out: Tensor.from(buf.subarray(1, 13), [4, 3]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, OVERLAP);
    expectError(() => ops.softmaxSync(x, { dim: 0 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /softmaxSync options: expected only the keys out, got the key "dim"/);
    await expectRejection(() => ops.logSoftmax(x, { dim: 0 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /logSoftmax options/);
    const d = Tensor.from(new Float32Array(12), [4, 3]);
    detach(d.data);
    expectError(() => ops.softmaxSync(d), 'ERR_INVALID_ARG_VALUE', TypeError, /detached/);
    await expectRejection(() => ops.softmax(d), 'ERR_INVALID_ARG_VALUE', TypeError, /detached/);
  });

  it('concat: not a list, empty, mixed dtypes, leading dimensions, overlap, detached', async () => {
    expectError(() => ops.concatSync(x as never), 'ERR_INVALID_ARG_TYPE', TypeError, /tensors: expected an Array of float32 Tensors/);
    expectError(() => ops.concatSync([]), 'ERR_INVALID_ARG_VALUE', TypeError, /tensors: expected at least one Tensor/);
    expectError(() => ops.concatSync([x, i32 as never]), 'ERR_INVALID_ARG_TYPE', TypeError, /tensors\[1\]: expected a float32 Tensor/);
    expectError(() => ops.concatSync([x, f([5, 3])]), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /tensors\[1\]: expected shape \[4, F\] like tensors\[0\], got \[5, 3\]/);
    expectError(() => ops.concatSync([x, f([4, 1, 3])]), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /tensors\[1\]/);
    expectError(() => ops.concatSync([x, x], { out: f([4, 5]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /out: expected shape \[4, 6\], got \[4, 5\]/);
    const buf = new Float32Array(24);
    expectError(() => ops.concatSync([Tensor.from(buf.subarray(0, 12), [4, 3]), x], { out: Tensor.from(buf, [4, 6]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, OVERLAP);
    expectError(() => ops.concatSync([x], { axis: 0 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /axis/);
    const d = Tensor.from(new Float32Array(12), [4, 3]);
    detach(d.data);
    expectError(() => ops.concatSync([x, d]), 'ERR_INVALID_ARG_VALUE', TypeError, /tensors\[1\]: expected a usable buffer/);
    await expectRejection(() => ops.concat([x, d]), 'ERR_INVALID_ARG_VALUE', TypeError, /detached/);
  });
});

describe('index op errors', () => {
  it('a bad index throws ERR_OUT_OF_RANGE naming the first bad position, and writes nothing', async () => {
    for (const [bad, at, value] of [
      [new Int32Array([0, 3, 4, 9]), 2, 4],
      [new Int32Array([1, -1, 99]), 1, -1],
      [new Int32Array([-2147483648]), 0, -2147483648],
    ] as const) {
      const message = new RegExp(`index: expected values in \\[0, 4\\), got index\\[${at}\\] = ${value}`);
      const out = Tensor.from(nanFilled(bad.length * 3), [bad.length, 3]);
      expectError(() => ops.indexSelectSync(x, bad, { out }), 'ERR_OUT_OF_RANGE', RangeError, message);
      for (const v of out.data) expect(v).toBeNaN();
      const target = Tensor.from(new Float32Array(12).fill(7), [4, 3]);
      const src = Tensor.from(new Float32Array(bad.length * 3).fill(1), [bad.length, 3]);
      expectError(() => ops.indexCopySync(target, bad, src), 'ERR_OUT_OF_RANGE', RangeError, message);
      expectError(() => ops.indexAddSync(target, Tensor.from(bad.slice()), src), 'ERR_OUT_OF_RANGE', RangeError, message);
      for (const v of target.data) expect(v).toBe(7);
      const rejected = await expectRejection(() => ops.indexSelect(x, bad), 'ERR_OUT_OF_RANGE', RangeError, message);
      expect(rejected.stack, 'async errors carry the caller’s stack').toContain('rowops-errors.test.ts');
      await expectRejection(() => ops.indexAdd(target, bad, src), 'ERR_OUT_OF_RANGE', RangeError, message);
      for (const v of target.data) expect(v).toBe(7);
    }
    expectError(() => ops.indexSelectSync(Tensor.zeros([0, 3]), new Int32Array([0])), 'ERR_OUT_OF_RANGE', RangeError, /\[0, 0\), got index\[0\] = 0/);
  });

  it('index types and shapes', async () => {
    expectError(() => ops.indexSelectSync(x, [0, 1] as never), 'ERR_INVALID_ARG_TYPE', TypeError, /index: expected an Int32Array or an int32 Tensor, got an Array of length 2/);
    expectError(() => ops.indexSelectSync(x, new Uint32Array(2) as never), 'ERR_INVALID_ARG_TYPE', TypeError, /Uint32Array/);
    expectError(() => ops.indexSelectSync(x, Tensor.zeros([2]) as never), 'ERR_INVALID_ARG_TYPE', TypeError, /index: expected a int32 Tensor, got a float32 Tensor/);
    expectError(() => ops.indexSelectSync(x, Tensor.zeros([1, 2], 'int32')), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /index: expected a Tensor of rank 1, got shape \[1, 2\]/);
    expectError(() => ops.indexCopySync(x, new Int32Array(2), f([2, 4])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /src: expected shape \[2, 3\] \(one row per index\), got \[2, 4\]/);
    expectError(() => ops.indexAddSync(x, new Int32Array(2), f([3, 3])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /src: expected shape \[2, 3\]/);
    expectError(() => ops.indexSelectSync(x, new Int32Array(2), { out: f([2, 4]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /out: expected shape \[2, 3\], got \[2, 4\]/);
    expectError(() => ops.indexSelectSync(Tensor.from(new Float32Array(1), []), new Int32Array(1)), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /rank 1 or more/);
    expectError(() => ops.indexCopySync(i32 as never, new Int32Array(1), f([1, 3])), 'ERR_INVALID_ARG_TYPE', TypeError, /target: expected a float32 Tensor/);
    await expectRejection(() => ops.indexCopy(x, new Int32Array(2), f([2, 4])), 'ERR_GNN_SHAPE_MISMATCH', GnnError);
  });

  it('unknown options and bad alpha', async () => {
    expectError(() => ops.indexSelectSync(x, new Int32Array(1), { dim: 0 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /indexSelectSync options: expected only the keys out/);
    expectError(() => ops.indexAddSync(x, new Int32Array(1), f([1, 3]), { out: x } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /indexAddSync options: expected only the keys alpha, got the key "out"/);
    expectError(() => ops.indexAddSync(x, new Int32Array(1), f([1, 3]), { alpha: Number.POSITIVE_INFINITY }), 'ERR_OUT_OF_RANGE', RangeError, /alpha/);
    await expectRejection(() => ops.indexAdd(x, new Int32Array(1), f([1, 3]), { alhpa: 1 } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
  });

  it('outputs or targets that overlap the data or the index', () => {
    const buf = new ArrayBuffer(64 * 4);
    const data = Tensor.from(new Float32Array(buf, 0, 12), [4, 3]);
    const indexInSameBuffer = new Int32Array(buf, 48 * 4, 2);
    expectError(() => ops.indexSelectSync(data, new Int32Array(2), { out: Tensor.from(new Float32Array(buf, 8, 6), [2, 3]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, OVERLAP);
    expectError(() => ops.indexSelectSync(x, indexInSameBuffer, { out: Tensor.from(new Float32Array(buf, 46 * 4, 6), [2, 3]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, OVERLAP);
    expectError(() => ops.indexCopySync(data, new Int32Array(2), Tensor.from(new Float32Array(buf, 24, 6), [2, 3])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /target: expected memory separate from the inputs/);
    expectError(() => ops.indexAddSync(Tensor.from(new Float32Array(buf, 44 * 4, 12), [4, 3]), indexInSameBuffer, f([2, 3])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, OVERLAP);
  });

  it('detached buffers', async () => {
    const index = new Int32Array([0, 1]);
    detach(index);
    expectError(() => ops.indexSelectSync(x, index), 'ERR_INVALID_ARG_VALUE', TypeError, /index: expected a usable buffer, got a detached ArrayBuffer/);
    const target = Tensor.from(new Float32Array(12), [4, 3]);
    detach(target.data);
    expectError(() => ops.indexCopySync(target, new Int32Array(1), f([1, 3])), 'ERR_INVALID_ARG_VALUE', TypeError, /target: expected a usable buffer/);
    await expectRejection(() => ops.indexAdd(target, new Int32Array(1), f([1, 3])), 'ERR_INVALID_ARG_VALUE', TypeError, /detached/);
  });
});

describe('the native checks behind the wrappers', () => {
  const a = native();
  it('refuse lengths that do not fit the sizes', () => {
    const v = (n: number): Float32Array => new Float32Array(n);
    expectError(() => a.addSync(v(12), v(5), v(12), 3, 1, 1), 'ERR_GNN_SHAPE_MISMATCH', Error, /b: expected 12 elements like a, or one row of 3, got 5/);
    expectError(() => a.addSync(v(12), v(3), v(11), 3, 1, 1), 'ERR_GNN_SHAPE_MISMATCH', Error, /out: expected 12 elements, got 11/);
    expectError(() => a.addSync(v(10), v(3), v(10), 3, 1, 1), 'ERR_GNN_SHAPE_MISMATCH', Error, /a: expected whole rows of 3 elements, got 10/);
    expectError(() => a.addSync(v(3), v(3), v(3), 0, 1, 1), 'ERR_GNN_SHAPE_MISMATCH', Error, /width 0/);
    expectError(() => a.scaleSync(v(12), v(3), 2, v(12), 4), 'ERR_GNN_SHAPE_MISMATCH', Error, /rowScale: expected 4 elements, got 3/);
    expectError(() => a.scaleSync(v(12), null, 2, v(12), 5), 'ERR_GNN_SHAPE_MISMATCH', Error, /x: expected 5 equal rows, got 12 elements/);
    expectError(() => a.softmaxSync(v(12), v(12), 3, 2 as never), 'ERR_OUT_OF_RANGE', RangeError, /kind: expected an integer in \[0, 1\], got 2/);
    expectError(() => a.concatSync([v(8), v(7)], 4, v(15)), 'ERR_GNN_SHAPE_MISMATCH', Error, /parts\[1\]: expected 4 equal rows, got 7 elements/);
    expectError(() => a.concatSync([v(8), new Int32Array(4) as never], 4, v(12)), 'ERR_INVALID_ARG_TYPE', TypeError, /parts\[1\]: expected a Float32Array, got an Int32Array/);
    expectError(() => a.concatSync([v(8), v(4)], 4, v(13)), 'ERR_GNN_SHAPE_MISMATCH', Error, /out: expected 12 elements, got 13/);
    expectError(() => a.indexSelectSync(v(12), 4, 3, new Int32Array(2), v(5)), 'ERR_GNN_SHAPE_MISMATCH', Error, /out: expected 6 elements, got 5/);
    expectError(() => a.indexSelectSync(v(12), 4, 4, new Int32Array(2), v(8)), 'ERR_GNN_SHAPE_MISMATCH', Error, /x: expected 16 elements, got 12/);
    expectError(() => a.indexSelectSync(v(12), 2 ** 40, 2 ** 20, new Int32Array(2), v(8)), 'ERR_GNN_SHAPE_MISMATCH', Error, /more than an array holds/);
    expectError(() => a.indexScatterSync(v(12), 4, 3, new Int32Array(2), v(7), 1, 1), 'ERR_GNN_SHAPE_MISMATCH', Error, /src: expected 6 elements, got 7/);
    expectError(() => a.indexScatterSync(v(12), 4, 3, new Int32Array(2), v(6), 3 as never, 1), 'ERR_OUT_OF_RANGE', RangeError, /op/);
  });
});
