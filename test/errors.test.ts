/**
 * Every entry point checks its arguments: wrong types and values throw TypeError / RangeError with
 * Node's codes, everything else GnnError with an ERR_GNN_* code; messages name the argument, the
 * expected and the actual value. Nothing crashes the process, including garbage handed straight
 * to the raw addon.
 */
import { MessageChannel } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { GnnError, Graph, Tensor, ops, setNumThreads, setSimdLevel } from '../lib/index';
import { native } from '../lib/native';
import { expectError } from './helpers/errors';

function detachedFloat32(n: number): Float32Array {
  const a = new Float32Array(n);
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, [a.buffer]);
  port1.close();
  port2.close();
  return a;
}

const g = Graph.fromEdgeIndex(new Int32Array([0, 1, 2, 1, 2, 0]), 3);
const x = Tensor.from(new Float32Array(6), [3, 2]);

describe('graph construction errors', () => {
  it('node ids out of range or negative', () => {
    expectError(() => Graph.fromEdgeIndex(new Int32Array([0, 3, 1, 1]), 3), 'ERR_GNN_INVALID_GRAPH', GnnError, /expected node ids in \[0, 3\), got edgeIndex\[0\]\[1\] = 3 \(a source\)/);
    expectError(() => Graph.fromEdgeIndex(new Int32Array([0, 1, -1, 1]), 3), 'ERR_GNN_INVALID_GRAPH', GnnError, /edgeIndex\[1\]\[0\] = -1/);
    expectError(() => Graph.fromCSR(new Int32Array([0, 1, 2]), new Int32Array([0, 7])), 'ERR_GNN_INVALID_GRAPH', GnnError, /indices\[1\] = 7/);
    expectError(() => Graph.fromCSR(new Int32Array([0, 1]), new Int32Array([-2])), 'ERR_GNN_INVALID_GRAPH', GnnError, /indices\[0\] = -2/);
    expectError(() => Graph.fromEdgeIndex(BigInt64Array.from([0n, 1n, 1n, 2n ** 40n])), 'ERR_GNN_INVALID_GRAPH', GnnError, /below 2\^31/);
  });

  it('negative, fractional or NaN sizes', () => {
    for (const bad of [-1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expectError(() => Graph.fromEdgeIndex(new Int32Array([0, 1]), bad), 'ERR_OUT_OF_RANGE', RangeError, /numNodes: expected an integer/);
      expectError(() => Graph.fromCSR(new Int32Array([0, 0]), new Int32Array(0), { numSrcNodes: bad }), 'ERR_OUT_OF_RANGE', RangeError, /numSrcNodes/);
    }
    expectError(() => Graph.fromEdgeIndex(new Int32Array([0, 1]), '3' as unknown as number), 'ERR_INVALID_ARG_TYPE', TypeError, /numNodes: expected a number, got the string "3"/);
    expectError(() => Tensor.zeros([2, -1]), 'ERR_OUT_OF_RANGE', RangeError, /shape\[1\]/);
    expectError(() => Tensor.zeros([2.5]), 'ERR_OUT_OF_RANGE', RangeError);
    expectError(() => Tensor.zeros([Number.NaN]), 'ERR_OUT_OF_RANGE', RangeError);
  });

  it('non-monotone indptr, indptr not starting at 0 or not ending at nnz', () => {
    expectError(() => Graph.fromCSR(new Int32Array([0, 2, 1, 3]), new Int32Array([0, 1, 2])), 'ERR_GNN_INVALID_GRAPH', GnnError, /non-decreasing.*indptr\[2\] = 1/);
    expectError(() => Graph.fromCSR(new Int32Array([1, 2]), new Int32Array([0, 0])), 'ERR_GNN_INVALID_GRAPH', GnnError, /indptr\[0\] = 0/);
    expectError(() => Graph.fromCSR(new Int32Array([0, 1, 2]), new Int32Array([0, 1, 1])), 'ERR_GNN_INVALID_GRAPH', GnnError, /last entry.*\(3\), got 2/);
    expectError(() => Graph.fromCSR(new Int32Array(0), new Int32Array(0)), 'ERR_INVALID_ARG_VALUE', TypeError, /indptr/);
  });

  it('lengths that disagree', () => {
    expectError(() => Graph.fromEdgeIndex(new Int32Array([0, 1, 2]), 3), 'ERR_INVALID_ARG_VALUE', TypeError, /even length/);
    expectError(() => Graph.fromCOO(new Int32Array([0, 1]), new Int32Array([1])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /dst/);
    expectError(() => Graph.fromEdgeIndex(new Int32Array([0, 1]), 2, { edgeWeight: new Float32Array(2) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /edgeWeight: expected one weight per edge \(1\), got 2/);
    expectError(() => Graph.fromCSR(new Int32Array([0, 1]), new Int32Array([0]), { edgeWeight: new Float32Array(3) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError);
    expectError(() => Graph.fromEdgeIndex(Tensor.from(new Int32Array(6), [3, 2]), 3), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /\[2, E\]/);
  });

  it('wrong types', () => {
    expectError(() => Graph.fromEdgeIndex([0, 1] as unknown as Int32Array, 2), 'ERR_INVALID_ARG_TYPE', TypeError, /got an Array of length 2/);
    expectError(() => Graph.fromEdgeIndex(new Float64Array(2) as unknown as Int32Array, 2), 'ERR_INVALID_ARG_TYPE', TypeError, /Float64Array/);
    expectError(() => Graph.fromCSR(new Uint32Array(2) as unknown as Int32Array, new Int32Array(1)), 'ERR_INVALID_ARG_TYPE', TypeError, /indptr/);
    expectError(() => Graph.fromEdgeIndex(new Int32Array(2), 2, { edgeWeight: new Float64Array(1) as unknown as Float32Array }), 'ERR_INVALID_ARG_TYPE', TypeError, /edgeWeight/);
  });

  it('unknown option keys', () => {
    expectError(() => Graph.fromEdgeIndex(new Int32Array(2), 2, { edgeWieght: new Float32Array(1) } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /edgeWieght/);
    expectError(() => g.gcnNorm({ selfLoops: true } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /selfLoops/);
  });

  it('a detached buffer', () => {
    const ei = new Int32Array([0, 1]);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(null, [ei.buffer]);
    port1.close();
    port2.close();
    expectError(() => Graph.fromEdgeIndex(ei, 2), 'ERR_INVALID_ARG_VALUE', TypeError, /detached/);
  });
});

describe('tensor errors', () => {
  it('a shape that does not fit the data', () => {
    expectError(() => Tensor.from(new Float32Array(6), [4, 2]), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /data length 6.*\[4, 2\]/);
    expectError(() => Tensor.from(new Float32Array(6)).reshape([5]), 'ERR_GNN_SHAPE_MISMATCH', GnnError);
  });
  it('unsupported arrays and dtypes', () => {
    expectError(() => Tensor.from(new Float64Array(2) as unknown as Float32Array), 'ERR_INVALID_ARG_TYPE', TypeError, /Float64Array/);
    expectError(() => Tensor.zeros([2], 'float64' as never), 'ERR_INVALID_ARG_VALUE', TypeError, /dtype/);
  });
  it('a detached buffer', () => {
    expectError(() => Tensor.from(detachedFloat32(4)), 'ERR_INVALID_ARG_VALUE', TypeError, /detached/);
  });
});

describe('spmm errors', () => {
  it('wrong dtypes and types', () => {
    expectError(() => ops.spmmSync(g, Tensor.from(new Int32Array(6), [3, 2]) as never), 'ERR_INVALID_ARG_TYPE', TypeError, /x: expected a float32 Tensor, got a int32 Tensor/);
    expectError(() => ops.spmmSync(g, new Float32Array(6) as never), 'ERR_INVALID_ARG_TYPE', TypeError, /x: expected a Tensor/);
    expectError(() => ops.spmmSync({} as Graph, x), 'ERR_INVALID_ARG_TYPE', TypeError, /graph: expected a Graph/);
    expectError(() => ops.spmmSync(g, x, { weights: new Float64Array(3) as never }), 'ERR_INVALID_ARG_TYPE', TypeError, /weights/);
  });
  it('unknown reduce and unknown options', () => {
    expectError(() => ops.spmmSync(g, x, { reduce: 'avg' as never }), 'ERR_INVALID_ARG_VALUE', TypeError, /reduce: expected 'sum', 'mean', 'max' or 'min', got the string "avg"/);
    expectError(() => ops.spmmSync(g, x, { reduse: 'sum' } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /reduse/);
    expectError(() => ops.spmmSync(g, x, 'sum' as never), 'ERR_INVALID_ARG_TYPE', TypeError, /options/);
  });
  it('shapes that disagree', () => {
    expectError(() => ops.spmmSync(g, Tensor.zeros([4, 2])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /x: expected 3 rows/);
    expectError(() => ops.spmmSync(g, x, { out: Tensor.zeros([3, 3]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /out: expected shape \[3, 2\], got \[3, 3\]/);
    expectError(() => ops.spmmSync(g, x, { weights: Tensor.zeros([4]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /weights: expected 3 rows/);
    expectError(() => ops.spmmSync(g, Tensor.zeros([3, 5]), { weights: Tensor.zeros([3, 2]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /divisible by the 2 heads/);
    expectError(() => ops.spmmSync(g, Tensor.zeros([3, 2, 1])), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /rank 1 or 2/);
    expectError(() => ops.spmmSync(g, x, { weights: 'graph' }), 'ERR_INVALID_ARG_VALUE', TypeError, /'graph' only for a graph with edge weights/);
  });
  it('an output that overlaps an input', () => {
    expectError(() => ops.spmmSync(g, x, { out: x }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /overlaps/);
  });
  it('a detached input, sync and async', async () => {
    const d = Tensor.from(new Float32Array(6), [3, 2]);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(null, [d.data.buffer as ArrayBuffer]);
    port1.close();
    port2.close();
    expectError(() => ops.spmmSync(g, d), 'ERR_INVALID_ARG_VALUE', TypeError, /x: expected a usable buffer, got a detached ArrayBuffer/);
    await expect(ops.spmm(g, d)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });
  it('settings', () => {
    expectError(() => setNumThreads(0), 'ERR_OUT_OF_RANGE', RangeError, /n: expected an integer in \[1, 4096\], got the number 0/);
    expectError(() => setSimdLevel('sse' as never), 'ERR_INVALID_ARG_VALUE', TypeError);
  });
});

describe('the raw addon survives garbage', () => {
  const a = native() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const junk: unknown[] = [undefined, null, 0, -1, 1.5, Number.NaN, 'x', {}, [], new Float32Array(3), new Int32Array(3), new BigInt64Array(2), () => 0];
  it('every function, called with junk, throws a coded error instead of crashing', () => {
    const handle = { indptr: new Int32Array([0, 5]), indices: new Int32Array(1), edgeIds: null, weights: null, numCols: 1 };
    // Every function of the addon, and of its `cuda` object in the CUDA build.
    const fns: Array<[string, (...args: unknown[]) => unknown]> = [];
    for (const [name, value] of Object.entries(a)) {
      if (typeof value === 'function') fns.push([name, value]);
      else if (name === 'cuda') for (const [n, f] of Object.entries(value)) fns.push([`cuda.${n}`, f as (...args: unknown[]) => unknown]);
    }
    for (const [name, fn] of fns) {
      if (name === 'measureBandwidth' || name === 'backendInfo' || name === 'getNumThreads') continue;
      for (const arg of [...junk, handle]) {
        try {
          const r = fn(arg, arg, arg, arg, arg, arg, arg, arg);
          if (r instanceof Promise) r.catch(() => undefined);
        } catch (error) {
          expect(typeof (error as { code?: unknown }).code, `${name}(${String(arg)})`).toBe('string');
        }
      }
    }
  });
  it('an inconsistent graph handle is refused', () => {
    const bad = { indptr: new Int32Array([0, 5]), indices: new Int32Array(2), edgeIds: null, weights: null, numCols: 1 };
    expectError(
      () => a.spmmSync(bad, new Float32Array(1), 1, null, null, 1, new Float32Array(1), 0),
      'ERR_GNN_INVALID_GRAPH',
      Error as ErrorConstructor,
      /indptr does not span indices/,
    );
    const ids = { indptr: new Int32Array([0, 1]), indices: new Int32Array(1), edgeIds: new Int32Array([0]), weights: null, numCols: 1 };
    expectError(
      () => a.spmmSync(ids, new Float32Array(1), 1, new Float32Array(1), new Int32Array([9]), 1, new Float32Array(1), 0),
      'ERR_INVALID_ARG_VALUE',
      TypeError,
      /graph's own edge ids/,
    );
  });
});
