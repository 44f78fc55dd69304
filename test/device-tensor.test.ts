/**
 * Tensors and graphs on a CUDA device, on the test double of the addon's CUDA half
 * (helpers/fake-cuda.ts): moving, reading, disposing, sharing, and the device copies of graphs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GnnError, Graph, QuantizedTensor, Tensor, ops } from '../lib/index';
import { setCudaNativeForTesting } from '../lib/device';
import { pygGcnGraph } from '../lib/nn/propagate';
import { expectError } from './helpers/errors';
import { FakeCuda } from './helpers/fake-cuda';

let fake: FakeCuda;
beforeAll(() => {
  fake = new FakeCuda({ devices: 2 });
  setCudaNativeForTesting(fake);
});
afterAll(() => setCudaNativeForTesting(undefined));

const ARRAYS = {
  float32: Float32Array.from([1.5, -0, Number.NaN, Number.NEGATIVE_INFINITY, 3e-41, 7]),
  int32: Int32Array.from([0, -1, 2 ** 31 - 1, -(2 ** 31), 5, 6]),
  int8: Int8Array.from([-128, 127, 0, -1, 1, 2]),
  uint8: Uint8Array.from([0, 255, 1, 128, 7, 9]),
};

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('Tensor on cuda', () => {
  it.each(Object.entries(ARRAYS))('%s moves there and back bit for bit', async (dtype, data) => {
    const t = Tensor.from(data, [2, 3]);
    const d = t.to('cuda');
    expect(d.device).toBe('cuda:0');
    expect(d.dtype).toBe(dtype);
    expect(d.shape).toEqual([2, 3]);
    expect(d.numel).toBe(6);
    expect(d.byteLength).toBe(data.byteLength);
    expect(d.to('cuda:0')).toBe(d);
    expect(t.to('cpu')).toBe(t);
    const back = d.to('cpu');
    expect(back.device).toBe('cpu');
    expect(sameBytes(back.data, data)).toBe(true);
    expect(sameBytes(d.toArray(), data)).toBe(true);
    expect(sameBytes((await d.toAsync('cpu')).data, data)).toBe(true);
    // Another device: through the host, the same bits.
    const other = d.to('cuda:1');
    expect(other.device).toBe('cuda:1');
    expect(sameBytes(other.toArray(), data)).toBe(true);
  });

  it('has no host data: data throws ERR_GNN_DEVICE saying how to read it', () => {
    const d = Tensor.from(ARRAYS.float32).to('cuda');
    expectError(() => d.data, 'ERR_GNN_DEVICE', GnnError, /tensor is on cuda:0; call \.to\('cpu'\) \(or toArray\(\)\)/);
    expect(String(d)).toBe('Tensor(float32, [6], cuda:0)');
  });

  it('toArray copies, also on the CPU', () => {
    const t = Tensor.from(Float32Array.from([1, 2]));
    const a = t.toArray();
    a[0] = 9;
    expect(t.data[0]).toBe(1);
  });

  it('dispose releases the memory once, for the tensor and its reshapes; a CPU dispose is a no-op', () => {
    const before = fake.live;
    const d = Tensor.from(ARRAYS.float32, [2, 3]).to('cuda');
    const r = d.reshape([3, 2]);
    expect(fake.live).toBe(before + 1);
    expect(r.disposed).toBe(false);
    r.dispose();
    expect(d.disposed).toBe(true);
    expect(fake.live).toBe(before);
    const frees = fake.count('free');
    d.dispose();
    d[Symbol.dispose]();
    expect(fake.count('free')).toBe(frees);
    expectError(() => d.to('cpu'), 'ERR_GNN_DEVICE', GnnError, /was disposed/);
    expectError(() => d.toArray(), 'ERR_GNN_DEVICE', GnnError, /was disposed/);
    expectError(() => d.reshape([6]), 'ERR_GNN_DEVICE', GnnError, /reshape: tensor on cuda:0 was disposed/);
    expectError(() => d.clone(), 'ERR_GNN_DEVICE', GnnError, /clone/);
    expectError(() => d.data, 'ERR_GNN_DEVICE', GnnError, /and was disposed/);
    expect(String(d)).toContain('disposed');
    const c = Tensor.from(ARRAYS.int32);
    c.dispose();
    expect(c.disposed).toBe(false);
    expect(c.data[1]).toBe(-1);
  });

  it('is disposed at the end of a `using` block', () => {
    const before = fake.live;
    {
      using d = Tensor.zeros([4], 'float32', { device: 'cuda' });
      expect(d.device).toBe('cuda:0');
      expect(fake.live).toBe(before + 1);
    }
    expect(fake.live).toBe(before);
  });

  it('clone copies on the device; reshape shares', () => {
    const d = Tensor.from(Float32Array.from([1, 2, 3, 4]), [2, 2]).to('cuda');
    const c = d.clone();
    const r = d.reshape([4]);
    ops.scaleSync(d, 2, { out: d });
    expect(Array.from(c.toArray())).toEqual([1, 2, 3, 4]);
    expect(Array.from(r.toArray())).toEqual([2, 4, 6, 8]);
    expect(c.device).toBe('cuda:0');
  });

  it('zeros and full take a device', () => {
    const z = Tensor.zeros([3, 2], 'int32', { device: 'cuda:1' });
    expect(z.device).toBe('cuda:1');
    expect(Array.from(z.toArray())).toEqual([0, 0, 0, 0, 0, 0]);
    const f = Tensor.full([2, 2], 2.5, 'float32', { device: 'cuda' });
    expect(Array.from(f.toArray())).toEqual([2.5, 2.5, 2.5, 2.5]);
    const e = Tensor.zeros([0, 5], 'float32', { device: 'cuda' });
    expect(e.toArray().length).toBe(0);
    expectError(() => Tensor.zeros([2], 'float32', { device: 'gpu' as 'cuda' }), 'ERR_INVALID_ARG_VALUE', TypeError, /device/);
    expectError(() => Tensor.zeros([2], 'float32', { where: 'cuda' } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /only the keys device/);
  });

  it('quantized tensors move with their scales and zero points', () => {
    const q = ops.quantizeSync(Tensor.from(Float32Array.from([1, -2, 3, 0.5, 9, -4]), [2, 3]), { dtype: 'uint8' });
    const d = q.to('cuda');
    expect(d.device).toBe('cuda:0');
    expect(d.scaleTensor.device).toBe('cuda:0');
    expect(d.granularity).toBe('row');
    expect(d.byteLength).toBe(q.byteLength);
    expectError(() => d.scale, 'ERR_GNN_DEVICE', GnnError, /cuda:0/);
    const back = d.to('cpu');
    expect(sameBytes(back.data.data, q.data.data)).toBe(true);
    expect(sameBytes(back.scale, q.scale)).toBe(true);
    expect(sameBytes(back.zeroPoint as Int32Array, q.zeroPoint as Int32Array)).toBe(true);
    d.dispose();
    expect(d.data.disposed && d.scaleTensor.disposed && (d.zeroPointTensor as Tensor).disposed).toBe(true);
    expectError(
      () => new QuantizedTensor(Tensor.zeros([2, 3], 'int8', { device: 'cuda' }), Tensor.zeros([2], 'float32', { device: 'cuda:1' })),
      'ERR_GNN_DEVICE',
      GnnError,
      /scale: expected a tensor on cuda:0 \(where the codes are\), got one on cuda:1/,
    );
  });

  it('refuses mixing devices cuda:0 and cuda:1', () => {
    const a = Tensor.zeros([3, 2], 'float32', { device: 'cuda:0' });
    const b = Tensor.zeros([3, 2], 'float32', { device: 'cuda:1' });
    expectError(() => ops.addSync(a, b), 'ERR_GNN_DEVICE', GnnError, /a on cuda:0, b on cuda:1/);
  });
});

describe('Graph on cuda', () => {
  const g = Graph.fromEdgeIndex(Int32Array.from([0, 1, 2, 2, 3, 1, 2, 0, 0, 3]), 4, { edgeWeight: Float32Array.from([1, 2, 3, 4, 5]) });
  const x = Tensor.from(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [4, 2]);

  it('keeps its host arrays, uploads on first use by an op, once per device, shared by its copies', () => {
    const uploads = fake.count('graphUpload');
    const d = g.to('cuda');
    expect(d.device).toBe('cuda:0');
    expect(d.to('cuda')).toBe(d);
    expect(g.to('cpu')).toBe(g);
    expect(String(d)).toContain('cuda:0');
    expect(Array.from(d.indices)).toEqual(Array.from(g.indices));
    expect(Array.from(d.inDegrees())).toEqual(Array.from(g.inDegrees()));
    expect(fake.count('graphUpload')).toBe(uploads);
    ops.spmmSync(d, x.to('cuda'));
    ops.spmmSync(g.to('cuda'), x.to('cuda'), { weights: 'graph' });
    expect(fake.count('graphUpload')).toBe(uploads + 1);
    ops.spmmSync(g.to('cuda:1'), x.to('cuda:1'));
    expect(fake.count('graphUpload')).toBe(uploads + 2);
    expect(d.to('cpu').device).toBe('cpu');
  });

  it('transforms of a CUDA graph are CUDA graphs, and so are the graphs layers derive from it', () => {
    const d = g.to('cuda');
    for (const h of [d.addSelfLoops(), d.removeSelfLoops(), d.gcnNorm(), d.toUndirected(), d.withEdgeWeight(Float32Array.from([1, 1, 1, 1, 1]))]) {
      expect(h.device).toBe('cuda:0');
    }
    const n = pygGcnGraph(d, true, false);
    expect(n.device).toBe('cuda:0');
    expect(pygGcnGraph(d, true, false)).toBe(n);
    expect(Array.from(ops.spmmSync(n, x.to('cuda'), { weights: 'graph' }).toArray())).toEqual(Array.from(ops.spmmSync(g.gcnNorm(), x, { weights: 'graph' }).data));
    expect(Graph.fromCOO(Int32Array.from([0]), Int32Array.from([1])).device).toBe('cpu');
  });

  it('dispose frees its device copies and its derived graphs; it uploads again on next use', () => {
    const d = Graph.fromEdgeIndex(Int32Array.from([0, 1, 1, 2]), 3).to('cuda');
    const xd = Tensor.from(Float32Array.from([1, 2, 3])).to('cuda');
    const graphs = fake.liveGraphs;
    ops.spmmSync(d, xd);
    const derived = pygGcnGraph(d, true, false);
    ops.spmmSync(derived, xd, { weights: 'graph' });
    expect(fake.liveGraphs).toBe(graphs + 2);
    d.dispose();
    expect(fake.liveGraphs).toBe(graphs);
    d[Symbol.dispose]();
    expect(Array.from(ops.spmmSync(d, xd).toArray())).toEqual([0, 1, 2]);
    expect(fake.liveGraphs).toBe(graphs + 1);
    expect(pygGcnGraph(d, true, false)).not.toBe(derived);
  });
});
