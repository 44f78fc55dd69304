/**
 * The pure-JavaScript baseline: a well-written CSR SpMM loop over typed arrays (offsets hoisted,
 * accumulation straight into the output row, no allocation), what a careful JS developer writes.
 */
export function jsSpmm(
  indptr: Int32Array,
  indices: Int32Array,
  x: Float32Array,
  width: number,
  out: Float32Array,
  reduce: 'sum' | 'max',
): void {
  const rows = indptr.length - 1;
  for (let v = 0; v < rows; v++) {
    const begin = indptr[v];
    const end = indptr[v + 1];
    const o = v * width;
    if (reduce === 'sum') {
      for (let c = 0; c < width; c++) out[o + c] = 0;
      for (let j = begin; j < end; j++) {
        const s = indices[j] * width;
        for (let c = 0; c < width; c++) out[o + c] += x[s + c];
      }
    } else {
      if (begin === end) {
        for (let c = 0; c < width; c++) out[o + c] = 0;
        continue;
      }
      const s0 = indices[begin] * width;
      for (let c = 0; c < width; c++) out[o + c] = x[s0 + c];
      for (let j = begin + 1; j < end; j++) {
        const s = indices[j] * width;
        for (let c = 0; c < width; c++) {
          const val = x[s + c];
          if (val > out[o + c]) out[o + c] = val;
        }
      }
    }
  }
}
