/** Loads the datasets copied into data/ (see data/README.md for their sources). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { loadPlanetoid } from '../../lib/io/index';
import type { PlanetoidDataset } from '../../lib/io/index';

export const DATA_DIR = path.resolve(__dirname, '..', '..', 'data');

const cache = new Map<string, PlanetoidDataset>();

export function dataset(name: 'cora' | 'citeseer' | 'pubmed'): PlanetoidDataset {
  let d = cache.get(name);
  if (d === undefined) {
    d = loadPlanetoid(path.join(DATA_DIR, name));
    cache.set(name, d);
  }
  return d;
}

/** Raw edge_index [2, E] of a dataset, as stored. */
export function rawEdgeIndex(name: 'cora' | 'citeseer' | 'pubmed'): Int32Array {
  const bytes = gunzipSync(fs.readFileSync(path.join(DATA_DIR, name, 'edge_index.i32.gz')));
  return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** PyG 2.6.1's gcn_norm weights for a dataset (edges, then one loop per node). */
export function pygGcnNormWeights(name: 'cora' | 'citeseer'): Float32Array {
  const bytes = gunzipSync(fs.readFileSync(path.join(DATA_DIR, 'reference', `${name}_pyg_gcn_norm_weight.f32.gz`)));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
