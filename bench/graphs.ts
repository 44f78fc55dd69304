/** The benchmark graphs: generated (R-MAT, uniform) and real (Cora, PubMed structure from data/). */
import * as path from 'node:path';

import { Graph, loadPlanetoid, rmat, uniformRandomGraph } from '../lib/index';

export interface BenchGraph {
  name: string;
  graph: Graph;
  /** Real features when the dataset has them (Cora); otherwise generated. */
  note: string;
}

const DATA = path.resolve(__dirname, '..', '..', 'data');

export function benchGraph(name: string): BenchGraph {
  const m = /^(rmat|uniform)-(\d+)$/.exec(name);
  if (m !== null) {
    const scale = Number(m[2]);
    const graph =
      m[1] === 'rmat'
        ? rmat({ scale, edgeFactor: 16, seed: 1 })
        : uniformRandomGraph({ numNodes: 2 ** scale, numEdges: 16 * 2 ** scale, seed: 1 });
    return { name, graph, note: m[1] === 'rmat' ? 'Graph500 R-MAT, degree 16' : 'uniform random, degree 16' };
  }
  if (name === 'cora' || name === 'pubmed') {
    const d = loadPlanetoid(path.join(DATA, name));
    return { name, graph: d.graph, note: name === 'cora' ? 'Planetoid Cora' : 'Planetoid PubMed structure, generated features' };
  }
  throw new Error(`unknown benchmark graph ${name}`);
}
