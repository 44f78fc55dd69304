/**
 * Predictor in one process: answers equal the model's own full-graph rows (receptive-field path
 * and cached full path), the cache is computed once and dropped by updateFeatures / updateGraph
 * (never filled with stale data), queue overflow is refused with ERR_GNN_OVERLOADED, errors are
 * counted by code, close() drains, useModel swaps (and refuses a model that cannot run), and
 * every option is checked.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { GnnError, Predictor, Tensor, nn, randomValues, uniformRandomGraph } from '../lib/index';
import type { Prediction } from '../lib/index';
import { argmaxRows } from '../lib/predictions';
import { expectBitwiseEqual } from './helpers/compare';
import { expectError } from './helpers/errors';
import { CLASSES, IN, smallData, smallGcn } from './helpers/serve';

const { graph, x } = smallData(200, 3);
const open: Predictor[] = [];
function make(options: ConstructorParameters<typeof Predictor>[0]): Predictor {
  const p = new Predictor(options);
  open.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

/** Rows `nodes` of a full output [N, C]. */
function rows(full: Tensor<'float32'>, nodes: ArrayLike<number>): Float32Array {
  const c = full.shape[1];
  const out = new Float32Array(nodes.length * c);
  for (let i = 0; i < nodes.length; i++) out.set(full.data.subarray(nodes[i] * c, (nodes[i] + 1) * c), i * c);
  return out;
}

function expectAnswer(p: Prediction, full: Tensor<'float32'>, nodes: ArrayLike<number>, label: string): void {
  expect([...p.nodes]).toEqual([...Array.from(nodes)]);
  expect(p.logits.shape).toEqual([nodes.length, full.shape[1]]);
  expectBitwiseEqual(p.logits.data, rows(full, nodes), label);
  expect([...p.classes]).toEqual([...argmaxRows(Tensor.from(rows(full, nodes), [nodes.length, full.shape[1]]))]);
}

async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error & { code?: string },
  );
}

describe('answers', () => {
  it('receptive-field path: the rows of the full forward, bit for bit, in the order asked (repeats kept)', async () => {
    const model = smallGcn(1);
    const p = make({ model, graph, x });
    expect(p.path).toBe('nodes');
    expect(p.version).toBe('unversioned');
    const full = model.forwardSync(graph, x);
    const nodes = Int32Array.of(5, 0, 5, 199, 17);
    const answer = p.predict(nodes);
    nodes[0] = 9; // the request copied its ids
    expectAnswer(await answer, full, [5, 0, 5, 199, 17], 'nodes path');
    expectAnswer(await p.predict([3]), full, [3], 'one node');
    expect(p.stats().fullPasses).toBe(0);
  });

  it('full path (a model without forwardNodes): one full pass, cached, shared by concurrent requests', async () => {
    const conv = new nn.GCNConv({ inChannels: IN, outChannels: CLASSES });
    conv.resetParameters({ seed: 4 });
    const p = make({ model: conv, graph, x, version: 'conv' });
    expect(p.path).toBe('full');
    const full = conv.forwardSync(graph, x);
    const asks = Array.from({ length: 10 }, (_, i) => [i, 199 - i, 50]);
    const answers = await Promise.all(asks.map((a) => p.predict(a)));
    answers.forEach((a, i) => {
      expect(a.version).toBe('conv');
      expectAnswer(a, full, asks[i], `request ${i}`);
    });
    expect(p.stats().fullPasses).toBe(1);
    await p.predict([1]);
    expect(p.stats().fullPasses).toBe(1);
  });

  it("mode 'full' serves a Sequential by full passes too; 'nodes' refuses a model that cannot", async () => {
    const model = smallGcn(2);
    const p = make({ model, graph, x, mode: 'full' });
    expect(p.path).toBe('full');
    expectAnswer(await p.predict([7, 8]), model.forwardSync(graph, x), [7, 8], 'full mode');
    expectError(() => new Predictor({ model: new nn.GCNConv({ inChannels: IN, outChannels: 2 }), graph, x, mode: 'nodes' }), 'ERR_INVALID_ARG_VALUE', TypeError, /mode: expected 'auto' or 'full' for model "unversioned" \(it does not support receptive-field queries/);
  });

  it('fanout and seed go to forwardNodes', async () => {
    const model = smallGcn(3);
    const p = make({ model, graph, x, fanout: [2, 1], seed: 5 });
    const nodes = Int32Array.of(0, 10, 20, 30);
    const got = await p.predict(nodes);
    expectBitwiseEqual(got.logits.data, model.forwardNodesSync(graph, x, nodes, { fanout: [2, 1], seed: 5 }).data, 'fanout');
    expectError(() => new Predictor({ model, graph, x, fanout: [2] }), 'ERR_INVALID_ARG_VALUE', TypeError, /fanout: expected 2 entries \(one per hop of model "unversioned"\)/);
    expectError(() => new Predictor({ model, graph, x, fanout: [2, 2], mode: 'full' }), 'ERR_INVALID_ARG_VALUE', TypeError, /fanout: expected no fanout/);
  });
});

describe('cache invalidation', () => {
  it('updateFeatures and updateGraph drop the cached full pass; both paths then answer on the new data', async () => {
    const conv = new nn.GCNConv({ inChannels: IN, outChannels: CLASSES });
    conv.resetParameters({ seed: 6 });
    const seq = smallGcn(6);
    const full = make({ model: conv, graph, x });
    const nodes = make({ model: seq, graph, x });
    const ask = [0, 13, 150];
    expectAnswer(await full.predict(ask), conv.forwardSync(graph, x), ask, 'before');

    const x2 = Tensor.from(randomValues(200 * IN, 77), [200, IN]);
    full.updateFeatures(x2);
    nodes.updateFeatures(x2);
    expectAnswer(await full.predict(ask), conv.forwardSync(graph, x2), ask, 'new x');
    expectAnswer(await nodes.predict(ask), seq.forwardSync(graph, x2), ask, 'new x, nodes path');
    expect(full.stats().fullPasses).toBe(2);

    // In-place changes are invisible until updateFeatures says so.
    x2.data.fill(0.25, 0, 50 * IN);
    expectAnswer(await full.predict(ask), conv.forwardSync(graph, Tensor.from(Float32Array.from(randomValues(200 * IN, 77)), [200, IN])), ask, 'stale until told');
    full.updateFeatures(x2);
    expectAnswer(await full.predict(ask), conv.forwardSync(graph, x2), ask, 'in place, told');

    const g3 = uniformRandomGraph({ numNodes: 120, numEdges: 500, seed: 9 });
    const x3 = Tensor.from(randomValues(120 * IN, 8), [120, IN]);
    expectError(() => full.updateGraph(g3), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /the graph has 120 nodes and the current x 200 rows: pass the new x too/);
    expectError(() => full.updateFeatures(x3), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /x: expected 200 rows \(one per node of the graph\), got 120/);
    full.updateGraph(g3, x3);
    nodes.updateGraph(g3, x3);
    expectAnswer(await full.predict([119, 0]), conv.forwardSync(g3, x3), [119, 0], 'new graph');
    expectAnswer(await nodes.predict([119, 0]), seq.forwardSync(g3, x3), [119, 0], 'new graph, nodes path');
    const e = await failure(full.predict([150]));
    expect(e.code).toBe('ERR_OUT_OF_RANGE');
    expect(e.message).toMatch(/nodes\[0\]: expected a node id in \[0, 120\), got the number 150/);
    // Same node count: the old x still fits.
    const g4 = uniformRandomGraph({ numNodes: 120, numEdges: 300, seed: 10 });
    full.updateGraph(g4);
    expectAnswer(await full.predict([5]), conv.forwardSync(g4, x3), [5], 'graph only');
  });

  it('an update during a full pass: the running request keeps its data, the stale output is not cached', async () => {
    const conv = new nn.GCNConv({ inChannels: IN, outChannels: CLASSES });
    conv.resetParameters({ seed: 11 });
    const p = make({ model: conv, graph, x });
    const first = p.predict([1, 2]);
    const x2 = Tensor.from(randomValues(200 * IN, 12), [200, IN]);
    p.updateFeatures(x2);
    const second = p.predict([1, 2]);
    expectAnswer(await first, conv.forwardSync(graph, x), [1, 2], 'old data');
    expectAnswer(await second, conv.forwardSync(graph, x2), [1, 2], 'new data');
    expectAnswer(await p.predict([3]), conv.forwardSync(graph, x2), [3], 'cached new data');
    expect(p.stats().fullPasses).toBe(2);
  });
});

describe('limits and errors', () => {
  it('queue overflow is refused at once with ERR_GNN_OVERLOADED; admitted requests all finish', async () => {
    const p = make({ model: smallGcn(1), graph, x, maxConcurrency: 1, maxQueue: 2 });
    const calls = Array.from({ length: 6 }, (_, i) => p.predict([i]));
    const s = p.stats();
    expect(s.inFlight).toBe(1);
    expect(s.queueDepth).toBe(2);
    const settled = await Promise.allSettled(calls);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected']);
    for (const r of settled.slice(3)) {
      const reason = (r as PromiseRejectedResult).reason as GnnError;
      expect(reason).toBeInstanceOf(GnnError);
      expect(reason.code).toBe('ERR_GNN_OVERLOADED');
      expect(reason.message).toMatch(/overloaded \(1 requests running, 2 queued; maxConcurrency 1, maxQueue 2\): retry later/);
    }
    expect(p.stats()).toMatchObject({ requests: 6, completed: 3, errors: { ERR_GNN_OVERLOADED: 3 }, queueDepth: 0, inFlight: 0 });
    // Capacity is back.
    expect((await p.predict([0])).classes).toHaveLength(1);
  });

  it('maxQueue 0: only maxConcurrency requests at a time', async () => {
    const p = make({ model: smallGcn(1), graph, x, maxConcurrency: 2, maxQueue: 0 });
    const settled = await Promise.allSettled([p.predict([0]), p.predict([1]), p.predict([2])]);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
  });

  it('counts errors by code: bad ids, and a model that fails at run time', async () => {
    const p = make({ model: smallGcn(1), graph, x });
    const cases: Array<[unknown, string, RegExp]> = [
      [[1, 200], 'ERR_OUT_OF_RANGE', /nodes\[1\]: expected a node id in \[0, 200\), got the number 200/],
      [[1.5], 'ERR_OUT_OF_RANGE', /nodes\[0\]/],
      [Int32Array.of(-1), 'ERR_OUT_OF_RANGE', /nodes\[0\]: expected a node id in \[0, 200\), got the number -1/],
      [['3'], 'ERR_INVALID_ARG_TYPE', /nodes\[0\]: expected a node id \(an integer\), got the string "3"/],
      ['1,2', 'ERR_INVALID_ARG_TYPE', /nodes: expected an Int32Array or an array of node ids/],
      [[], 'ERR_INVALID_ARG_VALUE', /nodes: expected at least one node id/],
    ];
    for (const [nodes, code, message] of cases) {
      const e = await failure(p.predict(nodes as number[]));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
    }
    const wrong = new nn.GCNConv({ inChannels: IN + 1, outChannels: 2 }); // x has IN columns
    const q = make({ model: wrong, graph, x });
    expect((await failure(q.predict([0]))).code).toBe('ERR_GNN_SHAPE_MISMATCH');
    expect((await failure(q.predict([1]))).code).toBe('ERR_GNN_SHAPE_MISMATCH');
    expect(p.stats().errors).toEqual({ ERR_OUT_OF_RANGE: 3, ERR_INVALID_ARG_TYPE: 2, ERR_INVALID_ARG_VALUE: 1 });
    expect(q.stats()).toMatchObject({ requests: 2, completed: 0, errors: { ERR_GNN_SHAPE_MISMATCH: 2 }, inFlight: 0 });
  });

  it('close() answers every admitted request, then refuses new ones with ERR_GNN_ABORTED', async () => {
    const model = smallGcn(1);
    const p = new Predictor({ model, graph, x, maxConcurrency: 2 });
    const calls = Array.from({ length: 6 }, (_, i) => p.predict([i, i + 1]));
    let closed = false;
    const closing = p.close().then(() => {
      closed = true;
    });
    const answers = await Promise.all(calls);
    const full = model.forwardSync(graph, x);
    answers.forEach((a, i) => expectAnswer(a, full, [i, i + 1], `drained ${i}`));
    await closing;
    expect(closed).toBe(true);
    const e = await failure(p.predict([0]));
    expect(e).toBeInstanceOf(GnnError);
    expect(e.code).toBe('ERR_GNN_ABORTED');
    expect(p.stats().errors).toEqual({ ERR_GNN_ABORTED: 1 });
    await p.close(); // twice is fine
  });
});

describe('useModel', () => {
  it('swaps after a warm-up; running requests finish on their model; a model that cannot run is refused', async () => {
    const a = smallGcn(1);
    const b = smallGcn(2);
    const p = make({ model: a, graph, x, version: 'a' });
    const swaps: unknown[] = [];
    p.on('swap', (e) => swaps.push(e));
    const before = p.predict([4, 5]);
    await p.useModel(b, 'b');
    const after = await p.predict([4, 5]);
    expect((await before).version).toBe('a');
    expectAnswer(await before, a.forwardSync(graph, x), [4, 5], 'before swap');
    expect(after.version).toBe('b');
    expectAnswer(after, b.forwardSync(graph, x), [4, 5], 'after swap');
    expect(swaps).toEqual([{ from: 'a', to: 'b' }]);

    const broken = new nn.Sequential([new nn.GCNConv({ inChannels: IN + 2, outChannels: 2 })]);
    expect((await failure(p.useModel(broken, 'broken'))).code).toBe('ERR_GNN_SHAPE_MISMATCH');
    expect(p.version).toBe('b');
    expect(p.stats()).toMatchObject({ swaps: 1, reloadErrors: 1 });
    expect((await failure(p.useModel({} as never))).code).toBe('ERR_INVALID_ARG_TYPE');
    const r = await failure(p.reload());
    expect(r.code).toBe('ERR_GNN_REGISTRY');
    expect(r.message).toMatch(/serves a model given directly, not a registry/);
  });
});

describe('options', () => {
  it('checks every option', () => {
    const model = smallGcn(1);
    expectError(() => new Predictor(undefined as never), 'ERR_INVALID_ARG_TYPE', TypeError, /Predictor options: expected an object/);
    expectError(() => new Predictor({ model, graph, x, queue: 3 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /only the keys registry, model/);
    expectError(() => new Predictor({ graph, x } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /exactly one of registry and model, got the string "neither"/);
    expectError(() => new Predictor({ model: {} as never, graph, x }), 'ERR_INVALID_ARG_TYPE', TypeError, /model: expected a Module/);
    expectError(() => new Predictor({ registry: {} as never, graph, x }), 'ERR_INVALID_ARG_TYPE', TypeError, /registry: expected a Registry/);
    expectError(() => new Predictor({ model, graph: {} as never, x }), 'ERR_INVALID_ARG_TYPE', TypeError, /graph: expected a Graph/);
    expectError(() => new Predictor({ model, graph, x: new Float32Array(6) as never }), 'ERR_INVALID_ARG_TYPE', TypeError, /x: expected a float32 Tensor/);
    expectError(() => new Predictor({ model, graph, x: Tensor.zeros([10, IN]) }), 'ERR_GNN_SHAPE_MISMATCH', GnnError, /x: expected 200 rows/);
    expectError(() => new Predictor({ model, graph, x, maxConcurrency: 0 }), 'ERR_OUT_OF_RANGE', RangeError, /maxConcurrency: expected an integer in \[1, 65536\], got the number 0/);
    expectError(() => new Predictor({ model, graph, x, maxQueue: -1 }), 'ERR_OUT_OF_RANGE', RangeError, /maxQueue/);
    expectError(() => new Predictor({ model, graph, x, mode: 'fast' as never }), 'ERR_INVALID_ARG_VALUE', TypeError, /mode: expected 'auto', 'nodes' or 'full'/);
    expectError(() => new Predictor({ model, graph, x, monitor: {} as never }), 'ERR_INVALID_ARG_TYPE', TypeError, /monitor: expected an object with a latestReport\(\) method/);
    expectError(() => new Predictor({ model, graph, x, watch: true }), 'ERR_INVALID_ARG_VALUE', TypeError, /watch: expected false without a registry/);
    expectError(() => new Predictor({ model, graph, x, latencyBuckets: [0.1, 0.1] }), 'ERR_INVALID_ARG_VALUE', TypeError, /latencyBuckets\[1\]: expected a finite positive number above the previous one/);
    expectError(() => new Predictor({ model, graph, x, latencyBuckets: [] }), 'ERR_INVALID_ARG_TYPE', TypeError, /latencyBuckets/);
    expectError(() => new Predictor({ model, graph, x, version: '' }), 'ERR_INVALID_ARG_TYPE', TypeError, /version: expected a non-empty string/);
    expectError(() => new Predictor({ model, graph, x, seed: -1 }), 'ERR_OUT_OF_RANGE', RangeError, /seed/);
  });
});
