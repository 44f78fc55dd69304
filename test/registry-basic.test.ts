/**
 * The model registry in one process: register (manifest digests checked against an independent
 * SHA-256 of each file), load (same bits as the model registered), promote / rollback / history,
 * rollback past the first version, tampered and missing files, unknown versions, the history
 * log's torn-line repair, and the lock's stale-lock rules. Crashes and concurrent processes are in
 * registry-processes.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { GnnError, Registry, loadModelSync } from '../lib/index';
import { Lock } from '../lib/registry/lock';
import { expectBitwiseEqual } from './helpers/compare';
import { expectError } from './helpers/errors';
import { removeTemp, smallData, smallGcn, tempDir } from './helpers/serve';

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** A pid that no process has: a child that already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  expect(child.status).toBe(0);
  return child.pid as number;
}

async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<Error> {
  const error = await p.then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(error, `expected a rejection with ${code}`).not.toBeNull();
  expect((error as { code?: string }).code).toBe(code);
  if (message !== undefined) expect((error as Error).message).toMatch(message);
  return error as Error;
}

let dir: string;
beforeEach(() => {
  dir = tempDir('registry');
});
afterEach(() => {
  removeTemp(dir);
});

describe('Registry.open', () => {
  it('creates the folder (and parents) with its marker, and reopens it', () => {
    const root = path.join(dir, 'a', 'b');
    const reg = Registry.open(root);
    expect(reg.dir).toBe(path.resolve(root));
    expect(JSON.parse(fs.readFileSync(path.join(root, 'registry.json'), 'utf8'))).toMatchObject({ format: 'gnn-kernels-registry', formatVersion: 1 });
    expect(reg.versions()).toEqual([]);
    expect(reg.active()).toBeNull();
    expect(reg.history()).toEqual([]);
    expect(Registry.open(root).dir).toBe(reg.dir);
  });

  it('refuses a non-empty folder that is not a registry, and a foreign marker', () => {
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    expectError(() => Registry.open(dir), 'ERR_GNN_REGISTRY', GnnError, /not a model registry .*notes\.txt/);
    expect(fs.existsSync(path.join(dir, 'versions'))).toBe(false);
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'registry.json'), '{"format":"something-else","formatVersion":1}');
    expectError(() => Registry.open(other), 'ERR_GNN_REGISTRY', GnnError, /expected \{ format: "gnn-kernels-registry"/);
  });

  it('checks its arguments', () => {
    expectError(() => Registry.open(''), 'ERR_INVALID_ARG_TYPE', TypeError, /dir: expected a folder path/);
    expectError(() => Registry.open(dir, { lockTimeout: 5 } as never), 'ERR_INVALID_ARG_VALUE', TypeError, /only the keys lockTimeoutMs, staleLockMs/);
    expectError(() => Registry.open(dir, { lockTimeoutMs: -1 }), 'ERR_OUT_OF_RANGE', RangeError, /lockTimeoutMs/);
  });
});

describe('register and load', () => {
  it('writes an immutable version whose manifest digests every file; load gives the same bits', async () => {
    const reg = Registry.open(dir);
    const model = smallGcn(1);
    const before = Date.now();
    const info = await reg.register(model, { metrics: { accuracy: 0.8125, loss: 0.5 }, notes: 'first' });
    expect(info.version).toBe('v1');
    expect(info.parent).toBeNull();
    expect(info.metrics).toEqual({ accuracy: 0.8125, loss: 0.5 });
    expect(info.notes).toBe('first');
    expect(Date.parse(info.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    const vdir = path.join(dir, 'versions', 'v1');
    expect(fs.readdirSync(vdir).sort()).toEqual(['manifest.json', 'model.json', 'model.safetensors']);
    expect(Object.keys(info.files).sort()).toEqual(['model.json', 'model.safetensors']);
    for (const [name, d] of Object.entries(info.files)) {
      expect(d.sha256).toBe(sha256(path.join(vdir, name)));
      expect(d.bytes).toBe(fs.statSync(path.join(vdir, name)).size);
    }
    expect(reg.info('v1')).toEqual(info);
    expect(fs.readdirSync(path.join(dir, '.staging'))).toEqual([]);

    const { graph, x } = smallData();
    const want = model.forwardSync(graph, x);
    expectBitwiseEqual((await reg.load('v1')).forwardSync(graph, x).data, want.data, 'load');
    expectBitwiseEqual(reg.loadSync('v1').forwardSync(graph, x).data, want.data, 'loadSync');
    const loaded = await reg.loadVersion('v1');
    expect(loaded.version).toBe('v1');
    expect(loaded.info).toEqual(info);
  });

  it('names versions v1, v2, … after the largest vN, defaults the parent to the active version, and refuses duplicates', async () => {
    const reg = Registry.open(dir);
    await reg.register(smallGcn(1));
    await reg.promote('v1');
    const second = await reg.register(smallGcn(2), { version: 'v7' });
    expect(second.parent).toBe('v1');
    const third = await reg.register(smallGcn(3));
    expect(third.version).toBe('v8');
    const named = await reg.register(smallGcn(4), { version: 'exp-2024.05_a', parent: null });
    expect(named.parent).toBeNull();
    expect((await reg.register(smallGcn(5), { parent: 'v7' })).parent).toBe('v7');
    expect(reg.versions().map((v) => v.version)).toEqual(['v1', 'v7', 'v8', 'exp-2024.05_a', 'v9']);
    await rejects(reg.register(smallGcn(6), { version: 'v7' }), 'ERR_GNN_REGISTRY', /"v7" is already registered/);
    await rejects(reg.register(smallGcn(6), { parent: 'nope' }), 'ERR_GNN_REGISTRY', /parent "nope" is not registered \(registered: .*v1/);
    expect(reg.versions()).toHaveLength(5);
    expect(fs.readdirSync(path.join(dir, '.staging'))).toEqual([]);
  });

  it('registers a model folder as it is (files byte for byte)', async () => {
    const source = path.join(dir, '..', `${path.basename(dir)}-src`);
    smallGcn(9).save(source);
    try {
      const reg = Registry.open(dir);
      const info = await reg.register(source, { version: 'exported' });
      expect(info.files['model.json'].sha256).toBe(sha256(path.join(source, 'model.json')));
      expect(info.files['model.safetensors'].sha256).toBe(sha256(path.join(source, 'model.safetensors')));
      const { graph, x } = smallData();
      expectBitwiseEqual(reg.loadSync('exported').forwardSync(graph, x).data, loadModelSync(source).forwardSync(graph, x).data, 'folder');
      await rejects(reg.register(path.join(dir, 'missing')), 'ERR_GNN_MODEL_FILE', /cannot read the model/);
    } finally {
      removeTemp(source);
    }
  });

  it('checks register arguments', async () => {
    const reg = Registry.open(dir);
    await expect(reg.register({} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: /model: expected a Module or the path of a model folder/ });
    for (const bad of ['', '.hidden', '-x', 'a/b', '..', 'a b', 'x'.repeat(101)]) {
      await expect(reg.register(smallGcn(1), { version: bad })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: /version: expected a version name/ });
    }
    await expect(reg.register(smallGcn(1), { version: 3 as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(reg.register(smallGcn(1), { metrics: { acc: Number.NaN } })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: /metrics\.acc: expected a finite number, got the number NaN/ });
    await expect(reg.register(smallGcn(1), { metrics: { acc: '0.9' } as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(reg.register(smallGcn(1), { notes: 5 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: /notes: expected a string/ });
    await expect(reg.register(smallGcn(1), { tag: 'x' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: /only the keys version, metrics, notes, parent/ });
    expect(reg.versions()).toEqual([]);
  });
});

describe('promote, rollback, history', () => {
  it('switches the active version, unwinds promotions one by one, and refuses to roll back past the first', async () => {
    const reg = Registry.open(dir);
    for (let i = 1; i <= 3; i++) await reg.register(smallGcn(i));
    await rejects(reg.rollback(), 'ERR_GNN_REGISTRY', /nothing was promoted yet/);
    const e1 = await reg.promote('v1');
    expect(e1).toMatchObject({ seq: 1, action: 'promote', version: 'v1', from: null, pid: process.pid, hostname: os.hostname() });
    expect(reg.active()).toBe('v1');
    await rejects(reg.rollback(), 'ERR_GNN_REGISTRY', /no earlier version to return to \("v1" is the first version promoted\)/);
    await reg.promote('v2');
    await reg.promote('v3');
    expect(await reg.promote('v3')).toBeNull(); // already active: nothing changes
    expect(reg.active()).toBe('v3');
    expect(await reg.rollback()).toMatchObject({ seq: 4, action: 'rollback', version: 'v2', from: 'v3' });
    expect(reg.active()).toBe('v2');
    await reg.rollback();
    expect(reg.active()).toBe('v1');
    await rejects(reg.rollback(), 'ERR_GNN_REGISTRY', /first version promoted/);
    expect(reg.active()).toBe('v1');
    // Promoting again after rollbacks: the stack is [v1, v3], so a rollback goes back to v1.
    await reg.promote('v3');
    await reg.rollback();
    expect(reg.active()).toBe('v1');
    const h = reg.history();
    expect(h.map((e) => [e.seq, e.action, e.from, e.version])).toEqual([
      [1, 'promote', null, 'v1'],
      [2, 'promote', 'v1', 'v2'],
      [3, 'promote', 'v2', 'v3'],
      [4, 'rollback', 'v3', 'v2'],
      [5, 'rollback', 'v2', 'v1'],
      [6, 'promote', 'v1', 'v3'],
      [7, 'rollback', 'v3', 'v1'],
    ]);
    for (const e of h) expect(Number.isNaN(Date.parse(e.at))).toBe(false);
    // load() without a version is the active one.
    const { graph, x } = smallData();
    expectBitwiseEqual((await reg.load()).forwardSync(graph, x).data, smallGcn(1).forwardSync(graph, x).data, 'active');
    expect(fs.existsSync(path.join(dir, '.lock'))).toBe(false);
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('refuses unknown versions and a load with nothing active', async () => {
    const reg = Registry.open(dir);
    await rejects(reg.load(), 'ERR_GNN_REGISTRY', /no version is active/);
    expectError(() => reg.loadSync(), 'ERR_GNN_REGISTRY', GnnError, /no version is active/);
    await reg.register(smallGcn(1));
    await rejects(reg.promote('v9'), 'ERR_GNN_REGISTRY', /version "v9" is not registered \(registered: v1\)/);
    await rejects(reg.load('v9'), 'ERR_GNN_REGISTRY', /"v9" is not registered/);
    expectError(() => reg.info('v9'), 'ERR_GNN_REGISTRY', GnnError, /"v9" is not registered/);
    await expect(reg.promote('../v1')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(reg.active()).toBeNull();
    expect(reg.history()).toEqual([]);
  });
});

describe('checksums', () => {
  it('refuses to load or promote a version with an altered, missing or unlisted-in-manifest file', async () => {
    const reg = Registry.open(dir);
    await reg.register(smallGcn(1));
    await reg.register(smallGcn(2));
    await reg.promote('v1');
    const vdir = path.join(dir, 'versions', 'v2');
    const params = path.join(vdir, 'model.safetensors');
    const original = fs.readFileSync(params);
    fs.chmodSync(params, 0o644);

    // One flipped bit, same size.
    const flipped = Buffer.from(original);
    flipped[flipped.length - 3] ^= 0x01;
    fs.writeFileSync(params, flipped);
    await rejects(reg.load('v2'), 'ERR_GNN_MODEL_FILE', /"v2": model\.safetensors: checksum mismatch \(expected sha256 [0-9a-f]{64} of \d+ bytes, got [0-9a-f]{64}/);
    expectError(() => reg.loadSync('v2'), 'ERR_GNN_MODEL_FILE', GnnError, /checksum mismatch/);
    expectError(() => reg.verify('v2'), 'ERR_GNN_MODEL_FILE', GnnError, /checksum mismatch/);
    await rejects(reg.promote('v2'), 'ERR_GNN_MODEL_FILE', /checksum mismatch/);
    expect(reg.active()).toBe('v1');

    // Truncated.
    fs.writeFileSync(params, original.subarray(0, original.length - 1));
    await rejects(reg.load('v2'), 'ERR_GNN_MODEL_FILE', /checksum mismatch .* of \d+ bytes, got [0-9a-f]{64} of \d+ bytes/);

    // Restored: loads again.
    fs.writeFileSync(params, original);
    expect(reg.verify('v2').version).toBe('v2');

    // Missing file, then missing manifest.
    fs.rmSync(path.join(vdir, 'model.json'));
    await rejects(reg.load('v2'), 'ERR_GNN_MODEL_FILE', /"v2": model\.json: missing/);
    fs.rmSync(path.join(vdir, 'manifest.json'));
    await rejects(reg.load('v2'), 'ERR_GNN_MODEL_FILE', /"v2": manifest\.json: missing/);
    expectError(() => reg.versions(), 'ERR_GNN_MODEL_FILE', GnnError, /manifest\.json: missing/);

    // A manifest edited to name another version.
    const v1manifest = path.join(dir, 'versions', 'v1', 'manifest.json');
    const text = fs.readFileSync(v1manifest, 'utf8');
    fs.chmodSync(v1manifest, 0o644);
    fs.writeFileSync(v1manifest, text.replace('"version": "v1"', '"version": "v3"'));
    await rejects(reg.load('v1'), 'ERR_GNN_MODEL_FILE', /expected version "v1", got "v3"/);
  });
});

describe('history log', () => {
  it('ignores a torn last line and the next write truncates it', async () => {
    const reg = Registry.open(dir);
    await reg.register(smallGcn(1));
    await reg.register(smallGcn(2));
    await reg.promote('v1');
    const log = path.join(dir, 'history.jsonl');
    fs.appendFileSync(log, '{"seq":2,"action":"prom');
    expect(reg.history().map((e) => e.seq)).toEqual([1]);
    await reg.promote('v2');
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual([1, 2]);
  });

  it('reports a corrupt complete line with its number', async () => {
    const reg = Registry.open(dir);
    await reg.register(smallGcn(1));
    await reg.promote('v1');
    fs.appendFileSync(path.join(dir, 'history.jsonl'), 'garbage\n');
    expectError(() => reg.history(), 'ERR_GNN_REGISTRY', GnnError, /history\.jsonl: line 2: not JSON/);
  });
});

describe('lock', () => {
  const lockFile = (): string => path.join(dir, '.lock');
  const writeLock = (owner: object, ageMs = 0): void => {
    fs.writeFileSync(lockFile(), JSON.stringify(owner));
    const t = new Date(Date.now() - ageMs);
    fs.utimesSync(lockFile(), t, t);
  };

  it('breaks a lock whose holder process is gone', async () => {
    const reg = Registry.open(dir, { lockTimeoutMs: 5000 });
    await reg.register(smallGcn(1));
    writeLock({ pid: deadPid(), hostname: os.hostname(), createdAt: Date.now(), token: 'dead' });
    const t0 = Date.now();
    await reg.promote('v1');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(reg.active()).toBe('v1');
    expect(fs.existsSync(lockFile())).toBe(false);
  });

  it('waits for a live holder and gives up after lockTimeoutMs with ERR_GNN_REGISTRY naming it', async () => {
    const reg = Registry.open(dir, { lockTimeoutMs: 150 });
    await reg.register(smallGcn(1));
    writeLock({ pid: process.pid, hostname: os.hostname(), createdAt: Date.now(), token: 'live' });
    const t0 = Date.now();
    await rejects(reg.promote('v1'), 'ERR_GNN_REGISTRY', new RegExp(`held by pid ${process.pid} on .* since .*; not released within 150 ms`));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(reg.active()).toBeNull();
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).token).toBe('live'); // not broken
  });

  it('a waiter proceeds as soon as the holder releases', async () => {
    const reg = Registry.open(dir, { lockTimeoutMs: 5000 });
    await reg.register(smallGcn(1));
    writeLock({ pid: process.pid, hostname: os.hostname(), createdAt: Date.now(), token: 'live' });
    setTimeout(() => fs.rmSync(lockFile()), 100);
    await reg.promote('v1');
    expect(reg.active()).toBe('v1');
  });

  it('breaks a lock older than staleLockMs even when its holder is alive, or held from another host', async () => {
    const reg = Registry.open(dir, { lockTimeoutMs: 5000, staleLockMs: 1000 });
    await reg.register(smallGcn(1));
    await reg.register(smallGcn(2));
    writeLock({ pid: process.pid, hostname: os.hostname(), createdAt: Date.now() - 5000, token: 'old' });
    await reg.promote('v1');
    writeLock({ pid: 1, hostname: 'some-other-host', createdAt: Date.now() - 5000, token: 'remote' });
    await reg.promote('v2');
    expect(reg.active()).toBe('v2');
  });

  it('breaks an unreadable lock (holder died before writing it) once it is a second old', async () => {
    const reg = Registry.open(dir, { lockTimeoutMs: 5000 });
    await reg.register(smallGcn(1));
    writeLock({}, 0);
    fs.writeFileSync(lockFile(), '');
    const t0 = Date.now();
    await reg.promote('v1');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(reg.active()).toBe('v1');
  });

  it('a holder whose lock was broken notices before committing and leaves the new lock alone', async () => {
    const file = lockFile();
    const lock = await Lock.acquire(file, { timeoutMs: 100, staleMs: 10_000 });
    expect(lock.held()).toBe(true);
    lock.assertHeld();
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, hostname: os.hostname(), createdAt: Date.now(), token: 'successor' }));
    expectError(() => lock.assertHeld(), 'ERR_GNN_REGISTRY', GnnError, /lost \(broken as stale by another process\); nothing was committed/);
    lock.release();
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).token).toBe('successor');
  });
});
