/**
 * float64 references for columnAffine, layerNorm and PyG's graph-mode LayerNorm,
 * each with the per-element error bound a float32 kernel must meet (U = 2^-24, float32's unit
 * roundoff).
 *
 * - columnAffine: one fma (or one product, or one sum): U·|out|.
 * - layer norms, for a group (a row, or a graph's rows) of n values with mean m, r = the factor
 *   on x − m (1/sqrt(var + eps), or PyG's 1/(std + eps)), t = (x − m)·r, y = t·w + b:
 *     |t̂ − t| <= U·K·(|t| + A + r·D),   K = C + 8,
 *   where C is the float32 addition chain of the kernel's sums (two partial vectors per lane:
 *   ceil(n_row / 2W) + log2(2W) + 4 for W lanes), A = mean|x − m|·r (the mean's error comes from
 *   sums of |x − m|, about 1 for any row), and D = U·|m| + C·U·mean|x − x0| bounds how far the
 *   float32 mean hi is from m (x0 the pivot). The row's mean itself cancels exactly: rows of mean
 *   1e4 get the same bound as centred ones. Then |ŷ − y| <= |w|·|t̂ − t| + U·|y|.
 */
import type { Reference } from './rowops';

export const U = 2 ** -24;
const TINY = 2 ** -149;

/** out = x·scale + shift per column; null scale is 1, null shift 0. */
export function columnAffineReference(x: Float32Array, width: number, scale: Float32Array | null, shift: Float32Array | null): Reference {
  const out = new Float64Array(x.length);
  const bound = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % width;
    out[i] = x[i] * (scale === null ? 1 : scale[c]) + (shift === null ? 0 : shift[c]);
    bound[i] = U * Math.abs(out[i]) + TINY;
  }
  return { out, bound };
}

/** Additions in one lane's chain of the kernels' two-accumulator row sums. */
export function normChainLength(width: number, lanes: number): number {
  return Math.ceil(width / (2 * lanes)) + Math.ceil(Math.log2(2 * lanes)) + 4;
}

interface Group {
  rows: number[];
}

/** Normalises each group of rows (all of their elements together), writing out and bound. */
function normalizeGroups(
  x: Float32Array,
  width: number,
  groups: Group[],
  weight: Float32Array | null,
  bias: Float32Array | null,
  eps: number,
  epsOnStd: boolean,
  lanes: number,
): Reference {
  const out = new Float64Array(x.length);
  const bound = new Float64Array(x.length);
  const e = Math.fround(eps);
  const chain = normChainLength(width, lanes);
  for (const g of groups) {
    if (g.rows.length === 0) continue;
    const n = g.rows.length * width;
    let s = 0;
    for (const r of g.rows) for (let c = 0; c < width; c++) s += x[r * width + c];
    const m = s / n;
    let q = 0;
    let dev = 0;
    const x0 = x[g.rows[0] * width];
    let devPivot = 0;
    for (const r of g.rows) {
      for (let c = 0; c < width; c++) {
        const d = x[r * width + c] - m;
        q += d * d;
        dev += Math.abs(d);
        devPivot += Math.abs(x[r * width + c] - x0);
      }
    }
    const variance = q / n;
    const rstd = epsOnStd ? 1 / (Math.sqrt(variance) + e) : 1 / Math.sqrt(variance + e);
    const a = (dev / n) * rstd;
    const dm = U * Math.abs(m) + chain * U * (devPivot / n);
    const k = chain + 8;
    for (const r of g.rows) {
      for (let c = 0; c < width; c++) {
        const i = r * width + c;
        const t = (x[i] - m) * rstd;
        const w = weight === null ? 1 : weight[c];
        const y = t * w + (bias === null ? 0 : bias[c]);
        out[i] = y;
        bound[i] = Math.abs(w) * U * k * (Math.abs(t) + a + rstd * dm) + U * Math.abs(y) + TINY;
      }
    }
  }
  return { out, bound };
}

/** torch.nn.functional.layer_norm over the last dimension. */
export function layerNormReference(
  x: Float32Array,
  width: number,
  weight: Float32Array | null,
  bias: Float32Array | null,
  eps: number,
  lanes: number,
): Reference {
  const rows = width === 0 ? 0 : x.length / width;
  const groups = Array.from({ length: rows }, (_, r) => ({ rows: [r] }));
  return normalizeGroups(x, width, groups, weight, bias, eps, false, lanes);
}

/**
 * PyG LayerNorm(mode='graph') as PyG computes it: with batch, (x − μ_g)/sqrt(var_g + eps); without,
 * (x − μ)/(std + eps); then ·weight + bias.
 */
export function graphLayerNormReference(
  x: Float32Array,
  width: number,
  batch: Int32Array | null,
  weight: Float32Array | null,
  bias: Float32Array | null,
  eps: number,
  lanes: number,
): Reference {
  const rows = width === 0 ? 0 : x.length / width;
  let groups: Group[];
  if (batch === null) {
    groups = [{ rows: Array.from({ length: rows }, (_, r) => r) }];
  } else {
    groups = [];
    for (let r = 0; r < rows; r++) {
      while (groups.length <= batch[r]) groups.push({ rows: [] });
      groups[batch[r]].rows.push(r);
    }
  }
  return normalizeGroups(x, width, groups, weight, bias, eps, batch === null, lanes);
}
