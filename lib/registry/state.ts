/**
 * The registry's mutable state: the active pointer (`ACTIVE.json`) and the history log
 * (`history.jsonl`).
 *
 * The pointer is the single source of truth: it holds the active version, the stack of
 * promotions that rollback() unwinds, a sequence number, and the event that produced it. It is
 * replaced only by an atomic rename, so it always holds one complete state. The log is appended
 * after the rename; a crash in between leaves the log one event short, and the next operation
 * (under the lock) appends the pointer's event before doing anything else, while history() adds
 * it to what it returns. A crash in the middle of an append leaves a torn last line without its
 * newline: readers ignore it and the next writer truncates it.
 * @internal
 */
import * as fs from 'node:fs';

import { GnnError } from '../errors';
import { appendLine } from './atomic';

/** One promotion or rollback. */
export interface HistoryEntry {
  /** 1, 2, 3, … in the order the events happened. */
  seq: number;
  action: 'promote' | 'rollback';
  /** The version active after the event. */
  version: string;
  /** The version active before it (null for the first promotion). */
  from: string | null;
  /** ISO 8601 time of the event. */
  at: string;
  pid: number;
  hostname: string;
}

/** What ACTIVE.json holds. */
export interface PointerState {
  active: string;
  /** Promoted versions, oldest first; the last is the active one; rollback() pops it. */
  stack: string[];
  seq: number;
  last: HistoryEntry;
}

const corrupt = (file: string, what: string, cause?: unknown): GnnError =>
  new GnnError('ERR_GNN_REGISTRY', `${file}: ${what}`, cause === undefined ? undefined : { cause });

function checkEntry(e: unknown, file: string, where: string): HistoryEntry {
  const j = e as Partial<HistoryEntry> | null;
  if (
    j === null || typeof j !== 'object' || typeof j.seq !== 'number' || (j.action !== 'promote' && j.action !== 'rollback') ||
    typeof j.version !== 'string' || (j.from !== null && typeof j.from !== 'string') || typeof j.at !== 'string'
  ) {
    throw corrupt(file, `${where}: expected a history entry { seq, action, version, from, at, pid, hostname }, got ${JSON.stringify(e)}`);
  }
  return { seq: j.seq, action: j.action, version: j.version, from: j.from as string | null, at: j.at, pid: Number(j.pid), hostname: String(j.hostname) };
}

/** The pointer, or null when nothing was ever promoted. */
export function readPointer(file: string): PointerState | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw corrupt(file, `unreadable (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
  }
  let j: Partial<PointerState>;
  try {
    j = JSON.parse(text) as Partial<PointerState>;
  } catch (error) {
    throw corrupt(file, `not JSON (${(error as Error).message})`, error);
  }
  if (typeof j.active !== 'string' || !Array.isArray(j.stack) || j.stack.some((v) => typeof v !== 'string') || typeof j.seq !== 'number' || j.stack[j.stack.length - 1] !== j.active) {
    throw corrupt(file, 'expected { active, stack, seq, last } with active the last entry of stack');
  }
  return { active: j.active, stack: [...j.stack], seq: j.seq, last: checkEntry(j.last, file, 'last') };
}

/** The log's complete entries, and the byte length they occupy (a torn last line lies beyond it). */
export function readLog(file: string): { entries: HistoryEntry[]; completeBytes: number; totalBytes: number } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], completeBytes: 0, totalBytes: 0 };
    throw corrupt(file, `unreadable (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
  }
  const completeBytes = buf.lastIndexOf(0x0a) + 1;
  const lines = buf.subarray(0, completeBytes).toString('utf8').split('\n');
  lines.pop(); // the empty string after the last newline
  const entries = lines.map((line, i) => {
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch (error) {
      throw corrupt(file, `line ${i + 1}: not JSON (${(error as Error).message})`, error);
    }
    return checkEntry(e, file, `line ${i + 1}`);
  });
  return { entries, completeBytes, totalBytes: buf.length };
}

/** Every event: the log's entries plus the pointer's last event when a crash kept it out of the log. */
export function fullHistory(logFile: string, pointerFile: string): HistoryEntry[] {
  // Read the log first: an event appended after this read is then also in the pointer read next.
  const { entries } = readLog(logFile);
  const pointer = readPointer(pointerFile);
  const lastSeq = entries.length > 0 ? entries[entries.length - 1].seq : 0;
  if (pointer !== null && pointer.seq > lastSeq) entries.push(pointer.last);
  return entries;
}

/**
 * Brings the log up to the pointer (under the lock): drops a torn last line and appends the
 * pointer's event if the log lacks it.
 */
export function repairLog(logFile: string, pointer: PointerState | null): void {
  const { entries, completeBytes, totalBytes } = readLog(logFile);
  if (completeBytes < totalBytes) fs.truncateSync(logFile, completeBytes);
  const lastSeq = entries.length > 0 ? entries[entries.length - 1].seq : 0;
  if (pointer !== null && pointer.seq > lastSeq) appendLine(logFile, JSON.stringify(pointer.last));
}
