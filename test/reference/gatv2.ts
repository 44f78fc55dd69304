/**
 * float64 reference for GATv2's attention logits over an edge list in the caller's order, with its
 * error bound: z = xl + xr rounds once, the slope product once, and the fma chain of one
 * accumulator per head has ceil(F/W) + log2(W) additions at W lanes, so
 * |ŝ − s| <= (chain + 3)·U·Σ_f |att_f·leaky(z_f)|.
 */
import type { EdgeList } from '../fixtures/graphs';
import type { Reference } from './rowops';

const U = 2 ** -24;
const TINY = 2 ** -149;

/** s[e, h] = Σ_f att[h, f]·leaky(xl[src, h, f] + xr[dst, h, f]), in the caller's edge order. */
export function gatv2ScoresReference(
  g: EdgeList,
  xl: Float32Array,
  xr: Float32Array,
  att: Float32Array,
  heads: number,
  slope: number,
  lanes: number,
): Reference {
  const width = att.length;
  const f = width / heads;
  const sl = Math.fround(slope);
  const e = g.src.length;
  const out = new Float64Array(e * heads);
  const bound = new Float64Array(e * heads);
  const chain = Math.ceil(f / lanes) + Math.ceil(Math.log2(lanes)) + 3;
  for (let k = 0; k < e; k++) {
    for (let h = 0; h < heads; h++) {
      let s = 0;
      let mag = 0;
      for (let c = 0; c < f; c++) {
        const z = xl[g.src[k] * width + h * f + c] + xr[g.dst[k] * width + h * f + c];
        const p = att[h * f + c] * (z > 0 ? z : sl * z);
        s += p;
        mag += Math.abs(p);
      }
      out[k * heads + h] = s;
      bound[k * heads + h] = chain * U * mag + TINY;
    }
  }
  return { out, bound };
}
