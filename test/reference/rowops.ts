/**
 * float64 references for the row ops, each with a per-element error bound that a float32 kernel
 * must meet. U = 2^-24 is float32's unit roundoff (half an ulp, relative).
 *
 * - add: fma(alpha, b, beta·a) rounds beta·a once and the sum once: U·(|beta·a| + |exact|).
 * - scale, concat, gather, copy-scatter: exact (one correctly rounded product, or copies).
 * - add-scatter: one rounding per update of a row: U·Σ|running value|.
 * - softmax / log-softmax: see softmaxReference.
 */

export const U = 2 ** -24;
/** Absolute slack for results in float32's subnormal range (one subnormal step). */
const TINY = 2 ** -149;

export interface Reference {
  out: Float64Array;
  bound: Float64Array;
}

/** beta·a + alpha·b, b of a's length or one row of `width` broadcast. */
export function addReference(a: Float32Array, b: Float32Array, width: number, alpha: number, beta: number): Reference {
  const al = Math.fround(alpha);
  const be = Math.fround(beta);
  const out = new Float64Array(a.length);
  const bound = new Float64Array(a.length);
  const broadcast = b.length !== a.length;
  for (let i = 0; i < a.length; i++) {
    const bv = broadcast ? b[i % width] : b[i];
    const ba = be * a[i];
    out[i] = al * bv + ba;
    bound[i] = U * (Math.abs(ba) * (be === 1 ? 0 : 1) + Math.abs(out[i])) + TINY;
  }
  return { out, bound };
}

/** s·x rounded to float32 (exact: a float64 product of two float32 values is exact). */
export function scaleReference(x: Float32Array, rows: number, s: number | Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  const width = rows === 0 ? 0 : x.length / rows;
  for (let i = 0; i < x.length; i++) {
    const f = typeof s === 'number' ? Math.fround(s) : s[Math.floor(i / width)];
    out[i] = f * x[i];
  }
  return out;
}

/**
 * Additions in one lane's chain of the softmax sum at a SIMD width W: four partial sums of
 * ceil(F / 4W) terms (plus the masked tail), then the pairwise and horizontal reduction.
 */
export function sumChainLength(width: number, lanes: number): number {
  return Math.ceil(width / (4 * lanes)) + 3 + Math.ceil(Math.log2(4 * lanes));
}

/**
 * Row-wise softmax (or log-softmax) in float64 with torch's special-value behaviour (computed
 * literally: m = max, NaN if any NaN; exp(x − m); an all −inf row gives −inf − −inf = NaN).
 *
 * Bounds, for row r with d_j = x_j − m, y_j the softmax and L = log Σ exp(d):
 * - x_j − m is rounded to float32 (relative error U·|d_j| in exp(d_j));
 * - exp is within ~2 ulp, the reciprocal and product add one rounding each;
 * - the sum carries U·(chain + Σ_k y_k·|d_k|) relative (each term's own error, weighted).
 * softmax:     |err_j| <= y_j · U · (|d_j| + Σ y|d| + 6 + chain)
 * log-softmax: |err_j| <= U · (|d_j| + |out_j| + 2|L| + Σ y|d| + 6 + chain)
 * `lanes` is the SIMD width of the level under test (1, 8 or 16), which sets the sum's chain.
 */
export function softmaxReference(x: Float32Array, width: number, log: boolean, lanes: number): Reference {
  const out = new Float64Array(x.length);
  const bound = new Float64Array(x.length);
  const rows = width === 0 ? 0 : x.length / width;
  const chain = sumChainLength(width, lanes);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let m = -Infinity;
    let nan = false;
    for (let j = 0; j < width; j++) {
      const v = x[base + j];
      if (Number.isNaN(v)) nan = true;
      else if (v > m) m = v;
    }
    if (nan) m = Number.NaN;
    let sum = 0;
    for (let j = 0; j < width; j++) sum += Math.exp(x[base + j] - m);
    const lse = Math.log(sum);
    let spread = 0; // Σ y_k |d_k|
    for (let j = 0; j < width; j++) {
      const d = x[base + j] - m;
      const y = Math.exp(d) / sum;
      if (y > 0) spread += y * Math.abs(d);
    }
    for (let j = 0; j < width; j++) {
      const d = x[base + j] - m;
      if (log) {
        const o = d - lse;
        out[base + j] = o;
        bound[base + j] = U * (Math.abs(d) + Math.abs(o) + 2 * Math.abs(lse) + spread + 6 + chain);
      } else {
        const y = Math.exp(d) / sum;
        out[base + j] = y;
        bound[base + j] = y * U * (Math.abs(d) + spread + 6 + chain) + 2 * TINY; // exp, then the product, may each round a subnormal
      }
    }
  }
  return { out, bound };
}

/** Concatenation along the last dimension of [rows, w_k] blocks. */
export function concatReference(parts: Float32Array[], rows: number): Float32Array {
  const widths = parts.map((p) => (rows === 0 ? 0 : p.length / rows));
  const total = widths.reduce((s, w) => s + w, 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let o = r * total;
    parts.forEach((p, k) => {
      out.set(p.subarray(r * widths[k], (r + 1) * widths[k]), o);
      o += widths[k];
    });
  }
  return out;
}

/** out[i] = x[index[i]], rows of `width`. */
export function gatherReference(x: Float32Array, width: number, index: Int32Array): Float32Array {
  const out = new Float32Array(index.length * width);
  index.forEach((v, i) => out.set(x.subarray(v * width, (v + 1) * width), i * width));
  return out;
}

/** target[index[i]] = src[i] in index order (the last duplicate wins). */
export function indexCopyReference(target: Float32Array, width: number, index: Int32Array, src: Float32Array): Float32Array {
  const out = Float32Array.from(target);
  index.forEach((v, i) => out.set(src.subarray(i * width, (i + 1) * width), v * width));
  return out;
}

/**
 * target[index[i]] += alpha·src[i] in index order, in float64, with a bound of one float32
 * rounding per update (each update is one fma on the kernel's side).
 */
export function indexAddReference(target: Float32Array, width: number, index: Int32Array, src: Float32Array, alpha: number): Reference {
  const al = Math.fround(alpha);
  const out = Float64Array.from(target);
  const bound = new Float64Array(target.length);
  index.forEach((v, i) => {
    for (let j = 0; j < width; j++) {
      out[v * width + j] += al * src[i * width + j];
      bound[v * width + j] += U * Math.abs(out[v * width + j]) + TINY;
    }
  });
  return { out, bound };
}
