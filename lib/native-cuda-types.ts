/**
 * The CUDA half of the addon's interface: present only in the CUDA build (`build-cuda/`), as the
 * `cuda` property of the addon object (`NativeAddon['cuda']` is undefined in the CPU build).
 *
 * Conventions every function follows:
 * - Handles (`DeviceBuffer`, `DeviceGraph`) are opaque native objects; a freed handle used again
 *   throws ERR_GNN_DEVICE ("... was disposed").
 * - Sizes and offsets are in bytes for the runtime functions and in elements for ops; numbers
 *   (safe integers), never BigInt.
 * - `*Sync` ops enqueue on the calling thread's stream (cudaStreamPerThread) and return once the
 *   work is queued (stream order keeps later ops and copies correct). `*Async` ops run the enqueue
 *   on a libuv worker thread, on that thread's own stream, and resolve once the work has finished
 *   (so a result handed back to JavaScript is complete whichever stream reads it next).
 * - Errors: argument problems throw the CPU kernels' codes (ERR_INVALID_ARG_*, ERR_OUT_OF_RANGE,
 *   ERR_GNN_SHAPE_MISMATCH); a buffer on another device than the graph or the other buffers throws
 *   ERR_GNN_DEVICE; pool exhaustion throws ERR_GNN_OUT_OF_MEMORY (recoverable); any other CUDA error
 *   throws ERR_GNN_CUDA naming the runtime error; a sticky error (illegal address, launch failure)
 *   poisons that device's context, after which every call on the device fails fast with
 *   ERR_GNN_CUDA ("the CUDA context of device N was poisoned by <error> ...; restart the process").
 * @internal
 */
import type { ReduceCode } from './native-types';

/** Activation codes as lib/ops/activation.ts ACTIVATION_CODES (0 none, 1 relu, ...). */
export type ActivationCode = number;

declare const deviceBufferBrand: unique symbol;
declare const deviceGraphBrand: unique symbol;

/** Device memory from the stream-ordered pool. */
export interface DeviceBuffer {
  readonly [deviceBufferBrand]: true;
}

/** A graph's CSR arrays (and its hub-row plan) on one device. */
export interface DeviceGraph {
  readonly [deviceGraphBrand]: true;
}

export interface CudaDeviceInfo {
  index: number;
  name: string;
  /** Bytes of device memory. */
  totalMemory: number;
  /** e.g. '9.0'. */
  computeCapability: string;
  multiprocessors: number;
  /** Whether this build has code for the device's architecture (CUDAARCHS). */
  supported: boolean;
}

export interface CudaProbe {
  /** A device answered and this build can run on at least one device. */
  available: boolean;
  /** Why not, in words (the runtime's error name and string included); '' when available. */
  reason: string;
  /** cudaRuntimeGetVersion / cudaDriverGetVersion (0 when no driver). */
  runtimeVersion: number;
  driverVersion: number;
  devices: CudaDeviceInfo[];
  /** Architectures compiled in, e.g. '75;80;90'. */
  architectures: string;
  /** Libraries the build linked. */
  cublas: boolean;
  cusparse: boolean;
}

export interface CudaMemoryInfo {
  free: number;
  total: number;
  /** Bytes the pool holds from the driver and bytes handed out now. */
  poolReserved: number;
  poolUsed: number;
}

export interface NativeCuda {
  /** Probes once (lazily, never at module load) and caches; never throws. */
  probe(): CudaProbe;
  memoryInfo(device: number): CudaMemoryInfo;
  /** Waits for all work on the device (every stream). */
  synchronize(device: number): void;
  /** Gives pool memory beyond `keepBytes` back to the driver. */
  trimPool(device: number, keepBytes: number): void;

  /** `bytes` of device memory (0 allowed) from the device's stream-ordered pool. */
  alloc(device: number, bytes: number): DeviceBuffer;
  /** Releases the memory (stream-ordered on the calling thread's stream); idempotent. */
  free(buffer: DeviceBuffer): void;
  bufferInfo(buffer: DeviceBuffer): { device: number; bytes: number; disposed: boolean };
  /** Host -> device: src's bytes to buffer at byteOffset; returns when the copy is done. */
  upload(buffer: DeviceBuffer, byteOffset: number, src: ArrayBufferView): void;
  /** Device -> host: waits for the calling thread's stream, then copies dst.byteLength bytes. */
  download(buffer: DeviceBuffer, byteOffset: number, dst: ArrayBufferView): void;
  /** The same off the event loop (dst held until it settles). */
  downloadAsync(buffer: DeviceBuffer, byteOffset: number, dst: ArrayBufferView): Promise<void>;
  /** Device -> device, stream-ordered. */
  copy(dst: DeviceBuffer, dstOffset: number, src: DeviceBuffer, srcOffset: number, bytes: number): void;
  /** Sets `bytes` bytes at byteOffset to `value` (0..255), stream-ordered. */
  fill(buffer: DeviceBuffer, byteOffset: number, bytes: number, value: number): void;

  /**
   * Uploads a validated CSR graph (the CPU Graph's own arrays) and plans its hub rows.
   * indptr has numRows + 1 entries (int32, or BigInt64Array beyond 2^31 edges).
   */
  graphUpload(
    device: number,
    indptr: Int32Array | BigInt64Array,
    indices: Int32Array,
    edgeIds: Int32Array | null,
    weights: Float32Array | null,
    numRows: number,
    numCols: number,
  ): DeviceGraph;
  graphFree(graph: DeviceGraph): void;
  graphInfo(graph: DeviceGraph): { device: number; bytes: number; hubRows: number; maxRowNnz: number; disposed: boolean };

  // ---- ops: positional arguments as the CPU ops (native-types.ts), buffers in place of arrays ----
  // weightsMode: 0 none, 1 the graph's own weights (CSR order), 2 `weights` in caller edge order [E, heads].
  spmmSync(...a: CudaSpmmArgs): void;
  spmmAsync(...a: CudaSpmmArgs): Promise<void>;
  /** q int8 codes [numCols, width]; scale [numCols] (scaleStride 1) or [1] (0). */
  spmmInt8Sync(...a: CudaQSpmmArgs): void;
  spmmInt8Async(...a: CudaQSpmmArgs): Promise<void>;
  /** op: 0 dot, 1 add, 2 sub, 3 mul (attention.h). */
  sddmmSync(...a: CudaSddmmArgs): void;
  sddmmAsync(...a: CudaSddmmArgs): Promise<void>;
  edgeSoftmaxSync(...a: CudaEdgeSoftmaxArgs): void;
  edgeSoftmaxAsync(...a: CudaEdgeSoftmaxArgs): Promise<void>;
  gatAggregateSync(...a: CudaGatArgs): void;
  gatAggregateAsync(...a: CudaGatArgs): Promise<void>;
  gatv2ScoresSync(...a: CudaGatv2Args): void;
  gatv2ScoresAsync(...a: CudaGatv2Args): Promise<void>;

  activationSync(...a: CudaActivationArgs): void;
  activationAsync(...a: CudaActivationArgs): Promise<void>;
  addSync(...a: CudaAddArgs): void;
  addAsync(...a: CudaAddArgs): Promise<void>;
  scaleSync(...a: CudaScaleArgs): void;
  scaleAsync(...a: CudaScaleArgs): Promise<void>;
  /** kind: 0 softmax, 1 log-softmax. */
  softmaxSync(...a: CudaSoftmaxArgs): void;
  softmaxAsync(...a: CudaSoftmaxArgs): Promise<void>;
  concatSync(...a: CudaConcatArgs): void;
  concatAsync(...a: CudaConcatArgs): Promise<void>;
  indexSelectSync(...a: CudaIndexSelectArgs): void;
  indexSelectAsync(...a: CudaIndexSelectArgs): Promise<void>;
  indexScatterSync(...a: CudaIndexScatterArgs): void;
  indexScatterAsync(...a: CudaIndexScatterArgs): Promise<void>;
  columnAffineSync(...a: CudaColumnAffineArgs): void;
  columnAffineAsync(...a: CudaColumnAffineArgs): Promise<void>;
  layerNormSync(...a: CudaLayerNormArgs): void;
  layerNormAsync(...a: CudaLayerNormArgs): Promise<void>;
  graphLayerNormSync(...a: CudaGraphLayerNormArgs): void;
  graphLayerNormAsync(...a: CudaGraphLayerNormArgs): Promise<void>;

  linearSync(...a: CudaLinearArgs): void;
  linearAsync(...a: CudaLinearArgs): Promise<void>;
  quantizeSync(...a: CudaQuantizeArgs): void;
  quantizeAsync(...a: CudaQuantizeArgs): Promise<void>;
  dequantizeSync(...a: CudaDequantizeArgs): void;
  dequantizeAsync(...a: CudaDequantizeArgs): Promise<void>;
  quantizedLinearSync(...a: CudaQLinearArgs): void;
  quantizedLinearAsync(...a: CudaQLinearArgs): Promise<void>;

  /** Benchmarks: cuSPARSE SpMM (CSR, sum, optional CSR-order weights) into out; throws ERR_GNN_BACKEND_UNAVAILABLE without cuSPARSE. Returns median ms over `repeats` after warm-up, timed with events. */
  cusparseSpmmMs(graph: DeviceGraph, x: DeviceBuffer, width: number, useGraphWeights: boolean, out: DeviceBuffer, repeats: number): number;
  /** Benchmarks: median ms of our spmm the same way (events on one stream, after warm-up). */
  spmmMs(graph: DeviceGraph, x: DeviceBuffer, width: number, weightsMode: number, weights: DeviceBuffer | null, heads: number, out: DeviceBuffer, reduce: ReduceCode, repeats: number): number;
  /** Benchmarks: device-to-device copy bandwidth in GB/s (bytes read + written), best of `repeats`. */
  copyBandwidth(device: number, bytes: number, repeats: number): number;
}

export type CudaSpmmArgs = [
  graph: DeviceGraph,
  x: DeviceBuffer,
  width: number,
  weightsMode: 0 | 1 | 2,
  weights: DeviceBuffer | null,
  heads: number,
  out: DeviceBuffer,
  reduce: ReduceCode,
];
export type CudaQSpmmArgs = [
  graph: DeviceGraph,
  q: DeviceBuffer,
  width: number,
  scale: DeviceBuffer,
  scaleStride: 0 | 1,
  weightsMode: 0 | 1 | 2,
  weights: DeviceBuffer | null,
  heads: number,
  out: DeviceBuffer,
  reduce: ReduceCode,
];
export type CudaSddmmArgs = [
  graph: DeviceGraph,
  u: DeviceBuffer,
  uWidth: number,
  v: DeviceBuffer,
  vWidth: number,
  heads: number,
  op: 0 | 1 | 2 | 3,
  out: DeviceBuffer,
  outWidth: number,
];
export type CudaEdgeSoftmaxArgs = [graph: DeviceGraph, scores: DeviceBuffer, out: DeviceBuffer, heads: number];
export type CudaGatArgs = [
  graph: DeviceGraph,
  x: DeviceBuffer,
  heads: number,
  headWidth: number,
  aSrc: DeviceBuffer,
  aDst: DeviceBuffer,
  edgeTerm: DeviceBuffer | null,
  negativeSlope: number,
  out: DeviceBuffer,
  attention: DeviceBuffer | null,
];
export type CudaGatv2Args = [
  graph: DeviceGraph,
  xl: DeviceBuffer,
  xr: DeviceBuffer,
  att: DeviceBuffer,
  heads: number,
  headWidth: number,
  negativeSlope: number,
  out: DeviceBuffer,
];
export type CudaActivationArgs = [x: DeviceBuffer, out: DeviceBuffer, n: number, act: ActivationCode, alpha: number];
export type CudaAddArgs = [
  a: DeviceBuffer,
  b: DeviceBuffer,
  out: DeviceBuffer,
  rows: number,
  width: number,
  bRowStride: number,
  alpha: number,
  beta: number,
];
export type CudaScaleArgs = [x: DeviceBuffer, rowScale: DeviceBuffer | null, scale: number, out: DeviceBuffer, rows: number, width: number];
export type CudaSoftmaxArgs = [x: DeviceBuffer, out: DeviceBuffer, rows: number, width: number, kind: 0 | 1];
/** parts: [buffer, width] pairs, each [rows, width]. */
export type CudaConcatArgs = [parts: Array<[DeviceBuffer, number]>, rows: number, out: DeviceBuffer];
export type CudaIndexSelectArgs = [x: DeviceBuffer, xRows: number, width: number, index: DeviceBuffer, n: number, out: DeviceBuffer];
/** op: 0 copy (later rows win), 1 add (alpha · src, in index order). */
export type CudaIndexScatterArgs = [
  target: DeviceBuffer,
  targetRows: number,
  width: number,
  index: DeviceBuffer,
  n: number,
  src: DeviceBuffer,
  op: 0 | 1,
  alpha: number,
];
export type CudaColumnAffineArgs = [
  x: DeviceBuffer,
  scale: DeviceBuffer | null,
  shift: DeviceBuffer | null,
  out: DeviceBuffer,
  rows: number,
  width: number,
];
export type CudaLayerNormArgs = [
  x: DeviceBuffer,
  weight: DeviceBuffer | null,
  bias: DeviceBuffer | null,
  out: DeviceBuffer,
  rows: number,
  width: number,
  eps: number,
];
export type CudaGraphLayerNormArgs = [
  x: DeviceBuffer,
  batch: DeviceBuffer | null,
  weight: DeviceBuffer | null,
  bias: DeviceBuffer | null,
  out: DeviceBuffer,
  rows: number,
  width: number,
  eps: number,
];
/** weight is the plain [m, k] matrix (no packing on the GPU); useLibrary false forces our kernel. */
export type CudaLinearArgs = [
  x: DeviceBuffer,
  n: number,
  k: number,
  weight: DeviceBuffer,
  m: number,
  bias: DeviceBuffer | null,
  out: DeviceBuffer,
  act: ActivationCode,
  alpha: number,
  useLibrary: boolean,
];
/** zeroPoint: an int32 buffer for uint8 (as many entries as scale), null for int8. */
export type CudaQuantizeArgs = [
  x: DeviceBuffer,
  n: number,
  k: number,
  isSigned: boolean,
  perRow: boolean,
  isStatic: boolean,
  staticScale: number,
  staticZeroPoint: number,
  codes: DeviceBuffer,
  scale: DeviceBuffer,
  zeroPoint: DeviceBuffer | null,
];
export type CudaDequantizeArgs = [
  codes: DeviceBuffer,
  isSigned: boolean,
  n: number,
  k: number,
  scale: DeviceBuffer,
  scaleLength: number,
  zeroPoint: DeviceBuffer | null,
  out: DeviceBuffer,
];
export type CudaQLinearArgs = [
  x: DeviceBuffer,
  xScale: DeviceBuffer,
  xZeroPoint: DeviceBuffer,
  n: number,
  k: number,
  weight: DeviceBuffer,
  weightScale: DeviceBuffer,
  m: number,
  bias: DeviceBuffer | null,
  out: DeviceBuffer,
  act: ActivationCode,
  alpha: number,
];
