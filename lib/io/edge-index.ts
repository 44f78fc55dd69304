/**
 * Binary edge_index files as PyG code writes them: [2, E] in C order (all sources, then all
 * targets), little-endian, either raw (`edge_index.numpy().tobytes()`, int64 unless converted) or
 * NumPy's .npy (`np.save`), recognised by its magic bytes. Optional edge weights likewise: raw
 * float32, or .npy float32 / float64 of shape (E,).
 *
 * The data is read in 8 MiB chunks, each checked and narrowed into the one Int32Array the graph is
 * built from: an int64 file costs 4 bytes per id, not 12. Every id must be a valid node id
 * (0 <= id < numNodes, below 2^31 - 1); anything else is an ERR_GNN_INVALID_GRAPH naming the
 * offending position and value.
 */
import { GnnError, invalidArgType, invalidArgValue } from '../errors';
import { Graph } from '../graph';
import { checkInteger, checkOptions } from '../validate';
import { AsyncFileReader } from './edge-list';
import { LITTLE_ENDIAN_HOST } from './safetensors';
import { FileReader, toByteSource } from './source';
import type { ByteSource, PathOrBytes } from './source';

export type EdgeIndexDType = 'int32' | 'int64';

export interface ReadEdgeIndexOptions {
  /** Number of nodes; default: largest id + 1. */
  numNodes?: number;
  /**
   * Element type of a raw file: 'int64' (default: torch's, and PyG's edge_index dtype) or 'int32'.
   * A .npy file states its own; given here, it must agree.
   */
  dtype?: EdgeIndexDType;
  /** Edge weights, one per edge: raw float32 little-endian, or .npy float32 / float64 (E,). */
  weights?: PathOrBytes;
}

export interface EdgeIndexResult {
  /** The graph, edges in file order. */
  graph: Graph;
  /** The weights as read (float64 rounded to float32), or null without `weights`. */
  edgeWeight: Float32Array | null;
  numEdges: number;
  /** Element type of the edge_index data. */
  dtype: EdgeIndexDType;
  /** Whether the edge_index file was raw bytes or .npy. */
  format: 'raw' | 'npy';
}

const CODE = 'ERR_GNN_INVALID_GRAPH';
const MAX_ID = 2 ** 31 - 2;
const MAX_EDGES = 2 ** 31 - 1;
const CHUNK_BYTES = 8 << 20;
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy's own default cap (np.load's max_header_size) is 10000; a few times that is generous. */
const MAX_NPY_HEADER = 65536;

type WeightDType = 'float32' | 'float64';
type ElementType = EdgeIndexDType | WeightDType;
const SIZE: Record<ElementType, number> = { int32: 4, int64: 8, float32: 4, float64: 8 };
const DESCR: Record<string, ElementType> = { '<i4': 'int32', '<i8': 'int64', '<f4': 'float32', '<f8': 'float64' };

/** Where an array's data sits in its source and what it holds. */
interface Layout {
  format: 'raw' | 'npy';
  dtype: ElementType;
  /** Byte offset of the data. */
  offset: number;
  /** Number of elements. */
  count: number;
  /** Edges: E for the index ([2, E]), the weight count for weights. */
  edges: number;
}

function fail(label: string, message: string): never {
  throw new GnnError(CODE, `${label}: ${message}`);
}

// ---- .npy headers ----

/** A Python literal of a .npy header dict: str, bool, or tuple of ints. */
type PyValue = string | boolean | number[];

/**
 * Parses the header dict (`{'descr': '<i8', 'fortran_order': False, 'shape': (2, 5), }` padded with
 * spaces and a newline): exactly the three keys, each once, nothing else.
 */
function parseNpyDict(text: string, label: string): Record<string, PyValue> {
  let i = 0;
  const bad: (what: string) => never = (what) => fail(label, `malformed .npy header (${what} at character ${i}): ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)}`);
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = (): string => {
    const q = text[i];
    if (q !== "'" && q !== '"') bad('expected a string');
    const end = text.indexOf(q, i + 1);
    if (end < 0) bad('unterminated string');
    const s = text.slice(i + 1, end);
    if (s.includes('\\')) bad('escapes in a string');
    i = end + 1;
    return s;
  };
  const value = (): PyValue => {
    if (text.startsWith('True', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('False', i)) {
      i += 5;
      return false;
    }
    if (text[i] === "'" || text[i] === '"') return str();
    if (text[i] !== '(') bad('expected a string, True, False or a tuple');
    i++;
    const dims: number[] = [];
    ws();
    while (text[i] !== ')') {
      const m = /^\d+/.exec(text.slice(i, i + 24));
      if (m === null) bad('expected a dimension');
      const d = Number(m[0]);
      if (!Number.isSafeInteger(d)) bad('a dimension too large');
      dims.push(d);
      i += m[0].length;
      ws();
      if (text[i] === ',') {
        i++;
        ws();
      } else if (text[i] !== ')') {
        bad("expected ',' or ')'");
      }
    }
    i++;
    return dims;
  };
  const dict: Record<string, PyValue> = Object.create(null) as Record<string, PyValue>;
  ws();
  if (text[i] !== '{') bad("expected '{'");
  i++;
  ws();
  while (text[i] !== '}') {
    const key = str();
    if (key in dict) bad(`the key '${key}' twice`);
    ws();
    if (text[i] !== ':') bad("expected ':'");
    i++;
    ws();
    dict[key] = value();
    ws();
    if (text[i] === ',') {
      i++;
      ws();
    } else if (text[i] !== '}') {
      bad("expected ',' or '}'");
    }
  }
  i++;
  ws();
  if (i !== text.length) bad('text after the dict');
  const keys = Object.keys(dict).sort();
  if (keys.join() !== 'descr,fortran_order,shape') {
    fail(label, `.npy header: expected the keys descr, fortran_order and shape, got ${keys.join(', ') || 'none'}`);
  }
  return dict;
}

/** Where the .npy header lies, from the first 12 bytes; null when the magic is not there. */
function npyPrefix(bytes: Uint8Array, size: number, label: string): { headerStart: number; headerLength: number; utf8: boolean } | null {
  if (size < 6 || NPY_MAGIC.some((b, k) => bytes[k] !== b)) return null;
  if (size < 10) fail(label, `.npy file of ${size} bytes ends inside its preamble`);
  const major = bytes[6];
  if (major < 1 || major > 3) fail(label, `.npy format version ${major}.${bytes[7]} is not one of 1.0, 2.0, 3.0`);
  const wide = major >= 2;
  if (wide && size < 12) fail(label, `.npy file of ${size} bytes ends inside its preamble`);
  // Read byte by byte: a version-1 file may be only 10 bytes long.
  const headerLength = bytes[8] + bytes[9] * 0x100 + (wide ? bytes[10] * 0x10000 + bytes[11] * 0x1000000 : 0);
  const headerStart = wide ? 12 : 10;
  if (headerLength > MAX_NPY_HEADER) fail(label, `.npy header of ${headerLength} bytes is larger than ${MAX_NPY_HEADER}`);
  if (headerStart + headerLength > size) fail(label, `.npy header of ${headerLength} bytes runs past the end of the ${size}-byte file`);
  return { headerStart, headerLength, utf8: major === 3 };
}

/**
 * The layout of an array: `.npy` when the magic is there (header checked against `expect`),
 * otherwise raw `rawType` elements. `head` holds at least the first min(size, 12 + MAX_NPY_HEADER)
 * bytes.
 */
function layoutOf(
  head: Uint8Array,
  size: number,
  label: string,
  kind: 'index' | 'weights',
  rawType: ElementType,
  wanted: EdgeIndexDType | undefined,
): Layout {
  const prefix = npyPrefix(head, size, label);
  if (prefix === null) {
    const unit = SIZE[rawType] * (kind === 'index' ? 2 : 1);
    if (size % unit !== 0) {
      const what = kind === 'index' ? `[2, E] ${rawType} edge_index (a multiple of ${unit} bytes)` : `${rawType} weights (a multiple of ${unit} bytes)`;
      fail(label, `expected raw ${what}, got ${size} bytes${kind === 'index' && rawType === 'int64' && size % 8 === 0 ? " (int32 data? pass dtype: 'int32')" : ''}`);
    }
    const count = size / SIZE[rawType];
    return { format: 'raw', dtype: rawType, offset: 0, count, edges: kind === 'index' ? count / 2 : count };
  }
  const raw = head.subarray(prefix.headerStart, prefix.headerStart + prefix.headerLength);
  let text: string;
  try {
    text = new TextDecoder(prefix.utf8 ? 'utf-8' : 'latin1', { fatal: true }).decode(raw);
  } catch {
    fail(label, '.npy header is not valid UTF-8');
  }
  const dict = parseNpyDict(text, label);
  const descr = dict.descr;
  const shape = dict.shape;
  if (typeof descr !== 'string') fail(label, `.npy descr: expected a dtype string, got ${JSON.stringify(descr)}`);
  if (typeof dict.fortran_order !== 'boolean') fail(label, '.npy fortran_order: expected True or False');
  if (!Array.isArray(shape)) fail(label, '.npy shape: expected a tuple');
  const accepted = kind === 'index' ? ['<i8', '<i4'] : ['<f4', '<f8'];
  if (!accepted.includes(descr)) {
    const reason = descr.startsWith('>') ? 'big-endian data is not supported; save with .astype(dtype.newbyteorder("<"))' : `expected ${accepted.map((d) => `'${d}'`).join(' or ')}`;
    fail(label, `.npy dtype '${descr}': ${reason}`);
  }
  const dtype = DESCR[descr];
  if (kind === 'index' && wanted !== undefined && wanted !== dtype) fail(label, `.npy dtype is ${dtype}, but dtype: '${wanted}' was given`);
  if (dict.fortran_order) fail(label, '.npy fortran_order is True: save a C-order array (np.ascontiguousarray)');
  const want = kind === 'index' ? '(2, E)' : '(E,)';
  const okShape = kind === 'index' ? shape.length === 2 && shape[0] === 2 : shape.length === 1;
  if (!okShape) fail(label, `.npy shape: expected ${want}, got (${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = prefix.headerStart + prefix.headerLength;
  const expected = count * SIZE[dtype];
  if (size - offset !== expected) {
    fail(label, `.npy data of shape (${shape.join(', ')}${shape.length === 1 ? ',' : ''}) ${dtype} is ${expected} bytes, the file holds ${size - offset} after the header`);
  }
  return { format: 'npy', dtype, offset, count, edges: kind === 'index' ? shape[1] : shape[0] };
}

// ---- the data ----

/** Checks and narrows index data chunk by chunk into one Int32Array [2, E]. */
class IndexSink {
  readonly out: Int32Array;
  maxId = -1;
  #at = 0;

  constructor(
    readonly layout: Layout,
    readonly label: string,
    readonly limit: number,
  ) {
    if (layout.edges > MAX_EDGES) fail(label, `${layout.edges} edges is more than ${MAX_EDGES}`);
    try {
      this.out = new Int32Array(layout.count);
    } catch (error) {
      throw new GnnError('ERR_GNN_OUT_OF_MEMORY', `${label}: cannot allocate ${layout.count} node ids (${(error as Error).message})`, { cause: error });
    }
  }

  #bad(k: number, value: bigint | number): never {
    const e = this.layout.edges;
    const where = `edge_index[${k < e ? 0 : 1}][${k < e ? k : k - e}]`;
    const v = typeof value === 'bigint' ? value : BigInt(value);
    let why = v < 0n ? 'is negative' : this.limit <= MAX_ID && v <= BigInt(MAX_ID) ? `is not below numNodes (${this.limit})` : 'does not fit a node id (below 2^31 - 1)';
    if (this.layout.format === 'raw' && this.layout.dtype === 'int64' && v > BigInt(MAX_ID)) why += "; int32 data? pass dtype: 'int32'";
    fail(this.label, `${where} = ${v} ${why}`);
  }

  /** Takes the next chunk of data (a whole number of elements, 8-byte aligned). */
  push(chunk: Uint8Array): void {
    const out = this.out;
    const limit = this.limit;
    let max = this.maxId;
    let k = this.#at;
    if (this.layout.dtype === 'int32') {
      const n = chunk.length >> 2;
      if (LITTLE_ENDIAN_HOST) {
        const ids = new Int32Array(chunk.buffer, chunk.byteOffset, n);
        for (let i = 0; i < n; i++, k++) {
          const v = ids[i];
          if (v < 0 || v >= limit) this.#bad(k, v);
          out[k] = v;
          if (v > max) max = v;
        }
      } else {
        const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
        for (let i = 0; i < n; i++, k++) {
          const v = view.getInt32(4 * i, true);
          if (v < 0 || v >= limit) this.#bad(k, v);
          out[k] = v;
          if (v > max) max = v;
        }
      }
    } else {
      const n = chunk.length >> 3;
      const view = LITTLE_ENDIAN_HOST ? null : new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
      const words = LITTLE_ENDIAN_HOST ? new Int32Array(chunk.buffer, chunk.byteOffset, 2 * n) : null;
      for (let i = 0; i < n; i++, k++) {
        // An int64 in range is a non-negative low word under a zero high word.
        const lo = words !== null ? words[2 * i] : (view as DataView).getInt32(8 * i, true);
        const hi = words !== null ? words[2 * i + 1] : (view as DataView).getInt32(8 * i + 4, true);
        if (hi !== 0 || lo < 0 || lo >= limit) {
          this.#bad(k, (BigInt(hi) << 32n) | BigInt(lo >>> 0));
        }
        out[k] = lo;
        if (lo > max) max = lo;
      }
    }
    this.maxId = max;
    this.#at = k;
  }
}

/** Converts weight data chunk by chunk into a Float32Array, rejecting non-finite values. */
class WeightSink {
  readonly out: Float32Array;
  #at = 0;

  constructor(
    readonly layout: Layout,
    readonly label: string,
  ) {
    this.out = new Float32Array(layout.count);
  }

  push(chunk: Uint8Array): void {
    const out = this.out;
    const wide = this.layout.dtype === 'float64';
    const n = chunk.length / (wide ? 8 : 4);
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
    const values = LITTLE_ENDIAN_HOST ? (wide ? new Float64Array(chunk.buffer, chunk.byteOffset, n) : new Float32Array(chunk.buffer, chunk.byteOffset, n)) : null;
    let k = this.#at;
    for (let i = 0; i < n; i++, k++) {
      const x = values !== null ? values[i] : wide ? view.getFloat64(8 * i, true) : view.getFloat32(4 * i, true);
      const f = Math.fround(x);
      if (!Number.isFinite(f)) {
        fail(this.label, `weights[${k}] = ${x} ${Number.isFinite(x) ? "is beyond float32's range" : 'is not finite'}`);
      }
      out[k] = f;
    }
    this.#at = k;
  }
}

// ---- reading sources ----

interface SyncSource {
  size: number;
  read(into: Uint8Array, position: number): void;
  close(): void;
}

interface AsyncSource {
  size: number;
  read(into: Uint8Array, position: number): Promise<void>;
  close(): Promise<void>;
}

function bytesSource(bytes: Uint8Array): SyncSource {
  return { size: bytes.length, read: (into, position) => into.set(bytes.subarray(position, position + into.length)), close: () => {} };
}

function openSync(source: ByteSource): SyncSource {
  if (source.kind === 'bytes') return bytesSource(source.bytes);
  const reader = FileReader.open(source.path, CODE);
  return { size: reader.size, read: (into, position) => reader.readInto(into, position), close: () => reader.close() };
}

async function openAsync(source: ByteSource): Promise<AsyncSource> {
  if (source.kind === 'bytes') {
    const s = bytesSource(source.bytes);
    return { size: s.size, read: async (into, position) => s.read(into, position), close: async () => {} };
  }
  const reader = await AsyncFileReader.open(source.path, CODE);
  return { size: reader.size, read: (into, position) => reader.readInto(into, position), close: () => reader.close() };
}

/** The first bytes of a source, enough for any .npy preamble and header. */
function headLength(size: number): number {
  return Math.min(size, 12 + MAX_NPY_HEADER);
}

/** The chunks of a layout's data: [position, length] pairs, whole elements each. */
function* chunks(layout: Layout): Generator<[number, number]> {
  const total = layout.count * SIZE[layout.dtype];
  for (let done = 0; done < total; done += CHUNK_BYTES) yield [layout.offset + done, Math.min(CHUNK_BYTES, total - done)];
}

interface Resolved {
  numNodes: number | undefined;
  dtype: EdgeIndexDType | undefined;
  weights: ByteSource | null;
}

function resolve(source: unknown, options: ReadEdgeIndexOptions | undefined, where: string): { index: ByteSource; opts: Resolved } {
  const opts = checkOptions(options, where, ['numNodes', 'dtype', 'weights']);
  const index = toByteSource('source', source, 'a path, file: URL, Uint8Array or ArrayBuffer');
  const numNodes = opts.numNodes === undefined ? undefined : checkInteger('numNodes', opts.numNodes, 0, MAX_ID + 1);
  const dtype: unknown = opts.dtype;
  if (dtype !== undefined && dtype !== 'int32' && dtype !== 'int64') {
    if (typeof dtype !== 'string') throw invalidArgType('dtype', "'int32' or 'int64'", dtype);
    throw invalidArgValue('dtype', "'int32' or 'int64'", dtype);
  }
  const weights = opts.weights === undefined ? null : toByteSource('weights', opts.weights, 'a path, file: URL, Uint8Array or ArrayBuffer');
  return { index, opts: { numNodes, dtype: dtype as EdgeIndexDType | undefined, weights } };
}

function finish(index: IndexSink, weights: WeightSink | null, opts: Resolved): EdgeIndexResult {
  const e = index.layout.edges;
  const numNodes = opts.numNodes ?? index.maxId + 1;
  const edgeWeight = weights === null ? null : weights.out;
  const graph = Graph.fromEdgeIndex(index.out, numNodes, edgeWeight === null ? undefined : { edgeWeight });
  return { graph, edgeWeight, numEdges: e, dtype: index.layout.dtype as EdgeIndexDType, format: index.layout.format };
}

function readSync<T extends IndexSink | WeightSink>(source: ByteSource, make: (head: Uint8Array, size: number) => T): T {
  const src = openSync(source);
  try {
    const head = new Uint8Array(headLength(src.size));
    src.read(head, 0);
    const sink = make(head, src.size);
    const buffer = new Uint8Array(Math.min(CHUNK_BYTES, sink.layout.count * SIZE[sink.layout.dtype]));
    for (const [position, length] of chunks(sink.layout)) {
      const chunk = buffer.subarray(0, length);
      src.read(chunk, position);
      sink.push(chunk);
    }
    return sink;
  } finally {
    src.close();
  }
}

async function readAsync<T extends IndexSink | WeightSink>(source: ByteSource, make: (head: Uint8Array, size: number) => T): Promise<T> {
  const src = await openAsync(source);
  try {
    const head = new Uint8Array(headLength(src.size));
    await src.read(head, 0);
    const sink = make(head, src.size);
    const buffer = new Uint8Array(Math.min(CHUNK_BYTES, sink.layout.count * SIZE[sink.layout.dtype]));
    for (const [position, length] of chunks(sink.layout)) {
      const chunk = buffer.subarray(0, length);
      await src.read(chunk, position);
      sink.push(chunk);
    }
    return sink;
  } finally {
    await src.close();
  }
}

function indexSink(opts: Resolved, label: string): (head: Uint8Array, size: number) => IndexSink {
  const limit = opts.numNodes ?? MAX_ID + 1;
  return (head, size) => new IndexSink(layoutOf(head, size, label, 'index', opts.dtype ?? 'int64', opts.dtype), label, limit);
}

/** Weights for `edges` edges: the count is checked from the header (or size) before reading. */
function weightSink(label: string, edges: number, indexLabel: string): (head: Uint8Array, size: number) => WeightSink {
  return (head, size) => {
    const layout = layoutOf(head, size, label, 'weights', 'float32', undefined);
    if (layout.count !== edges) fail(label, `expected ${edges} weights (one per edge of ${indexLabel}), got ${layout.count}`);
    return new WeightSink(layout, label);
  };
}

function weightLabel(source: ByteSource): string {
  return source.kind === 'bytes' ? 'the given weight bytes' : source.label;
}

/** Reads a binary edge_index (raw or .npy, see the module comment) synchronously. */
export function readEdgeIndexSync(source: PathOrBytes, options?: ReadEdgeIndexOptions): EdgeIndexResult {
  const { index, opts } = resolve(source, options, 'readEdgeIndexSync');
  const ids = readSync(index, indexSink(opts, index.label));
  const w = opts.weights === null ? null : readSync(opts.weights, weightSink(weightLabel(opts.weights), ids.layout.edges, index.label));
  return finish(ids, w, opts);
}

/** Reads a binary edge_index (raw or .npy, see the module comment); file reads are asynchronous. */
export async function readEdgeIndex(source: PathOrBytes, options?: ReadEdgeIndexOptions): Promise<EdgeIndexResult> {
  const { index, opts } = resolve(source, options, 'readEdgeIndex');
  const ids = await readAsync(index, indexSink(opts, index.label));
  const w = opts.weights === null ? null : await readAsync(opts.weights, weightSink(weightLabel(opts.weights), ids.layout.edges, index.label));
  return finish(ids, w, opts);
}
