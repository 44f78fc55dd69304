/**
 * Reading safetensors files: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}`,
 * padded with spaces), then the data section, tensors in C order, little-endian.
 *
 * Every file is treated as hostile: the header is read and checked against the real size of the
 * data section before any tensor memory is allocated. The checks are those of the reference
 * implementation (huggingface/safetensors), plus two its parser lets through: a key that appears
 * twice in one JSON object (the last one wins there; here it is an error, because two entries for
 * one name mean the file is not what its writer meant), and shapes or offsets written as `2.0` or
 * `1e3` (the reference reads them as unsigned integers; JSON.parse would not tell them apart).
 *
 * Layout rules, as the reference enforces them: sorted by begin offset, the tensors tile the data
 * section exactly — the first starts at 0, each starts where the previous ends, the last ends at
 * the end of the file. Gaps, overlaps and trailing bytes are errors. No writer that the reference
 * reader accepts produces them, so rejecting them costs no real file and leaves no bytes unexplained.
 *
 * Dtypes: F32, I8, U8 and I32 are kept; F16 and BF16 widen to float32 exactly; I64 narrows to
 * int32 when every value fits; F64 rounds to the nearest float32 (ties to even), with a finite
 * value beyond float32's range an error rather than an infinity. Anything else is rejected by name.
 *
 * Every tensor gets its own 64-byte-aligned allocation (what the kernels want), read straight
 * from the file into it: no second copy of the data section, and no tensor shares memory with
 * another or with the caller's bytes.
 */
import { endianness } from 'node:os';

import { GnnError } from '../errors';
import { Tensor } from '../tensor';
import type { DType } from '../tensor';
import { decodeBfloat16, decodeFloat16 } from './half';
import { FileReader, allocateBytes, toByteSource } from './source';
import type { PathOrBytes } from './source';

/** The dtypes the reader understands. */
export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I8' | 'U8';

/** One tensor as the file stores it (before any conversion). */
export interface SafetensorsEntry {
  dtype: SafetensorsDType;
  shape: number[];
  /** Byte range within the data section, as written in the header. */
  dataOffsets: [number, number];
}

export interface SafetensorsContents {
  /** Tensors by name. A null-prototype object: a tensor may be called `constructor` or `__proto__`. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` map (null-prototype), or null when the file has none. */
  metadata: Record<string, string> | null;
  /** What the header said about each tensor, including the stored dtype (F16, I64, …). */
  entries: Record<string, SafetensorsEntry>;
}

/** The reference implementation's cap on the JSON header; anything larger is not a model file. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of each dtype. @internal */
export const ELEMENT_SIZE: Record<SafetensorsDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I8: 1, U8: 1 };

const RESULT_DTYPE: Record<SafetensorsDType, DType> = {
  F64: 'float32',
  F32: 'float32',
  F16: 'float32',
  BF16: 'float32',
  I64: 'int32',
  I32: 'int32',
  I8: 'int8',
  U8: 'uint8',
};
/** Dtypes the format defines that we do not load; named in the error so the user knows what to convert. */
const UNSUPPORTED = new Set(['BOOL', 'I16', 'U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64']);
const SUPPORTED_LIST = 'F32, F16, BF16, F64, I8, U8, I32, I64';

/** @internal */
export const LITTLE_ENDIAN_HOST = endianness() === 'LE';

function fail(label: string, message: string): never {
  throw new GnnError('ERR_GNN_MODEL_FILE', `${label}: ${message}`);
}

/**
 * Reads a safetensors file (a path or file: URL) or its bytes (Buffer, Uint8Array, ArrayBuffer):
 * the tensors by name, the metadata and the header's entry for each tensor. Any problem with the
 * file is a GnnError with code ERR_GNN_MODEL_FILE.
 */
export function readSafetensorsContents(source: PathOrBytes): SafetensorsContents {
  const src = toByteSource('source', source, 'a path, file: URL, Buffer, Uint8Array or ArrayBuffer');
  if (src.kind === 'bytes') {
    const bytes = src.bytes;
    const n = headerLength(bytes.subarray(0, 8), bytes.length, src.label);
    const header = parseHeader(bytes.subarray(8, 8 + n), bytes.length - 8 - n, src.label);
    const data = bytes.subarray(8 + n);
    return decodeAll(header, (into, begin) => into.set(data.subarray(begin, begin + into.length)), src.label);
  }
  const reader = FileReader.open(src.path, 'ERR_GNN_MODEL_FILE');
  try {
    const size = reader.size;
    const n = headerLength(reader.read(0, Math.min(8, size)), size, src.label);
    const header = parseHeader(reader.read(8, n), size - 8 - n, src.label);
    // Only now, with every tensor accounted for, is the data worth allocating.
    return decodeAll(header, (into, begin) => reader.readInto(into, 8 + n + begin), src.label);
  } finally {
    reader.close();
  }
}

/** Just the tensors of a safetensors file, by name: `layer.loadStateDict(readSafetensors(path))`. */
export function readSafetensors(source: PathOrBytes): Record<string, Tensor> {
  return readSafetensorsContents(source).tensors;
}

/** Checks the 8-byte prefix against the total size; returns the header length. */
function headerLength(prefix: Uint8Array, total: number, label: string): number {
  if (total < 8) fail(label, `expected at least 8 bytes (the header length), got ${total}`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(label, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  const len = Number(n);
  if (len > total - 8) fail(label, `header length ${len} runs past the end of the file (${total - 8} bytes after the length prefix)`);
  if (len < 2) fail(label, `header length ${len} is too short for a JSON object`);
  return len;
}

interface Header {
  metadata: Record<string, string> | null;
  /** Sorted by data offset. */
  entries: Array<{ name: string; entry: SafetensorsEntry; numel: number }>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses and validates the JSON header against a data section of `dataLength` bytes. */
function parseHeader(bytes: Uint8Array, dataLength: number, label: string): Header {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    fail(label, 'header is not valid UTF-8');
  }
  if (text.charCodeAt(0) !== 0x7b) fail(label, `header must start with '{', got ${JSON.stringify(text.slice(0, 16))}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail(label, `header is not valid JSON (${(error as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(label, 'header is not a JSON object');
  const problem = scanHeader(text);
  if (problem !== null) fail(label, problem);

  let metadata: Record<string, string> | null = null;
  const entries: Header['entries'] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(value, label);
      continue;
    }
    entries.push(parseEntry(name, value, dataLength, label));
  }

  // Tile check, as the reference: sorted by offsets, each tensor begins where the last one ended.
  entries.sort((a, b) => a.entry.dataOffsets[0] - b.entry.dataOffsets[0] || a.entry.dataOffsets[1] - b.entry.dataOffsets[1]);
  let cursor = 0;
  let previous: string | null = null;
  for (const { name, entry } of entries) {
    const [begin, end] = entry.dataOffsets;
    if (begin < cursor) {
      fail(label, `tensor ${JSON.stringify(name)}: data_offsets [${begin}, ${end}] overlap tensor ${JSON.stringify(previous)}, which ends at ${cursor}`);
    }
    if (begin > cursor) {
      const after = previous === null ? 'the start of the data section' : `tensor ${JSON.stringify(previous)}`;
      fail(label, `tensor ${JSON.stringify(name)}: data_offsets [${begin}, ${end}] leave ${begin - cursor} bytes unused after ${after} (tensors must tile the data section)`);
    }
    cursor = end;
    previous = name;
  }
  if (cursor !== dataLength) {
    fail(label, `data section has ${dataLength - cursor} bytes after the last tensor that no tensor covers (${dataLength} bytes, tensors end at ${cursor})`);
  }
  return { metadata, entries };
}

function parseMetadata(value: unknown, label: string): Record<string, string> | null {
  // The reference types it Option<HashMap<String, String>>: null is "no metadata".
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) fail(label, `__metadata__ must be an object of strings, got ${kindOf(value)}`);
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(label, `__metadata__[${JSON.stringify(k)}] must be a string, got ${kindOf(v)}`);
    out[k] = v;
  }
  return out;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

function parseEntry(name: string, value: unknown, dataLength: number, label: string): Header['entries'][number] {
  const where = `tensor ${JSON.stringify(name)}`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(label, `${where}: expected an object with dtype, shape and data_offsets, got ${kindOf(value)}`);
  }
  const info = value as Record<string, unknown>;
  const dtype = info.dtype;
  if (typeof dtype !== 'string') fail(label, `${where}: dtype must be a string, got ${kindOf(dtype)}`);
  if (!Object.prototype.hasOwnProperty.call(ELEMENT_SIZE, dtype)) {
    if (UNSUPPORTED.has(dtype)) fail(label, `${where}: dtype ${dtype} is not supported (supported: ${SUPPORTED_LIST}); convert it before saving`);
    fail(label, `${where}: unknown dtype ${kindOf(dtype).replace(/^string /, '')} (supported: ${SUPPORTED_LIST})`);
  }
  const size = ELEMENT_SIZE[dtype as SafetensorsDType];

  const shape = info.shape;
  if (!Array.isArray(shape)) fail(label, `${where}: shape must be an array of integers, got ${kindOf(shape)}`);
  let numel = 1;
  shape.forEach((d: unknown, i: number) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      fail(label, `${where}: shape[${i}] must be a non-negative integer below 2^53, got ${kindOf(d)}`);
    }
    // Checked at every step, as the reference's checked multiplication: a later 0 does not excuse
    // an overflow. While the product stays below 2^53 it is exact.
    numel *= d;
    if (numel > Number.MAX_SAFE_INTEGER) fail(label, `${where}: shape [${shape.join(', ')}] has more than 2^53 - 1 elements`);
  });

  const offsets = info.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2) fail(label, `${where}: data_offsets must be [begin, end], got ${kindOf(offsets)}`);
  const [begin, end] = offsets as unknown[];
  for (const [which, v] of [['begin', begin], ['end', end]] as const) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      fail(label, `${where}: data_offsets ${which} must be a non-negative integer below 2^53, got ${kindOf(v)}`);
    }
  }
  const b = begin as number;
  const e = end as number;
  if (e < b) fail(label, `${where}: data_offsets [${b}, ${e}] end before they begin`);
  if (e > dataLength) fail(label, `${where}: data_offsets [${b}, ${e}] run past the end of the data section (${dataLength} bytes)`);
  // size is a power of two, so the product is exact even past 2^53.
  const expected = numel * size;
  if (e - b !== expected) {
    fail(label, `${where}: dtype ${dtype} and shape [${shape.join(', ')}] need ${expected} bytes, data_offsets [${b}, ${e}] hold ${e - b}`);
  }
  return { name, numel, entry: { dtype: dtype as SafetensorsDType, shape: shape.slice() as number[], dataOffsets: [b, e] } };
}

/**
 * What JSON.parse does not tell us about a header already known to be a valid JSON object: a key
 * that appears twice in one object, and a shape or data_offsets entry that is not written as a
 * plain unsigned integer (`2.0`, `1e3`, `-0` parse to integers). Returns a message, or null.
 * One pass, no recursion, so hostile nesting depth costs nothing but memory.
 */
function scanHeader(text: string): string | null {
  // keys: the keys seen so far in an object (null for an array); key: the object's latest key;
  // arrayOf: for an array, the key it is the value of.
  const stack: Array<{ keys: Set<string> | null; key: string | null; arrayOf: string | null }> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (expectKey && top.keys !== null) {
        // Parsed, so "\u0061" and "a" are the same key, as they are to JSON.parse.
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) {
          return stack.length === 1
            ? `header names tensor ${JSON.stringify(key)} more than once`
            : `header has the key ${JSON.stringify(key)} more than once in the entry of ${JSON.stringify(stack[0].key)}`;
        }
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) {
      stack.push({ keys: new Set(), key: null, arrayOf: null });
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push({ keys: null, key: null, arrayOf: top.keys !== null ? top.key : null });
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = top.keys !== null;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < text.length && /[-+.eE0-9]/.test(text[j])) j++;
      const token = text.slice(i, j);
      const field = top.arrayOf;
      if (stack.length === 3 && stack[0].key !== '__metadata__' && (field === 'shape' || field === 'data_offsets') && !/^[0-9]+$/.test(token)) {
        return `tensor ${JSON.stringify(stack[0].key)}: ${field} entries must be non-negative integers, got ${token.length > 40 ? `${token.slice(0, 40)}…` : token}`;
      }
      i = j - 1;
    }
  }
  return null;
}

/** Copies bytes [begin, begin + into.length) of the data section into `into`. */
type Fetch = (into: Uint8Array, begin: number) => void;

function decodeAll(header: Header, fetch: Fetch, label: string): SafetensorsContents {
  const tensors: Record<string, Tensor> = Object.create(null);
  const entries: Record<string, SafetensorsEntry> = Object.create(null);
  for (const { name, entry, numel } of header.entries) {
    tensors[name] = decode(name, entry, numel, fetch, label);
    entries[name] = entry;
  }
  return { tensors, metadata: header.metadata, entries };
}

/** A zero-filled tensor; running out of memory is a GnnError, not a bare RangeError. */
function allocate(dtype: DType, shape: number[], label: string): Tensor {
  try {
    return Tensor.zeros(shape, dtype);
  } catch (error) {
    if (error instanceof RangeError && (error as { code?: unknown }).code === undefined) {
      throw new GnnError('ERR_GNN_OUT_OF_MEMORY', `${label}: cannot allocate a ${dtype} tensor of shape [${shape.join(', ')}] (${error.message})`, { cause: error });
    }
    throw error;
  }
}

function decode(name: string, entry: SafetensorsEntry, numel: number, fetch: Fetch, label: string): Tensor {
  const { dtype, shape } = entry;
  const begin = entry.dataOffsets[0];
  const size = ELEMENT_SIZE[dtype];
  const out = allocate(RESULT_DTYPE[dtype], shape, label);
  const native = dtype === 'F32' || dtype === 'I32' || dtype === 'I8' || dtype === 'U8';
  if (native && (size === 1 || LITTLE_ENDIAN_HOST)) {
    fetch(new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength), begin);
    return out;
  }

  const src = allocateBytes(numel * size, 'ERR_GNN_MODEL_FILE', label);
  fetch(src, begin);
  const view = new DataView(src.buffer, src.byteOffset, src.length);
  switch (dtype) {
    case 'F32': {
      const o = out.data as Float32Array;
      for (let i = 0; i < numel; i++) o[i] = view.getFloat32(4 * i, true);
      break;
    }
    case 'I32': {
      const o = out.data as Int32Array;
      for (let i = 0; i < numel; i++) o[i] = view.getInt32(4 * i, true);
      break;
    }
    case 'F16':
      decodeFloat16(src, new Uint32Array(out.data.buffer, out.data.byteOffset, numel));
      break;
    case 'BF16':
      decodeBfloat16(src, new Uint32Array(out.data.buffer, out.data.byteOffset, numel));
      break;
    case 'F64': {
      const o = out.data as Float32Array;
      for (let i = 0; i < numel; i++) {
        const v = view.getFloat64(8 * i, true);
        const f = Math.fround(v);
        if (!Number.isFinite(f) && Number.isFinite(v)) {
          fail(label, `tensor ${JSON.stringify(name)}: F64 value ${v} at flat index ${i} is beyond float32's range (±3.4028235e38)`);
        }
        o[i] = f;
      }
      break;
    }
    case 'I64': {
      const o = out.data as Int32Array;
      for (let i = 0; i < numel; i++) {
        const lo = view.getInt32(8 * i, true);
        const hi = view.getInt32(8 * i + 4, true);
        // Fits in int32 exactly when the high word is the low word's sign extension.
        if (hi !== lo >> 31) {
          const v = view.getBigInt64(8 * i, true);
          fail(label, `tensor ${JSON.stringify(name)}: I64 value ${v} at flat index ${i} does not fit in int32 (int64 tensors load as int32)`);
        }
        o[i] = lo;
      }
      break;
    }
    default:
      // int8 / uint8 never reach here (handled above); kept exhaustive for the compiler.
      throw new GnnError('ERR_GNN_INTERNAL', `unhandled dtype ${dtype}`);
  }
  return out;
}
