/**
 * SparseWeight: a pruned linear weight [M, K] (PyTorch's [out_features, in_features]) in CSR by
 * output channel: row m lists the input channels k (increasing) where W[m, k] is nonzero and their
 * values.
 *   indptr  Int32Array [M + 1]   row m's nonzeros are indptr[m] .. indptr[m + 1] - 1
 *   indices Int32Array [nnz]     input-channel ids in [0, K), increasing within a row
 *   values  Float32Array [nnz]
 * The constructor checks all of it (O(M + nnz), natively). The kernel (ops.sparseWeightLinear)
 * reads a private copy made and validated on first use, so the arrays here cannot make a later call
 * read out of bounds; like a dense weight in `linear`, they must not be changed after that first
 * use (build a new SparseWeight instead).
 */
import { addon } from './backend';
import { invalidArgType, outOfRange } from './errors';
import { Tensor, checkTensor } from './tensor';
import { callSync } from './ops/common';

/** The arrays the kernel reads: private copies, validated when made. @internal */
export interface SparseWeightArrays {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

const kernelCopies = new WeakMap<SparseWeight, SparseWeightArrays>();

function checkDim(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) {
    throw outOfRange(name, 'an integer in [0, 2^31 - 1]', v);
  }
  return v;
}

export class SparseWeight {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;
  readonly #shape: readonly [number, number];

  /** shape: [M, K]. Throws a coded error for arrays of the wrong kind, length or contents. */
  constructor(shape: readonly [number, number], indptr: Int32Array, indices: Int32Array, values: Float32Array) {
    if (!Array.isArray(shape) || shape.length !== 2) throw invalidArgType('shape', 'an array [M, K]', shape);
    const m = checkDim('shape[0]', shape[0]);
    const k = checkDim('shape[1]', shape[1]);
    if (!(indptr instanceof Int32Array)) throw invalidArgType('indptr', 'an Int32Array', indptr);
    if (!(indices instanceof Int32Array)) throw invalidArgType('indices', 'an Int32Array', indices);
    if (!(values instanceof Float32Array)) throw invalidArgType('values', 'a Float32Array', values);
    callSync(() => addon().validateSparseWeight(indptr, indices, values, m, k));
    this.indptr = indptr;
    this.indices = indices;
    this.values = values;
    this.#shape = Object.freeze([m, k]) as readonly [number, number];
  }

  /** Keeps the nonzeros of a dense float32 weight [M, K] (exact zeros, -0 included, are dropped; NaN is kept). */
  static fromDense(weight: Tensor<'float32'>): SparseWeight {
    const w = checkTensor('weight', weight, 'float32', [2]);
    const [m, k] = w.shape;
    const data = w.data;
    const indptr = new Int32Array(m + 1);
    let nnz = 0;
    for (let i = 0; i < data.length; i++) if (data[i] !== 0) nnz++;
    const indices = new Int32Array(nnz);
    const values = new Float32Array(nnz);
    let p = 0;
    for (let r = 0; r < m; r++) {
      const row = r * k;
      for (let c = 0; c < k; c++) {
        const v = data[row + c];
        if (v !== 0) {
          indices[p] = c;
          values[p] = v;
          p++;
        }
      }
      indptr[r + 1] = p;
    }
    return new SparseWeight([m, k], indptr, indices, values);
  }

  /** The dense weight [M, K], zeros where nothing is stored. */
  toDense(): Tensor<'float32'> {
    const [m, k] = this.#shape;
    const out = Tensor.zeros([m, k]);
    for (let r = 0; r < m; r++) {
      for (let p = this.indptr[r]; p < this.indptr[r + 1]; p++) out.data[r * k + this.indices[p]] = this.values[p];
    }
    return out;
  }

  /** [M, K]. */
  get shape(): readonly [number, number] {
    return this.#shape;
  }

  /** Stored nonzeros. */
  get nnz(): number {
    return this.indices.length;
  }

  /** nnz / (M K); 0 for an empty shape. */
  get density(): number {
    const total = this.#shape[0] * this.#shape[1];
    return total === 0 ? 0 : this.nnz / total;
  }

  /** Bytes of indptr, indices and values. */
  get byteLength(): number {
    return this.indptr.byteLength + this.indices.byteLength + this.values.byteLength;
  }
}

/**
 * The arrays the kernel reads: copied from the weight on first use and validated natively as
 * copied, then cached beside it (a WeakMap, so they live as long as the weight). @internal
 */
export function sparseWeightArrays(w: SparseWeight): SparseWeightArrays {
  let c = kernelCopies.get(w);
  if (c === undefined) {
    const copies = { indptr: w.indptr.slice(), indices: w.indices.slice(), values: w.values.slice() };
    const [m, k] = w.shape;
    callSync(() => addon().validateSparseWeight(copies.indptr, copies.indices, copies.values, m, k));
    c = copies;
    kernelCopies.set(w, c);
  }
  return c;
}
