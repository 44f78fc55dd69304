/**
 * float64 references of the int8 arithmetic (native/kernels/quantize.h, qgemm.h).
 *
 * Quantization is reproduced exactly: scale and inv rounded once from float64 to float32, the
 * float32 product x · inv, clamping, round-half-to-even — so codes and scales must match bit for bit.
 *
 * quantizedLinear: the integer sum Σ (qa − za) · qw is exact in float64 (|sum| < 2^31). The float32
 * epilogue is mirrored op by op — s = f32(sa · sw), p = f32(f32(acc) · s), y = f32(p + b) — so
 * before the activation the kernel must agree to within one float32 ulp of p and of y (zero in
 * practice; the slack admits a compiler that fuses the multiply-add). The activation then moves
 * that by at most its Lipschitz constant and adds its own documented error (ACTIVATION_ULPS).
 */
import type { ActivationName } from '../../lib/index';
import { ACTIVATION_ULPS, float32Spacing } from './linear';
import { activationReference } from './math';

const MIN_RANGE = 2 ** -110;
const f32 = Math.fround;

export function rne(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export interface Params {
  scale: number;
  inv: number;
  zp: number;
}

export function symParams(absmax: number): Params {
  if (!(absmax >= MIN_RANGE)) return { scale: 1, inv: 1, zp: 0 };
  const scale = f32(absmax / 127);
  return { scale, inv: f32(1 / scale), zp: 0 };
}

export function asymParams(lo: number, hi: number): Params {
  const l = Math.min(lo, 0);
  const h = Math.max(hi, 0);
  const range = h - l;
  if (!(range >= MIN_RANGE)) return { scale: 1, inv: 1, zp: 0 };
  const scale = f32(range / 255);
  const zp = Math.min(255, Math.max(0, rne(-l / scale)));
  return { scale, inv: f32(1 / scale), zp };
}

export function staticParams(scale: number, zp: number): Params {
  const s = f32(scale);
  return { scale: s, inv: f32(1 / s), zp };
}

export function code(x: number, p: Params, signed: boolean): number {
  const lo = signed ? -127 : -p.zp;
  const hi = signed ? 127 : 255 - p.zp;
  return rne(Math.min(hi, Math.max(lo, f32(x * p.inv)))) + (signed ? 0 : p.zp);
}

export interface QuantRef {
  codes: number[];
  scale: number[];
  zp: number[];
}

/** quantizeSync's result for x [n, k]. */
export function quantizeRef(
  x: ArrayLike<number>,
  n: number,
  k: number,
  signed: boolean,
  perRow: boolean,
  fixed?: { scale: number; zp: number },
): QuantRef {
  const rangeOf = (r0: number, r1: number): Params => {
    let lo = 0;
    let hi = 0;
    for (let i = r0 * k; i < r1 * k; i++) {
      lo = Math.min(lo, x[i]);
      hi = Math.max(hi, x[i]);
    }
    return signed ? symParams(Math.max(-lo, hi)) : asymParams(lo, hi);
  };
  const params: Params[] = [];
  if (fixed !== undefined) params.push(staticParams(fixed.scale, fixed.zp));
  else if (perRow) for (let r = 0; r < n; r++) params.push(rangeOf(r, r + 1));
  else params.push(rangeOf(0, n));
  const codes: number[] = new Array<number>(n * k);
  for (let r = 0; r < n; r++) {
    const p = params[params.length === 1 ? 0 : r];
    for (let i = 0; i < k; i++) codes[r * k + i] = code(x[r * k + i], p, signed);
  }
  return { codes, scale: params.map((p) => p.scale), zp: params.map((p) => p.zp) };
}

/** Largest slope of each activation (as test/reference/linear.ts). */
function lipschitz(act: ActivationName, alpha: number): number {
  if (act === 'sigmoid') return 0.25;
  if (act === 'gelu') return 1.13;
  if (act === 'leaky_relu' || act === 'elu') return Math.max(1, Math.abs(alpha));
  return 1;
}

export interface QLinearRef {
  out: Float64Array;
  bound: Float64Array;
  /** The mirrored float32 values before the activation. */
  pre: Float32Array;
}

/**
 * act((Σ_k (qa[n,k] − za[n]) qw[m,k]) · sa[n] · sw[m] + b[m]); qa as unsigned codes (an int8 x is
 * passed shifted by 128 with za = 128, as the kernel does).
 */
export function qlinearRef(
  qa: ArrayLike<number>,
  za: ArrayLike<number>,
  sa: ArrayLike<number>,
  qw: ArrayLike<number>,
  sw: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  n: number,
  k: number,
  m: number,
  act: ActivationName = 'none',
  alpha = act === 'leaky_relu' ? 0.01 : 1,
): QLinearRef {
  const out = new Float64Array(n * m);
  const bound = new Float64Array(n * m);
  const pre = new Float32Array(n * m);
  const a32 = f32(alpha);
  const lip = lipschitz(act, a32);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let acc = 0;
      for (let kk = 0; kk < k; kk++) acc += (qa[i * k + kk] - za[i]) * qw[j * k + kk];
      const s = f32(sa[i] * sw[j]);
      const p = f32(f32(acc) * s);
      const y = bias !== null ? f32(p + bias[j]) : p;
      pre[i * m + j] = y;
      const o = activationReference(act, y, a32);
      out[i * m + j] = o;
      bound[i * m + j] = lip * (float32Spacing(p) + float32Spacing(y)) + ACTIVATION_ULPS[act] * float32Spacing(o) + 2 ** -149;
    }
  }
  return { out, bound, pre };
}
