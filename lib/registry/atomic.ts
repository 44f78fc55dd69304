/**
 * Durable file writes for the registry: a new file is written under a temporary name, flushed to
 * disk (fsync), renamed over its final name (atomic within one file system) and its directory
 * flushed, so a reader — or the process after a crash — sees the old file or the new one, never a
 * torn one.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A file name no other writer picks: `<base>.tmp-<pid>-<random>`. */
export function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Flushes a directory's entries (renames, creations) to disk; a no-op where directories cannot be opened (Windows). */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw error;
  } finally {
    fs.closeSync(fd);
  }
}

/** Flushes one file's contents to disk. */
export function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `data` to a fresh temporary file beside `file` and flushes it; returns the temporary path. */
export function writeTemp(file: string, data: string | Uint8Array): string {
  const tmp = tempName(file);
  const fd = fs.openSync(tmp, 'wx');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  return tmp;
}

/** Moves a flushed temporary file over `file` and flushes the directory. */
export function commitTemp(tmp: string, file: string): void {
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

/** writeTemp then commitTemp: `file` holds the old contents or the new ones, whatever happens. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  commitTemp(writeTemp(file, data), file);
}

/** Appends one line and flushes it (the history log: append-only, one JSON object per line). */
export function appendLine(file: string, line: string): void {
  const fd = fs.openSync(file, 'a');
  try {
    fs.writeSync(fd, `${line}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
