/**
 * Range observers for static activation quantization. Each linear's input is watched over the
 * calibration passes; its range becomes one per-tensor uint8 scale and zero point.
 *
 *   minmax      the exact minimum and maximum seen.
 *   percentile  the p-th and (100 − p)-th percentiles (p default 99.99), estimated from a uniform
 *               reservoir sample of up to 65 536 values per input (Algorithm R, seeded, so a
 *               calibration is reproducible), clipped to the exact range. Clipping the few largest
 *               values buys resolution for all the others.
 * NaN and ±Infinity are ignored (they would make every scale useless).
 * @internal
 */
import { Random } from '../generators/random';
import type { InputParams } from './plan';

export type ObserverKind = 'minmax' | 'percentile';

const SAMPLE_SIZE = 65536;

export class RangeObserver {
  min = Infinity;
  max = -Infinity;
  #seen = 0;
  readonly #sample: Float32Array | null;
  readonly #rng: Random;

  constructor(
    readonly kind: ObserverKind,
    seed = 0,
  ) {
    this.#sample = kind === 'percentile' ? new Float32Array(SAMPLE_SIZE) : null;
    this.#rng = new Random(seed);
  }

  observe(values: Float32Array): void {
    let lo = this.min;
    let hi = this.max;
    const sample = this.#sample;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      if (sample !== null) {
        const n = this.#seen++;
        if (n < SAMPLE_SIZE) sample[n] = v;
        else {
          const j = Math.floor(this.#rng.float() * (n + 1));
          if (j < SAMPLE_SIZE) sample[j] = v;
        }
      }
    }
    this.min = lo;
    this.max = hi;
  }

  /** The observed range: [min, max], or the percentile range. null when nothing finite was seen. */
  range(percentile = 99.99): [number, number] | null {
    if (this.min > this.max) return null;
    if (this.#sample === null) return [this.min, this.max];
    const n = Math.min(this.#seen, SAMPLE_SIZE);
    const sorted = this.#sample.slice(0, n).sort();
    const at = (q: number): number => {
      const pos = q * (n - 1);
      const i = Math.floor(pos);
      const f = pos - i;
      return i + 1 < n ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
    };
    const p = percentile / 100;
    return [Math.max(this.min, at(1 - p)), Math.min(this.max, at(p))];
  }
}

/**
 * uint8 affine parameters covering [lo, hi] and zero: scale = (hi' − lo') / 255 with
 * lo' = min(lo, 0), hi' = max(hi, 0); zeroPoint = round(−lo' / scale) in [0, 255]. A zero range
 * gives scale 1 (codes are then all the zero point).
 */
export function affineParams(lo: number, hi: number): InputParams {
  const a = Math.min(lo, 0);
  const b = Math.max(hi, 0);
  const scale = b > a ? Math.fround((b - a) / 255) : 1;
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-a / scale)));
  return { scale, zeroPoint };
}
