/**
 * The shape of the raw addon (native/addon.cc), typed once. Internal: the public API wraps every
 * function with argument checks and error mapping.
 * @internal
 */
import type { NativeCuda } from './native-cuda-types';

/** What the native side receives for a graph: the Graph's private, validated arrays. */
export interface NativeGraph {
  readonly indptr: Int32Array | BigInt64Array;
  readonly indices: Int32Array;
  readonly edgeIds: Int32Array | null;
  readonly weights: Float32Array | null;
  readonly numCols: number;
}

/** Arrays of a graph built or transformed natively. */
export interface NativeGraphArrays {
  indptr: Int32Array | BigInt64Array;
  indices: Int32Array;
  edgeIds: Int32Array | null;
  weights: Float32Array | null;
}

export interface NativeBackendInfo {
  version: string;
  simd: 'scalar' | 'avx2' | 'avx512';
  simdDetected: 'scalar' | 'avx2' | 'avx512';
  vnni: boolean;
  threads: number;
  physicalCores: number;
  buildFlags: string;
  compiler: string;
  cuda: boolean;
}

/** Reducer codes shared with native/kernels/spmm.h (enum Reduce). */
export const REDUCE_CODES = { sum: 0, mean: 1, max: 2, min: 3 } as const;
export type ReduceCode = (typeof REDUCE_CODES)[keyof typeof REDUCE_CODES];

/** spmm's positional arguments: graph, x, width, weights, weightIds, heads, out, reduce. */
export type NativeSpmmArgs = [
  graph: NativeGraph,
  x: Float32Array,
  width: number,
  weights: Float32Array | null,
  weightIds: Int32Array | null,
  heads: number,
  out: Float32Array,
  reduce: ReduceCode,
];

/** qspmm's positional arguments: graph, codes, width, scale ([numCols] or [1]), weights, weightIds, heads, out, reduce. */
export type NativeQSpmmArgs = [
  graph: NativeGraph,
  q: Int8Array,
  width: number,
  scale: Float32Array,
  weights: Float32Array | null,
  weightIds: Int32Array | null,
  heads: number,
  out: Float32Array,
  reduce: ReduceCode,
];

/** sddmm's positional arguments; op: 0 dot, 1 add, 2 sub, 3 mul. */
export type NativeSddmmArgs = [
  graph: NativeGraph,
  u: Float32Array,
  uWidth: number,
  v: Float32Array,
  vWidth: number,
  heads: number,
  op: number,
  out: Float32Array,
  outWidth: number,
];

/** gatAggregate's positional arguments. */
export type NativeGatArgs = [
  graph: NativeGraph,
  x: Float32Array,
  heads: number,
  headWidth: number,
  aSrc: Float32Array,
  aDst: Float32Array,
  edgeTerm: Float32Array | null,
  negativeSlope: number,
  out: Float32Array,
  attention: Float32Array | null,
];

/**
 * linear's positional arguments: x, n, k, packed, layout, m, bias, out, activation, alpha,
 * weight (given: pack it into `packed` first).
 */
export type NativeLinearArgs = [
  x: Float32Array,
  n: number,
  k: number,
  packed: Float32Array,
  layout: number,
  m: number,
  bias: Float32Array | null,
  out: Float32Array,
  activation: number,
  alpha: number,
  weight: Float32Array | null,
];

/** The int8 GEMM paths (native/kernels/qgemm.h). */
export type NativeInt8Path = 'scalar' | 'avx2' | 'avx-vnni' | 'avx512bw' | 'avx512-vnni';

/** quantize's positional arguments: x, n, k, signed, perRow, staticScale, staticZeroPoint, codes, scale, zeroPoint. */
export type NativeQuantizeArgs = [
  x: Float32Array,
  n: number,
  k: number,
  signed: boolean,
  perRow: boolean,
  staticScale: number | null,
  staticZeroPoint: number,
  codes: Int8Array | Uint8Array,
  scale: Float32Array,
  zeroPoint: Int32Array | null,
];

/** dequantize's positional arguments. */
export type NativeDequantizeArgs = [
  codes: Int8Array | Uint8Array,
  n: number,
  k: number,
  scale: Float32Array,
  zeroPoint: Int32Array | null,
  out: Float32Array,
];

/**
 * qlinear's positional arguments: x (fp32, or int8 / uint8 codes with their scale and zero points),
 * static per-tensor input params (scale null: dynamic), the packed weight and its scales, bias,
 * activation, alpha, and the output (float32, or int8 codes with one scale per row).
 */
export type NativeQLinearArgs = [
  x: Float32Array | Int8Array | Uint8Array,
  n: number,
  k: number,
  xScale: Float32Array | null,
  xZeroPoint: Int32Array | null,
  staticScale: number | null,
  staticZeroPoint: number,
  packed: Int8Array,
  m: number,
  wScale: Float32Array,
  bias: Float32Array | null,
  activation: number,
  alpha: number,
  out: Float32Array | Int8Array,
  outScale: Float32Array | null,
];

/**
 * sparseLinear's positional arguments: x, n, k, indptr, indices, values (the weight's validated
 * private copies), m, bias, out, activation, alpha.
 */
export type NativeSparseLinearArgs = [
  x: Float32Array,
  n: number,
  k: number,
  indptr: Int32Array,
  indices: Int32Array,
  values: Float32Array,
  m: number,
  bias: Float32Array | null,
  out: Float32Array,
  activation: number,
  alpha: number,
];

/** gatv2Scores' positional arguments. */
export type NativeGatv2Args = [
  graph: NativeGraph,
  xl: Float32Array,
  xr: Float32Array,
  att: Float32Array,
  heads: number,
  headWidth: number,
  negativeSlope: number,
  out: Float32Array,
];

/** The CUDA half: present only in the CUDA build (see native-cuda-types.ts). */
export interface NativeAddon {
  /** Present only in the CUDA build. */
  readonly cuda?: NativeCuda;
  csrFromEdgeIndex(
    src: Int32Array,
    dst: Int32Array,
    numNodes: number,
    weights: Float32Array | null,
  ): NativeGraphArrays & { numNodes: number };
  validateCsr(
    indptr: Int32Array | BigInt64Array,
    indices: Int32Array,
    numSrcNodes: number,
    weights: Float32Array | null,
  ): void;
  removeSelfLoops(graph: NativeGraph): NativeGraphArrays;
  addSelfLoops(graph: NativeGraph, fillValue: number, weighted: boolean): NativeGraphArrays;
  gcnNorm(graph: NativeGraph): Float32Array;
  toUndirected(graph: NativeGraph, reduce: ReduceCode): NativeGraphArrays;
  degrees(graph: NativeGraph, which: 0 | 1): Int32Array;
  spmmSync(...args: NativeSpmmArgs): Float32Array;
  spmmAsync(...args: NativeSpmmArgs): Promise<Float32Array>;
  baselineSpmmSync(graph: NativeGraph, x: Float32Array, width: number, out: Float32Array, reduce: ReduceCode): Float32Array;
  qspmmSync(...args: NativeQSpmmArgs): Float32Array;
  qspmmAsync(...args: NativeQSpmmArgs): Promise<Float32Array>;
  sddmmSync(...args: NativeSddmmArgs): Float32Array;
  sddmmAsync(...args: NativeSddmmArgs): Promise<Float32Array>;
  edgeSoftmaxSync(graph: NativeGraph, scores: Float32Array, heads: number, out: Float32Array): Float32Array;
  edgeSoftmaxAsync(graph: NativeGraph, scores: Float32Array, heads: number, out: Float32Array): Promise<Float32Array>;
  gatAggregateSync(...args: NativeGatArgs): Float32Array;
  gatAggregateAsync(...args: NativeGatArgs): Promise<Float32Array>;
  activationSync(x: Float32Array, out: Float32Array, kind: number, alpha: number): Float32Array;
  activationAsync(x: Float32Array, out: Float32Array, kind: number, alpha: number): Promise<Float32Array>;
  gemmLayout(): number;
  packedWeightLength(layout: number, m: number, k: number): number;
  packWeightSync(weight: Float32Array, m: number, k: number, layout: number, packed: Float32Array): Float32Array;
  linearSync(...args: NativeLinearArgs): Float32Array;
  linearAsync(...args: NativeLinearArgs): Promise<Float32Array>;
  measurePeakFlops(threads: number, ms: number): number;
  validateSparseWeight(indptr: Int32Array, indices: Int32Array, values: Float32Array, m: number, k: number): void;
  sparseLinearSync(...args: NativeSparseLinearArgs): Float32Array;
  sparseLinearAsync(...args: NativeSparseLinearArgs): Promise<Float32Array>;
  addSync(a: Float32Array, b: Float32Array, out: Float32Array, width: number, alpha: number, beta: number): Float32Array;
  addAsync(a: Float32Array, b: Float32Array, out: Float32Array, width: number, alpha: number, beta: number): Promise<Float32Array>;
  scaleSync(x: Float32Array, rowScale: Float32Array | null, scale: number, out: Float32Array, rows: number): Float32Array;
  scaleAsync(x: Float32Array, rowScale: Float32Array | null, scale: number, out: Float32Array, rows: number): Promise<Float32Array>;
  /** kind: 0 softmax, 1 log-softmax. */
  softmaxSync(x: Float32Array, out: Float32Array, width: number, kind: 0 | 1): Float32Array;
  softmaxAsync(x: Float32Array, out: Float32Array, width: number, kind: 0 | 1): Promise<Float32Array>;
  concatSync(parts: Float32Array[], rows: number, out: Float32Array): Float32Array;
  concatAsync(parts: Float32Array[], rows: number, out: Float32Array): Promise<Float32Array>;
  indexSelectSync(x: Float32Array, rows: number, width: number, index: Int32Array, out: Float32Array): Float32Array;
  indexSelectAsync(x: Float32Array, rows: number, width: number, index: Int32Array, out: Float32Array): Promise<Float32Array>;
  /** op: 0 copy, 1 add (target[index[i]] += alpha·src[i]). */
  indexScatterSync(target: Float32Array, rows: number, width: number, index: Int32Array, src: Float32Array, op: 0 | 1, alpha: number): Float32Array;
  indexScatterAsync(
    target: Float32Array,
    rows: number,
    width: number,
    index: Int32Array,
    src: Float32Array,
    op: 0 | 1,
    alpha: number,
  ): Promise<Float32Array>;
  columnAffineSync(x: Float32Array, scale: Float32Array | null, shift: Float32Array | null, out: Float32Array, width: number): Float32Array;
  columnAffineAsync(
    x: Float32Array,
    scale: Float32Array | null,
    shift: Float32Array | null,
    out: Float32Array,
    width: number,
  ): Promise<Float32Array>;
  layerNormSync(x: Float32Array, weight: Float32Array | null, bias: Float32Array | null, eps: number, out: Float32Array, width: number): Float32Array;
  layerNormAsync(
    x: Float32Array,
    weight: Float32Array | null,
    bias: Float32Array | null,
    eps: number,
    out: Float32Array,
    width: number,
  ): Promise<Float32Array>;
  /** batch: graph id per row in [0, rows), or null for one graph (PyG's eps-on-std path). */
  graphLayerNormSync(
    x: Float32Array,
    batch: Int32Array | null,
    weight: Float32Array | null,
    bias: Float32Array | null,
    eps: number,
    out: Float32Array,
    width: number,
  ): Float32Array;
  graphLayerNormAsync(
    x: Float32Array,
    batch: Int32Array | null,
    weight: Float32Array | null,
    bias: Float32Array | null,
    eps: number,
    out: Float32Array,
    width: number,
  ): Promise<Float32Array>;
  gatv2ScoresSync(...args: NativeGatv2Args): Float32Array;
  gatv2ScoresAsync(...args: NativeGatv2Args): Promise<Float32Array>;
  int8Path(): NativeInt8Path;
  setInt8Vnni(enabled: boolean): NativeInt8Path;
  quantizeSync(...args: NativeQuantizeArgs): Int8Array | Uint8Array;
  quantizeAsync(...args: NativeQuantizeArgs): Promise<Int8Array | Uint8Array>;
  dequantizeSync(...args: NativeDequantizeArgs): Float32Array;
  dequantizeAsync(...args: NativeDequantizeArgs): Promise<Float32Array>;
  packedQWeightBytes(m: number, k: number): number;
  packQWeightSync(weight: Int8Array, m: number, k: number, packed: Int8Array): Int8Array;
  qlinearSync(...args: NativeQLinearArgs): Float32Array | Int8Array;
  qlinearAsync(...args: NativeQLinearArgs): Promise<Float32Array | Int8Array>;
  backendInfo(): NativeBackendInfo;
  setNumThreads(n: number): number;
  getNumThreads(): number;
  setSimdLevel(level: string): 'scalar' | 'avx2' | 'avx512';
  alignmentOf(buffer: ArrayBuffer): number;
  measureBandwidth(
    bytesPerArray: number,
    threads: number,
    repeats: number,
  ): { copy: number; triad: number; threads: number; bytesPerArray: number };

  // ---- the CUDA kernels' host-side schedule and device math, run on the CPU (both builds) ----
  /** cuda/launch_plan.h PlanHubRows plus the chunk lookups the kernels make (cuda/schedule_math.cuh). */
  cudaPlanHubRows(indptr: Int32Array | BigInt64Array, threshold: number): CudaHubPlan;
  /** The destination row of each CSR position, by the kernels' binary search. */
  cudaPlanEdgeRows(indptr: Int32Array | BigInt64Array): Float64Array;
  /** cuda/launch_plan.h ChooseSpmmLaunch. maxVector: 1, 2 or 4; maxSlots (default 8): 4 for gatAggregate. */
  cudaPlanSpmmLaunch(width: number, headWidth: number, rows: number, maxVector: number, maxSlots?: number): CudaSpmmLaunch;
  /** cuda/device_math.cuh activations compiled by the host compiler (act: ACTIVATION_CODES). */
  cudaPlanActivation(x: Float32Array, act: number, alpha: number): Float32Array;
  /** Per-row int8 / uint8 quantization as cuda/quantize.cu computes it. */
  cudaPlanQuantizeRows(
    x: Float32Array,
    n: number,
    k: number,
    signed: boolean,
  ): { codes: Uint8Array; scale: Float32Array; zeroPoint: Int32Array; finite: boolean };
  /** One head of one gatAggregate row: sequential online softmax (chunk <= 0) or chunks merged in order. */
  cudaPlanOnlineSoftmax(
    scores: Float32Array,
    values: Float32Array,
    chunk: number,
  ): { out: number; max: number; sum: number; attention: Float32Array };
}

/** cudaPlanHubRows: the hub plan, its chunk offsets, and every chunk task the kernels launch. */
export interface CudaHubPlan {
  rows: Int32Array;
  maxRowNnz: number;
  threshold: number;
  /** kHubChunkEdges. */
  chunkEdges: number;
  /** rows.length + 1 entries. */
  chunkOffsets: Float64Array;
  /** Chunk tasks launched (HubChunkBound >= the exact count). */
  chunkBound: number;
  /** Per chunk task: its hub row (-1 past the exact count) and CSR range [begin, end). */
  chunkRow: Int32Array;
  chunkBegin: Float64Array;
  chunkEnd: Float64Array;
  /** Per row: 1 when the row kernels leave it to the chunk tasks. */
  isHub: Uint8Array;
}

/** cudaPlanSpmmLaunch: cuda/launch_plan.h SpmmLaunch. */
export interface CudaSpmmLaunch {
  lanes: number;
  vector: number;
  slots: number;
  tileVectors: number;
  tileColumns: number;
  tiles: number;
  threadsPerBlock: number;
  groupsPerBlock: number;
  tasks: number;
  blocks: number;
}
