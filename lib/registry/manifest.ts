/**
 * A version's manifest (`manifest.json` in its folder): the SHA-256 and size of every other file
 * of the version, its metrics, notes, creation time and parent version. Written once, before the
 * folder is renamed into place; checked before a version is loaded or promoted.
 * @internal
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { GnnError } from '../errors';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'gnn-kernels-registry-version';

/** One file of a version. */
export interface FileDigest {
  sha256: string;
  bytes: number;
}

/** A registered version as its manifest describes it. */
export interface VersionInfo {
  version: string;
  /** ISO 8601 time of registration. */
  createdAt: string;
  /** The version this one was derived from (by default, the one active when it was registered). */
  parent: string | null;
  metrics: Record<string, number>;
  notes: string;
  /** File name → digest, for every file of the version except the manifest. */
  files: Record<string, FileDigest>;
}

/** SHA-256 of a file, read in 1 MiB chunks (model files can be large). */
export function digestFile(file: string): FileDigest {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
      bytes += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** digestFile with its reads off the event loop. */
export async function digestFileAsync(file: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  const handle = await fs.promises.open(file, 'r');
  const chunk = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      hash.update(chunk.subarray(0, bytesRead));
      bytes += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Digests of every regular file in `dir` but the manifest, by name (sorted). */
export function digestFolder(dir: string): Record<string, FileDigest> {
  const files: Record<string, FileDigest> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    if (name === MANIFEST_FILE) continue;
    const full = path.join(dir, name);
    if (!fs.statSync(full).isFile()) throw new GnnError('ERR_GNN_MODEL_FILE', `${full}: expected only files in a model folder, got a folder or special file`);
    files[name] = digestFile(full);
  }
  return files;
}

/** The manifest's JSON text. */
export function manifestJSON(info: VersionInfo): string {
  return `${JSON.stringify({ format: MANIFEST_FORMAT, formatVersion: 1, ...info }, null, 2)}\n`;
}

const fail = (message: string, cause?: unknown): GnnError => new GnnError('ERR_GNN_MODEL_FILE', message, cause === undefined ? undefined : { cause });

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Reads and checks the shape of `dir/manifest.json` (ERR_GNN_MODEL_FILE when missing or malformed). */
export function readManifest(dir: string, version: string): VersionInfo {
  const file = path.join(dir, MANIFEST_FILE);
  let j: unknown;
  try {
    j = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(`registry version ${JSON.stringify(version)}: ${MANIFEST_FILE}: ${code === 'ENOENT' ? 'missing' : (error as Error).message}`, error);
  }
  const where = `registry version ${JSON.stringify(version)}: ${MANIFEST_FILE}`;
  if (!isRecord(j) || j.format !== MANIFEST_FORMAT || j.formatVersion !== 1) {
    throw fail(`${where}: expected a ${MANIFEST_FORMAT} manifest of formatVersion 1`);
  }
  if (j.version !== version) throw fail(`${where}: expected version ${JSON.stringify(version)}, got ${JSON.stringify(j.version)}`);
  if (typeof j.createdAt !== 'string' || (j.parent !== null && typeof j.parent !== 'string') || typeof j.notes !== 'string') {
    throw fail(`${where}: expected createdAt and notes strings and a parent string or null`);
  }
  if (!isRecord(j.metrics) || Object.values(j.metrics).some((v) => typeof v !== 'number')) throw fail(`${where}: metrics: expected an object of numbers`);
  if (!isRecord(j.files) || !isRecord(j.files['model.json'])) throw fail(`${where}: files: expected the digests of model.json and its parameters`);
  for (const [name, d] of Object.entries(j.files)) {
    if (name.includes('/') || name.includes('\\') || name === '..' || !isRecord(d) || typeof d.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(d.sha256) || typeof d.bytes !== 'number') {
      throw fail(`${where}: files[${JSON.stringify(name)}]: expected { sha256, bytes } for a file of the folder`);
    }
  }
  return {
    version,
    createdAt: j.createdAt,
    parent: j.parent as string | null,
    metrics: { ...(j.metrics as Record<string, number>) },
    notes: j.notes,
    files: Object.fromEntries(Object.entries(j.files as Record<string, FileDigest>).map(([k, d]) => [k, { sha256: d.sha256, bytes: d.bytes }])),
  };
}

/**
 * Checks every file the manifest lists against its size and SHA-256: ERR_GNN_MODEL_FILE naming
 * the first missing or altered file. Files the manifest does not list are not read by loading and
 * are ignored.
 */
export function verifyFolder(dir: string, info: VersionInfo): void {
  for (const [name, want] of Object.entries(info.files)) {
    let got: FileDigest;
    try {
      got = digestFile(path.join(dir, name));
    } catch (error) {
      throw unreadable(info, name, error);
    }
    compare(info, name, want, got);
  }
}

/** verifyFolder with its reads off the event loop. */
export async function verifyFolderAsync(dir: string, info: VersionInfo): Promise<void> {
  for (const [name, want] of Object.entries(info.files)) {
    let got: FileDigest;
    try {
      got = await digestFileAsync(path.join(dir, name));
    } catch (error) {
      throw unreadable(info, name, error);
    }
    compare(info, name, want, got);
  }
}

function unreadable(info: VersionInfo, name: string, error: unknown): GnnError {
  const code = (error as NodeJS.ErrnoException).code;
  return fail(`registry version ${JSON.stringify(info.version)}: ${name}: ${code === 'ENOENT' ? 'missing' : `unreadable (${code ?? String(error)})`}`, error);
}

function compare(info: VersionInfo, name: string, want: FileDigest, got: FileDigest): void {
  if (got.bytes !== want.bytes || got.sha256 !== want.sha256) {
    throw fail(
      `registry version ${JSON.stringify(info.version)}: ${name}: checksum mismatch (expected sha256 ${want.sha256} of ${want.bytes} bytes, got ${got.sha256} of ${got.bytes} bytes): the file was altered after registration`,
    );
  }
}
