/**
 * The registry's lock: a file created with O_EXCL (only one creator succeeds, on every local file
 * system and on NFSv3+), holding its owner's pid, host, creation time and a random token.
 *
 * Stale locks. A lock is stale when its holder is a process on this host that no longer exists,
 * when it is older than `staleMs` (a holder on another host, or a hung one), or when it is still
 * unreadable a second after its creation (the holder died between creating and writing it).
 * Breaking one must not remove a fresh lock that replaced it in the meantime, so a breaker first
 * takes a second, short-lived lock (`<lock>.break`, O_EXCL too), checks under it that the lock
 * file is still the very one judged stale (same inode and token), and only then unlinks it.
 * A holder checks its token before each commit (`assertHeld`), so a holder that was judged stale
 * (it outlived `staleMs`) stops instead of writing over its successor's work.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';

import { GnnError } from '../errors';

export interface LockOptions {
  /** How long to wait for a held lock before giving up, in ms. */
  timeoutMs: number;
  /** Age after which a lock is stale whoever holds it, in ms. */
  staleMs: number;
}

/** What a lock file holds. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** Creation time, ms since the epoch. */
  createdAt: number;
  token: string;
}

/** A lock file as found: its owner (null when unreadable), inode and age. */
interface Found {
  owner: LockOwner | null;
  ino: number;
  ageMs: number;
}

/** An unreadable lock (its holder died between creating and writing it) is stale after this long. */
const UNREADABLE_STALE_MS = 1000;
/** A break lock is held for microseconds; one older than this was left by a crashed breaker. */
const BREAK_STALE_MS = 1000;

function readLock(file: string): Found | null {
  let text: string;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let owner: LockOwner | null = null;
  try {
    const j = JSON.parse(text) as Partial<LockOwner>;
    if (typeof j.pid === 'number' && typeof j.hostname === 'string' && typeof j.createdAt === 'number' && typeof j.token === 'string') {
      owner = j as LockOwner;
    }
  } catch {
    owner = null;
  }
  const since = owner?.createdAt ?? stat.mtimeMs;
  return { owner, ino: stat.ino, ageMs: Date.now() - since };
}

/** True when a process with this pid exists (EPERM: it exists but belongs to another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(found: Found, staleMs: number): boolean {
  if (found.owner === null) return found.ageMs > Math.min(UNREADABLE_STALE_MS, staleMs);
  if (found.owner.hostname === os.hostname() && !pidAlive(found.owner.pid)) return true;
  return found.ageMs > staleMs;
}

/** Removes `file` if it is still the lock judged stale; returns whether it did. */
function breakLock(file: string, judged: Found): boolean {
  const breaker = `${file}.break`;
  let fd: number;
  try {
    fd = fs.openSync(breaker, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process is breaking it now; a break lock left by a crashed breaker is removed.
    try {
      if (Date.now() - fs.statSync(breaker).mtimeMs > BREAK_STALE_MS) fs.rmSync(breaker, { force: true });
    } catch {
      // It vanished: the other breaker finished.
    }
    return false;
  }
  try {
    fs.closeSync(fd);
    const now = readLock(file);
    if (now === null || now.ino !== judged.ino || now.owner?.token !== judged.owner?.token) return false;
    fs.rmSync(file, { force: true });
    return true;
  } finally {
    fs.rmSync(breaker, { force: true });
  }
}

function describeOwner(found: Found): string {
  if (found.owner === null) return `an unreadable lock (${Math.round(found.ageMs)} ms old)`;
  return `pid ${found.owner.pid} on ${found.owner.hostname} since ${new Date(found.owner.createdAt).toISOString()}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A held lock: release() it, assertHeld() before a commit. */
export class Lock {
  private constructor(
    readonly file: string,
    readonly token: string,
  ) {}

  /** Takes the lock at `file`, waiting up to `timeoutMs` and breaking stale locks; ERR_GNN_REGISTRY on timeout. */
  static async acquire(file: string, options: LockOptions): Promise<Lock> {
    const deadline = Date.now() + options.timeoutMs;
    let delay = 1;
    for (;;) {
      const owner: LockOwner = { pid: process.pid, hostname: os.hostname(), createdAt: Date.now(), token: randomBytes(12).toString('hex') };
      let fd: number | null = null;
      try {
        fd = fs.openSync(file, 'wx');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new GnnError('ERR_GNN_REGISTRY', `lock ${file}: cannot create it (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
        }
      }
      if (fd !== null) {
        try {
          fs.writeSync(fd, JSON.stringify(owner));
        } finally {
          fs.closeSync(fd);
        }
        return new Lock(file, owner.token);
      }
      const found = readLock(file);
      if (found === null) continue; // released between our attempt and the read: try again now
      if (isStale(found, options.staleMs)) {
        breakLock(file, found);
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new GnnError('ERR_GNN_REGISTRY', `lock ${file}: held by ${describeOwner(found)}; not released within ${options.timeoutMs} ms`);
      }
      // Exponential back-off with jitter, so waiters do not retry in lockstep.
      await sleep(Math.min(left, delay * (0.5 + Math.random())));
      delay = Math.min(delay * 2, 50);
    }
  }

  /** True while the lock file is still this holder's. */
  held(): boolean {
    const found = readLock(this.file);
    return found?.owner?.token === this.token;
  }

  /** ERR_GNN_REGISTRY when the lock was broken as stale since it was taken: the caller must not commit. */
  assertHeld(): void {
    if (!this.held()) {
      throw new GnnError('ERR_GNN_REGISTRY', `lock ${this.file}: lost (broken as stale by another process); nothing was committed`);
    }
  }

  /** Removes the lock file if it is still this holder's. */
  release(): void {
    if (this.held()) fs.rmSync(this.file, { force: true });
  }
}
