/**
 * Float64 references for the layers, written from the formulas in the project's shared/reference/semantics.md
 * §2–3 (PyG and DGL), on edge lists in the caller's order. Straightforward loops, no shared code
 * with lib/nn: each layer is re-derived from its definition.
 */

export interface RefGraph {
  n: number;
  src: Int32Array;
  dst: Int32Array;
  /** Edge weights (null: unweighted). */
  w: Float32Array | null;
}

export type Mat = Float64Array;

/** x [rows, k] · Wᵀ (W [m, k], float32) + b. */
export function lin(x: ArrayLike<number>, rows: number, k: number, w: ArrayLike<number>, m: number, b?: ArrayLike<number> | null): Mat {
  const out = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < m; j++) {
      let s = b ? b[j] : 0;
      for (let c = 0; c < k; c++) s += x[r * k + c] * w[j * k + c];
      out[r * m + j] = s;
    }
  }
  return out;
}

export function relu(x: Mat): Mat {
  return x.map((v) => (v > 0 ? v : 0));
}

/** out[v] = REDUCE over edges u->v of coef_e · x[u] (empty neighbourhood: 0). */
export function aggregate(g: RefGraph, x: ArrayLike<number>, f: number, reduce: 'sum' | 'mean' | 'max' | 'min', coef?: ArrayLike<number> | null): Mat {
  const out = new Float64Array(g.n * f);
  const count = new Int32Array(g.n);
  const init = reduce === 'max' ? -Infinity : reduce === 'min' ? Infinity : 0;
  out.fill(init);
  for (let e = 0; e < g.src.length; e++) {
    const u = g.src[e];
    const v = g.dst[e];
    const c = coef ? coef[e] : 1;
    count[v]++;
    for (let j = 0; j < f; j++) {
      const m = c * x[u * f + j];
      const o = v * f + j;
      if (reduce === 'max') out[o] = Math.max(out[o], m);
      else if (reduce === 'min') out[o] = Math.min(out[o], m);
      else out[o] += m;
    }
  }
  for (let v = 0; v < g.n; v++) {
    for (let j = 0; j < f; j++) {
      const o = v * f + j;
      if (count[v] === 0) out[o] = 0;
      else if (reduce === 'mean') out[o] /= count[v];
    }
  }
  return out;
}

/** remove_self_loops then one loop per node (weight: the node's last loop's, else fill). */
export function addRemainingLoops(g: RefGraph, fill: number): RefGraph {
  const src: number[] = [];
  const dst: number[] = [];
  const w: number[] = [];
  const loopW = new Float64Array(g.n).fill(fill);
  for (let e = 0; e < g.src.length; e++) {
    if (g.src[e] === g.dst[e]) {
      if (g.w) loopW[g.src[e]] = g.w[e];
      continue;
    }
    src.push(g.src[e]);
    dst.push(g.dst[e]);
    w.push(g.w ? g.w[e] : 1);
  }
  for (let v = 0; v < g.n; v++) {
    src.push(v);
    dst.push(v);
    w.push(g.w ? loopW[v] : 1);
  }
  return { n: g.n, src: Int32Array.from(src), dst: Int32Array.from(dst), w: Float32Array.from(w) };
}

/** PyG gcn_norm coefficients (target-side weighted degree at both ends). */
export function gcnCoef(g: RefGraph, loops: boolean, improved: boolean): { g: RefGraph; coef: Float64Array } {
  const h = loops ? addRemainingLoops(g, improved && g.w !== null ? 2 : 1) : { ...g, w: g.w ?? new Float32Array(g.src.length).fill(1) };
  const deg = new Float64Array(g.n);
  for (let e = 0; e < h.src.length; e++) deg[h.dst[e]] += h.w![e];
  const coef = Float64Array.from(h.src, (u, e) => {
    const a = deg[u] > 0 ? 1 / Math.sqrt(deg[u]) : 0;
    const b = deg[h.dst[e]] > 0 ? 1 / Math.sqrt(deg[h.dst[e]]) : 0;
    return a * h.w![e] * b;
  });
  return { g: h, coef };
}

/** DGL 'both' coefficients: w · max(outdeg u, 1)^-1/2 · max(indeg v, 1)^-1/2 (unweighted counts). */
export function dglBothCoef(g: RefGraph, inDegreeBothSides = false): Float64Array {
  const indeg = new Float64Array(g.n);
  const outdeg = new Float64Array(g.n);
  for (let e = 0; e < g.src.length; e++) {
    indeg[g.dst[e]]++;
    outdeg[g.src[e]]++;
  }
  const left = inDegreeBothSides ? indeg : outdeg;
  return Float64Array.from(g.src, (u, e) => (g.w ? g.w[e] : 1) / Math.sqrt(Math.max(left[u], 1) * Math.max(indeg[g.dst[e]], 1)));
}

export function addRows(a: Mat, b: ArrayLike<number>, width: number): Mat {
  return a.map((v, i) => v + b[i % width]);
}

export function gcnPyg(g: RefGraph, x: ArrayLike<number>, fin: number, w: ArrayLike<number>, fout: number, bias: ArrayLike<number> | null, o: { loops: boolean; improved: boolean; normalize: boolean }): Mat {
  const h = lin(x, g.n, fin, w, fout);
  let out: Mat;
  if (o.normalize) {
    const { g: gl, coef } = gcnCoef(g, o.loops, o.improved);
    out = aggregate(gl, h, fout, 'sum', coef);
  } else {
    out = aggregate(g, h, fout, 'sum', g.w);
  }
  return bias ? addRows(out, bias, fout) : out;
}

export function gcnDgl(g: RefGraph, x: ArrayLike<number>, fin: number, w: ArrayLike<number>, fout: number, bias: ArrayLike<number> | null): Mat {
  const agg = aggregate(g, x, fin, 'sum', dglBothCoef(g));
  return lin(agg, g.n, fin, w, fout, bias);
}

/** PyG GATConv (loops: remove + one per node), concat or mean, + bias. */
export function gat(
  g: RefGraph, x: ArrayLike<number>, fin: number,
  p: { w: ArrayLike<number>; attSrc: ArrayLike<number>; attDst: ArrayLike<number>; bias: ArrayLike<number> | null; edgeTerm?: Float64Array },
  o: { heads: number; out: number; concat: boolean; slope: number; loops: boolean },
): Mat {
  const H = o.heads;
  const C = o.out;
  const gl = o.loops ? addRemainingLoops({ ...g, w: null }, 1) : g;
  const h = lin(x, g.n, fin, p.w, H * C);
  const as = new Float64Array(g.n * H);
  const ad = new Float64Array(g.n * H);
  for (let v = 0; v < g.n; v++) {
    for (let k = 0; k < H; k++) {
      for (let c = 0; c < C; c++) {
        as[v * H + k] += h[v * H * C + k * C + c] * p.attSrc[k * C + c];
        ad[v * H + k] += h[v * H * C + k * C + c] * p.attDst[k * C + c];
      }
    }
  }
  const E = gl.src.length;
  const score = new Float64Array(E * H);
  const mx = new Float64Array(g.n * H).fill(-Infinity);
  for (let e = 0; e < E; e++) {
    for (let k = 0; k < H; k++) {
      let s = as[gl.src[e] * H + k] + ad[gl.dst[e] * H + k] + (p.edgeTerm ? p.edgeTerm[e * H + k] : 0);
      s = s > 0 ? s : o.slope * s;
      score[e * H + k] = s;
      mx[gl.dst[e] * H + k] = Math.max(mx[gl.dst[e] * H + k], s);
    }
  }
  const den = new Float64Array(g.n * H);
  for (let e = 0; e < E; e++) for (let k = 0; k < H; k++) den[gl.dst[e] * H + k] += Math.exp(score[e * H + k] - mx[gl.dst[e] * H + k]);
  const out = new Float64Array(g.n * H * C);
  for (let e = 0; e < E; e++) {
    const u = gl.src[e];
    const v = gl.dst[e];
    for (let k = 0; k < H; k++) {
      const a = Math.exp(score[e * H + k] - mx[v * H + k]) / den[v * H + k];
      for (let c = 0; c < C; c++) out[v * H * C + k * C + c] += a * h[u * H * C + k * C + c];
    }
  }
  let res: Mat = out;
  if (!o.concat) {
    res = new Float64Array(g.n * C);
    for (let v = 0; v < g.n; v++) for (let k = 0; k < H; k++) for (let c = 0; c < C; c++) res[v * C + c] += out[v * H * C + k * C + c] / H;
  }
  const width = o.concat ? H * C : C;
  return p.bias ? addRows(res, p.bias, width) : res;
}

/** PyG SAGEConv. */
export function sage(
  g: RefGraph, x: ArrayLike<number>, fin: number,
  p: { linL: ArrayLike<number>; biasL: ArrayLike<number> | null; linR: ArrayLike<number> | null; lin?: ArrayLike<number>; linBias?: ArrayLike<number> },
  o: { out: number; aggr: 'sum' | 'mean' | 'max' | 'min'; normalize: boolean; weighted?: boolean },
): Mat {
  const src = p.lin ? relu(lin(x, g.n, fin, p.lin, fin, p.linBias)) : x;
  const agg = aggregate(g, src, fin, o.aggr, o.weighted ? g.w : null);
  let out = lin(agg, g.n, fin, p.linL, o.out, p.biasL);
  if (p.linR) {
    const r = lin(x, g.n, fin, p.linR, o.out);
    out = out.map((v, i) => v + r[i]);
  }
  if (o.normalize) {
    for (let v = 0; v < g.n; v++) {
      let s = 0;
      for (let j = 0; j < o.out; j++) s += out[v * o.out + j] ** 2;
      const d = Math.max(Math.sqrt(s), 1e-12);
      for (let j = 0; j < o.out; j++) out[v * o.out + j] /= d;
    }
  }
  return out;
}

/** GIN with an MLP Linear → ReLU → Linear. */
export function gin(g: RefGraph, x: ArrayLike<number>, fin: number, eps: number, mlp: { w1: ArrayLike<number>; b1: ArrayLike<number>; hid: number; w2: ArrayLike<number>; b2: ArrayLike<number>; out: number }, weighted = false): Mat {
  const agg = aggregate(g, x, fin, 'sum', weighted ? g.w : null);
  const z = agg.map((v, i) => v + (1 + eps) * x[i]);
  return lin(relu(lin(z, g.n, fin, mlp.w1, mlp.hid, mlp.b1)), g.n, mlp.hid, mlp.w2, mlp.out, mlp.b2);
}

/** PyG GraphConv: lin_rel(AGG w·x_j) + b + lin_root(x_i). */
export function graphConv(g: RefGraph, x: ArrayLike<number>, fin: number, p: { rel: ArrayLike<number>; bias: ArrayLike<number>; root: ArrayLike<number> }, out: number, aggr: 'sum' | 'mean' | 'max'): Mat {
  const agg = aggregate(g, x, fin, aggr, g.w);
  const a = lin(agg, g.n, fin, p.rel, out, p.bias);
  const r = lin(x, g.n, fin, p.root, out);
  return a.map((v, i) => v + r[i]);
}

/** K propagations with given coefficients. */
export function propagate(g: RefGraph, x: ArrayLike<number>, f: number, coef: ArrayLike<number>, k: number): Mat {
  let h: Mat = Float64Array.from(x);
  for (let i = 0; i < k; i++) h = aggregate(g, h, f, 'sum', coef);
  return h;
}

export function appnp(g: RefGraph, x: ArrayLike<number>, f: number, coef: ArrayLike<number>, k: number, alpha: number): Mat {
  let h: Mat = Float64Array.from(x);
  for (let i = 0; i < k; i++) {
    const z = aggregate(g, h, f, 'sum', coef);
    h = z.map((v, j) => (1 - alpha) * v + alpha * x[j]);
  }
  return h;
}

/** PyG ChebConv, normalization 'sym', λ_max 2: L̂ = −D^-1/2 A D^-1/2 (loops removed, source degree). */
export function chebPygSym(g: RefGraph, x: ArrayLike<number>, fin: number, lins: ArrayLike<number>[], bias: ArrayLike<number> | null, out: number): Mat {
  const keep: number[] = [];
  for (let e = 0; e < g.src.length; e++) if (g.src[e] !== g.dst[e]) keep.push(e);
  const h: RefGraph = { n: g.n, src: Int32Array.from(keep, (e) => g.src[e]), dst: Int32Array.from(keep, (e) => g.dst[e]), w: g.w ? Float32Array.from(keep, (e) => g.w![e]) : null };
  const deg = new Float64Array(g.n);
  for (let e = 0; e < h.src.length; e++) deg[h.src[e]] += h.w ? h.w[e] : 1;
  const coef = Float64Array.from(h.src, (u, e) => -((h.w ? h.w[e] : 1) / Math.sqrt(deg[u] * deg[h.dst[e]])));
  const T: Mat[] = [Float64Array.from(x)];
  if (lins.length > 1) T.push(aggregate(h, x, fin, 'sum', coef));
  for (let k = 2; k < lins.length; k++) {
    const a = aggregate(h, T[k - 1], fin, 'sum', coef);
    T.push(a.map((v, i) => 2 * v - T[k - 2][i]));
  }
  let res = new Float64Array(g.n * out);
  for (let k = 0; k < lins.length; k++) {
    const t = lin(T[k], g.n, fin, lins[k], out);
    res = res.map((v, i) => v + t[i]);
  }
  return bias ? addRows(res, bias, out) : res;
}
