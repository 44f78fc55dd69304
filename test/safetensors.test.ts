/**
 * safetensors reading and writing: files written by the reference `safetensors` package
 * (tools/make_safetensors_fixture.py), bitwise round trips of every dtype, float16 / bfloat16
 * rounding against an independent reference, and hostile files.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { GnnError } from '../lib/errors';
import { Random } from '../lib/generators/random';
import { float16ToFloat32Table, float32BitsToBfloat16, float32BitsToFloat16 } from '../lib/io/half';
import { MAX_HEADER_BYTES, readSafetensors, readSafetensorsContents, writeSafetensors } from '../lib/io/index';
import { Tensor } from '../lib/tensor';

const FIXTURES = path.resolve(__dirname, 'fixtures', 'io');
const fixture = (name: string): string => path.join(FIXTURES, name);
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnn-safetensors-'));
afterAll(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

/** safetensors bytes from a header (an object, or raw JSON text) and a data section. */
function build(header: object | string | Uint8Array, data: ArrayLike<number> = [], pad = true): Buffer {
  let json =
    header instanceof Uint8Array ? Buffer.from(header) : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  if (pad && json.length % 8 !== 0) json = Buffer.concat([json, Buffer.alloc(8 - (json.length % 8), 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, Buffer.from(Uint8Array.from(data))]);
}

function bitsOf(t: Tensor): Uint32Array {
  return new Uint32Array(t.data.buffer, t.data.byteOffset, t.numel);
}

function headerOf(bytes: Uint8Array): { json: string; length: number } {
  const length = Number(Buffer.from(bytes).readBigUInt64LE(0));
  return { json: Buffer.from(bytes.subarray(8, 8 + length)).toString('utf8'), length };
}

/** Asserts `fn` throws a GnnError with `code` whose message matches `message`. */
function expectGnnError(fn: () => unknown, message: RegExp, code = 'ERR_GNN_MODEL_FILE'): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(GnnError);
  expect((thrown as GnnError).code).toBe(code);
  expect((thrown as GnnError).message).toMatch(message);
}

function expectArgError(fn: () => unknown, code: string, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(TypeError);
  expect((thrown as { code?: string }).code).toBe(code);
  expect((thrown as Error).message).toMatch(message);
}

const f32 = (values: number[]): number[] => values.map((v) => Math.fround(v));

describe('reading files written by the reference implementation', () => {
  it('reads every dtype, converting F16, BF16, F64 and I64 exactly as documented', () => {
    const { tensors: t, metadata, entries } = readSafetensorsContents(fixture('reference-dtypes.safetensors'));
    expect(metadata).toEqual({ producer: 'make_safetensors_fixture.py' });
    expect(Object.keys(t).sort()).toEqual(['bf16', 'empty', 'f16', 'f32', 'f64', 'i32', 'i64', 'i8', 'scalar', 'u8']);
    const stored = Object.fromEntries(Object.entries(entries).map(([k, e]) => [k, e.dtype]));
    expect(stored).toEqual({ bf16: 'BF16', empty: 'F32', f16: 'F16', f32: 'F32', f64: 'F64', i32: 'I32', i64: 'I64', i8: 'I8', scalar: 'F32', u8: 'U8' });
    expect(entries.f16).toEqual({ dtype: 'F16', shape: [11], dataOffsets: [108, 130] });

    expect(t.f32.dtype).toBe('float32');
    expect(t.f32.shape).toEqual([2, 3]);
    expect(Array.from(t.f32.data)).toEqual(f32([-1.5, 0, 1.25, 3.4028234663852886e38, 1.401298464324817e-45, 0.1]));

    expect(t.f16.dtype).toBe('float32');
    const f16 = Array.from(t.f16.data);
    expect(f16.slice(0, 10)).toEqual([0, -0, 1, -2.5, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -Infinity]);
    expect(Object.is(f16[1], -0)).toBe(true);
    expect(bitsOf(t.f16)[10]).toBe(0x7fc00000); // float16 0x7e00, widened bit for bit

    expect(Array.from(t.bf16.data)).toEqual([1, -3.140625, 3.3895313892515355e38, 2 ** -133, -Infinity, NaN]);
    expect(t.i8.dtype).toBe('int8');
    expect(Array.from(t.i8.data)).toEqual([-128, -1, 0, 127]);
    expect(t.u8.dtype).toBe('uint8');
    expect(t.u8.shape).toEqual([2, 2]);
    expect(Array.from(t.u8.data)).toEqual([0, 1, 254, 255]);
    expect(t.i32.dtype).toBe('int32');
    expect(Array.from(t.i32.data)).toEqual([-(2 ** 31), 0, 2 ** 31 - 1]);
    expect(t.i64.dtype).toBe('int32');
    expect(t.i64.shape).toEqual([2, 2]);
    expect(Array.from(t.i64.data)).toEqual([-(2 ** 31), -1, 0, 2 ** 31 - 1]);
    expect(t.f64.dtype).toBe('float32');
    const f64 = Array.from(t.f64.data);
    expect(f64).toEqual([Math.fround(0.1), -0, Math.fround(1 / 3)]);
    expect(Object.is(f64[1], -0)).toBe(true);
    expect(t.scalar.shape).toEqual([]);
    expect(Array.from(t.scalar.data)).toEqual([7]);
    expect(t.empty.shape).toEqual([0, 4]);
    expect(t.empty.numel).toBe(0);
  });

  it('reads the same from a path, a file: URL, a Buffer, an ArrayBuffer and an unaligned Uint8Array', () => {
    const file = fixture('reference-dtypes.safetensors');
    const bytes = fs.readFileSync(file);
    const unaligned = new Uint8Array(bytes.length + 3);
    unaligned.set(bytes, 3);
    const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    const expected = readSafetensorsContents(file);
    for (const source of [pathToFileURL(file), bytes, arrayBuffer, unaligned.subarray(3)]) {
      const got = readSafetensorsContents(source);
      expect(got.metadata).toEqual(expected.metadata);
      expect(got.entries).toEqual(expected.entries);
      for (const [name, t] of Object.entries(expected.tensors)) {
        expect(got.tensors[name].dtype).toBe(t.dtype);
        expect(got.tensors[name].shape).toEqual(t.shape);
        expect(Buffer.from(got.tensors[name].data.buffer, got.tensors[name].data.byteOffset, got.tensors[name].data.byteLength)).toEqual(
          Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
        );
      }
    }
    expect(Object.keys(readSafetensors(file)).sort()).toEqual(Object.keys(expected.tensors).sort());
  });

  it('gives every tensor its own memory, never the caller bytes', () => {
    const bytes = fs.readFileSync(fixture('reference-native.safetensors'));
    const { tensors } = readSafetensorsContents(bytes);
    const buffers = new Set(Object.values(tensors).map((t) => t.data.buffer));
    expect(buffers.size).toBe(Object.keys(tensors).length);
    expect(buffers.has(bytes.buffer)).toBe(false);
    const before = tensors['conv1.bias'].data[0];
    bytes.fill(0);
    expect(tensors['conv1.bias'].data[0]).toBe(before);
  });

  it('writes back byte for byte what the reference wrote (F32, I32, I8, U8)', () => {
    const file = fixture('reference-native.safetensors');
    const { tensors, metadata } = readSafetensorsContents(file);
    expect(Array.from(tensors['conv1.lin.weight'].data)).toEqual(Array.from({ length: 12 }, (_, i) => i / 8 - 0.75));
    expect(metadata).toEqual({ format: 'pt' });
    const out = writeSafetensors(undefined, tensors, { metadata });
    expect(out).toEqual(fs.readFileSync(file));
  });

  it('rounds to F16 and BF16 bit for bit as PyTorch does, in the reference layout', () => {
    const file = fixture('reference-half.safetensors');
    const { tensors, metadata } = readSafetensorsContents(file);
    const src = tensors.src;
    expect(src.numel).toBeGreaterThan(6000);
    const out = writeSafetensors(undefined, { src, src_f16: src, src_bf16: src }, { metadata, dtype: { src_f16: 'F16', src_bf16: 'BF16' } });
    expect(out.equals(fs.readFileSync(file))).toBe(true);
  });
});

/** Every float16 value (as a double), computed from the definition rather than bit tricks. */
function float16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (exp === 0 ? mant * 2 ** -24 : (1 + mant / 1024) * 2 ** (exp - 15));
}

/** Nearest float16 by search and distances, ties to the even pattern. */
function referenceFloat16(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // 65504 + half an ulp (16)
  let lo = 0;
  let hi = 0x7bff;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (float16Value(mid) <= a) lo = mid;
    else hi = mid - 1;
  }
  const below = float16Value(lo);
  if (below === a) return sign | lo;
  const above = lo === 0x7bff ? 65536 : float16Value(lo + 1);
  const d1 = a - below;
  const d2 = above - a;
  if (d1 < d2 || (d1 === d2 && (lo & 1) === 0)) return sign | lo;
  return sign | (lo + 1);
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);
function floatOfBits(bits: number): number {
  scratchBits[0] = bits;
  return scratch[0];
}

/** Nearest bfloat16 (as a float32 bit pattern's top half) by distances, ties to even. */
function referenceBfloat16(bits: number): number {
  const sign = bits & 0x80000000 ? 0x8000 : 0;
  const a = Math.abs(floatOfBits(bits));
  const mag = bits & 0x7fffffff;
  const lo = mag >>> 16;
  const below = floatOfBits(lo << 16);
  if (below === a) return sign | lo;
  const above = lo === 0x7f7f ? 2 ** 128 : floatOfBits((lo + 1) << 16);
  const d1 = a - below;
  const d2 = above - a;
  if (d1 < d2 || (d1 === d2 && (lo & 1) === 0)) return sign | lo;
  return sign | (lo + 1);
}

function edgeBitPatterns(): number[] {
  const out: number[] = [0, 0x80000000, 1, 0x7fffff, 0x800000, 0x7f7fffff, 0x7f800000, 0xff800000, 0x3f800000];
  // Every float32 exponent, with mantissas around the float16 and bfloat16 rounding points.
  for (let e = 0; e < 255; e++) {
    for (const m of [0, 1, 0xfff, 0x1000, 0x1001, 0x2000 | 0x1000, 0x7fff, 0x8000, 0x8001, 0x18000, 0x7fe000, 0x7ff000, 0x7fffff, 0x400000, 0x3ff000]) {
      out.push(((e << 23) | m) >>> 0, ((1 << 31) | (e << 23) | m) >>> 0);
    }
  }
  return out;
}

describe('float16 and bfloat16 rounding', () => {
  const random = new Random(7);
  const patterns = edgeBitPatterns();
  for (let i = 0; i < 200_000; i++) patterns.push(random.uint32());
  // Concentrated where float16 has its normals and subnormals.
  for (let i = 0; i < 100_000; i++) patterns.push(((random.int(2) << 31) | ((random.int(48) + 98) << 23) | random.int(1 << 23)) >>> 0);

  it('float32 → float16 is round-to-nearest-even, subnormals, overflow and signed zeros included', () => {
    let checked = 0;
    for (const bits of patterns) {
      const x = floatOfBits(bits);
      if (Number.isNaN(x)) continue;
      const got = float32BitsToFloat16(bits);
      const want = referenceFloat16(x);
      if (got !== want) expect({ bits: bits.toString(16), got: got.toString(16) }).toEqual({ bits: bits.toString(16), got: want.toString(16) });
      checked++;
    }
    expect(checked).toBeGreaterThan(250_000);
  });

  it('float32 → bfloat16 is round-to-nearest-even, subnormals and overflow included', () => {
    for (const bits of patterns) {
      if (Number.isNaN(floatOfBits(bits))) continue;
      const got = float32BitsToBfloat16(bits);
      const want = referenceBfloat16(bits);
      if (got !== want) expect({ bits: bits.toString(16), got: got.toString(16) }).toEqual({ bits: bits.toString(16), got: want.toString(16) });
    }
  });

  it('NaNs stay NaNs with their sign and top payload bits, never infinities', () => {
    const cases: Array<[number, number, number]> = [
      // float32 bits, float16, bfloat16
      [0x7fc00000, 0x7e00, 0x7fc0],
      [0xffc00000, 0xfe00, 0xffc0],
      [0x7f800001, 0x7e00, 0x7fc0], // payload only in dropped bits: quiet bit set
      [0x7fa00000, 0x7d00, 0x7fa0], // signalling, payload kept
      [0x7fffffff, 0x7fff, 0x7fff],
    ];
    for (const [bits, h, b] of cases) {
      expect(float32BitsToFloat16(bits)).toBe(h);
      expect(float32BitsToBfloat16(bits)).toBe(b);
    }
  });

  it('every float16 and every bfloat16 pattern survives widening and narrowing', () => {
    const table = float16ToFloat32Table();
    for (let h = 0; h < 65536; h++) {
      expect(float32BitsToFloat16(table[h])).toBe(h);
      if (!Number.isNaN(float16Value(h))) expect(floatOfBits(table[h])).toBe(float16Value(h));
      expect(float32BitsToBfloat16((h << 16) >>> 0)).toBe(h);
    }
  });
});

describe('round trips', () => {
  const random = new Random(11);
  const randomBits = (n: number): Uint32Array => Uint32Array.from({ length: n }, () => random.uint32());

  it('float32, int32, int8 and uint8 come back bit for bit, NaN payloads and odd shapes included', () => {
    const floats = new Float32Array(randomBits(1000).buffer);
    const specials = new Float32Array(new Uint32Array([0x80000000, 1, 0x7f800000, 0xff800000, 0x7fa00001, 0xffc12345, 0x7f7fffff]).buffer);
    const tensors: Record<string, Tensor> = {
      floats: Tensor.from(floats, [10, 100]),
      specials: Tensor.from(specials),
      ints: Tensor.from(new Int32Array(randomBits(999).buffer), [3, 3, 111]),
      int8: Tensor.from(Int8Array.from({ length: 256 }, (_, i) => i - 128), [16, 16]),
      uint8: Tensor.from(Uint8Array.from({ length: 255 }, (_, i) => i)),
      scalar: Tensor.from(new Float32Array([-0])).reshape([]),
      empty: Tensor.from(new Int32Array(0), [0, 5]),
      emptyInt8: Tensor.from(new Int8Array(0), [3, 0]),
    };
    const bytes = writeSafetensors(undefined, tensors);
    const back = readSafetensorsContents(bytes);
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const got = back.tensors[name];
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength)).toEqual(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
    expect(back.entries.int8.dtype).toBe('I8');
    expect(back.entries.uint8.dtype).toBe('U8');
    expect(back.entries.ints.dtype).toBe('I32');
    expect(back.metadata).toBeNull();
    // Written again, the bytes are the same.
    expect(writeSafetensors(undefined, back.tensors).equals(bytes)).toBe(true);
  });

  for (const dtype of ['F16', 'BF16'] as const) {
    it(`${dtype}: stored values are the rounded float32 values, and every pattern round-trips bitwise`, () => {
      const narrow = dtype === 'F16' ? float32BitsToFloat16 : float32BitsToBfloat16;
      const widen = dtype === 'F16' ? (h: number) => float16ToFloat32Table()[h] : (h: number) => (h << 16) >>> 0;
      // Rounding: arbitrary float32 values come back as their rounding.
      const bits = randomBits(5000);
      const x = Tensor.from(new Float32Array(bits.buffer), [50, 100]);
      const file = writeSafetensors(undefined, { x }, { dtype });
      const back = readSafetensorsContents(file);
      expect(back.entries.x).toEqual({ dtype, shape: [50, 100], dataOffsets: [0, 10000] });
      const got = bitsOf(back.tensors.x);
      for (let i = 0; i < bits.length; i++) {
        if (got[i] !== widen(narrow(bits[i]))) expect([i, got[i]]).toEqual([i, widen(narrow(bits[i]))]);
      }
      // Every 16-bit pattern: stored, read (widened), written again: the same bytes.
      const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
      const stored = build({ all: { dtype, shape: [256, 256], data_offsets: [0, 131072] } }, new Uint8Array(all.buffer));
      const read = readSafetensorsContents(stored);
      expect(writeSafetensors(undefined, read.tensors, { dtype }).equals(stored)).toBe(true);
      // And the second write of the first file is the first file.
      expect(writeSafetensors(undefined, back.tensors, { dtype }).equals(file)).toBe(true);
    });
  }

  it('keeps names and metadata keys that are special to JavaScript', () => {
    const tensors: Record<string, Tensor> = Object.create(null);
    for (const name of ['__proto__', 'constructor', 'toString', '0', '10', '2', 'é', '日本', '', 'a"b\\c\n']) {
      tensors[name] = Tensor.from(new Float32Array([name.length]));
    }
    const metadata: Record<string, string> = Object.create(null);
    metadata.__proto__ = 'p';
    metadata['1'] = 'one';
    metadata.z = 'ü\u0000';
    const back = readSafetensorsContents(writeSafetensors(undefined, tensors, { metadata }));
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const name of Object.keys(tensors)) expect(back.tensors[name].data[0]).toBe(name.length);
    expect({ ...back.metadata }).toEqual({ ...metadata });
    expect(Object.keys(back.metadata ?? {})).toContain('__proto__');
  });
});

describe('writeSafetensors', () => {
  const mixed = (): Record<string, Tensor> => ({
    b_f32: Tensor.from(new Float32Array([1, 2, 3])),
    a_f32: Tensor.from(new Float32Array([4])),
    half: Tensor.from(new Float32Array([0.5, 1.5, 2.5])),
    brain: Tensor.from(new Float32Array([0.25])),
    ids: Tensor.from(new Int32Array([1, 2, 3])),
    q: Tensor.from(new Int8Array([1, -2, 3])),
    mask: Tensor.from(new Uint8Array([1, 0, 1, 1, 0])),
  });

  it('lays out widest dtype first then by name, pads the header with spaces to 8 bytes, and aligns every tensor', () => {
    const out = writeSafetensors(undefined, mixed(), { dtype: { half: 'F16', brain: 'BF16' }, metadata: { b: '2', a: '1' } });
    const { json, length } = headerOf(out);
    expect(length % 8).toBe(0);
    expect(json).toBe(json.trimEnd() + ' '.repeat(json.length - json.trimEnd().length));
    expect(json.trimEnd()).toBe(
      '{"__metadata__":{"a":"1","b":"2"},' +
        '"a_f32":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
        '"b_f32":{"dtype":"F32","shape":[3],"data_offsets":[4,16]},' +
        '"ids":{"dtype":"I32","shape":[3],"data_offsets":[16,28]},' +
        '"brain":{"dtype":"BF16","shape":[1],"data_offsets":[28,30]},' +
        '"half":{"dtype":"F16","shape":[3],"data_offsets":[30,36]},' +
        '"q":{"dtype":"I8","shape":[3],"data_offsets":[36,39]},' +
        '"mask":{"dtype":"U8","shape":[5],"data_offsets":[39,44]}}',
    );
    expect(out.length).toBe(8 + length + 44);
    const { entries } = readSafetensorsContents(out);
    const size: Record<string, number> = { F32: 4, I32: 4, BF16: 2, F16: 2, I8: 1, U8: 1 };
    for (const e of Object.values(entries)) expect((8 + length + e.dataOffsets[0]) % size[e.dtype]).toBe(0);
  });

  it('applies a global dtype to float32 tensors only; int8 is written as I8', () => {
    const { entries, tensors } = readSafetensorsContents(writeSafetensors(undefined, mixed(), { dtype: 'BF16' }));
    expect(entries.a_f32.dtype).toBe('BF16');
    expect(entries.half.dtype).toBe('BF16');
    expect(entries.ids.dtype).toBe('I32');
    expect(entries.q.dtype).toBe('I8');
    expect(entries.mask.dtype).toBe('U8');
    expect(Array.from(tensors.half.data)).toEqual([0.5, 1.5, 2.5]);
    expect(Array.from(tensors.q.data)).toEqual([1, -2, 3]);
    // Per-tensor names for integer tensors may say their own dtype.
    const explicit = readSafetensorsContents(writeSafetensors(undefined, mixed(), { dtype: { q: 'I8', ids: 'I32', mask: 'U8', a_f32: 'F32' } }));
    expect(explicit.entries.q.dtype).toBe('I8');
  });

  it('writes an empty file as the reference does', () => {
    const out = writeSafetensors(undefined, {});
    expect(out).toEqual(Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{}      ')]));
    expect(readSafetensorsContents(out)).toEqual({ tensors: {}, metadata: null, entries: {} });
  });

  it('writes a file atomically: the whole file appears at once, with no temporary left behind', () => {
    const dir = fs.mkdtempSync(path.join(tmpDir, 'write-'));
    const file = path.join(dir, 'model.safetensors');
    expect(writeSafetensors(file, mixed(), { metadata: { v: '1' } })).toBeUndefined();
    expect(readSafetensorsContents(file).metadata).toEqual({ v: '1' });
    // Replaces an existing file.
    writeSafetensors(pathToFileURL(file), { only: Tensor.from(new Float32Array([9])) });
    expect(Object.keys(readSafetensors(file))).toEqual(['only']);
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
    expect(fs.readFileSync(file).equals(writeSafetensors(undefined, { only: Tensor.from(new Float32Array([9])) }))).toBe(true);
  });

  it('a failed write is a GnnError and leaves what was there untouched', () => {
    const dir = fs.mkdtempSync(path.join(tmpDir, 'fail-'));
    expectGnnError(() => writeSafetensors(path.join(dir, 'missing', 'm.safetensors'), mixed()), /missing.*cannot write/);
    // A directory in the way: the rename fails, the directory and its content stay.
    const blocker = path.join(dir, 'blocker');
    fs.mkdirSync(blocker);
    fs.writeFileSync(path.join(blocker, 'keep'), 'x');
    expectGnnError(() => writeSafetensors(blocker, mixed()), /blocker: cannot write/);
    expect(fs.readdirSync(dir)).toEqual(['blocker']);
    expect(fs.readFileSync(path.join(blocker, 'keep'), 'utf8')).toBe('x');
  });

  it('rejects bad arguments with Node-style errors that name them', () => {
    const t = { x: Tensor.from(new Float32Array([1])) };
    expectArgError(() => writeSafetensors(42 as unknown as string, t), 'ERR_INVALID_ARG_TYPE', /^path: expected a path, a file: URL or undefined, got the number 42/);
    expectArgError(() => writeSafetensors('', t), 'ERR_INVALID_ARG_VALUE', /^path: expected a non-empty path/);
    expectArgError(() => writeSafetensors(new URL('https://example.com/m'), t), 'ERR_INVALID_ARG_VALUE', /a https: URL/);
    expectArgError(() => writeSafetensors(undefined, [] as unknown as Record<string, Tensor>), 'ERR_INVALID_ARG_TYPE', /^tensors: expected an object mapping names to Tensors, got an Array/);
    expectArgError(() => writeSafetensors(undefined, Tensor.from(new Float32Array(1)) as unknown as Record<string, Tensor>), 'ERR_INVALID_ARG_TYPE', /^tensors:/);
    expectArgError(() => writeSafetensors(undefined, { x: new Float32Array(1) as unknown as Tensor }), 'ERR_INVALID_ARG_TYPE', /^tensors\["x"\]: expected a Tensor, got a Float32Array/);
    expectArgError(() => writeSafetensors(undefined, { __metadata__: t.x }), 'ERR_INVALID_ARG_VALUE', /__metadata__/);
    expectArgError(() => writeSafetensors(undefined, t, { dtype: 'F64' as 'F32' }), 'ERR_INVALID_ARG_VALUE', /options\.dtype: expected 'F32', 'F16' or 'BF16'.*got the string "F64"/);
    expectArgError(() => writeSafetensors(undefined, t, { dtype: 'I8' as 'F32' }), 'ERR_INVALID_ARG_VALUE', /float32 is not quantised/);
    expectArgError(() => writeSafetensors(undefined, t, { dtype: { y: 'F16' } }), 'ERR_INVALID_ARG_VALUE', /options\.dtype: expected only names of the tensors being written, got the name "y"/);
    expectArgError(() => writeSafetensors(undefined, t, { dtype: { x: 'I8' } }), 'ERR_INVALID_ARG_VALUE', /options\.dtype\["x"\]: expected 'F32', 'F16' or 'BF16' for a float32 tensor, got the string "I8"/);
    expectArgError(
      () => writeSafetensors(undefined, { q: Tensor.from(new Int8Array(1)) }, { dtype: { q: 'F16' } }),
      'ERR_INVALID_ARG_VALUE',
      /options\.dtype\["q"\]: expected 'I8' for a int8 tensor, got the string "F16"/,
    );
    expectArgError(() => writeSafetensors(undefined, t, { dtype: 5 as unknown as 'F32' }), 'ERR_INVALID_ARG_TYPE', /options\.dtype/);
    expectArgError(() => writeSafetensors(undefined, t, { metadata: { a: 1 as unknown as string } }), 'ERR_INVALID_ARG_TYPE', /options\.metadata\["a"\]: expected a string, got the number 1/);
    expectArgError(() => writeSafetensors(undefined, t, { metadata: 'x' as unknown as Record<string, string> }), 'ERR_INVALID_ARG_TYPE', /options\.metadata: expected an object/);
    expectArgError(() => writeSafetensors(undefined, t, { metdata: {} } as object), 'ERR_INVALID_ARG_VALUE', /only the keys metadata, dtype, got the key "metdata"/);
    // A detached buffer.
    const detached = Tensor.from(new Float32Array(4));
    structuredClone(detached.data.buffer, { transfer: [detached.data.buffer as ArrayBuffer] });
    expectArgError(() => writeSafetensors(undefined, { detached }), 'ERR_INVALID_ARG_VALUE', /tensors\["detached"\]: expected a usable buffer/);
  });
});

describe('hostile files', () => {
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const eight = new Uint8Array(8);
  const lengthOnly = (n: bigint, rest: ArrayLike<number> = []): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n);
    return Buffer.concat([b, Buffer.from(Uint8Array.from(rest))]);
  };
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['an empty file', new Uint8Array(0), /at least 8 bytes.*got 0/],
    ['a truncated header length', new Uint8Array([16, 0, 0]), /at least 8 bytes.*got 3/],
    ['a header length larger than the file', lengthOnly(64n, Buffer.from('{}')), /header length 64 runs past the end of the file \(2 bytes/],
    ['a header length over the limit', lengthOnly(BigInt(MAX_HEADER_BYTES) + 1n, Buffer.from('{}')), /exceeds the 100000000-byte limit/],
    ['a header length of 2^64 - 1', lengthOnly(2n ** 64n - 1n, Buffer.from('{}')), /18446744073709551615 exceeds/],
    ['a header too short for an object', lengthOnly(1n, Buffer.from('{')), /too short/],
    ['invalid JSON', build('{"a": {"dtype": "F32",', eight), /not valid JSON/],
    ['trailing garbage after the JSON', build('{}x', eight, false), /not valid JSON/],
    ['invalid UTF-8', build(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), /not valid UTF-8/],
    ['a JSON array', build('[1, 2]'), /must start with '\{'/],
    ['a JSON string', build('"abc"'), /must start with '\{'/],
    ['a JSON null', build('null'), /must start with '\{'/],
    ['an entry that is not an object', build({ a: [1, 2] }), /tensor "a": expected an object with dtype, shape and data_offsets, got an array/],
    ['a wrong dtype name', build({ a: { dtype: 'F33', shape: [2], data_offsets: [0, 8] } }, eight), /tensor "a": unknown dtype "F33"/],
    ['a lower-case dtype', build({ a: { dtype: 'f32', shape: [2], data_offsets: [0, 8] } }, eight), /unknown dtype "f32"/],
    ['an unsupported dtype', build({ a: { dtype: 'BOOL', shape: [8], data_offsets: [0, 8] } }, eight), /dtype BOOL is not supported/],
    ['a missing dtype', build({ a: { shape: [2], data_offsets: [0, 8] } }, eight), /dtype must be a string, got nothing/],
    ['a shape/offset mismatch', build({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, eight), /need 12 bytes, data_offsets \[0, 8\] hold 8/],
    ['a dtype/offset mismatch', build({ a: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }, eight), /F64 and shape \[2\] need 16 bytes/],
    ['a negative shape entry', build('{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', eight), /shape entries must be non-negative integers, got -2/],
    ['a -0 shape entry', build('{"a":{"dtype":"U8","shape":[8,-0],"data_offsets":[0,0]}}', eight), /got -0/],
    ['a fractional shape entry', build('{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}', eight), /got 2\.5/],
    ['a shape entry written as a float', build('{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}', eight), /got 2\.0/],
    ['a shape entry in exponent form', build('{"a":{"dtype":"U8","shape":[8e0],"data_offsets":[0,8]}}', eight), /got 8e0/],
    ['a huge shape entry', build('{"a":{"dtype":"U8","shape":[18446744073709551617],"data_offsets":[0,8]}}', eight), /shape\[0\] must be a non-negative integer below 2\^53/],
    ['a shape entry that is a string', build({ a: { dtype: 'U8', shape: ['8'], data_offsets: [0, 8] } }, eight), /shape\[0\] must be a non-negative integer below 2\^53, got string "8"/],
    ['a shape that is not an array', build({ a: { dtype: 'U8', shape: 8, data_offsets: [0, 8] } }, eight), /shape must be an array/],
    ['a shape product above 2^53', build({ a: { dtype: 'U8', shape: [2 ** 27, 2 ** 27], data_offsets: [0, 8] } }, eight), /more than 2\^53 - 1 elements/],
    ['an overflowing shape product excused by a later 0', build({ a: { dtype: 'U8', shape: [2 ** 30, 2 ** 30, 0], data_offsets: [0, 0] } }, eight), /more than 2\^53 - 1 elements/],
    ['a shape product that wraps around to 0 in 64 bits', build({ a: { dtype: 'F32', shape: [2 ** 32, 2 ** 32], data_offsets: [0, 0] } }), /more than 2\^53 - 1 elements/],
    ['a large shape the data cannot hold', build({ a: { dtype: 'F32', shape: [2 ** 26, 2 ** 26], data_offsets: [0, 8] } }, eight), /need 18014398509481984 bytes/],
    ['a negative offset', build('{"a":{"dtype":"U8","shape":[8],"data_offsets":[-8,0]}}', eight), /data_offsets entries must be non-negative integers, got -8/],
    ['a fractional offset', build('{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8.0]}}', eight), /data_offsets entries must be non-negative integers, got 8\.0/],
    ['three offsets', build({ a: { dtype: 'U8', shape: [8], data_offsets: [0, 4, 8] } }, eight), /data_offsets must be \[begin, end\], got an array/],
    ['offsets that end before they begin', build({ a: { dtype: 'U8', shape: [0], data_offsets: [8, 0] } }, eight), /end before they begin/],
    ['offsets beyond the file', build({ a: { dtype: 'U8', shape: [16], data_offsets: [0, 16] } }, eight), /run past the end of the data section \(8 bytes\)/],
    ['offsets at 2^53', build({ a: { dtype: 'U8', shape: [8], data_offsets: [9007199254740992, 9007199254741000] } }, eight), /below 2\^53/],
    ['a gap at the start', build({ a: { dtype: 'U8', shape: [4], data_offsets: [4, 8] } }, eight), /leave 4 bytes unused after the start of the data section/],
    [
      'a gap between tensors',
      build({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [4], data_offsets: [4, 8] } }, eight),
      /tensor "b".*leave 2 bytes unused after tensor "a"/,
    ],
    [
      'overlapping tensors',
      build({ a: { dtype: 'U8', shape: [6], data_offsets: [0, 6] }, b: { dtype: 'U8', shape: [4], data_offsets: [4, 8] } }, eight),
      /tensor "b": data_offsets \[4, 8\] overlap tensor "a", which ends at 6/,
    ],
    [
      'two tensors on the same bytes',
      build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, eight),
      /overlap/,
    ],
    ['trailing bytes', build(ok, new Uint8Array(12)), /4 bytes after the last tensor that no tensor covers/],
    ['data and no tensors', build({}, eight), /8 bytes after the last tensor/],
    ['a duplicate tensor name', build('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}', eight), /names tensor "a" more than once/],
    ['a duplicate name spelt with an escape', build('{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"\\u0061":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}', eight), /names tensor "a" more than once/],
    ['a duplicate key inside an entry', build('{"a":{"dtype":"U8","dtype":"F32","shape":[2],"data_offsets":[0,8]}}', eight), /key "dtype" more than once in the entry of "a"/],
    ['a duplicate metadata key', build('{"__metadata__":{"k":"1","k":"2"},"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}', eight), /key "k" more than once in the entry of "__metadata__"/],
    ['metadata that is not an object', build({ __metadata__: ['x'] }), /__metadata__ must be an object of strings, got an array/],
    ['a metadata value that is not a string', build({ __metadata__: { k: 1 } }), /__metadata__\["k"\] must be a string, got number 1/],
    ['an I64 value beyond int32', build({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, [0, 0, 0, 0x80, 0, 0, 0, 0]), /I64 value 2147483648 at flat index 0 does not fit in int32/],
    ['an F64 value beyond float32', build({ a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(new Float64Array([1e39]).buffer)), /F64 value 1e\+39 .* beyond float32's range/],
  ];

  for (const [what, bytes, message] of cases) {
    it(`rejects ${what}`, () => {
      expectGnnError(() => readSafetensorsContents(bytes), message);
      expectGnnError(() => readSafetensorsContents(bytes), /^the given bytes: /);
      const file = path.join(tmpDir, 'hostile.safetensors');
      fs.writeFileSync(file, bytes);
      expectGnnError(() => readSafetensorsContents(file), message);
      expectGnnError(() => readSafetensorsContents(file), new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    });
  }

  it('accepts what the reference accepts at the edges', () => {
    // Zero-size tensors may sit anywhere, several at one offset; metadata may be null; extra
    // fields in an entry are ignored; whitespace around the JSON is fine.
    const bytes = build(
      '{"__metadata__":null,"z":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"y":{"dtype":"I8","shape":[2,0],"data_offsets":[0,0]},' +
        '"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8],"note":[1.5]},"e":{"dtype":"F16","shape":[0],"data_offsets":[8,8]}}\n',
      eight,
    );
    const { tensors, metadata } = readSafetensorsContents(bytes);
    expect(metadata).toBeNull();
    expect(tensors.y.shape).toEqual([2, 0]);
    expect(tensors.a.numel).toBe(8);
  });

  it('rejects a header that does not start with "{", as the reference does', () => {
    expectGnnError(() => readSafetensorsContents(build(' {}')), /must start with '\{'/);
  });

  it('rejects paths it cannot read and arguments that are not sources', () => {
    expectGnnError(() => readSafetensorsContents(path.join(tmpDir, 'nope.safetensors')), /nope\.safetensors: cannot open/);
    expectGnnError(() => readSafetensorsContents(tmpDir), /not a regular file|cannot open/);
    expectArgError(() => readSafetensorsContents(42 as unknown as string), 'ERR_INVALID_ARG_TYPE', /^source: expected a path, file: URL, Buffer, Uint8Array or ArrayBuffer, got the number 42/);
    expectArgError(() => readSafetensorsContents(''), 'ERR_INVALID_ARG_VALUE', /^source: expected a non-empty path, got the string ""/);
    expectArgError(() => readSafetensorsContents(new URL('https://example.com/x')), 'ERR_INVALID_ARG_VALUE', /^source: expected a file: URL, got a https: URL/);
  });
});

describe('fuzzing', () => {
  /** Reads `bytes`; anything thrown must be a GnnError about the file. */
  function readOrGnnError(bytes: Uint8Array): 'ok' | 'rejected' {
    try {
      const { tensors, entries } = readSafetensorsContents(bytes);
      for (const [name, t] of Object.entries(tensors)) {
        expect(t.numel).toBe(t.shape.reduce((a, b) => a * b, 1));
        expect(t.shape).toEqual(entries[name].shape);
      }
      return 'ok';
    } catch (error) {
      if (!(error instanceof GnnError) || error.code !== 'ERR_GNN_MODEL_FILE') throw error;
      return 'rejected';
    }
  }

  const bases = [
    fs.readFileSync(fixture('reference-dtypes.safetensors')),
    writeSafetensors(
      undefined,
      {
        w: Tensor.from(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]),
        h: Tensor.from(new Float32Array([0.5, -2])),
        ids: Tensor.from(new Int32Array([7, 8])),
        q: Tensor.from(new Int8Array([1, 2, 3])),
      },
      { dtype: { h: 'F16' }, metadata: { format: 'pt' } },
    ),
  ];

  it('random byte flips, truncations, splices and header-length changes only ever raise GnnError', () => {
    const random = new Random(2024);
    const outcomes = { ok: 0, rejected: 0 };
    for (let iter = 0; iter < 6000; iter++) {
      const base = bases[iter % bases.length];
      const headerEnd = 8 + Number(base.readBigUInt64LE(0));
      let bytes = Buffer.from(base);
      const kind = random.int(6);
      if (kind === 0) {
        // Flip bits in a few bytes, mostly inside the header.
        for (let k = 1 + random.int(4); k > 0; k--) {
          const at = random.float() < 0.8 ? random.int(headerEnd) : random.int(bytes.length);
          bytes[at] ^= 1 << random.int(8);
        }
      } else if (kind === 1) {
        bytes = bytes.subarray(0, random.int(bytes.length));
      } else if (kind === 2) {
        // Replace a digit in the header with another: shapes and offsets that almost fit.
        const digits = [...bytes.subarray(8, headerEnd).keys()].filter((i) => bytes[8 + i] >= 0x30 && bytes[8 + i] <= 0x39);
        bytes[8 + digits[random.int(digits.length)]] = 0x30 + random.int(10);
      } else if (kind === 3) {
        // Random header length.
        bytes.writeBigUInt64LE(BigInt(random.int(bytes.length + 16)), 0);
      } else if (kind === 4) {
        // Delete or duplicate a run of header bytes.
        const at = 8 + random.int(headerEnd - 8);
        const len = 1 + random.int(12);
        bytes = random.int(2) === 0 ? Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + len)]) : Buffer.concat([bytes.subarray(0, at + len), bytes.subarray(at)]);
      } else {
        // Random bytes anywhere.
        for (let k = 1 + random.int(8); k > 0; k--) bytes[random.int(bytes.length)] = random.int(256);
      }
      outcomes[readOrGnnError(bytes)]++;
    }
    // Both outcomes happen: the fuzzer reaches past the first checks.
    expect(outcomes.ok).toBeGreaterThan(100);
    expect(outcomes.rejected).toBeGreaterThan(1000);
  });

  it('every truncation of a valid file, read from disk, is a GnnError', () => {
    const base = bases[1];
    const file = path.join(tmpDir, 'truncated.safetensors');
    for (let n = 0; n < base.length; n++) {
      fs.writeFileSync(file, base.subarray(0, n));
      expectGnnError(() => readSafetensorsContents(file), /./);
    }
  });
});
