/** Small models, graphs and temp folders shared by the registry, Predictor and service tests. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Graph, Tensor, nn, randomValues, uniformRandomGraph } from '../../lib/index';

export const IN = 6;
export const CLASSES = 3;

/** A two-layer GCN (6 → 8 → 3) with seeded weights: different seeds give different outputs on every row. */
export function smallGcn(seed: number): nn.Sequential {
  const model = new nn.Sequential([
    ['conv1', new nn.GCNConv({ inChannels: IN, outChannels: 8 })],
    ['act', new nn.ReLU()],
    ['conv2', new nn.GCNConv({ inChannels: 8, outChannels: CLASSES })],
  ]);
  model.resetParameters({ seed });
  // PyTorch's initialisation zeroes GCN biases: give them values so no row is all zeros.
  for (const [name, t] of Object.entries(model.parameters())) {
    if (name.endsWith('bias')) t.data.set(randomValues(t.numel, seed + 100));
  }
  return model;
}

/** A random graph with its features. */
export function smallData(numNodes = 200, seed = 3): { graph: Graph; x: Tensor<'float32'> } {
  const graph = uniformRandomGraph({ numNodes, numEdges: numNodes * 4, seed });
  const x = Tensor.from(randomValues(numNodes * IN, seed + 1), [numNodes, IN]);
  return { graph, x };
}

/** A fresh empty folder under the OS temp folder; remove it with removeTemp. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `gnn-${prefix}-`));
}

export function removeTemp(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
