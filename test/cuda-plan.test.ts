/**
 * The CUDA kernels' host-side schedule and shared device math, checked on the CPU (both builds
 * export them; no GPU needed): the hub-row plan made at graph upload and the chunk lookups the
 * kernels make (every hub edge in exactly one chunk, in order; every row computed by exactly one
 * of the row kernel and the chunk tasks), the edge -> row search of the edge-parallel kernels, the
 * SpMM launch shape for every width 1..1024 (each output column owned by exactly one lane slot),
 * and cuda/device_math.cuh compiled by the host compiler against the CPU kernels: activations and
 * int8 quantization bit for bit, the online softmax of gatAggregate bit for bit on the SIMD levels
 * (and within a few ulps of float64 when chunks are merged as the hub kernels do).
 */
import { describe, expect, it } from 'vitest';

import { Graph, Tensor, ops } from '../lib/index';
import type { ActivationName } from '../lib/index';
import { native } from '../lib/native';
import type { CudaHubPlan } from '../lib/native-types';
import { ACTIVATION_CODES } from '../lib/ops/activation';
import { Random } from '../lib/generators/random';
import { expectBitwiseEqual } from './helpers/compare';
import { availableSimdLevels, withSimd } from './helpers/simd';

const CHUNK = 256; // cuda/launch_plan.h kHubChunkEdges
const DEFAULT_THRESHOLD = 1024; // cuda/launch_plan.cc DefaultHubThreshold()
const MAX_BLOCKS = 2 ** 20; // kMaxGridBlocks
const TARGET_GROUPS = 8192; // kTargetGroups

/** indptr from row degrees. */
function indptrOf(degrees: number[]): Int32Array {
  const p = new Int32Array(degrees.length + 1);
  degrees.forEach((d, r) => (p[r + 1] = p[r] + d));
  return p;
}

function wide(p: Int32Array): BigInt64Array {
  return BigInt64Array.from(Array.from(p, (v) => BigInt(v)));
}

/** Power-law-ish degrees with empty rows, a few hubs around and exactly at the thresholds. */
function degreesWithHubs(seed: number): number[] {
  const rng = new Random(seed);
  const d: number[] = [];
  for (let r = 0; r < 3000; r++) d.push(rng.int(10) === 0 ? 0 : rng.int(40));
  d[0] = 0;
  d[5] = 1024; // exactly the default threshold: not a hub
  d[17] = 1025; // one past it: a hub of 5 chunks (the last one edge long)
  d[400] = 256 * 7; // whole chunks only
  d[401] = 5000;
  d[2999] = 300;
  d[1500] = 70000;
  return d;
}

function expectedHubs(degrees: number[], threshold: number): number[] {
  return degrees.flatMap((d, r) => (d > threshold ? [r] : []));
}

/** Every claim the kernels rely on, for one plan. */
function checkPlan(indptr: Int32Array, plan: CudaHubPlan, threshold: number): void {
  const rows = indptr.length - 1;
  const degrees = Array.from({ length: rows }, (_, r) => indptr[r + 1] - indptr[r]);
  const nnz = indptr[rows];
  expect(plan.threshold).toBe(threshold);
  expect(Array.from(plan.rows)).toEqual(expectedHubs(degrees, threshold));
  expect(plan.maxRowNnz).toBe(degrees.length === 0 ? 0 : Math.max(0, ...degrees));
  expect(plan.chunkEdges).toBe(CHUNK);

  // Offsets: a prefix sum of ceil(nnz / C) per hub row.
  const H = plan.rows.length;
  expect(plan.chunkOffsets.length).toBe(H + 1);
  let total = 0;
  expect(plan.chunkOffsets[0]).toBe(0);
  plan.rows.forEach((r, i) => {
    total += Math.ceil(degrees[r] / CHUNK);
    expect(plan.chunkOffsets[i + 1]).toBe(total);
  });
  // The bound the host sizes the grid and the scratch by: never below the exact count.
  const bound = H === 0 ? 0 : Math.min(H * Math.ceil(plan.maxRowNnz / CHUNK), Math.floor(nnz / CHUNK) + H);
  expect(plan.chunkBound).toBe(bound);
  expect(plan.chunkBound).toBeGreaterThanOrEqual(total);

  // Chunk tasks: those below the exact count tile each hub row, in order, in chunks of at most C
  // edges (all full but the last); the rest are idle.
  const next = new Map<number, number>(); // hub row -> next CSR position expected
  for (const r of plan.rows) next.set(r, indptr[r]);
  let lastRow = -1;
  for (let t = 0; t < plan.chunkBound; t++) {
    const r = plan.chunkRow[t];
    if (t >= total) {
      expect(r, `task ${t} past the exact count`).toBe(-1);
      continue;
    }
    expect(next.has(r), `task ${t}: row ${r} is a hub row`).toBe(true);
    expect(r, `task ${t}: hub rows in ascending order`).toBeGreaterThanOrEqual(lastRow);
    lastRow = r;
    const b = plan.chunkBegin[t];
    const e = plan.chunkEnd[t];
    expect(b, `task ${t}: starts where the previous chunk of row ${r} ended`).toBe(next.get(r));
    expect(e - b).toBeGreaterThan(0);
    expect(e - b).toBeLessThanOrEqual(CHUNK);
    if (e < indptr[r + 1]) expect(e - b, `task ${t}: only a row's last chunk is short`).toBe(CHUNK);
    next.set(r, e);
  }
  for (const r of plan.rows) expect(next.get(r), `hub row ${r} fully covered`).toBe(indptr[r + 1]);

  // The row kernels skip exactly the hub rows: each row is computed once, by one of the two.
  const hubSet = new Set(plan.rows);
  expect(plan.isHub.length).toBe(rows);
  for (let r = 0; r < rows; r++) expect(plan.isHub[r], `row ${r}`).toBe(hubSet.has(r) ? 1 : 0);
}

describe('cudaPlanHubRows', () => {
  const degrees = degreesWithHubs(3);
  const indptr = indptrOf(degrees);

  it('finds exactly the rows longer than the threshold, and chunks them exactly once, in order', () => {
    checkPlan(indptr, native().cudaPlanHubRows(indptr, 0), DEFAULT_THRESHOLD);
    checkPlan(indptr, native().cudaPlanHubRows(indptr, 2000), 2000);
    checkPlan(indptr, native().cudaPlanHubRows(indptr, 299), 299);
  });

  it('uses the default for thresholds <= 0 and raises small ones to one chunk', () => {
    expect(native().cudaPlanHubRows(indptr, -1).threshold).toBe(DEFAULT_THRESHOLD);
    const raised = native().cudaPlanHubRows(indptr, 10);
    expect(raised.threshold).toBe(CHUNK);
    checkPlan(indptr, raised, CHUNK);
  });

  it('gives the same plan for an int64 indptr', () => {
    const a = native().cudaPlanHubRows(indptr, 0);
    const b = native().cudaPlanHubRows(wide(indptr), 0);
    expect(b).toEqual(a);
  });

  it('handles graphs without rows, edges or hubs', () => {
    for (const p of [new Int32Array([0]), indptrOf([0, 0, 0]), indptrOf([3, 1, 0, 2])]) {
      const plan = native().cudaPlanHubRows(p, 0);
      checkPlan(p, plan, DEFAULT_THRESHOLD);
      expect(plan.rows.length).toBe(0);
      expect(plan.chunkBound).toBe(0);
    }
  });

  it('bounds the chunk tasks by the edge count when one row dominates', () => {
    // 40 hub rows of 1025 edges and one of 100000: H * ceil(max / C) would be 40 * 391 + ...;
    // floor(nnz / C) + H is far tighter, and still covers every chunk.
    const d = Array.from({ length: 41 }, (_, i) => (i === 20 ? 100000 : 1025));
    const p = indptrOf(d);
    const plan = native().cudaPlanHubRows(p, 0);
    checkPlan(p, plan, DEFAULT_THRESHOLD);
    expect(plan.chunkBound).toBe(Math.floor(p[41] / CHUNK) + 41);
    expect(plan.chunkOffsets[41]).toBe(40 * 5 + Math.ceil(100000 / CHUNK));
  });

  it('refuses an indptr that is not one', () => {
    expect(() => native().cudaPlanHubRows(new Int32Array([0, 5, 3]), 0)).toThrow(
      expect.objectContaining({ code: 'ERR_GNN_INVALID_GRAPH', message: expect.stringMatching(/indptr\[2\] = 3 after 5/) }),
    );
    expect(() => native().cudaPlanHubRows(new Int32Array([1, 5]), 0)).toThrow(expect.objectContaining({ code: 'ERR_GNN_INVALID_GRAPH' }));
    expect(() => native().cudaPlanHubRows(new Int32Array([]), 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => native().cudaPlanHubRows(new Float32Array([0, 1]) as unknown as Int32Array, 0)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => native().cudaPlanHubRows(indptrOf([1]), 1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    // An indptr claiming 2^40 edges: refused before anything that size is listed.
    const huge = BigInt64Array.from([0n, 2n ** 40n]);
    expect(() => native().cudaPlanHubRows(huge, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => native().cudaPlanEdgeRows(huge)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe('cudaPlanEdgeRows', () => {
  it('finds the destination row of every CSR position, skipping empty rows', () => {
    const rng = new Random(7);
    for (const rows of [1, 2, 5, 100, 2000]) {
      const d = Array.from({ length: rows }, () => (rng.int(3) === 0 ? 0 : rng.int(6)));
      d[0] = 0; // leading and trailing empty rows
      d[rows - 1] = 0;
      if (rows > 2) d[1] = 9;
      const p = indptrOf(d);
      const want: number[] = [];
      d.forEach((deg, r) => {
        for (let k = 0; k < deg; k++) want.push(r);
      });
      expect(Array.from(native().cudaPlanEdgeRows(p)), `${rows} rows`).toEqual(want);
      expect(Array.from(native().cudaPlanEdgeRows(wide(p))), `${rows} rows, int64`).toEqual(want);
    }
    expect(native().cudaPlanEdgeRows(new Int32Array([0])).length).toBe(0);
  });
});

describe('cudaPlanSpmmLaunch', () => {
  const pow2 = (v: number) => v > 0 && (v & (v - 1)) === 0;

  type Launch = ReturnType<ReturnType<typeof native>['cudaPlanSpmmLaunch']>;

  /** Every column of [0, width) owned by exactly one (tile, lane, slot), as the kernels index them. */
  function coverageProblem(width: number, l: Launch): string | null {
    const owner = new Uint8Array(width);
    const vectors = width / l.vector;
    for (let tile = 0; tile < l.tiles; tile++) {
      const first = tile * l.tileVectors;
      const count = Math.min(l.tileVectors, vectors - first);
      if (count <= 0) return `tile ${tile} is empty`;
      for (let s = 0; s < l.slots; s++) {
        for (let lane = 0; lane < l.lanes; lane++) {
          const v = s * l.lanes + lane;
          if (v >= count) continue;
          for (let c = (first + v) * l.vector; c < (first + v + 1) * l.vector; c++) {
            if (c >= width) return `column ${c} past the width`;
            owner[c]++;
          }
        }
      }
    }
    const bad = owner.findIndex((o) => o !== 1);
    return bad === -1 ? null : `column ${bad} owned ${owner[bad]} times`;
  }

  /** What the kernels assume of a launch shape, as a list of violations. */
  function shapeProblems(width: number, headWidth: number, rows: number, maxVector: number, maxSlots: number, l: Launch): string[] {
    const p: string[] = [];
    const check = (ok: boolean, what: string) => ok || p.push(what);
    check(pow2(l.lanes) && l.lanes <= 32, `lanes ${l.lanes}`);
    check([1, 2, 4].includes(l.vector) && l.vector <= maxVector, `vector ${l.vector}`);
    check(headWidth % l.vector === 0, `vector ${l.vector} straddles heads of ${headWidth}`);
    check([1, 2, 4, 8].includes(l.slots) && l.vector * l.slots <= 16 && l.slots <= maxSlots, `slots ${l.slots}`);
    check(l.tileVectors <= l.lanes * l.slots, `tile of ${l.tileVectors} vectors`);
    check(l.tileColumns === l.tileVectors * l.vector, 'tileColumns');
    check(l.tiles === Math.ceil(width / l.tileColumns), 'tiles');
    check(l.groupsPerBlock * l.lanes === l.threadsPerBlock, 'groupsPerBlock');
    check(l.tasks === rows * l.tiles, 'tasks');
    check(l.blocks === Math.min(Math.ceil(l.tasks / l.groupsPerBlock), MAX_BLOCKS), 'blocks');
    const cover = coverageProblem(width, l);
    if (cover !== null) p.push(cover);
    return p.map((m) => `width ${width} headWidth ${headWidth} rows ${rows} maxVector ${maxVector} maxSlots ${maxSlots}: ${m}`);
  }

  it('gives a valid shape for every width 1..1024, head width, vector limit, slot cap and row count', () => {
    const problems: string[] = [];
    for (let width = 1; width <= 1024; width++) {
      for (const heads of [1, 2, 3, 4, 8].filter((h) => width % h === 0)) {
        for (const maxVector of [1, 2, 4]) {
          for (const maxSlots of [8, 4]) {
            for (const rows of [1, 37, 1 << 20]) {
              const l = native().cudaPlanSpmmLaunch(width, width / heads, rows, maxVector, maxSlots);
              problems.push(...shapeProblems(width, width / heads, rows, maxVector, maxSlots, l));
            }
          }
        }
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
  });

  it('picks the widest vector the width and alignment allow, and a warp from 128 columns', () => {
    const l = native().cudaPlanSpmmLaunch(128, 128, 1 << 20, 4);
    expect([l.lanes, l.vector, l.slots, l.tiles]).toEqual([32, 4, 1, 1]);
    expect(native().cudaPlanSpmmLaunch(128, 128, 1 << 20, 2).vector).toBe(2);
    expect(native().cudaPlanSpmmLaunch(33, 33, 1 << 20, 4).vector).toBe(1);
    expect(native().cudaPlanSpmmLaunch(64, 2, 1 << 20, 4).vector).toBe(2); // heads of 2 columns
    expect(native().cudaPlanSpmmLaunch(1, 1, 1 << 20, 4).lanes).toBe(1);
    const wide1024 = native().cudaPlanSpmmLaunch(1024, 1024, 1 << 20, 4);
    expect([wide1024.lanes, wide1024.slots, wide1024.tiles]).toEqual([32, 4, 2]);
    const gat = native().cudaPlanSpmmLaunch(1023, 1023, 1 << 20, 4, 4); // gatAggregate's cap
    expect([gat.slots, gat.tiles]).toEqual([4, 8]);
    const odd1023 = native().cudaPlanSpmmLaunch(1023, 1023, 1 << 20, 4);
    expect([odd1023.lanes, odd1023.vector, odd1023.slots, odd1023.tiles, odd1023.tileColumns]).toEqual([32, 1, 8, 4, 256]);
  });

  it('splits the columns into more tiles when there are too few rows to fill the device', () => {
    const few = native().cudaPlanSpmmLaunch(1024, 1024, 1, 4);
    expect(few.slots).toBe(1);
    expect(few.tiles).toBe(8);
    const many = native().cudaPlanSpmmLaunch(1024, 1024, TARGET_GROUPS, 4);
    expect(many.slots).toBe(4);
    expect(many.tiles).toBe(2);
    expect(coverageProblem(1024, few)).toBe(null);
  });

  it('launches nothing for empty outputs', () => {
    for (const [w, r] of [
      [0, 10],
      [10, 0],
    ]) {
      const l = native().cudaPlanSpmmLaunch(w, w, r, 4);
      expect([l.tasks, l.blocks]).toEqual([0, 0]);
    }
  });
});

/** Distance in float32 steps (0 for two NaNs). */
function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) && Number.isNaN(b)) return 0;
  if (Number.isNaN(a) || Number.isNaN(b)) return Infinity;
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  const ordered = (v: number) => (v < 0 ? -(v & 0x7fffffff) : v);
  return Math.abs(ordered(bits[0]) - ordered(bits[1]));
}

/** Every float32 class the activations must get right, as activation.test.ts's grid. */
function grid(): Float32Array {
  const values: number[] = [];
  for (let i = -2000; i <= 2000; i++) values.push(i / 100);
  for (let e = -40; e <= 40; e++) for (const m of [1, 1.37, 1.9]) values.push(m * 2 ** e, -m * 2 ** e);
  for (const v of [0, -0, 88, 88.7, 89, 100, -87, -100, -104, -150, 1e30, -1e30, 1e-30, -1e-30, 3.4e38, -3.4e38, 1e-45]) {
    values.push(v);
  }
  values.push(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
  return Float32Array.from(values);
}

describe('device math: activations', () => {
  const x = grid();
  const cases: Array<[ActivationName, number]> = [
    ['none', 0],
    ['relu', 0],
    ['leaky_relu', 0.01],
    ['leaky_relu', 0.2],
    ['elu', 1],
    ['elu', 0.5],
    ['gelu', 0],
    ['sigmoid', 0],
    ['tanh', 0],
  ];
  // The scalar CPU kernel states the arithmetic and the device math equals it bit for bit. The AVX
  // builds let GCC contract a multiply and an add of gelu's polynomial into an FMA (-ffp-contract),
  // which moves gelu by up to 3 ulps there (its accuracy is 12 ulps); every other activation is
  // bit for bit on every level.
  const simdUlps: Partial<Record<ActivationName, number>> = { gelu: 3 };
  for (const [name, alpha] of cases) {
    it(`${name}${alpha ? ` (alpha ${alpha})` : ''} equals the CPU kernels (bit for bit but gelu's SIMD contraction)`, () => {
      const gpu = native().cudaPlanActivation(x, ACTIVATION_CODES[name], Math.fround(alpha));
      for (const level of availableSimdLevels()) {
        const cpu = withSimd(level, () => ops.activationSync(Tensor.from(x), name, { alpha: alpha || undefined }).data);
        const bound = level === 'scalar' ? 0 : (simdUlps[name] ?? 0);
        if (bound === 0) {
          expectBitwiseEqual(gpu, cpu, `${level} ${name}`);
        } else {
          for (let i = 0; i < x.length; i++) {
            expect(ulpDistance(gpu[i], cpu[i]), `${level} ${name}(${x[i]}): ${gpu[i]} vs ${cpu[i]}`).toBeLessThanOrEqual(bound);
          }
        }
      }
    });
  }
});

describe('device math: int8 quantization', () => {
  /** Rows that reach every branch: plain, all zero, below 2^-110, one-signed, ties, huge. */
  function rows(k: number): Float32Array {
    const rng = new Random(11);
    const out: number[] = [];
    const push = (f: (c: number) => number) => {
      for (let c = 0; c < k; c++) out.push(Math.fround(f(c)));
    };
    push(() => rng.float() * 4 - 2);
    push(() => 0);
    push((c) => (c % 2 ? 1e-34 : -3e-34)); // range below 2^-110: scale 1, zero codes
    push(() => rng.float() * 10); // only positive: zero point 0
    push(() => -rng.float() * 0.01); // only negative: zero point 255
    push((c) => (c - k / 2) * 0.5); // many products land on .5: round half to even
    push((c) => (c % 3 === 0 ? 3e38 : -1e38));
    push((c) => (c === 0 ? 127 : c % 2 ? 63.5 : -0.5)); // absmax 127: scale 1, ties at x.5
    push(() => (rng.float() - 0.3) * 1e-20);
    return Float32Array.from(out);
  }

  for (const signed of [true, false]) {
    it(`${signed ? 'int8' : 'uint8'} codes, scales and zero points equal the CPU kernel's`, () => {
      for (const k of [1, 7, 64, 129]) {
        const x = rows(k);
        const n = x.length / k;
        const gpu = native().cudaPlanQuantizeRows(x, n, k, signed);
        expect(gpu.finite).toBe(true);
        const cpu = ops.quantizeSync(Tensor.from(x, [n, k]), { dtype: signed ? 'int8' : 'uint8' });
        expect(Array.from(gpu.codes), `k ${k}`).toEqual(Array.from(new Uint8Array(cpu.data.data.buffer, cpu.data.data.byteOffset, n * k)));
        expectBitwiseEqual(gpu.scale, cpu.scale, `k ${k} scale`);
        expect(Array.from(gpu.zeroPoint), `k ${k} zero points`).toEqual(signed ? new Array(n).fill(0) : Array.from(cpu.zeroPoint ?? []));
      }
    });
  }

  it('flags NaN and infinities, which the CPU kernel refuses', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const x = Float32Array.from([1, 2, bad, 4]);
      expect(native().cudaPlanQuantizeRows(x, 2, 2, true).finite).toBe(false);
      expect(native().cudaPlanQuantizeRows(x, 2, 2, false).finite).toBe(false);
      expect(() => ops.quantizeSync(Tensor.from(x, [2, 2]))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    }
  });
});

describe('device math: online softmax (gatAggregate)', () => {
  /** float64 softmax-weighted sum and weights, with the kernel's -inf rules. */
  function reference(scores: Float32Array, values: Float32Array): { out: number; attention: Float64Array } {
    const finite = Array.from(scores).filter((s) => s !== Number.NEGATIVE_INFINITY);
    const attention = new Float64Array(scores.length);
    if (finite.length === 0) return { out: 0, attention };
    const m = Math.max(...finite);
    let sum = 0;
    let acc = 0;
    scores.forEach((s, j) => {
      const w = s === Number.NEGATIVE_INFINITY ? 0 : Math.exp(s - m);
      sum += w;
      acc += w * values[j];
      attention[j] = w;
    });
    attention.forEach((w, j) => (attention[j] = w / sum));
    return { out: acc / sum, attention };
  }

  /** One destination row, edges from E sources; slope 1 keeps the scores as given. */
  function cpuGat(scores: Float32Array, values: Float32Array) {
    const e = scores.length;
    const edgeIndex = new Int32Array(2 * e);
    for (let i = 0; i < e; i++) edgeIndex[i] = i; // source i -> destination 0
    const graph = Graph.fromEdgeIndex(edgeIndex, e);
    const x = Tensor.from(values.slice(), [e, 1]);
    const aSrc = Tensor.from(scores.slice(), [e, 1]);
    return ops.gatAggregateSync(graph, x, aSrc, Tensor.zeros([e, 1]), { negativeSlope: 1, returnAttention: true });
  }

  const simdLevels = availableSimdLevels().filter((l) => l !== 'scalar'); // the scalar path uses libm's exp

  function randomRow(seed: number, e: number): { scores: Float32Array; values: Float32Array } {
    const rng = new Random(seed);
    return {
      scores: Float32Array.from({ length: e }, () => rng.float() * 20 - 10),
      values: Float32Array.from({ length: e }, () => rng.float() * 2 - 1),
    };
  }

  it('the row kernel\'s steps equal the CPU kernel (bit for bit on the SIMD levels)', () => {
    for (const e of [1, 2, 31, 300, 1000]) {
      const { scores, values } = randomRow(e, e);
      const gpu = native().cudaPlanOnlineSoftmax(scores, values, 0);
      for (const level of simdLevels) {
        const cpu = withSimd(level, () => cpuGat(scores, values));
        expectBitwiseEqual(Float32Array.of(gpu.out), cpu.out.data.subarray(0, 1), `${level} E ${e} out`);
        expectBitwiseEqual(gpu.attention, cpu.attention.data, `${level} E ${e} attention`);
      }
      // The scalar CPU kernel's std::exp differs from the polynomial by an ulp or two.
      const scalar = withSimd('scalar', () => cpuGat(scores, values));
      expect(Math.abs(gpu.out - scalar.out.data[0])).toBeLessThanOrEqual(Math.abs(gpu.out) * 1e-6 + 1e-7);
      gpu.attention.forEach((a, j) => expect(Math.abs(a - scalar.attention.data[j])).toBeLessThanOrEqual(a * 1e-6 + 1e-38));
    }
  });

  // The classic bound of a float32 running sum of E positive terms is about E·u (u = 2^-24), and
  // each rescale of the running state adds as much again: relative errors within (2E + 8)·u.
  it('merging chunks in order (the hub kernels) stays within the summation bound of float64', () => {
    for (const [e, chunk] of [
      [1000, CHUNK],
      [5000, CHUNK],
      [777, 7],
      [3, 1],
    ]) {
      const { scores, values } = randomRow(e + chunk, e);
      // Rising scores make later chunks move the max, so every merge rescales.
      if (e === 5000) scores.forEach((_, j) => (scores[j] = Math.fround(j / 500 - 5)));
      const want = reference(scores, values);
      const rel = (2 * e + 8) * 2 ** -24;
      for (const c of [0, chunk]) {
        const got = native().cudaPlanOnlineSoftmax(scores, values, c);
        const scale = Math.max(...Array.from(values, Math.abs));
        expect(Math.abs(got.out - want.out), `E ${e} chunk ${c} out`).toBeLessThanOrEqual(scale * rel);
        got.attention.forEach((a, j) => {
          expect(Math.abs(a - want.attention[j]), `E ${e} chunk ${c} attention[${j}]`).toBeLessThanOrEqual(want.attention[j] * rel + 1e-38);
        });
      }
    }
  });

  it('follows the CPU rules for -inf and NaN scores, chunked or not', () => {
    const ninf = Number.NEGATIVE_INFINITY;
    const values = Float32Array.from({ length: 9 }, (_, j) => j + 1);
    // All -inf: output and attention 0.
    for (const c of [0, 2]) {
      const got = native().cudaPlanOnlineSoftmax(new Float32Array(9).fill(ninf), values, c);
      expect(got.out).toBe(0);
      expect(Array.from(got.attention)).toEqual(new Array(9).fill(0));
    }
    // Leading chunks of -inf scores contribute nothing.
    const scores = Float32Array.from([ninf, ninf, ninf, ninf, 1, 2, ninf, 3, 0]);
    const want = reference(scores, values);
    for (const c of [0, 2, 4]) {
      const got = native().cudaPlanOnlineSoftmax(scores, values, c);
      expect(Math.abs(got.out - want.out), `chunk ${c}`).toBeLessThan(1e-5);
      expect(got.attention[0]).toBe(0);
      expect(got.attention[6]).toBe(0);
    }
    for (const level of simdLevels) {
      const cpu = withSimd(level, () => cpuGat(scores, values));
      expectBitwiseEqual(native().cudaPlanOnlineSoftmax(scores, values, 0).attention, cpu.attention.data, `${level} -inf rules`);
    }
    // A NaN score makes the head NaN.
    for (const c of [0, 2]) {
      const nan = native().cudaPlanOnlineSoftmax(Float32Array.from([1, Number.NaN, 2]), Float32Array.from([1, 1, 1]), c);
      expect(Number.isNaN(nan.out), `chunk ${c}`).toBe(true);
    }
    // No edges: 0.
    expect(native().cudaPlanOnlineSoftmax(new Float32Array(0), new Float32Array(0), 0).out).toBe(0);
  });
});
