/** float64 references for the activation functions (torch's definitions). */

/** erf in float64: Taylor series for |x| <= 3, continued fraction for erfc beyond (~1e-13). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  if (a <= 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - erfc(a));
}

/** erfc for x >= 3 by Lentz's continued fraction. */
export function erfc(x: number): number {
  if (x < 3) return 1 - erf(x);
  if (x > 27) return 0;
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = x + an * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = x + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export function gelu(x: number): number {
  if (x < -3 * Math.SQRT2) return 0.5 * x * erfc(-x / Math.SQRT2);
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

export function activationReference(name: string, x: number, alpha: number): number {
  switch (name) {
    case 'relu':
      return Number.isNaN(x) ? x : x > 0 ? x : 0;
    case 'leaky_relu':
      return x > 0 ? x : alpha * x;
    case 'elu':
      return x > 0 ? x : alpha * Math.expm1(x);
    case 'gelu':
      return gelu(x);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh(x);
    default:
      return x;
  }
}

/** The distance from a float32 result to a float64 value, in units of the float32 spacing there. */
export function ulpError(got: number, want: number): number {
  if (Number.isNaN(want) || Number.isNaN(got)) return Number.isNaN(want) && Number.isNaN(got) ? 0 : Infinity;
  if (got === want) return 0;
  if (!Number.isFinite(want) || !Number.isFinite(got)) return Infinity;
  const w = Math.fround(want);
  const next = Math.abs(w) === 0 ? 2 ** -149 : Math.abs(w) * 2 ** -23;
  const spacing = Math.max(2 ** (Math.floor(Math.log2(Math.max(Math.abs(want), 2 ** -126))) - 23), 2 ** -149);
  void next;
  return Math.abs(got - want) / spacing;
}
