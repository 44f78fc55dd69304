/**
 * A small, fast, seedable PRNG (sfc32, seeded through splitmix32) so generated graphs and
 * features are the same on every machine for a given seed.
 */
import { checkInteger } from '../validate';

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spare: number | undefined;

  /** `seed` is any integer in [0, 2^32). */
  constructor(seed: number) {
    checkInteger('seed', seed, 0, 2 ** 32 - 1);
    const st = { s: seed | 0 };
    this.#a = splitmix32(st);
    this.#b = splitmix32(st);
    this.#c = splitmix32(st);
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A uniform integer in [0, 2^32). */
  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  float(): number {
    return (this.uint32() * 2097152 + (this.uint32() >>> 11)) / 9007199254740992;
  }

  /** A uniform integer in [0, n), n <= 2^32. */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** A standard normal sample (Box–Muller). */
  normal(): number {
    if (this.#spare !== undefined) {
      const s = this.#spare;
      this.#spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

/** A float32 array of `n` values, uniform in [low, high) or standard normal, for a seed. */
export function randomValues(
  n: number,
  seed: number,
  options: { distribution?: 'uniform' | 'normal'; low?: number; high?: number } = {},
): Float32Array {
  checkInteger('n', n, 0, 2 ** 32);
  const rng = new Random(seed);
  const out = new Float32Array(n);
  if (options.distribution === 'normal') {
    for (let i = 0; i < n; i++) out[i] = rng.normal();
  } else {
    const low = options.low ?? -1;
    const span = (options.high ?? 1) - low;
    for (let i = 0; i < n; i++) out[i] = low + span * (rng.uint32() / 4294967296);
  }
  return out;
}
