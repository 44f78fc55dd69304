/**
 * Hot swap under load: a Predictor serving a registry keeps answering while versions are promoted
 * and rolled back beneath it. Every request is answered (none dropped), every answer's rows are
 * exactly those of the version it names (the two versions differ on every row, so a request
 * mixing them would fail), and both versions served. Also: watch (polling the pointer), a bad
 * deploy that cannot run on the graph (refused, the old version keeps serving), and a rollback
 * that returns to the previous model without reloading it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Predictor, Registry, Tensor, nn } from '../lib/index';
import type { Prediction } from '../lib/index';
import { Random } from '../lib/generators/random';
import { expectBitwiseEqual } from './helpers/compare';
import { IN, removeTemp, smallData, smallGcn, tempDir } from './helpers/serve';

const { graph, x } = smallData(300, 21);
let dir: string;
let registry: Registry;
const reference = new Map<string, Tensor<'float32'>>();

beforeAll(async () => {
  dir = tempDir('hotswap');
  registry = Registry.open(dir);
  await registry.register(smallGcn(1), { version: 'v1' });
  await registry.register(smallGcn(2), { version: 'v2' });
  await registry.promote('v1');
  for (const v of ['v1', 'v2']) reference.set(v, registry.loadSync(v).forwardSync(graph, x));
  // The two versions disagree on every row: a request mixing them cannot match either.
  const a = reference.get('v1') as Tensor<'float32'>;
  const b = reference.get('v2') as Tensor<'float32'>;
  const c = a.shape[1];
  for (let r = 0; r < graph.numNodes; r++) {
    expect(a.data.subarray(r * c, (r + 1) * c)).not.toEqual(b.data.subarray(r * c, (r + 1) * c));
  }
});
afterAll(() => removeTemp(dir));

function expectFromVersion(p: Prediction, asked: Int32Array, label: string): void {
  const full = reference.get(p.version);
  expect(full, `${label}: unknown version ${p.version}`).toBeDefined();
  const c = (full as Tensor<'float32'>).shape[1];
  const want = new Float32Array(asked.length * c);
  asked.forEach((n, i) => want.set((full as Tensor<'float32'>).data.subarray(n * c, (n + 1) * c), i * c));
  expect([...p.nodes]).toEqual([...asked]);
  expectBitwiseEqual(p.logits.data, want, `${label} (${p.version})`);
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe.each(['auto', 'full'] as const)('hot swap under load (mode %s)', (mode) => {
  it('loses no request and mixes no versions within one request', async () => {
    await registry.promote('v1');
    const p = new Predictor({ registry, graph, x, mode, maxConcurrency: 3, maxQueue: 100_000 });
    expect(p.version).toBe('v1');
    const rng = new Random(mode === 'auto' ? 5 : 6);
    const asked: Int32Array[] = [];
    const calls: Array<Promise<Prediction>> = [];
    const waitFor = async (n: number): Promise<void> => {
      while (calls.length < n) await nextTick();
    };
    // Three registry changes, each followed by checkForUpdate, while requests keep arriving; after
    // each swap at least 100 more requests arrive before the next change.
    let swapping = true;
    const swaps = (async () => {
      const results: boolean[] = [];
      await waitFor(100);
      for (const change of [() => registry.promote('v2'), () => registry.rollback(), () => registry.promote('v2')]) {
        await change();
        results.push(await p.checkForUpdate());
        await waitFor(calls.length + 100);
      }
      swapping = false;
      return results;
    })();
    while (swapping || calls.length < 600) {
      if (calls.length > 100_000) throw new Error('the swaps never finished');
      const nodes = Int32Array.from({ length: 1 + rng.int(8) }, () => rng.int(graph.numNodes));
      asked.push(nodes);
      calls.push(p.predict(nodes));
      if (calls.length % 20 === 0) await nextTick(); // let requests and swaps interleave
    }
    expect(await swaps).toEqual([true, true, true]);
    const TOTAL = calls.length;
    const settled = await Promise.allSettled(calls);
    const failed = settled.filter((s) => s.status === 'rejected');
    expect(failed, String((failed[0] as PromiseRejectedResult | undefined)?.reason)).toHaveLength(0);
    const seen = new Map<string, number>();
    settled.forEach((s, i) => {
      const answer = (s as PromiseFulfilledResult<Prediction>).value;
      expectFromVersion(answer, asked[i], `request ${i}`);
      seen.set(answer.version, (seen.get(answer.version) ?? 0) + 1);
    });
    expect(seen.get('v1')).toBeGreaterThan(0);
    expect(seen.get('v2')).toBeGreaterThan(0);
    // Requests start in arrival order and a swap changes the model for every later start: in
    // arrival order the versions change once per swap (v1… v2… v1… v2…).
    const versions = settled.map((s) => (s as PromiseFulfilledResult<Prediction>).value.version);
    const changes = versions.filter((v, i) => i > 0 && v !== versions[i - 1]).length;
    expect(changes).toBe(3);
    expect(p.version).toBe('v2');
    expect(p.stats()).toMatchObject({ requests: TOTAL, completed: TOTAL, errors: {}, swaps: 3, reloadErrors: 0, inFlight: 0, queueDepth: 0 });
    const last = await p.predict([0, 1]);
    expect(last.version).toBe('v2');
    await p.close();
  });
});

describe('registry swaps', () => {
  it('watch: a promotion reaches the Predictor by polling the pointer', async () => {
    await registry.promote('v1');
    const p = new Predictor({ registry, graph, x, watch: 20 });
    try {
      expect(p.version).toBe('v1');
      const swapped = new Promise<{ from: string; to: string }>((resolve) => p.once('swap', resolve));
      await registry.promote('v2');
      expect(await swapped).toEqual({ from: 'v1', to: 'v2' });
      const answer = await p.predict([3, 4]);
      expect(answer.version).toBe('v2');
      expectFromVersion(answer, Int32Array.of(3, 4), 'after watch');
    } finally {
      await p.close();
    }
  });

  it('a version that cannot run on the graph is refused and the old one keeps serving; rollback reuses the previous model', async () => {
    await registry.promote('v1');
    const p = new Predictor({ registry, graph, x });
    try {
      await registry.promote('v2');
      expect(await p.checkForUpdate()).toBe(true);
      expect(await p.checkForUpdate()).toBe(false);
      const bad = new nn.Sequential([new nn.GCNConv({ inChannels: IN + 3, outChannels: 2 })]);
      await registry.register(bad, { version: `bad-${Date.now()}` });
      const badVersion = registry.versions().map((v) => v.version).find((v) => v.startsWith('bad-')) as string;
      await registry.promote(badVersion);
      const inFlight = p.predict([9]);
      await expect(p.checkForUpdate()).rejects.toMatchObject({ code: 'ERR_GNN_SHAPE_MISMATCH' });
      expect(p.version).toBe('v2');
      expect((await inFlight).version).toBe('v2');
      expectFromVersion(await p.predict([10, 11]), Int32Array.of(10, 11), 'after the refused deploy');
      expect(p.stats()).toMatchObject({ reloadErrors: 1, swaps: 1 });

      // Roll back twice (bad → v2 → v1): v1 was served before, so it comes back without a load.
      await registry.rollback();
      expect(await p.checkForUpdate()).toBe(false);
      await registry.rollback();
      const loads = countLoads(registry);
      expect(await p.reload()).toBe('v1');
      expect(loads()).toBe(0);
      expectFromVersion(await p.predict([12]), Int32Array.of(12), 'rolled back');
    } finally {
      await p.close();
    }
  });
});

/** Counts loadVersion calls on a registry from now on. */
function countLoads(reg: Registry): () => number {
  let n = 0;
  const original = reg.loadVersion.bind(reg);
  reg.loadVersion = (version?: string) => {
    n++;
    return original(version);
  };
  return () => n;
}
