/**
 * Sizes whose products pass 2^31: nnz x F > 2^31 must simply work (64-bit offsets everywhere).
 */
import { describe, expect, it } from 'vitest';

import { Graph, Tensor, ops } from '../lib/index';
import { Random } from '../lib/generators/random';

describe('nnz x F beyond 2^31', () => {
  it('spmm with 2^24 + 2^20 edges and 136 columns (2.4e9 > 2^31) matches the reference on sampled rows', () => {
    const rows = 48;
    const cols = 40;
    const nnz = 2 ** 24 + 2 ** 20;
    const width = 136;
    expect(nnz * width).toBeGreaterThan(2 ** 31);
    const rng = new Random(5);
    const indptr = new Int32Array(rows + 1);
    for (let r = 0; r < rows; r++) indptr[r + 1] = Math.round(((r + 1) * nnz) / rows);
    indptr[5] = indptr[4]; // an empty row in the middle
    const indices = new Int32Array(nnz);
    for (let j = 0; j < nnz; j++) indices[j] = rng.uint32() % cols;
    const weights = new Float32Array(nnz);
    for (let j = 0; j < nnz; j++) weights[j] = (rng.uint32() % 7) - 3; // small integers: exact sums
    const g = Graph.fromCSR(indptr, indices, { numSrcNodes: cols, edgeWeight: weights });
    const x = new Float32Array(cols * width);
    for (let i = 0; i < x.length; i++) x[i] = (i % 5) - 2;
    const out = ops.spmmSync(g, Tensor.from(x, [cols, width]), { weights: 'graph' });
    for (const r of [0, 4, 5, rows - 1]) {
      for (const c of [0, 77, width - 1]) {
        let want = 0;
        for (let j = indptr[r]; j < indptr[r + 1]; j++) want += weights[j] * x[indices[j] * width + c];
        expect(out.data[r * width + c], `row ${r} col ${c}`).toBe(want);
      }
    }
  });
});
