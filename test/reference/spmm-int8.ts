/**
 * The int8-feature SpMM in float64, and a small symmetric int8 quantizer to build its inputs (the
 * tests do not depend on a native quantize op).
 *
 * Reference arithmetic: dequantize, then reduce, all in float64 over the caller's edge order:
 *   m = w[e, head] · (scale[u] · q[u, c])     (exact up to 2^-53)
 * The kernel forms c = fl32(w · scale) once per edge and accumulates fl32 FMAs (or products then
 * adds) of c · q. Bounds per output element, with u = 2^-24:
 *   sum:  (deg + 3) · u · Σ|m|   — one rounding for c, at most one for c · q, deg − 1 for the sum
 *   mean: the sum's bound / deg + u · |out|   (the division rounds once more)
 *   max / min: 2 · u · max|m| + 2^-50 · max|m|  — the selected message carries at most the
 *         roundings of c and of c · q, and |max(a') − max(a)| ≤ max_i |a'_i − a_i|
 * NaN and infinities must match exactly (the compare helper checks them by identity).
 */
import { QuantizedTensor } from '../../lib/quantized';
import { Tensor } from '../../lib/tensor';
import type { EdgeList } from '../fixtures/graphs';
import type { RefReduce, SpmmReference } from './spmm';

const U = 2 ** -24;

/** Symmetric int8: scale = max|x| / 127 per row (or for the tensor), q = round(x / scale); all-zero groups get scale 1. */
export function quantizeInt8(x: Float32Array, rows: number, width: number, granularity: 'row' | 'tensor'): QuantizedTensor {
  const q = new Int8Array(rows * width);
  const groups = granularity === 'row' ? rows : 1;
  const scale = new Float32Array(groups);
  for (let g = 0; g < groups; g++) {
    const begin = granularity === 'row' ? g * width : 0;
    const end = granularity === 'row' ? begin + width : rows * width;
    let amax = 0;
    for (let i = begin; i < end; i++) amax = Math.max(amax, Math.abs(x[i]));
    const s = amax === 0 ? 1 : Math.fround(amax / 127);
    scale[g] = s;
    for (let i = begin; i < end; i++) q[i] = Math.max(-127, Math.min(127, Math.round(x[i] / s)));
  }
  return new QuantizedTensor(Tensor.from(q, [rows, width]), scale);
}

export function spmmInt8Reference(
  g: EdgeList,
  x: QuantizedTensor,
  reduce: RefReduce,
  weights: Float32Array | null = null,
  heads = 1,
): SpmmReference {
  const width = x.shape[1];
  const q = x.data.data as Int8Array;
  const scale = x.scale;
  const perTensor = scale.length !== x.shape[0];
  const n = g.numNodes;
  const out = new Float64Array(n * width);
  const abs = new Float64Array(n * width);
  const deg = new Int32Array(n);
  const headWidth = width / heads;
  out.fill(reduce === 'max' ? -Infinity : reduce === 'min' ? Infinity : 0);
  for (let e = 0; e < g.src.length; e++) {
    const u = g.src[e];
    const v = g.dst[e];
    deg[v]++;
    const s = perTensor ? scale[0] : scale[u];
    for (let c = 0; c < width; c++) {
      const dequant = s * q[u * width + c];
      const m = weights === null ? dequant : weights[e * heads + Math.floor(c / headWidth)] * dequant;
      const i = v * width + c;
      if (reduce === 'max' || reduce === 'min') {
        abs[i] = Math.max(abs[i], Math.abs(m));
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
      if (reduce === 'max' || reduce === 'min') {
        bound[i] = (2 * U + 2 ** -50) * abs[i];
      } else {
        if (reduce === 'mean') out[i] /= deg[v];
        bound[i] = ((deg[v] + 3) * U * abs[i]) / (reduce === 'mean' ? deg[v] : 1) + (reduce === 'mean' ? U * Math.abs(out[i]) : 0);
      }
    }
  }
  return { out, bound };
}
