/**
 * Plain float64 SpMM over an edge list in the caller's order, with a per-element error bound for
 * comparing a float32 kernel: sums carry (deg + 2) · 2^-24 · Σ|terms| (every rounding of any
 * summation order, FMA or not), max / min are exact (the message w·x is rounded to float32 first,
 * as the kernel does).
 */
import type { EdgeList } from '../fixtures/graphs';

export type RefReduce = 'sum' | 'mean' | 'max' | 'min';

export interface SpmmReference {
  out: Float64Array;
  bound: Float64Array;
}

const U = 2 ** -24;

export function spmmReference(
  g: EdgeList,
  x: Float32Array,
  width: number,
  reduce: RefReduce,
  weights: Float32Array | null = null,
  heads = 1,
): SpmmReference {
  const n = g.numNodes;
  const out = new Float64Array(n * width);
  const abs = new Float64Array(n * width);
  const deg = new Int32Array(n);
  const headWidth = width / heads;
  const init = reduce === 'max' ? -Infinity : reduce === 'min' ? Infinity : 0;
  out.fill(init);
  for (let e = 0; e < g.src.length; e++) {
    const u = g.src[e];
    const v = g.dst[e];
    deg[v]++;
    for (let c = 0; c < width; c++) {
      const xv = x[u * width + c];
      let m = weights === null ? xv : weights[e * heads + Math.floor(c / headWidth)] * xv;
      const i = v * width + c;
      if (reduce === 'max' || reduce === 'min') {
        m = Math.fround(m);
        const cur = out[i];
        if (Number.isNaN(cur)) continue;
        if (Number.isNaN(m) || (reduce === 'max' ? m > cur : m < cur)) out[i] = m;
      } else {
        out[i] += m;
        abs[i] += Math.abs(m);
      }
    }
  }
  const bound = new Float64Array(n * width);
  for (let v = 0; v < n; v++) {
    for (let c = 0; c < width; c++) {
      const i = v * width + c;
      if (deg[v] === 0) {
        out[i] = 0;
        continue;
      }
      if (reduce === 'mean') out[i] /= deg[v];
      if (reduce === 'sum' || reduce === 'mean') {
        bound[i] = ((deg[v] + 2) * U * abs[i]) / (reduce === 'mean' ? deg[v] : 1) + (reduce === 'mean' ? U * Math.abs(out[i]) : 0);
      }
    }
  }
  return { out, bound };
}
