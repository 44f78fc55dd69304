/**
 * The registry across processes, against the built package (dist/, which `npm test` builds
 * first): child processes promoting, rolling back and registering at once must leave a history
 * that replays to the pointer, with no lost or torn write; and a child killed (SIGKILL, through
 * the GNN_REGISTRY_CRASH_AT test hook) at every step of register, promote and rollback leaves the
 * registry in the state before the operation or after it, never between, and usable at once.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Registry } from '../lib/index';
import type { HistoryEntry } from '../lib/index';
import { CRASH_STEPS } from '../lib/registry/crash';
import { removeTemp, smallGcn, tempDir } from './helpers/serve';

const entry = path.resolve(__dirname, '..', 'dist', 'cjs', 'index.js');

let root: string;
let template: string; // v1, v2, v3 registered; v1 then v2 promoted
let source: string; // a model folder children register

beforeAll(async () => {
  root = tempDir('registry-proc');
  template = path.join(root, 'template');
  source = path.join(root, 'source');
  smallGcn(7).save(source);
  const reg = Registry.open(template);
  for (let i = 1; i <= 3; i++) await reg.register(smallGcn(i));
  await reg.promote('v1');
  await reg.promote('v2');
});
afterAll(() => removeTemp(root));

let copies = 0;
function freshCopy(): string {
  const dir = path.join(root, `copy-${copies++}`);
  fs.cpSync(template, dir, { recursive: true });
  return dir;
}

/** Runs `body` (JS using `reg`, `Registry`, `env`) in a child process with the registry at `dir` open. */
function script(body: string): string {
  return `
const { Registry } = require(process.env.ENTRY);
const env = process.env;
(async () => {
  const reg = Registry.open(env.DIR, { lockTimeoutMs: 60000 });
  ${body}
})().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
`;
}

/** Checks that the log replays to the pointer: contiguous seq, each event starting where the last ended. */
function expectConsistent(dir: string): HistoryEntry[] {
  const reg = Registry.open(dir);
  const log = fs.readFileSync(path.join(dir, 'history.jsonl'), 'utf8');
  expect(log.endsWith('\n')).toBe(true);
  const raw = log.trimEnd().split('\n').map((l) => JSON.parse(l) as HistoryEntry);
  expect(reg.history()).toEqual(raw);
  const stack: string[] = [];
  raw.forEach((e, i) => {
    expect(e.seq).toBe(i + 1);
    expect(e.from).toBe(i === 0 ? null : raw[i - 1].version);
    if (e.action === 'promote') stack.push(e.version);
    else {
      stack.pop();
      expect(stack[stack.length - 1]).toBe(e.version);
    }
  });
  const pointer = JSON.parse(fs.readFileSync(path.join(dir, 'ACTIVE.json'), 'utf8')) as { active: string; stack: string[]; seq: number };
  expect(pointer.stack).toEqual(stack);
  expect(pointer.seq).toBe(raw.length);
  expect(reg.active()).toBe(stack[stack.length - 1]);
  expect(fs.existsSync(path.join(dir, '.lock'))).toBe(false);
  expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-') || n.includes('.break'))).toEqual([]);
  return raw;
}

describe('processes', () => {
  it('the built package exists (npm test builds it first)', () => {
    expect(fs.existsSync(entry), `${entry} missing: run npm run build:ts`).toBe(true);
  });

  it('concurrent promotes and rollbacks from 4 processes: every event logged once, in an order that replays to the pointer', async () => {
    const dir = path.join(root, 'concurrent');
    const reg = Registry.open(dir);
    for (let i = 1; i <= 4; i++) await reg.register(smallGcn(i));
    const go = path.join(root, 'go');
    const body = `
  process.stdout.write('ready\\n');
  while (!require('node:fs').existsSync(env.GO)) await new Promise((r) => setTimeout(r, 2));
  const me = Number(env.CHILD);
  let promotes = 0, rollbacks = 0, refused = 0;
  for (let k = 0; k < 16; k++) {
    if (k % 4 === 3) {
      try { await reg.rollback(); rollbacks++; } catch (e) { if (e.code !== 'ERR_GNN_REGISTRY') throw e; refused++; }
    } else if ((await reg.promote('v' + (((me + k) % 4) + 1))) !== null) promotes++;
  }
  console.log(JSON.stringify({ promotes, rollbacks, refused }));`;
    const children = [0, 1, 2, 3].map((i) =>
      spawn(process.execPath, ['-e', script(body)], { env: { ...process.env, ENTRY: entry, DIR: dir, GO: go, CHILD: String(i) }, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    const outputs = children.map((c) => {
      let out = '';
      let err = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      return {
        ready: new Promise<void>((resolve) => c.stdout.on('data', () => out.includes('ready') && resolve())),
        done: new Promise<{ code: number | null; out: string; err: string }>((resolve) => c.on('close', (code) => resolve({ code, out, err }))),
      };
    });
    await Promise.all(outputs.map((o) => o.ready));
    fs.writeFileSync(go, '');
    const results = await Promise.all(outputs.map((o) => o.done));
    let promotes = 0;
    let rollbacks = 0;
    for (const r of results) {
      expect(r.code, r.err).toBe(0);
      const counts = JSON.parse(r.out.trim().split('\n').pop() as string) as { promotes: number; rollbacks: number; refused: number };
      promotes += counts.promotes;
      rollbacks += counts.rollbacks;
    }
    const events = expectConsistent(dir);
    expect(events.filter((e) => e.action === 'promote')).toHaveLength(promotes);
    expect(events.filter((e) => e.action === 'rollback')).toHaveLength(rollbacks);
    expect(new Set(events.map((e) => e.pid)).size).toBeGreaterThan(1);
    expect(promotes).toBeGreaterThan(20);
  });

  it('concurrent registers from 3 processes (opening a registry that does not exist yet) get distinct automatic names', async () => {
    const dir = path.join(root, 'registers'); // created by whichever child opens it first
    const body = `
  const a = await reg.register(env.SOURCE);
  const b = await reg.register(env.SOURCE);
  console.log(JSON.stringify([a.version, b.version]));`;
    const results = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
            const c = spawn(process.execPath, ['-e', script(body)], { env: { ...process.env, ENTRY: entry, DIR: dir, SOURCE: source }, stdio: ['ignore', 'pipe', 'pipe'] });
            let out = '';
            let err = '';
            c.stdout.on('data', (d: Buffer) => (out += d.toString()));
            c.stderr.on('data', (d: Buffer) => (err += d.toString()));
            c.on('close', (code) => resolve({ code, out, err }));
          }),
      ),
    );
    const names: string[] = [];
    for (const r of results) {
      expect(r.code, r.err).toBe(0);
      names.push(...(JSON.parse(r.out) as string[]));
    }
    expect(names.sort()).toEqual(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    const reg = Registry.open(dir);
    for (const v of names) expect(reg.verify(v).version).toBe(v);
    expect(fs.readdirSync(path.join(dir, '.staging'))).toEqual([]);
  });
});

describe('a process killed at each step', () => {
  const cases: Array<{ step: (typeof CRASH_STEPS)[number]; body: string; done: boolean }> = CRASH_STEPS.map((step) => {
    const [op, at] = step.split(':');
    const body = op === 'register' ? "await reg.register(env.SOURCE, { version: 'v4' });" : op === 'promote' ? "await reg.promote('v3');" : 'await reg.rollback();';
    return { step, body, done: at === 'renamed' || at === 'logged' };
  });

  it('covers every step of register, promote and rollback', () => {
    expect(cases.map((c) => c.step).sort()).toEqual(
      ['register:staged', 'register:locked', 'register:renamed', ...['promote', 'rollback'].flatMap((op) => ['locked', 'temp-written', 'renamed', 'logged'].map((s) => `${op}:${s}`))].sort(),
    );
  });

  for (const c of cases) {
    it(`${c.step}: the registry holds the ${c.done ? 'new' : 'old'} state and works at once`, async () => {
      const dir = freshCopy();
      const child = spawnSync(process.execPath, ['-e', script(`${c.body}\n  console.log('finished');`)], {
        env: { ...process.env, ENTRY: entry, DIR: dir, SOURCE: source, GNN_REGISTRY_CRASH_AT: c.step },
        encoding: 'utf8',
      });
      expect(child.signal, child.stderr).toBe('SIGKILL');
      expect(child.stdout).not.toContain('finished');

      const reg = Registry.open(dir, { lockTimeoutMs: 5000 });
      const [op] = c.step.split(':');
      if (op === 'register') {
        expect(reg.versions().map((v) => v.version)).toEqual(c.done ? ['v1', 'v2', 'v3', 'v4'] : ['v1', 'v2', 'v3']);
        if (c.done) expect(reg.verify('v4').parent).toBe('v2');
        expect(reg.active()).toBe('v2');
        expect(reg.history()).toHaveLength(2);
        // The dead writer's staging folder goes with the next register.
        await reg.register(source, { version: 'after' });
        expect(fs.readdirSync(path.join(dir, '.staging'))).toEqual([]);
      } else {
        const want = op === 'promote' ? { action: 'promote', from: 'v2', version: 'v3' } : { action: 'rollback', from: 'v2', version: 'v1' };
        expect(reg.active()).toBe(c.done ? want.version : 'v2');
        const history = reg.history();
        expect(history).toHaveLength(c.done ? 3 : 2);
        if (c.done) expect(history[2]).toMatchObject({ seq: 3, ...want });
      }
      // The dead process's lock is broken, the log brought up to the pointer, temp files removed.
      const t0 = Date.now();
      const next = reg.active() === 'v3' ? 'v1' : 'v3';
      await reg.promote(next);
      expect(Date.now() - t0).toBeLessThan(3000);
      const events = expectConsistent(dir);
      expect(events[events.length - 1]).toMatchObject({ action: 'promote', version: next });
      for (const v of reg.versions()) reg.verify(v.version);
    });
  }
});
