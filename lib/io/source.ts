/**
 * Where the readers in lib/io get their bytes: a path (string or file: URL) or bytes in memory.
 * File reads go through a descriptor in bounded chunks, so a reader can look at a prefix (a header)
 * and decide whether the rest is worth allocating for.
 * @internal
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

import { GnnError, described, invalidArgType, invalidArgValue } from '../errors';
import type { GnnErrorCode } from '../errors';

/** Bytes already in memory, or a file to read. */
export type ByteSource = { kind: 'bytes'; bytes: Uint8Array; label: string } | { kind: 'file'; path: string; label: string };

/** What the readers accept as input. */
export type PathOrBytes = string | URL | Uint8Array | ArrayBuffer;

/**
 * Classifies `value` (argument `name`): a string or file: URL is a path, a Uint8Array (Buffer
 * included) or ArrayBuffer is the content itself.
 */
export function toByteSource(name: string, value: unknown, expected: string): ByteSource {
  if (typeof value === 'string') {
    if (value.length === 0) throw invalidArgValue(name, 'a non-empty path', value);
    return { kind: 'file', path: value, label: value };
  }
  if (value instanceof URL) {
    if (value.protocol !== 'file:') throw invalidArgValue(name, 'a file: URL', described(`a ${value.protocol} URL`));
    const p = fileURLToPath(value);
    return { kind: 'file', path: p, label: p };
  }
  if (value instanceof Uint8Array) return { kind: 'bytes', bytes: value, label: 'the given bytes' };
  if (value instanceof ArrayBuffer) return { kind: 'bytes', bytes: new Uint8Array(value), label: 'the given bytes' };
  throw invalidArgType(name, expected, value);
}

/** An open file read in pieces; every failure becomes a GnnError with `code`. */
export class FileReader {
  readonly size: number;
  readonly #fd: number;

  private constructor(
    readonly path: string,
    readonly code: GnnErrorCode,
    fd: number,
    size: number,
  ) {
    this.#fd = fd;
    this.size = size;
  }

  static open(path: string, code: GnnErrorCode): FileReader {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (error) {
      throw new GnnError(code, `${path}: cannot open (${(error as Error).message})`, { cause: error });
    }
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) throw new GnnError(code, `${path}: not a regular file`);
      return new FileReader(path, code, fd, stat.size);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  /** Fills `into` with the file's bytes from `position`; a short read (file shrank) is an error. */
  readInto(into: Uint8Array, position: number): void {
    // readSync takes at most 2 GiB - 1 at a time.
    const CHUNK = 1 << 30;
    let done = 0;
    while (done < into.length) {
      let n: number;
      try {
        n = fs.readSync(this.#fd, into, done, Math.min(CHUNK, into.length - done), position + done);
      } catch (error) {
        throw new GnnError(this.code, `${this.path}: read failed (${(error as Error).message})`, { cause: error });
      }
      if (n === 0) {
        throw new GnnError(this.code, `${this.path}: file ended at byte ${position + done}, expected ${position + into.length} bytes (changed while reading?)`);
      }
      done += n;
    }
  }

  /** `length` bytes from `position`, in a new buffer. */
  read(position: number, length: number): Uint8Array {
    const out = allocateBytes(length, this.code, this.path);
    this.readInto(out, position);
    return out;
  }

  close(): void {
    fs.closeSync(this.#fd);
  }
}

/** A new Uint8Array over its own ArrayBuffer; failure to allocate is ERR_GNN_OUT_OF_MEMORY. */
export function allocateBytes(length: number, code: GnnErrorCode, label: string): Uint8Array {
  try {
    return new Uint8Array(new ArrayBuffer(length));
  } catch (error) {
    if (error instanceof RangeError) {
      throw new GnnError('ERR_GNN_OUT_OF_MEMORY', `${label}: cannot allocate ${length} bytes (${error.message})`, { cause: error });
    }
    throw new GnnError(code, `${label}: cannot allocate ${length} bytes`, { cause: error });
  }
}

/** The whole content of a source (for formats read in one piece: text edge lists, edge_index). */
export function readAll(source: ByteSource, code: GnnErrorCode): Uint8Array {
  if (source.kind === 'bytes') return source.bytes;
  const reader = FileReader.open(source.path, code);
  try {
    return reader.read(0, reader.size);
  } finally {
    reader.close();
  }
}
