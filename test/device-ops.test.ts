/**
 * Every op through its CUDA path, on the test double of the addon's CUDA half
 * (helpers/fake-cuda.ts: host memory, the CPU kernels): the same call with its tensors and graph on
 * cuda:0 must give bitwise the CPU result (the double runs the CPU kernels, so any difference is
 * the TypeScript layer's: a wrong width, a swapped argument, a lost weight mode), leave its output
 * on the device, and do so sync and async. Then the rules around them: `out` on the device, mixed
 * devices, disposed inputs, host arrays where a device tensor is needed, temporaries released, the
 * CPU-only ops refused, and the ordering of sync work before an async op.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GnnError, Graph, QuantizedTensor, SparseWeight, Tensor, ops } from '../lib/index';
import type { GatAggregateResult } from '../lib/index';
import { setCudaNativeForTesting } from '../lib/device';
import { awkwardGraph, edgeIndexOf, randomArray } from './fixtures/graphs';
import { expectError } from './helpers/errors';
import { FakeCuda } from './helpers/fake-cuda';

let fake: FakeCuda;
beforeAll(() => {
  fake = new FakeCuda();
  setCudaNativeForTesting(fake);
});
afterAll(() => setCudaNativeForTesting(undefined));

type Movable = Tensor | Graph | QuantizedTensor;
/** Puts an op's arguments where the op is to run: identity for the CPU, `.to('cuda')` for the device. */
type Place = <T extends Movable>(t: T) => T;
const onCpu: Place = (t) => t;
const onCuda: Place = (t) => t.to('cuda') as typeof t;

type Result = Tensor | QuantizedTensor | GatAggregateResult;

function bytesOf(t: Tensor): Uint8Array {
  const d = t.to('cpu').data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function expectSameTensor(got: Tensor, want: Tensor, label: string): void {
  expect(got.device, `${label}: device`).toBe('cuda:0');
  expect(got.shape, `${label}: shape`).toEqual(want.shape);
  expect(got.dtype, `${label}: dtype`).toBe(want.dtype);
  const a = bytesOf(got);
  const b = bytesOf(want);
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) expect.fail(`${label}: byte ${i} differs (${a[i]} vs ${b[i]})`);
}

function expectSame(got: Result, want: Result, label: string): void {
  if (want instanceof Tensor) return expectSameTensor(got as Tensor, want, label);
  if (want instanceof QuantizedTensor) {
    const q = got as QuantizedTensor;
    expect(q.device).toBe('cuda:0');
    expectSameTensor(q.data, want.data, `${label} codes`);
    expectSameTensor(q.scaleTensor, want.scaleTensor, `${label} scales`);
    if (want.zeroPointTensor !== null) expectSameTensor(q.zeroPointTensor as Tensor, want.zeroPointTensor, `${label} zero points`);
    return;
  }
  const r = got as GatAggregateResult;
  expectSameTensor(r.out, want.out, `${label} out`);
  expectSameTensor(r.attention, want.attention, `${label} attention`);
}

// The awkward graph: isolated nodes, self loops (a node with two), duplicate edges, a 1200-in-edge
// hub, shuffled edge order; weighted.
const edges = awkwardGraph(7, { numNodes: 600, hubDegree: 1200 });
const E = edges.src.length;
const N = edges.numNodes;
const graph = Graph.fromEdgeIndex(edgeIndexOf(edges), N, { edgeWeight: randomArray(E, 3, 0.1, 2) });
const bipartite = (() => {
  const b = awkwardGraph(8, { numNodes: 300, numSrcNodes: 500, hubDegree: 700 });
  // CSR over the 300 destinations (counting sort by target, stable).
  const indptr = new Int32Array(301);
  for (const v of b.dst) indptr[v + 1]++;
  for (let v = 0; v < 300; v++) indptr[v + 1] += indptr[v];
  const next = indptr.slice(0, 300);
  const indices = new Int32Array(b.src.length);
  b.dst.forEach((v, e) => (indices[next[v]++] = b.src[e]));
  return Graph.fromCSR(indptr, indices, { numSrcNodes: 500 });
})();
const t = (shape: number[], seed: number, low = -2, high = 2): Tensor<'float32'> =>
  Tensor.from(randomArray(shape.reduce((a, b) => a * b, 1), seed, low, high), shape);
const withSpecials = (x: Tensor<'float32'>): Tensor<'float32'> => {
  const d = x.data.slice();
  d[3] = Number.NEGATIVE_INFINITY;
  d[17] = Number.NEGATIVE_INFINITY;
  d[40] = Number.NaN;
  return Tensor.from(d, x.shape);
};
const index = Int32Array.from({ length: 300 }, (_, i) => (i * 7919) % N);

interface Case {
  name: string;
  run(d: Place, async: boolean): Result | Promise<Result>;
}

const CASES: Case[] = [];
const add = (name: string, run: Case['run']): void => {
  CASES.push({ name, run });
};

for (const width of [1, 7, 33]) {
  for (const reduce of ['sum', 'mean', 'max', 'min'] as const) {
    add(`spmm F=${width} ${reduce}`, (d, a) => (a ? ops.spmm : ops.spmmSync)(d(graph), d(t([N, width], width)), { reduce }));
    add(`spmm F=${width} ${reduce} graph weights`, (d, a) => (a ? ops.spmm : ops.spmmSync)(d(graph), d(t([N, width], width)), { reduce, weights: 'graph' }));
  }
  add(`spmm F=${width} edge weights [E]`, (d, a) => (a ? ops.spmm : ops.spmmSync)(d(graph), d(t([N, width], 5)), { weights: d(t([E], 6)) }));
}
add('spmm 1-D x', (d, a) => (a ? ops.spmm : ops.spmmSync)(d(graph), d(t([N], 9))));
add('spmm two heads [E, 2]', (d, a) => (a ? ops.spmm : ops.spmmSync)(d(graph), d(t([N, 10], 10)), { weights: d(t([E, 2], 11)), reduce: 'max' }));
add('spmm bipartite', (d, a) => (a ? ops.spmm : ops.spmmSync)(d(bipartite), d(t([500, 9], 12)), { reduce: 'mean' }));
for (const granularity of ['row', 'tensor'] as const) {
  for (const reduce of ['sum', 'max'] as const) {
    add(`spmmInt8 per ${granularity} ${reduce}`, (d, a) =>
      (a ? ops.spmmInt8 : ops.spmmInt8Sync)(d(graph), d(ops.quantizeSync(t([N, 33], 13), { granularity })), { reduce, weights: 'graph' }),
    );
  }
}
add('spmmInt8 heads [E, 3]', (d, a) => (a ? ops.spmmInt8 : ops.spmmInt8Sync)(d(graph), d(ops.quantizeSync(t([N, 12], 14))), { weights: d(t([E, 3], 15)) }));
add('sddmm dot', (d, a) => (a ? ops.sddmm : ops.sddmmSync)(d(graph), d(t([N, 16], 16)), d(t([N, 16], 17))));
add('sddmm dot 4 heads', (d, a) => (a ? ops.sddmm : ops.sddmmSync)(d(graph), d(t([N, 4, 5], 18)), d(t([N, 4, 5], 19))));
for (const op of ['add', 'sub', 'mul'] as const) {
  add(`sddmm ${op} broadcast`, (d, a) => (a ? ops.sddmm : ops.sddmmSync)(d(graph), d(t([N, 3], 20)), d(t([N, 12], 21)), { op }));
}
add('sddmm add 1-D', (d, a) => (a ? ops.sddmm : ops.sddmmSync)(d(bipartite), d(t([500], 22)), d(t([300], 23)), { op: 'add' }));
add('edgeSoftmax [E] with -inf and NaN', (d, a) => (a ? ops.edgeSoftmax : ops.edgeSoftmaxSync)(d(graph), d(withSpecials(t([E], 24, -30, 30)))));
add('edgeSoftmax [E, 3] in place', (d, a) => {
  const s = d(t([E, 3], 25, -10, 10));
  return (a ? ops.edgeSoftmax : ops.edgeSoftmaxSync)(d(graph), s, { out: s });
});
add('gatAggregate 2 heads', (d, a) => (a ? ops.gatAggregate : ops.gatAggregateSync)(d(graph), d(t([N, 2, 8], 26)), d(t([N, 2], 27)), d(t([N, 2], 28))));
add('gatAggregate edgeTerm, attention, slope', (d, a) =>
  (a ? ops.gatAggregate : ops.gatAggregateSync)(d(graph), d(t([N, 9], 29)), d(t([N, 3], 30)), d(t([N, 3], 31)), {
    edgeTerm: d(t([E, 3], 32)),
    returnAttention: true,
    negativeSlope: 0.1,
  }),
);
add('gatv2Scores', (d, a) => (a ? ops.gatv2Scores : ops.gatv2ScoresSync)(d(graph), d(t([N, 12], 33)), d(t([N, 12], 34)), d(t([1, 3, 4], 35)), { negativeSlope: 0.3 }));
for (const name of ['none', 'relu', 'leaky_relu', 'elu', 'gelu', 'sigmoid', 'tanh'] as const) {
  add(`activation ${name}`, (d, a) => (a ? ops.activation : ops.activationSync)(d(withSpecials(t([70, 9], 36, -8, 8))), name, { alpha: name === 'elu' ? 0.7 : undefined }));
}
add('activation in place', (d, a) => {
  const x = d(t([50, 5], 37));
  return (a ? ops.activation : ops.activationSync)(x, 'leaky_relu', { alpha: 0.05, out: x });
});
add('add full, alpha, beta', (d, a) => (a ? ops.add : ops.addSync)(d(t([40, 6], 38)), d(t([40, 6], 39)), { alpha: 0.3, beta: -1.5 }));
add('add row broadcast', (d, a) => (a ? ops.add : ops.addSync)(d(t([40, 2, 6], 40)), d(t([6], 41))));
add('add in place (out = b)', (d, a) => {
  const b = d(t([40, 6], 43));
  return (a ? ops.add : ops.addSync)(d(t([40, 6], 42)), b, { out: b });
});
add('add 0-d', (d, a) => (a ? ops.add : ops.addSync)(d(Tensor.from(new Float32Array([2.5]), [])), d(Tensor.from(new Float32Array([-1]), [])), { alpha: 3 }));
add('scale by a number', (d, a) => (a ? ops.scale : ops.scaleSync)(d(t([30, 7], 44)), 0.37));
add('scale per row [N, 1], in place', (d, a) => {
  const x = d(t([30, 7], 45));
  return (a ? ops.scale : ops.scaleSync)(x, d(t([30, 1], 46)), { out: x });
});
add('softmax with -inf and NaN', (d, a) => (a ? ops.softmax : ops.softmaxSync)(d(withSpecials(t([20, 11], 47, -50, 50)))));
add('logSoftmax rank 3', (d, a) => (a ? ops.logSoftmax : ops.logSoftmaxSync)(d(t([4, 5, 6], 48, -50, 50))));
add('concat three parts', (d, a) => (a ? ops.concat : ops.concatSync)([d(t([25, 2, 3], 49)), d(t([25, 2, 1], 50)), d(t([25, 2, 8], 51))]));
add('indexSelect, host index', (d, a) => (a ? ops.indexSelect : ops.indexSelectSync)(d(t([N, 5], 52)), index));
add('indexSelect, int32 tensor index', (d, a) => (a ? ops.indexSelect : ops.indexSelectSync)(d(t([N, 2, 3], 53)), d(Tensor.from(index))));
add('indexAdd with duplicates', (d, a) => {
  const target = d(t([N, 4], 54));
  const dup = Int32Array.from(index, (v) => v % 50);
  return (a ? ops.indexAdd : ops.indexAddSync)(target, dup, d(t([300, 4], 55)), { alpha: -0.5 });
});
add('indexCopy with duplicates (last wins)', (d, a) => {
  const target = d(t([N, 4], 56));
  return (a ? ops.indexCopy : ops.indexCopySync)(target, d(Tensor.from(Int32Array.from(index, (v) => v % 40))), d(t([300, 4], 57)));
});
add('columnAffine scale and shift', (d, a) => (a ? ops.columnAffine : ops.columnAffineSync)(d(t([33, 8], 58)), d(t([8], 59)), d(t([8], 60))));
add('columnAffine shift only, in place', (d, a) => {
  const x = d(t([33, 8], 61));
  return (a ? ops.columnAffine : ops.columnAffineSync)(x, null, d(t([1, 8], 62)), { out: x });
});
add('layerNorm', (d, a) => (a ? ops.layerNorm : ops.layerNormSync)(d(t([45, 13], 63, 1e4 - 1, 1e4 + 1)), { weight: d(t([13], 64)), bias: d(t([13], 65)), eps: 1e-3 }));
add('graphLayerNorm with a host batch', (d, a) => {
  const batch = Int32Array.from({ length: 45 }, (_, i) => Math.floor(i / 10));
  return (a ? ops.graphLayerNorm : ops.graphLayerNormSync)(d(t([45, 6], 66)), { batch, weight: d(t([6], 67)) });
});
add('graphLayerNorm one graph', (d, a) => (a ? ops.graphLayerNorm : ops.graphLayerNormSync)(d(t([45, 6], 68)), { bias: d(t([6], 69)) }));
add('linear bias relu', (d, a) => (a ? ops.linear : ops.linearSync)(d(t([37, 29], 70)), d(t([11, 29], 71)), { bias: d(t([11], 72)), activation: 'relu' }));
add('linear 1-D x, elu', (d, a) => (a ? ops.linear : ops.linearSync)(d(t([29], 73)), d(t([11, 29], 74)), { activation: 'elu', alpha: 0.5 }));
for (const dtype of ['int8', 'uint8'] as const) {
  for (const granularity of ['row', 'tensor'] as const) {
    add(`quantize ${dtype} per ${granularity}`, (d, a) => (a ? ops.quantize : ops.quantizeSync)(d(t([31, 17], 75, -3, 5)), { dtype, granularity }));
  }
}
add('quantize uint8 static', (d, a) => (a ? ops.quantize : ops.quantizeSync)(d(t([31, 17], 76)), { dtype: 'uint8', scale: 0.02, zeroPoint: 120 }));
add('quantize int8 static', (d, a) => (a ? ops.quantize : ops.quantizeSync)(d(t([31, 17], 77)), { scale: 0.01 }));
add('dequantize uint8 per row', (d, a) => (a ? ops.dequantize : ops.dequantizeSync)(d(ops.quantizeSync(t([31, 17], 78), { dtype: 'uint8' }))));
add('dequantize int8 per tensor', (d, a) => (a ? ops.dequantize : ops.dequantizeSync)(d(ops.quantizeSync(t([31, 17], 79), { granularity: 'tensor' }))));
const qWeight = ops.quantizeWeight(t([19, 40], 80));
add('quantizedLinear dynamic', (d, a) => (a ? ops.quantizedLinear : ops.quantizedLinearSync)(d(t([23, 40], 81)), qWeight, { bias: d(t([19], 82)), activation: 'tanh' }));
add('quantizedLinear static input', (d, a) => (a ? ops.quantizedLinear : ops.quantizedLinearSync)(d(t([23, 40], 83)), qWeight, { input: { scale: 0.017, zeroPoint: 117 } }));
add('quantizedLinear uint8 per-row codes', (d, a) => (a ? ops.quantizedLinear : ops.quantizedLinearSync)(d(ops.quantizeSync(t([23, 40], 84), { dtype: 'uint8' })), qWeight));
add('quantizedLinear output int8', (d, a) => (a ? ops.quantizedLinear : ops.quantizedLinearSync)(d(t([23, 40], 85)), qWeight, { output: 'int8', bias: d(t([19], 86)) }));

describe('every op on cuda:0 gives bitwise the CPU result', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s (sync)', (name, c) => {
    expectSame(c.run(onCuda, false) as Result, c.run(onCpu, false) as Result, name);
  });
  it.each(CASES.map((c) => [c.name, c] as const))('%s (async)', async (name, c) => {
    const before = fake.calls.length;
    const got = await c.run(onCuda, true);
    expect(fake.calls.slice(before).some((call) => call.endsWith('Async'))).toBe(true);
    expectSame(got, await c.run(onCpu, true), name);
  });
});

describe('op arguments on a device', () => {
  const x = t([N, 4], 90);

  it('writes into an out tensor on the device, and refuses one elsewhere', () => {
    const out = Tensor.zeros([N, 4], 'float32', { device: 'cuda' });
    expect(ops.spmmSync(graph.to('cuda'), x.to('cuda'), { out })).toBe(out);
    expectSameTensor(out, ops.spmmSync(graph, x), 'out');
    expectError(() => ops.spmmSync(graph.to('cuda'), x.to('cuda'), { out: Tensor.zeros([N, 4]) }), 'ERR_GNN_DEVICE', GnnError, /out: expected a tensor on cuda:0 \(where the inputs are\), got one on cpu/);
    expectError(() => ops.addSync(x.to('cuda'), x.to('cuda'), { out: Tensor.zeros([N, 4]) }), 'ERR_GNN_DEVICE', GnnError, /out: expected a tensor on cuda:0/);
  });

  it('refuses an out sharing device memory with an input (other than in place)', () => {
    const xd = x.to('cuda');
    const alias = xd.reshape([N, 4]);
    expectError(() => ops.spmmSync(graph.to('cuda'), xd, { out: alias }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /overlaps/);
    expectError(() => ops.linearSync(xd, t([4, 4], 9).to('cuda'), { out: alias }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /overlaps/);
    const row = Tensor.zeros([4], 'float32', { device: 'cuda' });
    expectError(() => ops.addSync(row.reshape([1, 4]), row, { out: row.reshape([1, 4]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /overlaps/);
    // In place (exactly the input it replaces) is fine, as on the CPU.
    expect(ops.addSync(xd, row, { out: alias })).toBe(alias);
  });

  it('refuses mixed devices with ERR_GNN_DEVICE naming each argument', () => {
    expectError(() => ops.spmmSync(graph, x.to('cuda')), 'ERR_GNN_DEVICE', GnnError, /spmmSync: expected all inputs on one device, got graph on cpu, x on cuda:0/);
    expectError(() => ops.spmmSync(graph.to('cuda'), x.to('cuda'), { weights: t([E], 1) }), 'ERR_GNN_DEVICE', GnnError, /weights on cpu/);
    expectError(() => ops.linearSync(x.to('cuda'), t([3, 4], 2), { bias: t([3], 3).to('cuda') }), 'ERR_GNN_DEVICE', GnnError, /x on cuda:0, weight on cpu, bias on cuda:0/);
    expectError(() => ops.concatSync([x, x.to('cuda')]), 'ERR_GNN_DEVICE', GnnError, /tensors\[0\] on cpu, tensors\[1\] on cuda:0/);
    expectError(() => ops.indexSelectSync(x.to('cuda'), Tensor.from(index)), 'ERR_GNN_DEVICE', GnnError, /index on cpu/);
    expectError(() => ops.spmmInt8Sync(graph, ops.quantizeSync(x).to('cuda')), 'ERR_GNN_DEVICE', GnnError, /x on cuda:0/);
    return expect(ops.spmm(graph, x.to('cuda'))).rejects.toMatchObject({ code: 'ERR_GNN_DEVICE' });
  });

  it('refuses host arrays where the device op needs a device tensor', () => {
    expectError(() => ops.spmmSync(graph.to('cuda'), x.to('cuda'), { weights: randomArray(E, 4) }), 'ERR_GNN_DEVICE', GnnError, /weights: expected a float32 Tensor on cuda:0 .* got a Float32Array/);
    expectError(() => new QuantizedTensor(Tensor.zeros([2, 3], 'int8', { device: 'cuda' }), new Float32Array(2)), 'ERR_GNN_DEVICE', GnnError, /scale: .*\(host memory\)/);
  });

  it('refuses disposed inputs and graphs keep working after dispose', () => {
    const xd = x.to('cuda');
    const view = xd.reshape([N * 4]);
    xd.dispose();
    expect(view.disposed).toBe(true);
    expectError(() => ops.spmmSync(graph.to('cuda'), xd), 'ERR_GNN_DEVICE', GnnError, /x: tensor on cuda:0 was disposed/);
    expectError(() => ops.activationSync(view, 'relu'), 'ERR_GNN_DEVICE', GnnError, /disposed/);
    const gd = graph.to('cuda');
    ops.spmmSync(gd, x.to('cuda'));
    gd.dispose();
    expectSameTensor(ops.spmmSync(gd, x.to('cuda')), ops.spmmSync(graph, x), 'after dispose');
  });

  it('releases its temporaries (uploaded indices, quantized inputs), also when the op fails', async () => {
    const xd = x.to('cuda');
    const xq = t([23, 40], 5).to('cuda');
    ops.quantizedLinearSync(xq, qWeight).dispose(); // the weight's device copy, kept beside it from now on
    const live = fake.live;
    ops.indexSelectSync(xd, index).dispose();
    (await ops.indexSelect(xd, index)).dispose();
    ops.quantizedLinearSync(xq, qWeight).dispose();
    (await ops.quantizedLinear(xq, qWeight, { input: { scale: 0.1, zeroPoint: 3 } })).dispose();
    expect(fake.live).toBe(live);
    expectError(() => ops.indexSelectSync(xd, new Int32Array([0, N])), 'ERR_OUT_OF_RANGE', RangeError);
    await expect(ops.indexSelect(xd, new Int32Array([-1]))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(fake.live).toBe(live + 2); // the outputs the failed calls allocated: the caller's garbage, freed when collected
  });

  it('runs the CPU-only ops on the CPU only, saying so', () => {
    const xd = t([5, 6], 6).to('cuda');
    const sparse = SparseWeight.fromDense(t([3, 6], 7));
    expectError(() => ops.sparseWeightLinearSync(xd, sparse), 'ERR_GNN_DEVICE', GnnError, /sparseWeightLinearSync: runs on the CPU only/);
    expectError(() => ops.packLinearWeight(xd), 'ERR_GNN_DEVICE', GnnError, /packLinearWeight: runs on the CPU only/);
    expectError(() => ops.quantizeWeight(xd), 'ERR_GNN_DEVICE', GnnError, /quantizeWeight: runs on the CPU only/);
    expect(ops.releasePackedWeight(xd)).toBe(false);
    const int8 = ops.quantizeSync(t([23, 40], 8)).to('cuda');
    expectError(() => ops.quantizedLinearSync(int8, qWeight), 'ERR_GNN_DEVICE', GnnError, /int8 and per-tensor codes run on the CPU only/);
  });

  it('waits for work queued on this thread before an async op starts on another stream', async () => {
    const xd = x.to('cuda');
    const gd = graph.to('cuda');
    await ops.spmm(gd, xd); // nothing queued since the last wait: no synchronize
    let start = fake.calls.length;
    await ops.spmm(gd, xd);
    expect(fake.calls.slice(start)).not.toContain('synchronize');
    const h = ops.activationSync(xd, 'relu'); // queued on this thread's stream
    start = fake.calls.length;
    await ops.spmm(gd, h);
    const calls = fake.calls.slice(start);
    expect(calls.indexOf('synchronize')).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf('synchronize')).toBeLessThan(calls.indexOf('spmmAsync'));
  });
});
