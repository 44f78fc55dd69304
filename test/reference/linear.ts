/**
 * float64 reference for linear: out[n, m] = act(sum_k x[n, k] w[m, k] + b[m]), with a per-element
 * bound on what a float32 kernel may differ by.
 *
 * Before the activation, a float32 dot product of K terms accumulated in any fixed order (with or
 * without FMA), plus one addition of the bias, is within (K + 2) u (sum_k |x w| + |b|) of the exact
 * value, u = 2^-24. The activation then moves that error by at most its Lipschitz constant and
 * adds its own error, in float32 ulps of the result (native/kernels/simd_math.h states them and
 * test/activation.test.ts checks them).
 */
import type { ActivationName } from '../../lib/index';
import { activationReference } from './math';

const U = 2 ** -24;

/** Largest slope of each activation (gelu's is 1.129 at x = 1.41; elu's and leaky's grow with alpha). */
function lipschitz(act: ActivationName, alpha: number): number {
  switch (act) {
    case 'sigmoid':
      return 0.25;
    case 'gelu':
      return 1.13;
    case 'leaky_relu':
    case 'elu':
      return Math.max(1, Math.abs(alpha));
    default:
      return 1;
  }
}

/** The activations' float32 error in ulps (the bounds test/activation.test.ts asserts). */
export const ACTIVATION_ULPS: Readonly<Record<ActivationName, number>> = {
  none: 0,
  relu: 0,
  leaky_relu: 0.5,
  elu: 2,
  gelu: 14,
  sigmoid: 3,
  tanh: 2,
};

/** Spacing of float32 numbers at magnitude v (subnormal spacing below the normal range). */
export function float32Spacing(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

export interface LinearReference {
  /** Rows computed (all rows unless a subset was asked for). */
  rows: number[];
  /** [rows.length, m] */
  out: Float64Array;
  bound: Float64Array;
}

export function linearReference(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  n: number,
  k: number,
  m: number,
  act: ActivationName = 'none',
  alpha = act === 'leaky_relu' ? 0.01 : 1,
  rows?: number[],
): LinearReference {
  const which = rows ?? Array.from({ length: n }, (_, i) => i);
  const out = new Float64Array(which.length * m);
  const bound = new Float64Array(which.length * m);
  const a32 = Math.fround(alpha);
  const lip = lipschitz(act, a32);
  which.forEach((i, r) => {
    const xi = i * k;
    for (let j = 0; j < m; j++) {
      const wj = j * k;
      let sum = 0;
      let mag = 0;
      for (let kk = 0; kk < k; kk++) {
        const p = x[xi + kk] * w[wj + kk];
        sum += p;
        mag += Math.abs(p);
      }
      if (bias !== null) {
        sum += bias[j];
        mag += Math.abs(bias[j]);
      }
      const preError = (k + 2) * U * mag;
      const y = activationReference(act, sum, a32);
      const moved = lip * preError;
      out[r * m + j] = y;
      bound[r * m + j] = moved + ACTIVATION_ULPS[act] * float32Spacing(Math.abs(y) + moved) + (act === 'none' || act === 'relu' ? 0 : 2 ** -149);
    }
  });
  return { rows: which, out, bound };
}

/** The rows `rows` of a row-major [n, m] float32 array, as one array. */
export function pickRows(data: Float32Array, m: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * m);
  rows.forEach((i, r) => out.set(data.subarray(i * m, (i + 1) * m), r * m));
  return out;
}
