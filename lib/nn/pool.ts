/**
 * Global pooling (graph readout), as PyG's global_add_pool / global_mean_pool / global_max_pool
 * and DGL's SumPooling / AvgPooling / MaxPooling: one row per graph, reducing the rows of its
 * nodes. The graph of each node comes from `context.batch` (int32, one graph id per node, any
 * order; absent: every node is in graph 0, giving [1, F]); `context.numGraphs` (default: largest
 * id + 1) may add empty graphs, which pool to 0 under every reducer (as both frameworks).
 * Runs as an spmm over the node → graph assignment graph (the pooled rows are CSR rows).
 */
import { GnnError } from '../errors';
import { denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import { Graph } from '../graph';
import type { Reduce } from '../ops/spmm';
import { checkOptions } from '../validate';
import { oneOf } from './checks';
import { Module } from './module';
import type { ForwardContext } from './module';
import { op } from './steps';
import type { Steps } from './steps';

/** The CSR graph with one row per graph and, in row g, the nodes of graph g (ascending). @internal */
export function assignmentGraph(numNodes: number, batch: Int32Array | undefined, numGraphs: number | undefined): Graph {
  if (batch !== undefined && !(batch instanceof Int32Array)) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `context.batch: expected an Int32Array of ${numNodes} graph ids`);
  }
  if (batch !== undefined && batch.length !== numNodes) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `context.batch: expected one graph id per node (${numNodes}), got ${batch.length}`);
  }
  let maxId = batch === undefined ? (numNodes > 0 ? 0 : -1) : -1;
  if (batch !== undefined) {
    for (let i = 0; i < batch.length; i++) {
      const b = batch[i];
      if (b < 0) throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `context.batch[${i}]: expected a graph id >= 0, got ${b}`);
      if (b > maxId) maxId = b;
    }
  }
  const graphs = numGraphs ?? Math.max(maxId + 1, 1);
  if (!Number.isInteger(graphs) || graphs < maxId + 1) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `context.numGraphs: expected an integer >= ${maxId + 1} (the largest batch id + 1), got ${graphs}`);
  }
  const indptr = new Int32Array(graphs + 1);
  const indices = new Int32Array(numNodes);
  if (batch === undefined) {
    indptr.fill(numNodes, 1);
    for (let i = 0; i < numNodes; i++) indices[i] = i;
  } else {
    for (let i = 0; i < numNodes; i++) indptr[batch[i] + 1]++;
    for (let g = 0; g < graphs; g++) indptr[g + 1] += indptr[g];
    const next = indptr.slice(0, graphs);
    for (let i = 0; i < numNodes; i++) indices[next[batch[i]]++] = i;
  }
  return Graph.fromCSR(indptr, indices, { numSrcNodes: numNodes });
}

export type PoolReduce = 'add' | 'sum' | 'mean' | 'max' | 'min';

export class GlobalPool extends Module {
  readonly type: string;
  readonly reduce: Reduce;

  constructor(options: { reduce: PoolReduce }) {
    super();
    const o = checkOptions(options, 'GlobalPool', ['reduce']);
    const r = oneOf('reduce', o.reduce, ['add', 'sum', 'mean', 'max', 'min'] as const, 'add');
    this.reduce = r === 'add' ? 'sum' : r;
    this.type = `global_${this.reduce === 'sum' ? 'add' : this.reduce}_pool`;
  }

  protected args(): Record<string, unknown> {
    return { reduce: this.reduce };
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    void graph;
    const rows = x.shape[0];
    const dense = denseFeatures(x);
    const g = assignmentGraph(rows, context.batch, context.numGraphs).to(dense.device);
    const out = yield op.spmm(g, dense, { reduce: this.reduce });
    // A device copy of the assignment (made for this pass): released once the op is queued or done.
    if (g.device !== 'cpu') g.dispose();
    return out;
  }
}

/** PyG's global_add_pool. */
export class GlobalAddPool extends GlobalPool {
  constructor() {
    super({ reduce: 'add' });
  }
}

/** PyG's global_mean_pool. */
export class GlobalMeanPool extends GlobalPool {
  constructor() {
    super({ reduce: 'mean' });
  }
}

/** PyG's global_max_pool. */
export class GlobalMaxPool extends GlobalPool {
  constructor() {
    super({ reduce: 'max' });
  }
}
