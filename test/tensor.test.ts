import { describe, expect, it } from 'vitest';

import { Tensor, dtypeOf } from '../lib/index';
import { native } from '../lib/native';

describe('Tensor', () => {
  it('wraps typed arrays without copying, for every dtype', () => {
    const arrays = [new Float32Array(6), new Int32Array(6), new Int8Array(6), new Uint8Array(6)];
    const dtypes = ['float32', 'int32', 'int8', 'uint8'];
    arrays.forEach((a, i) => {
      const t = Tensor.from(a, [2, 3]);
      expect(t.data).toBe(a);
      expect(t.dtype).toBe(dtypes[i]);
      expect(dtypeOf(a)).toBe(dtypes[i]);
      expect(t.shape).toEqual([2, 3]);
      expect(t.device).toBe('cpu');
      expect(t.numel).toBe(6);
      expect(t.rank).toBe(2);
    });
    expect(Tensor.from(new Float32Array(4)).shape).toEqual([4]);
  });

  it('shapes are frozen copies; reshape shares data; clone copies', () => {
    const shape = [2, 3];
    const t = Tensor.from(new Float32Array(6), shape);
    shape[0] = 9;
    expect(t.shape).toEqual([2, 3]);
    expect(Object.isFrozen(t.shape)).toBe(true);
    const r = t.reshape([3, 2]);
    expect(r.data).toBe(t.data);
    const c = t.clone();
    c.data[0] = 5;
    expect(t.data[0]).toBe(0);
    expect(String(t)).toBe('Tensor(float32, [2, 3], cpu)');
  });

  it('zeros and full', () => {
    expect(Array.from(Tensor.zeros([2, 2]).data)).toEqual([0, 0, 0, 0]);
    const f = Tensor.full([3], 7, 'int32');
    expect(f.data).toBeInstanceOf(Int32Array);
    expect(Array.from(f.data)).toEqual([7, 7, 7]);
    expect(Tensor.zeros([0, 5]).numel).toBe(0);
  });
});

describe('Tensor memory', () => {
  it('new tensors start on a 64-byte boundary', () => {
    for (const n of [1000, 12345, 1 << 20]) { // from 256 bytes up; tiny tensors are not padded
      for (const dtype of ['float32', 'int32', 'int8', 'uint8'] as const) {
        const t = Tensor.zeros([n], dtype);
        expect((native().alignmentOf(t.data.buffer as ArrayBuffer) + t.data.byteOffset) % 64, `${dtype} ${n}`).toBe(0);
        expect(t.data.length).toBe(n);
        const c = t.clone();
        expect((native().alignmentOf(c.data.buffer as ArrayBuffer) + c.data.byteOffset) % 64, `clone ${dtype} ${n}`).toBe(0);
      }
    }
  });
});
