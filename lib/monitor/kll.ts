/**
 * KllSketch: a mergeable quantile sketch (Karnin, Lang and Liberty, "Optimal quantile approximation
 * in streams", FOCS 2016), in the lazy form Apache DataSketches uses.
 *
 * Items live in levels; an item at level h stands for 2^h inputs. Level h holds up to
 * max(8, ceil(k · (2/3)^(top − h))) items, so the top level holds k and the sketch keeps at most
 * about 3k items whatever the stream length. When the sketch is full, the lowest level at or over
 * its capacity is compacted: sorted, one item kept back if the count is odd, and of the sorted pairs
 * either every even or every odd position (a coin flip from a seeded generator) moves up a level with
 * twice the weight. Total weight stays exactly n. Level 0 is an unsorted buffer; levels ≥ 1 stay sorted.
 *
 * Cost: update O(1) amortised (each compaction sorts or merges O(k) items and removes half of them);
 * memory one Float64Array of the capacity Σ max(8, ceil(k · (2/3)^d)) over the levels, about
 * 3k + 8 per level beyond the first dozen (638 doubles for k = 200 after 10^7 values); merge O(k).
 * Deterministic: the same seed and the same inputs in the same order give the same sketch (and the
 * same JSON) on every machine.
 *
 * Error: a rank query is off by at most {@link KllSketch.rankErrorBound}(k) of n, for every query at
 * once, with probability ≥ 99% (test/monitor-kll.test.ts checks it against exact ranks).
 */
import { GnnError, described, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import { checkInteger, checkOptions } from '../validate';

/** Smallest level capacity (DataSketches' m). */
const MIN_CAPACITY = 8;
/** Levels a sketch may have: 2^60 inputs, far beyond any stream's count (n ≤ 2^53). */
const MAX_LEVELS = 61;

export interface KllSketchOptions {
  /** Accuracy parameter: items kept ≈ 3k, rank error ≈ 1.7% at 200. Integer in [8, 65535]; default 200. */
  k?: number;
  /** Seed of the compaction coin flips, an integer in [0, 2^32); default 1. */
  seed?: number;
}

/** The JSON form of a {@link KllSketch} (`toJSON()` / `KllSketch.fromJSON`). */
export interface KllSketchJSON {
  k: number;
  n: number;
  /** Smallest and largest value seen; null when empty. */
  min: number | null;
  max: number | null;
  /** State of the coin-flip generator (a uint32). */
  rng: number;
  /** Items of each level, level 0 first (level 0 in arrival order, the others sorted). */
  levels: number[][];
}

const capacityTables = new Map<number, Int32Array>();

/** capacity[d] for a level d below the top: max(8, ceil(k · 2^d / 3^d)), exact integer arithmetic. */
function capacityTable(k: number): Int32Array {
  let table = capacityTables.get(k);
  if (table === undefined) {
    table = new Int32Array(MAX_LEVELS);
    for (let d = 0; d < MAX_LEVELS; d++) {
      // k · 2^d < 2^53 and 3^d < 2^53 while d ≤ 33, so the quotient is correctly rounded; deeper
      // levels are below MIN_CAPACITY for every k ≤ 65535.
      table[d] = d > 33 ? MIN_CAPACITY : Math.max(MIN_CAPACITY, Math.ceil((k * 2 ** d) / 3 ** d));
    }
    capacityTables.set(k, table);
  }
  return table;
}

/** One 32-bit xorshift step (never 0 from a non-zero state). */
function xorshift32(s: number): number {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  return s >>> 0;
}

/** A well-mixed non-zero uint32 from an integer (splitmix32's finaliser). */
export function mixSeed(seed: number): number {
  let z = (seed + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z = (z ^ (z >>> 16)) >>> 0;
  return z === 0 ? 0x6d2b79f5 : z;
}

/** The sketch's items in value order with their cumulative weights: what every query reads. */
export interface SortedView {
  /** Retained items, ascending. */
  readonly items: Float64Array;
  /** cum[i] = total weight of items[0..i] (so cum[last] = n). */
  readonly cum: Float64Array;
  readonly n: number;
}

/** Sorts a[from..to) ascending. */
function sortRange(a: Float64Array, from: number, to: number): void {
  if (to - from > 32) {
    a.subarray(from, to).sort();
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= from && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

/** Index of the last item ≤ value, or −1. */
function lastAtMost(items: Float64Array, value: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Fraction of the view's weight at values ≤ `value` (0 for an empty view). */
export function viewRank(view: SortedView, value: number): number {
  if (view.n === 0) return 0;
  const i = lastAtMost(view.items, value);
  return i < 0 ? 0 : view.cum[i] / view.n;
}

export class KllSketch {
  /** The accuracy parameter. */
  readonly k: number;
  readonly #table: Int32Array;
  // Every level lives in one buffer whose length is the capacity (DataSketches' layout): level h
  // is items[levels[h], levels[h + 1]), the top level ends at items.length, and the free space is
  // items[0, levels[0]), into which level 0 grows downwards. Full when levels[0] is 0.
  #items: Float64Array;
  #levels: number[];
  #n = 0;
  #min = Infinity;
  #max = -Infinity;
  #rng: number;
  #view: SortedView | null = null;

  constructor(options?: KllSketchOptions) {
    const opts = checkOptions(options, 'KllSketch', ['k', 'seed']);
    this.k = checkInteger('k', opts.k ?? 200, 8, 65535);
    this.#table = capacityTable(this.k);
    this.#rng = mixSeed(checkInteger('seed', opts.seed ?? 1, 0, 2 ** 32 - 1));
    this.#items = new Float64Array(this.#table[0]);
    this.#levels = [this.#items.length, this.#items.length];
  }

  /**
   * The normalized rank error this sketch keeps for all queries at once with probability ≥ 99%:
   * 2.446 / k^0.9433 (≈ 1.65% at k = 200, 0.36% at k = 1000). The constants are Apache
   * DataSketches' empirical fit for this compactor schedule (capacities k·(2/3)^depth, minimum 8,
   * lazy compaction); test/monitor-kll.test.ts checks the bound against exact ranks.
   */
  static rankErrorBound(k: number): number {
    checkInteger('k', k, 8, 65535);
    return 2.446 / k ** 0.9433;
  }

  /** Number of values seen. */
  get n(): number {
    return this.#n;
  }

  /** Number of items stored (at most the capacity, about 3k + 8 · levels). */
  get retained(): number {
    return this.#items.length - this.#levels[0];
  }

  /** Items the sketch can hold before it compacts: the length of its one buffer. */
  get capacity(): number {
    return this.#items.length;
  }

  /** Smallest value seen (NaN when empty). */
  get min(): number {
    return this.#n === 0 ? NaN : this.#min;
  }

  /** Largest value seen (NaN when empty). */
  get max(): number {
    return this.#n === 0 ? NaN : this.#max;
  }

  /** Adds one finite number. */
  update(value: number): void {
    if (typeof value !== 'number' || !(value - value === 0)) {
      if (typeof value !== 'number') throw invalidArgType('value', 'a number', value);
      throw invalidArgValue('value', 'a finite number', value);
    }
    const levels = this.#levels;
    if (levels[0] === 0) this.#compress();
    const at = --levels[0];
    this.#items[at] = value;
    this.#n++;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    this.#view = null;
  }

  /** Merges `other` into this sketch (same k); `other` is unchanged. Returns this. */
  merge(other: KllSketch): this {
    if (!(other instanceof KllSketch)) throw invalidArgType('other', 'a KllSketch', other);
    if (other.k !== this.k) throw invalidArgValue('other', `a KllSketch with k = ${this.k}`, described(`one with k = ${other.k}`));
    if (other.#n === 0) return this;
    const before = this.#n;
    // Level by level: level 0 concatenated (it is unsorted), the others merged in order.
    const height = Math.max(this.#height(), other.#height());
    const parts: Float64Array[] = [];
    for (let h = 0; h < height; h++) {
      const a = this.#level(h);
      const b = other.#level(h);
      if (h === 0) {
        const both = new Float64Array(a.length + b.length);
        both.set(a);
        both.set(b, a.length);
        parts.push(both);
      } else {
        parts.push(mergeSortedArrays(a, b));
      }
    }
    this.#layout(parts, 0);
    this.#n += other.#n;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
    // Order-dependent but deterministic: merge(a, b) and merge(b, a) flip different coins.
    this.#rng = mixSeed((this.#rng ^ Math.imul(other.#rng, 0x2545f491) ^ before) >>> 0);
    while (this.retained >= this.#capacityFor(this.#height())) this.#compress();
    // Back to a buffer of exactly the capacity (the merged levels may have overfilled it).
    this.#layout(this.#allLevels(), this.#capacityFor(this.#height()) - this.retained);
    this.#view = null;
    return this;
  }

  /** A deep copy. */
  clone(): KllSketch {
    const c = new KllSketch({ k: this.k });
    c.#items = this.#items.slice();
    c.#levels = this.#levels.slice();
    c.#n = this.#n;
    c.#min = this.#min;
    c.#max = this.#max;
    c.#rng = this.#rng;
    return c;
  }

  /** The retained items in value order with cumulative weights (cached until the next change). */
  sortedView(): SortedView {
    if (this.#view !== null) return this.#view;
    let items = this.#level(0).slice().sort();
    let cum = new Float64Array(items.length).fill(1);
    for (let h = 1; h < this.#height(); h++) {
      const level = this.#level(h);
      const count = level.length;
      if (count === 0) continue;
      const w = 2 ** h;
      const outItems = new Float64Array(items.length + count);
      const outWeights = new Float64Array(items.length + count);
      let i = 0;
      let j = 0;
      let o = 0;
      while (i < items.length && j < count) {
        if (items[i] <= level[j]) {
          outItems[o] = items[i];
          outWeights[o++] = cum[i++];
        } else {
          outItems[o] = level[j++];
          outWeights[o++] = w;
        }
      }
      while (i < items.length) {
        outItems[o] = items[i];
        outWeights[o++] = cum[i++];
      }
      while (j < count) {
        outItems[o] = level[j++];
        outWeights[o++] = w;
      }
      items = outItems;
      cum = outWeights;
    }
    for (let i = 1; i < cum.length; i++) cum[i] += cum[i - 1];
    this.#view = { items, cum, n: this.#n };
    return this.#view;
  }

  /** Estimated fraction of values ≤ `value` (0 when empty). */
  rank(value: number): number {
    if (typeof value !== 'number' || Number.isNaN(value)) throw invalidArgType('value', 'a number (not NaN)', value);
    return viewRank(this.sortedView(), value);
  }

  /**
   * Estimated q-quantile: the smallest stored item whose rank (fraction ≤ it) is at least q;
   * q = 0 gives the exact minimum and q = 1 the exact maximum. NaN when empty.
   */
  quantile(q: number): number {
    if (typeof q !== 'number') throw invalidArgType('q', 'a number', q);
    if (!(q >= 0 && q <= 1)) throw outOfRange('q', 'a number in [0, 1]', q);
    if (this.#n === 0) return NaN;
    if (q === 0) return this.#min;
    if (q === 1) return this.#max;
    const { items, cum } = this.sortedView();
    const target = q * this.#n;
    let lo = 0;
    let hi = items.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid] >= target) hi = mid;
      else lo = mid + 1;
    }
    return items[lo];
  }

  /** The JSON form; `KllSketch.fromJSON(JSON.parse(JSON.stringify(s)))` restores it exactly. */
  toJSON(): KllSketchJSON {
    return {
      k: this.k,
      n: this.#n,
      min: this.#n === 0 ? null : this.#min,
      max: this.#n === 0 ? null : this.#max,
      rng: this.#rng,
      levels: this.#allLevels().map((l) => Array.from(l)),
    };
  }

  /** Restores a sketch from its JSON form, checking every field (`name` prefixes error messages). */
  static fromJSON(json: unknown, name = 'sketch'): KllSketch {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalidArgType(name, 'a KLL sketch object', json);
    const j = json as Record<string, unknown>;
    const k = checkInteger(`${name}.k`, j.k, 8, 65535);
    const n = checkInteger(`${name}.n`, j.n, 0, Number.MAX_SAFE_INTEGER);
    const rng = checkInteger(`${name}.rng`, j.rng, 1, 2 ** 32 - 1);
    if (!Array.isArray(j.levels) || j.levels.length < 1 || j.levels.length > MAX_LEVELS) {
      throw invalidArgValue(`${name}.levels`, `an array of 1 to ${MAX_LEVELS} arrays`, j.levels);
    }
    const s = new KllSketch({ k });
    const capacity = s.#capacityFor(j.levels.length);
    const parts: Float64Array[] = [];
    let weight = 0;
    let retained = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let h = 0; h < j.levels.length; h++) {
      const raw: unknown = j.levels[h];
      const where = `${name}.levels[${h}]`;
      if (!Array.isArray(raw)) throw invalidArgType(where, 'an array of numbers', raw);
      retained += raw.length;
      if (retained > capacity) {
        throw invalidArgValue(`${name}.levels`, `at most ${capacity} items for k = ${k} and ${j.levels.length} levels`, described(`at least ${retained} items`));
      }
      const level = new Float64Array(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const v: unknown = raw[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgValue(`${where}[${i}]`, 'a finite number', v);
        if (h > 0 && i > 0 && v < level[i - 1]) throw invalidArgValue(where, 'items in ascending order', described(`${v} after ${level[i - 1]}`));
        level[i] = v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      parts.push(level);
      weight += raw.length * 2 ** h;
    }
    if (weight !== n) throw invalidArgValue(`${name}.n`, `the levels' total weight ${weight}`, n);
    if (n > 0) {
      if (typeof j.min !== 'number' || !(j.min <= min)) throw invalidArgValue(`${name}.min`, `a finite number ≤ every item (${min})`, j.min);
      if (typeof j.max !== 'number' || !(j.max >= max) || j.max === Infinity) throw invalidArgValue(`${name}.max`, `a finite number ≥ every item (${max})`, j.max);
      if (!Number.isFinite(j.min)) throw invalidArgValue(`${name}.min`, 'a finite number', j.min);
      s.#min = j.min;
      s.#max = j.max;
    } else if (j.min !== null || j.max !== null) {
      throw invalidArgValue(`${name}.min`, 'null min and max for an empty sketch', j.min !== null ? j.min : j.max);
    }
    s.#layout(parts, capacity - retained);
    s.#n = n;
    s.#rng = rng;
    return s;
  }

  #height(): number {
    return this.#levels.length - 1;
  }

  /** Level h's items (a view into the buffer; empty past the top). */
  #level(h: number): Float64Array {
    if (h >= this.#height()) return new Float64Array(0);
    return this.#items.subarray(this.#levels[h], this.#levels[h + 1]);
  }

  #allLevels(): Float64Array[] {
    const out: Float64Array[] = [];
    for (let h = 0; h < this.#height(); h++) out.push(this.#level(h).slice());
    return out;
  }

  /** Total capacity of a sketch with `height` levels. */
  #capacityFor(height: number): number {
    let total = 0;
    for (let d = 0; d < height; d++) total += this.#table[d];
    return total;
  }

  /** Lays the levels out in a new buffer with `free` empty slots below level 0. */
  #layout(parts: Float64Array[], free: number): void {
    let total = free;
    for (const p of parts) total += p.length;
    const items = new Float64Array(total);
    const levels = [free];
    let at = free;
    for (const p of parts) {
      items.set(p, at);
      at += p.length;
      levels.push(at);
    }
    this.#items = items;
    this.#levels = levels;
  }

  /** Adds an empty top level, growing the buffer by the capacity it adds (all below shifts up). */
  #addLevel(): void {
    const height = this.#height();
    if (height >= MAX_LEVELS) throw new GnnError('ERR_GNN_INTERNAL', `KllSketch: more than ${MAX_LEVELS} levels`);
    const delta = this.#capacityFor(height + 1) - this.#capacityFor(height);
    const items = new Float64Array(this.#items.length + delta);
    items.set(this.#items, delta);
    for (let h = 0; h <= height; h++) this.#levels[h] += delta;
    this.#levels.push(items.length);
    this.#items = items;
  }

  /**
   * One compaction of the lowest level at or over its capacity (the lazy schedule): its sorted
   * items, but for one left behind when the count is odd, are halved by a coin flip — every even
   * or every odd one survives — and merged into the level above with twice the weight. The freed
   * slots move to the bottom of the buffer.
   */
  #compress(): void {
    let height = this.#height();
    let h = 0;
    while (h < height - 1 && this.#levels[h + 1] - this.#levels[h] < this.#table[height - 1 - h]) h++;
    if (h === height - 1) {
      this.#addLevel();
      height++;
    }
    const items = this.#items;
    const levels = this.#levels;
    const rawBeg = levels[h];
    const rawEnd = levels[h + 1];
    const odd = (rawEnd - rawBeg) & 1;
    const adjBeg = rawBeg + odd;
    const half = (rawEnd - adjBeg) >> 1;
    if (h === 0) sortRange(items, adjBeg, rawEnd);
    this.#rng = xorshift32(this.#rng);
    const offset = this.#rng >>> 31;
    // Survivors to the front of the level: items[adjBeg + i] = items[adjBeg + 2i + offset].
    for (let i = 0; i < half; i++) items[adjBeg + i] = items[adjBeg + 2 * i + offset];
    // Merge them with level h + 1 into the space right below its end. Writing forwards from
    // adjBeg + half never overtakes an unread item of either run.
    const aboveEnd = levels[h + 2];
    let a = adjBeg;
    const aEnd = adjBeg + half;
    let b = rawEnd;
    let o = adjBeg + half;
    while (a < aEnd && b < aboveEnd) items[o++] = items[a] <= items[b] ? items[a++] : items[b++];
    while (a < aEnd) items[o++] = items[a++];
    // (Any rest of level h + 1 is already in place.)
    levels[h + 1] = adjBeg + half;
    if (odd) items[adjBeg + half - 1] = items[rawBeg];
    levels[h] = adjBeg + half - odd;
    // Shift the levels below h up by `half` so the free space is at the bottom again.
    if (h > 0) {
      const from = levels[0];
      items.copyWithin(from + half, from, rawBeg);
      for (let l = 0; l < h; l++) levels[l] += half;
    }
  }
}

/** Merges two ascending arrays. */
function mergeSortedArrays(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < a.length && j < b.length) out[o++] = a[i] <= b[j] ? a[i++] : b[j++];
  while (i < a.length) out[o++] = a[i++];
  while (j < b.length) out[o++] = b[j++];
  return out;
}
