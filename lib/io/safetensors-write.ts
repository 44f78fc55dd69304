/**
 * Writing safetensors files, laid out as the reference writer (huggingface/safetensors) lays them
 * out, so that for the same tensors and metadata our bytes are Python's bytes:
 *
 * - tensors ordered by stored dtype, widest first in the reference's dtype order (F32, I32, BF16,
 *   F16, I8, U8), then by the UTF-8 bytes of their names; the header lists them in that order and
 *   the data section holds them back to back. Widest first keeps every tensor aligned to its
 *   element size without padding (padding would be a gap, which readers reject).
 * - `__metadata__` first when there is any, its keys sorted by their UTF-8 bytes (the reference
 *   writes a hash map's order; sorting makes ours reproducible).
 * - the JSON padded with spaces to a multiple of 8 bytes, so the data section starts 8-aligned.
 *
 * float32 tensors may be stored as F16 or BF16 (rounded to nearest, ties to even; see half.ts);
 * int32, int8 and uint8 tensors are stored as I32, I8 and U8.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';

import { GnnError, described, invalidArgType, invalidArgValue } from '../errors';
import { Tensor } from '../tensor';
import type { DType } from '../tensor';
import { checkNotDetached, checkOptions } from '../validate';
import { encodeBfloat16, encodeFloat16 } from './half';
import { LITTLE_ENDIAN_HOST } from './safetensors';
import { allocateBytes } from './source';

/** The dtypes a tensor can be stored as. */
export type SafetensorsWriteDType = 'F32' | 'F16' | 'BF16' | 'I32' | 'I8' | 'U8';

export interface WriteSafetensorsOptions {
  /** String key/value pairs stored as `__metadata__`. */
  metadata?: Record<string, string> | null;
  /**
   * How to store float32 tensors: one dtype for all of them ('F32', the default, 'F16' or
   * 'BF16'), or a dtype per tensor name. Integer tensors are stored in their own dtype; naming
   * one in the per-tensor form is allowed only with that dtype (an int8 tensor is 'I8').
   */
  dtype?: 'F32' | 'F16' | 'BF16' | Record<string, SafetensorsWriteDType>;
}

/** The stored dtypes each Tensor dtype may take; the first is the default. */
const STORABLE: Record<DType, readonly SafetensorsWriteDType[]> = {
  float32: ['F32', 'F16', 'BF16'],
  int32: ['I32'],
  int8: ['I8'],
  uint8: ['U8'],
};
/** The reference writer's dtype order (its enum's declaration order); higher is written first. */
const RANK: Record<SafetensorsWriteDType, number> = { F32: 11, I32: 9, BF16: 8, F16: 7, I8: 2, U8: 1 };
const FLOAT_DTYPES = ['F32', 'F16', 'BF16'] as const;

/**
 * Writes `tensors` in safetensors format. With `path` undefined (or null) the file's bytes are
 * returned as a Buffer. With a path (or file: URL) they go to a temporary file beside it, which
 * is flushed to disk and renamed over `path`: readers see the old file or the whole new one,
 * never a partial one, and a failed write leaves no temporary file behind.
 */
export function writeSafetensors(path: undefined | null, tensors: Record<string, Tensor>, options?: WriteSafetensorsOptions): Buffer;
export function writeSafetensors(path: string | URL, tensors: Record<string, Tensor>, options?: WriteSafetensorsOptions): void;
export function writeSafetensors(
  path: string | URL | undefined | null,
  tensors: Record<string, Tensor>,
  options?: WriteSafetensorsOptions,
): Buffer | void {
  let target: string | undefined;
  if (typeof path === 'string') {
    if (path.length === 0) throw invalidArgValue('path', 'a non-empty path, a file: URL or undefined', path);
    target = nodePath.resolve(path);
  } else if (path instanceof URL) {
    if (path.protocol !== 'file:') throw invalidArgValue('path', 'a file: URL', described(`a ${path.protocol} URL`));
    target = fileURLToPath(path);
  } else if (path !== undefined && path !== null) {
    throw invalidArgType('path', 'a path, a file: URL or undefined', path);
  }

  const { header, parts } = prepare(tensors, options);
  if (target === undefined) {
    const total = parts.reduce((n, p) => n + p.length, header.length);
    const out = allocateBytes(total, 'ERR_GNN_MODEL_FILE', 'writeSafetensors');
    let at = 0;
    for (const part of [header, ...parts]) {
      out.set(part, at);
      at += part.length;
    }
    return Buffer.from(out.buffer, out.byteOffset, out.length);
  }
  writeAtomically(target, typeof path === 'string' ? path : target, [header, ...parts]);
}

function writeAtomically(target: string, label: string, parts: Uint8Array[]): void {
  const tmp = nodePath.join(nodePath.dirname(target), `.${nodePath.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx');
    for (const part of parts) writeFully(fd, part);
    // Flushed before the rename, or a crash could leave the new name pointing at missing data.
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (error) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new GnnError('ERR_GNN_MODEL_FILE', `${label}: cannot write (${(error as Error).message})`, { cause: error });
  }
}

function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
}

interface Item {
  name: string;
  key: Buffer;
  tensor: Tensor;
  dtype: SafetensorsWriteDType;
}

function prepare(tensors: unknown, options: WriteSafetensorsOptions | undefined): { header: Buffer; parts: Uint8Array[] } {
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors) || tensors instanceof Tensor || ArrayBuffer.isView(tensors)) {
    throw invalidArgType('tensors', 'an object mapping names to Tensors', tensors);
  }
  const opts = checkOptions(options, 'writeSafetensors', ['metadata', 'dtype']);
  const names = Object.keys(tensors);
  const dtypeFor = checkDtypeOption(opts.dtype, names);

  const items: Item[] = [];
  for (const name of names) {
    const tensor = (tensors as Record<string, unknown>)[name];
    const where = `tensors[${JSON.stringify(name)}]`;
    if (name === '__metadata__') {
      throw invalidArgValue('tensors', 'no tensor named "__metadata__" (the format reserves the name)', described('a tensor named "__metadata__"'));
    }
    if (!(tensor instanceof Tensor)) throw invalidArgType(where, 'a Tensor', tensor);
    checkNotDetached(where, tensor.data);
    let numel = 1;
    for (const d of tensor.shape) numel *= d;
    if (numel !== tensor.data.length) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${where}: expected ${numel} elements for shape [${tensor.shape.join(', ')}], got ${tensor.data.length}`);
    }
    const dtype = dtypeFor(name, tensor);
    items.push({ name, key: Buffer.from(name, 'utf8'), tensor, dtype });
  }
  const metadata = checkMetadata(opts.metadata);

  items.sort((a, b) => RANK[b.dtype] - RANK[a.dtype] || Buffer.compare(a.key, b.key));

  // JSON built field by field rather than with one JSON.stringify of an object: a tensor or a
  // metadata key may be "__proto__", and integer-like keys would be reordered.
  const fields: string[] = [];
  if (metadata !== null) {
    fields.push(`"__metadata__":{${metadata.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const { name, tensor, dtype } of items) {
    const bytes = encode(tensor, dtype);
    fields.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${tensor.shape.join(',')}],"data_offsets":[${offset},${offset + bytes.length}]}`);
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(`{${fields.join(',')}}`, 'utf8');
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const header = Buffer.alloc(8 + padded, 0x20);
  header.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(header, 8);
  return { header, parts };
}

/** Validates `options.dtype`; returns the stored dtype for each tensor. */
function checkDtypeOption(option: unknown, names: string[]): (name: string, tensor: Tensor) => SafetensorsWriteDType {
  const name = 'writeSafetensors options.dtype';
  if (option === undefined) return (_, t) => STORABLE[t.dtype][0];
  if (typeof option === 'string') {
    if (!(FLOAT_DTYPES as readonly string[]).includes(option)) {
      throw invalidArgValue(
        name,
        "'F32', 'F16' or 'BF16' for every float32 tensor (integer tensors keep their own dtype; int8 is written as I8, and float32 is not quantised), or an object of dtypes by tensor name",
        option,
      );
    }
    const global = option as SafetensorsWriteDType;
    return (_, t) => (t.dtype === 'float32' ? global : STORABLE[t.dtype][0]);
  }
  if (option === null || typeof option !== 'object' || Array.isArray(option)) {
    throw invalidArgType(name, "'F32', 'F16', 'BF16' or an object of dtypes by tensor name", option);
  }
  const perTensor = option as Record<string, unknown>;
  const known = new Set(names);
  for (const key of Object.keys(perTensor)) {
    if (!known.has(key)) {
      throw invalidArgValue(name, 'only names of the tensors being written', described(`the name ${JSON.stringify(key)}, which is not one of them`));
    }
  }
  return (tensorName, t) => {
    if (!Object.prototype.hasOwnProperty.call(perTensor, tensorName)) return STORABLE[t.dtype][0];
    const d = perTensor[tensorName];
    const allowed = STORABLE[t.dtype];
    if (typeof d !== 'string' || !(allowed as readonly string[]).includes(d)) {
      throw invalidArgValue(
        `${name}[${JSON.stringify(tensorName)}]`,
        `${allowed.map((a) => `'${a}'`).join(', ').replace(/, ([^,]*)$/, ' or $1')} for a ${t.dtype} tensor`,
        d,
      );
    }
    return d as SafetensorsWriteDType;
  };
}

/** Validates `options.metadata`; returns its pairs sorted by key bytes, or null. */
function checkMetadata(metadata: unknown): Array<[string, string]> | null {
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw invalidArgType('writeSafetensors options.metadata', 'an object of strings or null', metadata);
  }
  const pairs: Array<[string, string]> = [];
  for (const key of Object.keys(metadata)) {
    const value = (metadata as Record<string, unknown>)[key];
    if (typeof value !== 'string') throw invalidArgType(`writeSafetensors options.metadata[${JSON.stringify(key)}]`, 'a string', value);
    pairs.push([key, value]);
  }
  return pairs.sort((a, b) => Buffer.compare(Buffer.from(a[0], 'utf8'), Buffer.from(b[0], 'utf8')));
}

/** The tensor's data as stored: little-endian, converted to F16 / BF16 when asked. */
function encode(tensor: Tensor, dtype: SafetensorsWriteDType): Uint8Array {
  const data = tensor.data;
  if (dtype === 'F16') return encodeFloat16(data as Float32Array);
  if (dtype === 'BF16') return encodeBfloat16(data as Float32Array);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN_HOST || data.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  // Bits, not values: a Float32Array read as numbers could canonicalise NaN payloads.
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
  words.forEach((w, i) => view.setUint32(4 * i, w, true));
  return out;
}
