/**
 * CsrMatrix: a 2-D float32 matrix in compressed sparse rows, for node features that are mostly
 * zeros (bag-of-words inputs such as Cora's are ~99% zeros). `ops.linear` and every layer accept
 * one in place of a dense x: x · Wᵀ then runs as an SpMM over the nonzeros against Wᵀ (N·nnz_row·M
 * multiply-adds instead of N·K·M). Layers whose first step is not a linear map densify it once
 * (cached on the matrix).
 *
 * Internally the matrix is a bipartite Graph: row r's "in-edges" are its nonzero columns, with
 * the values as edge weights, so it runs on the same validated CSR and kernels as a graph.
 */
import { GnnError, invalidArgType } from './errors';
import { Graph } from './graph';
import { Tensor, checkTensor } from './tensor';

export class CsrMatrix {
  /** [rows, cols]. */
  readonly shape: readonly [number, number];
  readonly #graph: Graph;
  #dense: Tensor<'float32'> | null = null;

  private constructor(graph: Graph, cols: number) {
    this.#graph = graph;
    this.shape = [graph.numNodes, cols];
  }

  /** From CSR arrays: indptr [rows + 1], column indices and values [nnz]; copied and validated. */
  static fromCSR(indptr: Int32Array, indices: Int32Array, values: Float32Array, shape: readonly [number, number]): CsrMatrix {
    if (!Array.isArray(shape) || shape.length !== 2) throw invalidArgType('shape', 'a [rows, cols] pair', shape);
    const [rows, cols] = shape;
    if (indptr.length !== rows + 1) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `indptr: expected ${rows + 1} entries for ${rows} rows, got ${indptr.length}`);
    }
    if (!(values instanceof Float32Array)) throw invalidArgType('values', 'a Float32Array', values);
    return new CsrMatrix(Graph.fromCSR(indptr, indices, { numSrcNodes: cols, edgeWeight: values }), cols);
  }

  /** The nonzeros of a dense [rows, cols] float32 tensor (exact zeros dropped, -0 included). */
  static fromDense(x: Tensor<'float32'>): CsrMatrix {
    const t = checkTensor('x', x, 'float32', [2]);
    const [rows, cols] = t.shape;
    const d = t.data;
    let nnz = 0;
    for (let i = 0; i < d.length; i++) if (d[i] !== 0 || Object.is(d[i], -0)) nnz++;
    const indptr = new Int32Array(rows + 1);
    const indices = new Int32Array(nnz);
    const values = new Float32Array(nnz);
    let p = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = d[r * cols + c];
        if (v !== 0 || Object.is(v, -0)) {
          indices[p] = c;
          values[p++] = v;
        }
      }
      indptr[r + 1] = p;
    }
    return CsrMatrix.fromCSR(indptr, indices, values, [rows, cols]);
  }

  /** Number of stored entries. */
  get nnz(): number {
    return this.#graph.numEdges;
  }

  /** Stored entries over rows·cols. */
  get density(): number {
    return this.shape[0] * this.shape[1] === 0 ? 0 : this.nnz / (this.shape[0] * this.shape[1]);
  }

  /** The dense matrix (computed once and cached: do not modify it). */
  toDense(): Tensor<'float32'> {
    if (this.#dense === null) {
      const [rows, cols] = this.shape;
      const out = Tensor.zeros([rows, cols]);
      const indptr = this.#graph.indptr;
      const indices = this.#graph.indices;
      const values = this.#graph.edgeWeight!;
      for (let r = 0; r < rows; r++) {
        for (let p = Number(indptr[r]); p < Number(indptr[r + 1]); p++) out.data[r * cols + indices[p]] = values[p];
      }
      this.#dense = out;
    }
    return this.#dense;
  }

  /** The matrix as a weighted bipartite graph (rows ← columns). @internal */
  get graph(): Graph {
    return this.#graph;
  }

  toString(): string {
    return `CsrMatrix([${this.shape.join(', ')}], nnz ${this.nnz})`;
  }
}

/** Node features as the layers take them: dense, or sparse rows. */
export type Features = Tensor<'float32'> | CsrMatrix;

/** The dense form of features (a CsrMatrix densifies once, cached). */
export function denseFeatures(x: Features): Tensor<'float32'> {
  return x instanceof CsrMatrix ? x.toDense() : x;
}
