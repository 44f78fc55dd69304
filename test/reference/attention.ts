/**
 * float64 references for sddmm, edge softmax and GAT aggregation over an edge list in the caller's
 * order, written from PyG's / DGL's definitions (softmax per destination and head with the maximum
 * subtracted; -inf scores weigh 0; a destination whose scores are all -inf gets zeros).
 */
import type { EdgeList } from '../fixtures/graphs';

const U = 2 ** -24;

export function sddmmReference(
  g: EdgeList,
  u: Float32Array,
  uWidth: number,
  v: Float32Array,
  vWidth: number,
  op: 'dot' | 'add' | 'sub' | 'mul',
  heads = 1,
): { out: Float64Array; bound: Float64Array; width: number } {
  const e = g.src.length;
  if (op === 'dot') {
    const f = uWidth / heads;
    const out = new Float64Array(e * heads);
    const bound = new Float64Array(e * heads);
    for (let k = 0; k < e; k++) {
      for (let h = 0; h < heads; h++) {
        let s = 0;
        let a = 0;
        for (let c = 0; c < f; c++) {
          const p = u[g.src[k] * uWidth + h * f + c] * v[g.dst[k] * vWidth + h * f + c];
          s += p;
          a += Math.abs(p);
        }
        out[k * heads + h] = s;
        bound[k * heads + h] = (f + 2) * U * a;
      }
    }
    return { out, bound, width: heads };
  }
  const d = Math.max(uWidth, vWidth);
  const ru = d / uWidth;
  const rv = d / vWidth;
  const out = new Float64Array(e * d);
  const bound = new Float64Array(e * d);
  for (let k = 0; k < e; k++) {
    for (let c = 0; c < d; c++) {
      const a = u[g.src[k] * uWidth + Math.floor(c / ru)];
      const b = v[g.dst[k] * vWidth + Math.floor(c / rv)];
      const r = op === 'add' ? a + b : op === 'sub' ? a - b : a * b;
      out[k * d + c] = r;
      bound[k * d + c] = 0.5 * U * Math.abs(r) * 2; // one float32 rounding
    }
  }
  return { out, bound, width: d };
}

/** Row groups: the caller-order edge ids of each destination. */
export function edgesByDestination(g: EdgeList): number[][] {
  const rows: number[][] = Array.from({ length: g.numNodes }, () => []);
  for (let k = 0; k < g.dst.length; k++) rows[g.dst[k]].push(k);
  return rows;
}

/**
 * Relative error bound of a float32 softmax weight: exp within ~2 ulp, the sum's deg roundings and
 * the division, plus the rounding of s - max inside exp (|s - max| u/2 for the numerator, at most
 * max |s_j - max| u/2 through the sum). Large-magnitude scores (±80) make the last terms count.
 */
function softmaxRelativeBound(deg: number, spread: number, span: number): number {
  return (deg + 8) * U + (spread + span) * U;
}

export function edgeSoftmaxReference(g: EdgeList, scores: Float32Array, heads: number): { out: Float64Array; bound: Float64Array } {
  const out = new Float64Array(scores.length);
  const bound = new Float64Array(scores.length);
  for (const edges of edgesByDestination(g)) {
    for (let h = 0; h < heads; h++) {
      const r = softmaxRow(edges.map((k) => scores[k * heads + h]));
      edges.forEach((k, i) => {
        out[k * heads + h] = r.alpha[i];
        bound[k * heads + h] = r.relBound[i] * Math.abs(r.alpha[i]) + 2 ** -140;
      });
    }
  }
  return { out, bound };
}

/** Softmax of one destination's scores with PyG's semantics plus our -inf rule, and error bounds. */
function softmaxRow(scores: number[]): { alpha: number[]; relBound: number[] } {
  let m = -Infinity;
  let nan = false;
  for (const s of scores) {
    if (Number.isNaN(s)) nan = true;
    else if (s > m) m = s;
  }
  let sum = 0;
  let span = 0;
  for (const s of scores) {
    if (s === -Infinity) continue;
    sum += Math.exp(s - m);
    span = Math.max(span, Math.abs(s - m));
  }
  const alpha = scores.map((s) => (nan ? Number.NaN : m === -Infinity || s === -Infinity ? 0 : Math.exp(s - m) / sum));
  const relBound = scores.map((s) => softmaxRelativeBound(scores.length, s === -Infinity ? 0 : Math.abs(s - m), span));
  return { alpha, relBound };
}

export interface GatReference {
  out: Float64Array;
  bound: Float64Array;
  attention: Float64Array;
  attentionBound: Float64Array;
}

/**
 * GAT aggregation from float32 scores computed exactly as the kernel does (each add and the slope
 * product rounded to float32), then the softmax and the weighted sum in float64.
 */
export function gatReference(
  g: EdgeList,
  x: Float32Array,
  heads: number,
  f: number,
  aSrc: Float32Array,
  aDst: Float32Array,
  edgeTerm: Float32Array | null,
  slope: number,
): GatReference {
  const e = g.src.length;
  const fr = Math.fround;
  const scores = new Float32Array(e * heads);
  for (let k = 0; k < e; k++) {
    for (let h = 0; h < heads; h++) {
      let s = fr(aSrc[g.src[k] * heads + h] + aDst[g.dst[k] * heads + h]);
      if (edgeTerm !== null) s = fr(s + edgeTerm[k * heads + h]);
      scores[k * heads + h] = s > 0 ? s : fr(fr(slope) * s);
    }
  }
  const width = heads * f;
  const out = new Float64Array(g.numNodes * width);
  const bound = new Float64Array(g.numNodes * width);
  const attention = new Float64Array(e * heads);
  const attentionBound = new Float64Array(e * heads);
  for (const [v, edges] of edgesByDestination(g).entries()) {
    for (let h = 0; h < heads; h++) {
      const r = softmaxRow(edges.map((k) => scores[k * heads + h]));
      edges.forEach((k, i) => {
        attention[k * heads + h] = r.alpha[i];
        attentionBound[k * heads + h] = r.relBound[i] * Math.abs(r.alpha[i]) + 2 ** -140;
      });
      for (let c = 0; c < f; c++) {
        let acc = 0;
        let err = 0;
        let absAcc = 0;
        edges.forEach((k, i) => {
          const t = r.alpha[i] * x[g.src[k] * width + h * f + c];
          acc += t;
          absAcc += Math.abs(t);
          err += r.relBound[i] * Math.abs(t);
        });
        out[v * width + h * f + c] = acc;
        // The weights' errors, the sum's roundings (the online rescaling adds one per edge).
        bound[v * width + h * f + c] = err + (2 * edges.length + 4) * U * absAcc + 2 ** -140;
      }
    }
  }
  return { out, bound, attention, attentionBound };
}
