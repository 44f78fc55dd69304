/**
 * A directory-based model registry: immutable, checksummed versions; an active pointer switched by
 * atomic rename; rollback; an append-only history; one lock file serialising writers across
 * processes.
 *
 *   <dir>/registry.json          marker: { format: 'gnn-kernels-registry', formatVersion: 1 }
 *   <dir>/versions/<version>/    model.json, model.safetensors (or the file model.json names), manifest.json
 *   <dir>/ACTIVE.json            the active pointer (state.ts)
 *   <dir>/history.jsonl          one JSON line per promotion or rollback
 *   <dir>/.lock                  held while a writer commits (lock.ts)
 *   <dir>/.staging/              versions being written, renamed into versions/ when complete
 *
 * Crash safety: every change becomes visible through one rename (a version folder, or the
 * pointer), after its contents were flushed to disk; whatever instant a writer dies, readers see
 * the state before the change or after it. The steps are named in crash.ts, where the tests kill
 * a child process at each one.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { GnnError, invalidArgType, invalidArgValue } from '../errors';
import { loadModelSync, saveModel } from '../nn/model-file';
import type { Model } from '../nn/model-file';
import { Module } from '../nn/module';
import { checkInteger, checkOptions } from '../validate';
import { appendLine, commitTemp, fsyncDir, fsyncFile, writeFileAtomic, writeTemp } from './atomic';
import { crashPoint } from './crash';
import type { CrashStep } from './crash';
import { Lock, pidAlive } from './lock';
import { MANIFEST_FILE, digestFolder, manifestJSON, readManifest, verifyFolder, verifyFolderAsync } from './manifest';
import type { FileDigest, VersionInfo } from './manifest';
import { fullHistory, readPointer, repairLog } from './state';
import type { HistoryEntry, PointerState } from './state';

export interface RegistryOptions {
  /** How long a write waits for another process's lock before failing with ERR_GNN_REGISTRY (ms, default 10 000). */
  lockTimeoutMs?: number;
  /** Age after which a lock is broken even if its holder seems alive (ms, default 30 000). */
  staleLockMs?: number;
}

export interface RegisterOptions {
  /** The version's name: letters, digits, '.', '_', '-' (up to 100, not starting with '.' or '-'). Default: v1, v2, … */
  version?: string;
  /** Numbers to keep with the version (accuracy, loss, …). */
  metrics?: Record<string, number>;
  /** Free text (what changed, the training run). */
  notes?: string;
  /** The version this one derives from; must be registered. Default: the active version, or null. */
  parent?: string | null;
}

/** A version loaded from the registry, with its manifest. */
export interface LoadedVersion {
  version: string;
  model: Model;
  info: VersionInfo;
}

const MARKER_FILE = 'registry.json';
const MARKER_FORMAT = 'gnn-kernels-registry';
const POINTER_FILE = 'ACTIVE.json';
const LOG_FILE = 'history.jsonl';
const LOCK_FILE = '.lock';
const VERSIONS_DIR = 'versions';
const STAGING_DIR = '.staging';
/** rollback() reaches back this many promotions; older ones drop off the pointer's stack. */
const MAX_STACK = 1000;
/** A staging folder whose writer is on another host is removed after this long. */
const STAGING_STALE_MS = 24 * 3600 * 1000;

const VERSION_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;

function checkVersionName(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'a version name (a string)', value);
  if (!VERSION_RE.test(value)) {
    throw invalidArgValue(name, "a version name of 1 to 100 letters, digits, '.', '_' or '-', not starting with '.' or '-'", value);
  }
  return value;
}

const registryError = (message: string, cause?: unknown): GnnError =>
  new GnnError('ERR_GNN_REGISTRY', message, cause === undefined ? undefined : { cause });

/** A host name usable in a file name. */
const hostTag = (): string => createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

export class Registry {
  readonly #lockOptions: { timeoutMs: number; staleMs: number };

  private constructor(
    /** The registry's folder (absolute). */
    readonly dir: string,
    lockOptions: { timeoutMs: number; staleMs: number },
  ) {
    this.#lockOptions = lockOptions;
  }

  /**
   * Opens the registry in `dir`, creating it (and its parents) if absent. A folder that exists,
   * is not empty and is not a registry is refused (ERR_GNN_REGISTRY), so a wrong path never
   * fills an unrelated folder.
   */
  static open(dir: string, options?: RegistryOptions): Registry {
    const opts = checkOptions(options, 'Registry.open', ['lockTimeoutMs', 'staleLockMs']);
    if (typeof dir !== 'string' || dir === '') throw invalidArgType('dir', 'a folder path (a non-empty string)', dir);
    const timeoutMs = checkInteger('lockTimeoutMs', opts.lockTimeoutMs ?? 10_000, 0, 2 ** 31 - 1);
    const staleMs = checkInteger('staleLockMs', opts.staleLockMs ?? 30_000, 1, 2 ** 31 - 1);
    const root = path.resolve(dir);
    try {
      fs.mkdirSync(root, { recursive: true });
      const marker = path.join(root, MARKER_FILE);
      // A registry being created by another process at this instant shows its marker (renamed
      // into place before anything else is made) or only the marker's temporary file.
      const names = fs.readdirSync(root);
      if (!names.includes(MARKER_FILE)) {
        const others = names.filter((n) => !n.startsWith(`${MARKER_FILE}.tmp-`));
        if (others.length > 0) {
          throw registryError(`${root}: not a model registry (no ${MARKER_FILE}) and not empty (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''})`);
        }
        writeFileAtomic(marker, `${JSON.stringify({ format: MARKER_FORMAT, formatVersion: 1, createdAt: new Date().toISOString() }, null, 2)}\n`);
      }
      let j: { format?: unknown; formatVersion?: unknown };
      try {
        j = JSON.parse(fs.readFileSync(marker, 'utf8')) as typeof j;
      } catch (error) {
        throw registryError(`${marker}: not JSON (${(error as Error).message})`, error);
      }
      if (j === null || typeof j !== 'object' || j.format !== MARKER_FORMAT || j.formatVersion !== 1) {
        throw registryError(`${marker}: expected { format: "${MARKER_FORMAT}", formatVersion: 1 }, got ${JSON.stringify(j)}`);
      }
      fs.mkdirSync(path.join(root, VERSIONS_DIR), { recursive: true });
      fs.mkdirSync(path.join(root, STAGING_DIR), { recursive: true });
    } catch (error) {
      if (error instanceof GnnError) throw error;
      throw registryError(`${root}: cannot open the registry (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
    }
    return new Registry(root, { timeoutMs, staleMs });
  }

  /** The pointer file's path: watch it (fs.watchFile) to learn of promotions and rollbacks. */
  get activeFile(): string {
    return path.join(this.dir, POINTER_FILE);
  }

  get #logFile(): string {
    return path.join(this.dir, LOG_FILE);
  }

  #versionDir(version: string): string {
    return path.join(this.dir, VERSIONS_DIR, version);
  }

  /**
   * Writes `model` (a Module, or the path of a model folder such as a PyG export) as a new
   * immutable version: its model files, and a manifest with the SHA-256 of each, `metrics`,
   * `notes`, the creation time and the parent version. The folder is written under .staging/
   * and renamed into versions/ when complete. Returns the manifest. ERR_GNN_REGISTRY when the
   * version exists or the parent does not.
   */
  async register(model: Module | string, options?: RegisterOptions): Promise<VersionInfo> {
    const opts = checkOptions(options, 'register', ['version', 'metrics', 'notes', 'parent']);
    if (!(model instanceof Module) && typeof model !== 'string') throw invalidArgType('model', 'a Module or the path of a model folder', model);
    const wanted = opts.version === undefined ? null : checkVersionName('version', opts.version);
    const metrics = checkMetrics(opts.metrics);
    const notes = opts.notes ?? '';
    if (typeof notes !== 'string') throw invalidArgType('notes', 'a string', notes);
    if (opts.parent !== undefined && opts.parent !== null) checkVersionName('parent', opts.parent);

    this.#cleanStaging();
    const staging = path.join(this.dir, STAGING_DIR, `${hostTag()}-${process.pid}-${randomBytes(6).toString('hex')}`);
    fs.mkdirSync(staging);
    try {
      if (model instanceof Module) saveModel(model, staging);
      else copyModelFolder(model, staging);
      const files = digestFolder(staging);
      for (const name of Object.keys(files)) {
        fsyncFile(path.join(staging, name));
        fs.chmodSync(path.join(staging, name), 0o444); // immutable by intent: a write needs a deliberate chmod
      }
      crashPoint('register:staged');
      return await this.#withLock('register', (lock) => {
        const version = wanted ?? this.#nextVersion();
        const target = this.#versionDir(version);
        if (fs.existsSync(target)) throw registryError(`register: version ${JSON.stringify(version)} is already registered (versions are immutable: pick another name)`);
        let parent: string | null;
        if (opts.parent === undefined) parent = readPointer(this.activeFile)?.active ?? null;
        else {
          parent = opts.parent;
          if (parent !== null && !fs.existsSync(this.#versionDir(parent))) throw this.#unknown('register: parent', parent);
        }
        const info: VersionInfo = { version, createdAt: new Date().toISOString(), parent, metrics, notes, files };
        const manifest = path.join(staging, MANIFEST_FILE);
        fs.writeFileSync(manifest, manifestJSON(info), { mode: 0o444 });
        fsyncFile(manifest);
        fsyncDir(staging);
        lock.assertHeld();
        fs.renameSync(staging, target);
        fsyncDir(path.dirname(target));
        crashPoint('register:renamed');
        return info;
      });
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }

  /**
   * Makes `version` the active one: its files are verified, then the pointer is replaced by an
   * atomic rename and the event appended to the history. Returns the history entry, or null when
   * the version was already active (nothing changes: a retried promote is harmless).
   */
  async promote(version: string): Promise<HistoryEntry | null> {
    checkVersionName('version', version);
    return this.#withLock('promote', (lock, pointer) => {
      this.#verify(version);
      if (pointer?.active === version) return null;
      const stack = [...(pointer?.stack ?? []), version].slice(-MAX_STACK);
      return this.#commit(lock, pointer, 'promote', version, stack);
    });
  }

  /**
   * Returns to the version active before the last promotion (rollbacks unwind promotions one by
   * one). ERR_GNN_REGISTRY when there is none (nothing promoted, or back at the first version).
   */
  async rollback(): Promise<HistoryEntry> {
    return this.#withLock('rollback', (lock, pointer) => {
      if (pointer === null || pointer.stack.length < 2) {
        throw registryError(
          pointer === null
            ? 'rollback: nothing was promoted yet'
            : `rollback: no earlier version to return to (${JSON.stringify(pointer.active)} is the first version promoted${pointer.stack.length === MAX_STACK ? ' that is still remembered' : ''})`,
        );
      }
      const stack = pointer.stack.slice(0, -1);
      const target = stack[stack.length - 1];
      this.#verify(target);
      return this.#commit(lock, pointer, 'rollback', target, stack);
    });
  }

  /** The active version, or null when nothing was promoted. */
  active(): string | null {
    return readPointer(this.activeFile)?.active ?? null;
  }

  /** Every promotion and rollback, oldest first. */
  history(): HistoryEntry[] {
    return fullHistory(this.#logFile, this.activeFile);
  }

  /** The manifests of every registered version, oldest first. */
  versions(): VersionInfo[] {
    const dir = path.join(this.dir, VERSIONS_DIR);
    return fs
      .readdirSync(dir)
      .filter((name) => VERSION_RE.test(name))
      .map((name) => readManifest(path.join(dir, name), name))
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.version < b.version ? -1 : 1));
  }

  /** One version's manifest (ERR_GNN_REGISTRY when it is not registered). */
  info(version: string): VersionInfo {
    checkVersionName('version', version);
    const dir = this.#versionDir(version);
    if (!fs.existsSync(dir)) throw this.#unknown('info: version', version);
    return readManifest(dir, version);
  }

  /** Checks every file of a version against its manifest: ERR_GNN_MODEL_FILE naming a missing or altered file. */
  verify(version: string): VersionInfo {
    checkVersionName('version', version);
    return this.#verify(version);
  }

  /** Loads a version (default: the active one) after verifying its checksums. */
  async load(version?: string): Promise<Model> {
    return (await this.loadVersion(version)).model;
  }

  /** load() on the calling thread. */
  loadSync(version?: string): Model {
    return this.loadVersionSync(version).model;
  }

  /** Like load(), with the version's name and manifest (the active one is read once: they match the model). */
  async loadVersion(version?: string): Promise<LoadedVersion> {
    const v = this.#pick(version);
    // The checksums are computed off the event loop (a server keeps answering while it reloads).
    const dir = this.#versionDir(v);
    if (!fs.existsSync(dir)) throw this.#unknown('version', v);
    const info = readManifest(dir, v);
    await verifyFolderAsync(dir, info);
    return { version: v, model: loadModelSync(dir), info };
  }

  /** loadVersion() on the calling thread. */
  loadVersionSync(version?: string): LoadedVersion {
    const v = this.#pick(version);
    const info = this.#verify(v);
    return { version: v, model: loadModelSync(this.#versionDir(v)), info };
  }

  /** The version asked for, or the active one. */
  #pick(version: string | undefined): string {
    if (version !== undefined) return checkVersionName('version', version);
    const active = this.active();
    if (active === null) throw registryError(`load: no version is active in ${this.dir} (promote one first)`);
    return active;
  }

  #verify(version: string): VersionInfo {
    const dir = this.#versionDir(version);
    if (!fs.existsSync(dir)) throw this.#unknown('version', version);
    const info = readManifest(dir, version);
    verifyFolder(dir, info);
    return info;
  }

  #unknown(what: string, version: string): GnnError {
    let known: string[] = [];
    try {
      known = fs.readdirSync(path.join(this.dir, VERSIONS_DIR)).filter((n) => VERSION_RE.test(n)).sort();
    } catch {
      known = [];
    }
    const list = known.length === 0 ? 'none' : `${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}`;
    return registryError(`${what} ${JSON.stringify(version)} is not registered (registered: ${list})`);
  }

  /** v<n+1> for the largest registered v<n>. */
  #nextVersion(): string {
    let max = 0;
    for (const name of fs.readdirSync(path.join(this.dir, VERSIONS_DIR))) {
      const m = /^v(\d{1,15})$/.exec(name);
      if (m !== null) max = Math.max(max, Number(m[1]));
    }
    return `v${max + 1}`;
  }

  /**
   * Runs `fn` under the lock, after bringing the log up to the pointer and removing temporary
   * pointer files a crashed writer left.
   */
  async #withLock<T>(op: 'register' | 'promote' | 'rollback', fn: (lock: Lock, pointer: PointerState | null) => T): Promise<T> {
    const lock = await Lock.acquire(path.join(this.dir, LOCK_FILE), this.#lockOptions);
    try {
      crashPoint(`${op}:locked` as CrashStep);
      const pointer = readPointer(this.activeFile);
      repairLog(this.#logFile, pointer);
      for (const name of fs.readdirSync(this.dir)) {
        if (name.startsWith(`${POINTER_FILE}.tmp-`)) fs.rmSync(path.join(this.dir, name), { force: true });
      }
      return fn(lock, pointer);
    } finally {
      lock.release();
    }
  }

  /** Writes the new pointer (temp, flush, rename), then appends its event to the log. */
  #commit(lock: Lock, pointer: PointerState | null, action: 'promote' | 'rollback', version: string, stack: string[]): HistoryEntry {
    const seq = (pointer?.seq ?? 0) + 1;
    const entry: HistoryEntry = { seq, action, version, from: pointer?.active ?? null, at: new Date().toISOString(), pid: process.pid, hostname: os.hostname() };
    const next: PointerState = { active: version, stack, seq, last: entry };
    const tmp = writeTemp(this.activeFile, `${JSON.stringify(next)}\n`);
    try {
      crashPoint(`${action}:temp-written`);
      lock.assertHeld();
      commitTemp(tmp, this.activeFile);
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    }
    crashPoint(`${action}:renamed`);
    appendLine(this.#logFile, JSON.stringify(entry)); // the log was brought up to the pointer when the lock was taken
    crashPoint(`${action}:logged`);
    return entry;
  }

  /** Removes staging folders whose writer died (same host: its pid is gone; another host: a day old). */
  #cleanStaging(): void {
    const dir = path.join(this.dir, STAGING_DIR);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const m = /^([0-9a-f]{8})-(\d+)-[0-9a-f]+$/.exec(name);
      const full = path.join(dir, name);
      let dead: boolean;
      if (m !== null && m[1] === hostTag()) dead = !pidAlive(Number(m[2]));
      else {
        try {
          dead = Date.now() - fs.statSync(full).mtimeMs > STAGING_STALE_MS;
        } catch {
          dead = false;
        }
      }
      if (dead) fs.rmSync(full, { recursive: true, force: true });
    }
  }
}

function checkMetrics(metrics: unknown): Record<string, number> {
  if (metrics === undefined) return {};
  if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) throw invalidArgType('metrics', 'an object of numbers', metrics);
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidArgType(`metrics.${key}`, 'a finite number', value);
    out[key] = value;
  }
  return out;
}

/** Copies a model folder's model.json and the parameters file it names, after checking that it loads. */
function copyModelFolder(source: string, target: string): void {
  if (source === '') throw invalidArgValue('model', 'the path of a model folder', source);
  loadModelSync(source); // ERR_GNN_MODEL_FILE now rather than a broken version later
  const dir = fs.statSync(source).isDirectory() ? source : path.dirname(source);
  const jsonFile = fs.statSync(source).isDirectory() ? path.join(source, 'model.json') : source;
  const json = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as { parameters?: { file?: unknown } };
  const params = typeof json.parameters?.file === 'string' ? json.parameters.file : 'model.safetensors';
  if (/[\\/]/.test(params) || params === MANIFEST_FILE || params === 'model.json') {
    throw new GnnError('ERR_GNN_MODEL_FILE', `${jsonFile}: parameters.file: expected a file name beside model.json (not ${MANIFEST_FILE}), got ${JSON.stringify(params)}`);
  }
  fs.copyFileSync(jsonFile, path.join(target, 'model.json'));
  fs.copyFileSync(path.join(dir, params), path.join(target, params));
}

export type { FileDigest, HistoryEntry, VersionInfo };
