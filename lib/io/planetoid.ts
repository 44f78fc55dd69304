/**
 * Reads a dataset stored as a `graph.json` plus raw little-endian arrays (the layout of the
 * Planetoid citation graphs shipped in `data/`): edge_index [2, E] int32, x [N, F] float32,
 * y [N] int32 and uint8 masks. Arrays may be gzip-compressed; checksums in graph.json are verified.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { GnnError } from '../errors';
import { Graph } from '../graph';
import { Tensor } from '../tensor';

interface FileEntry {
  path: string;
  dtype: 'float32' | 'int32' | 'uint8';
  shape: number[];
  compression: 'gzip' | null;
  sha256_uncompressed?: string;
}

interface GraphJson {
  name: string;
  num_nodes: number;
  num_classes?: number;
  files: Record<string, FileEntry>;
}

export interface PlanetoidDataset {
  name: string;
  graph: Graph;
  /** Node features [N, F], or null when the dataset ships none. */
  x: Tensor<'float32'> | null;
  /** Class labels [N]. */
  y: Tensor<'int32'> | null;
  trainMask: Uint8Array | null;
  valMask: Uint8Array | null;
  testMask: Uint8Array | null;
  numClasses: number;
}

function fail(dir: string, message: string): never {
  throw new GnnError('ERR_GNN_MODEL_FILE', `${dir}: ${message}`);
}

function readArray(dir: string, key: string, entry: FileEntry): Float32Array | Int32Array | Uint8Array {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(dir, entry.path));
  } catch (error) {
    fail(dir, `cannot read ${entry.path} (${(error as Error).message})`);
  }
  if (entry.compression === 'gzip') bytes = gunzipSync(bytes);
  if (entry.sha256_uncompressed !== undefined) {
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== entry.sha256_uncompressed) fail(dir, `${key}: checksum mismatch (file damaged?)`);
  }
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const Ctor = { float32: Float32Array, int32: Int32Array, uint8: Uint8Array }[entry.dtype];
  if (Ctor === undefined) fail(dir, `${key}: unsupported dtype ${String(entry.dtype)}`);
  if (bytes.byteLength !== count * Ctor.BYTES_PER_ELEMENT) {
    fail(dir, `${key}: expected ${count * Ctor.BYTES_PER_ELEMENT} bytes for shape [${entry.shape.join(', ')}], got ${bytes.byteLength}`);
  }
  // A copy, so the array is aligned and owns its memory.
  const out = new Ctor(count);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** Loads a dataset directory (see the module comment). */
export function loadPlanetoid(dir: string): PlanetoidDataset {
  let meta: GraphJson;
  try {
    meta = JSON.parse(fs.readFileSync(path.join(dir, 'graph.json'), 'utf8')) as GraphJson;
  } catch (error) {
    fail(dir, `cannot read graph.json (${(error as Error).message})`);
  }
  const files = meta.files ?? {};
  const get = (key: string): Float32Array | Int32Array | Uint8Array | null =>
    files[key] === undefined ? null : readArray(dir, key, files[key]);
  const edgeIndex = get('edge_index');
  if (!(edgeIndex instanceof Int32Array)) fail(dir, 'edge_index: missing or not int32');
  const graph = Graph.fromEdgeIndex(edgeIndex, meta.num_nodes);
  const x = get('x');
  const y = get('y');
  return {
    name: meta.name,
    graph,
    x: x instanceof Float32Array ? Tensor.from(x, files.x.shape) : null,
    y: y instanceof Int32Array ? Tensor.from(y) : null,
    trainMask: get('train_mask') as Uint8Array | null,
    valMask: get('val_mask') as Uint8Array | null,
    testMask: get('test_mask') as Uint8Array | null,
    numClasses: meta.num_classes ?? 0,
  };
}
