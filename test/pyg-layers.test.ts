/**
 * Single-layer PyG reference models (data/models/layers, written by tools/make_layer_fixtures.py
 * through tools/export_pyg.py): each is loaded from its model.json + model.safetensors with strict
 * keys and run on the shared graph (self loops, duplicate edges, a hub, nodes without in-edges,
 * isolated nodes), against PyG's float32 eval-mode output.
 *
 * Tolerance: |ours − pyg| <= 4·d + 1e-6·max|out| per element, with d = max|f32 − f64| of PyG's own
 * output for that case (reference.json): float32 rounding in another summation order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { Graph, Tensor, loadModelSync } from '../lib/index';

const dir = path.resolve(__dirname, '..', 'data', 'models', 'layers');

interface FileInfo {
  path: string;
  shape: number[];
}
interface GraphJSON {
  num_nodes: number;
  num_edges: number;
  num_graphs: number;
  files: Record<'edge_index' | 'x' | 'edge_weight' | 'edge_attr' | 'batch', FileInfo>;
}
interface Reference {
  inputs: { edge_weight: boolean; edge_attr: boolean; batch: boolean };
  output: FileInfo;
  max_abs_out: number;
  max_abs_diff_f32_vs_f64: number;
}

function bytes(name: string): Uint8Array {
  const raw = fs.readFileSync(path.join(dir, name));
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  return copy;
}
const f32 = (name: string): Float32Array => new Float32Array(bytes(name).buffer);
const i32 = (name: string): Int32Array => new Int32Array(bytes(name).buffer);

const meta = JSON.parse(fs.readFileSync(path.join(dir, 'graph.json'), 'utf8')) as GraphJSON;
const edgeIndex = i32(meta.files.edge_index.path);
const x = Tensor.from(f32(meta.files.x.path), meta.files.x.shape);
const edgeWeight = f32(meta.files.edge_weight.path);
const edgeAttr = Tensor.from(f32(meta.files.edge_attr.path), meta.files.edge_attr.shape);
const batch = i32(meta.files.batch.path);
const plain = Graph.fromEdgeIndex(edgeIndex, meta.num_nodes);
const weighted = Graph.fromEdgeIndex(edgeIndex, meta.num_nodes, { edgeWeight });

const cases = (JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as { cases: string[] }).cases;


describe('PyG single-layer models (data/models/layers)', () => {
  it('has every case', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const id of cases) {
    it(`${id} matches PyG`, () => {
      const caseDir = path.join(dir, id);
      const ref = JSON.parse(fs.readFileSync(path.join(caseDir, 'reference.json'), 'utf8')) as Reference;
      const want = f32(path.join(id, ref.output.path));
      const model = loadModelSync(caseDir);
      const graph = ref.inputs.edge_weight ? weighted : plain;
      const context = {
        ...(ref.inputs.edge_attr ? { edgeAttr } : {}),
        ...(ref.inputs.batch ? { batch, numGraphs: meta.num_graphs } : {}),
      };
      const out = model.forwardSync(graph, x, context);
      expect(out.shape).toEqual(ref.output.shape);
      const bound = 4 * ref.max_abs_diff_f32_vs_f64 + 1e-6 * ref.max_abs_out;
      let worst = 0;
      let at = -1;
      for (let i = 0; i < want.length; i++) {
        const d = Math.abs(out.data[i] - want[i]);
        if (Number.isNaN(d)) {
          worst = d;
          at = i;
          break;
        }
        if (d > worst) {
          worst = d;
          at = i;
        }
      }
      const width = ref.output.shape[1];
      if (!(worst <= bound)) {
        throw new Error(
          `${id}: worst element [${Math.floor(at / width)}, ${at % width}]: ours ${out.data[at]}, PyG ${want[at]}, |diff| ${worst} > ${bound}`,
        );
      }
    });
  }
});
