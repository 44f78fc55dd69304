/**
 * A test double of the addon's CUDA half (lib/native-cuda-types.ts) over host memory: every
 * DeviceBuffer is a host ArrayBuffer tagged with its device, every DeviceGraph the uploaded arrays
 * as a CPU Graph, and every op runs the CPU kernels through the public CPU ops on views of those
 * buffers. Installed with setCudaNativeForTesting, it exercises the whole TypeScript device layer
 * (dispatch, argument marshalling, workspaces, model moves) with results that must equal the CPU
 * path bit for bit. It checks what the real runtime checks (disposed handles, one device per call,
 * buffer sizes) and poisons new allocations with NaN bytes, so code that reads memory no kernel
 * wrote shows up. Test-only: never shipped.
 */
import { performance } from 'node:perf_hooks';

import { GnnError, QuantizedTensor, QuantizedWeight, Tensor, ops } from '../../lib/index';
import type { Graph } from '../../lib/index';
import { graphFromValidatedArrays } from '../../lib/graph';
import { ACTIVATION_CODES } from '../../lib/ops/activation';
import type { ActivationName } from '../../lib/ops/activation';
import type {
  CudaActivationArgs,
  CudaAddArgs,
  CudaColumnAffineArgs,
  CudaConcatArgs,
  CudaDequantizeArgs,
  CudaEdgeSoftmaxArgs,
  CudaGatArgs,
  CudaGatv2Args,
  CudaGraphLayerNormArgs,
  CudaIndexScatterArgs,
  CudaIndexSelectArgs,
  CudaLayerNormArgs,
  CudaLinearArgs,
  CudaMemoryInfo,
  CudaProbe,
  CudaQLinearArgs,
  CudaQSpmmArgs,
  CudaQuantizeArgs,
  CudaScaleArgs,
  CudaSddmmArgs,
  CudaSoftmaxArgs,
  CudaSpmmArgs,
  DeviceBuffer,
  DeviceGraph,
  NativeCuda,
} from '../../lib/native-cuda-types';

class FakeBuffer {
  disposed = false;
  constructor(
    readonly device: number,
    readonly memory: ArrayBuffer,
  ) {}
}

class FakeGraph {
  disposed = false;
  constructor(
    readonly device: number,
    readonly graph: Graph,
    readonly bytes: number,
  ) {}
}

const REDUCERS = ['sum', 'mean', 'max', 'min'] as const;
const SDDMM_OPS = ['dot', 'add', 'sub', 'mul'] as const;
const ACTIVATION_NAMES = Object.fromEntries(Object.entries(ACTIVATION_CODES).map(([k, v]) => [v, k])) as Record<number, ActivationName>;

function deviceError(message: string): GnnError {
  return new GnnError('ERR_GNN_DEVICE', message);
}

export interface FakeCudaOptions {
  /** Devices the probe reports (default 1). */
  devices?: number;
}

/** The double; `calls` lists every native call by name, `live` the buffers not yet freed. */
export class FakeCuda implements NativeCuda {
  readonly calls: string[] = [];
  readonly #devices: number;
  readonly #live = new Set<FakeBuffer>();
  readonly #graphs = new Set<FakeGraph>();

  constructor(options: FakeCudaOptions = {}) {
    this.#devices = options.devices ?? 1;
  }

  /** Buffers allocated and not freed. */
  get live(): number {
    return this.#live.size;
  }

  /** Device graphs uploaded and not freed. */
  get liveGraphs(): number {
    return this.#graphs.size;
  }

  /** How many calls of `name` were made. */
  count(name: string): number {
    return this.calls.filter((c) => c === name).length;
  }

  // ---- runtime ----

  probe(): CudaProbe {
    return {
      available: true,
      reason: '',
      runtimeVersion: 12040,
      driverVersion: 12040,
      devices: Array.from({ length: this.#devices }, (_, index) => ({
        index,
        name: `Fake CUDA device ${index}`,
        totalMemory: 2 ** 34,
        computeCapability: '9.0',
        multiprocessors: 132,
        supported: true,
      })),
      architectures: '80;90',
      cublas: false,
      cusparse: false,
    };
  }

  memoryInfo(device: number): CudaMemoryInfo {
    this.#checkDevice(device);
    let used = 0;
    for (const b of this.#live) if (b.device === device) used += b.memory.byteLength;
    return { free: 2 ** 34 - used, total: 2 ** 34, poolReserved: used, poolUsed: used };
  }

  synchronize(device: number): void {
    this.#checkDevice(device);
    this.calls.push('synchronize');
  }

  trimPool(device: number, keepBytes: number): void {
    this.#checkDevice(device);
    void keepBytes;
  }

  alloc(device: number, bytes: number): DeviceBuffer {
    this.#checkDevice(device);
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bytes: expected a non-negative integer, got ${bytes}`);
    this.calls.push('alloc');
    const b = new FakeBuffer(device, new ArrayBuffer(bytes));
    new Uint8Array(b.memory).fill(0xff); // NaN in every float32 lane: nothing reads what it did not write
    this.#live.add(b);
    return b as unknown as DeviceBuffer;
  }

  free(buffer: DeviceBuffer): void {
    const b = buffer as unknown as FakeBuffer;
    if (!(b instanceof FakeBuffer)) throw new TypeError('buffer: expected a DeviceBuffer');
    this.calls.push('free');
    b.disposed = true;
    this.#live.delete(b);
  }

  bufferInfo(buffer: DeviceBuffer): { device: number; bytes: number; disposed: boolean } {
    const b = buffer as unknown as FakeBuffer;
    return { device: b.device, bytes: b.memory.byteLength, disposed: b.disposed };
  }

  upload(buffer: DeviceBuffer, byteOffset: number, src: ArrayBufferView): void {
    this.calls.push('upload');
    const b = this.#buffer('buffer', buffer);
    new Uint8Array(b.memory, byteOffset, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
  }

  download(buffer: DeviceBuffer, byteOffset: number, dst: ArrayBufferView): void {
    this.calls.push('download');
    const b = this.#buffer('buffer', buffer);
    new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(new Uint8Array(b.memory, byteOffset, dst.byteLength));
  }

  async downloadAsync(buffer: DeviceBuffer, byteOffset: number, dst: ArrayBufferView): Promise<void> {
    this.#buffer('buffer', buffer);
    await tick();
    this.download(buffer, byteOffset, dst);
  }

  copy(dst: DeviceBuffer, dstOffset: number, src: DeviceBuffer, srcOffset: number, bytes: number): void {
    this.calls.push('copy');
    const d = this.#buffer('dst', dst);
    const s = this.#buffer('src', src);
    if (d.device !== s.device) throw deviceError(`copy: dst on cuda:${d.device}, src on cuda:${s.device}`);
    new Uint8Array(d.memory, dstOffset, bytes).set(new Uint8Array(s.memory, srcOffset, bytes));
  }

  fill(buffer: DeviceBuffer, byteOffset: number, bytes: number, value: number): void {
    this.calls.push('fill');
    new Uint8Array(this.#buffer('buffer', buffer).memory, byteOffset, bytes).fill(value);
  }

  graphUpload(
    device: number,
    indptr: Int32Array | BigInt64Array,
    indices: Int32Array,
    edgeIds: Int32Array | null,
    weights: Float32Array | null,
    numRows: number,
    numCols: number,
  ): DeviceGraph {
    this.#checkDevice(device);
    this.calls.push('graphUpload');
    if (indptr.length !== numRows + 1) throw new RangeError(`indptr: expected ${numRows + 1} entries, got ${indptr.length}`);
    // Copies, as an upload makes: later changes to the host arrays must not show on the device.
    const arrays = { indptr: indptr.slice(), indices: indices.slice(), edgeIds: edgeIds?.slice() ?? null, weights: weights?.slice() ?? null };
    const bytes = arrays.indptr.byteLength + arrays.indices.byteLength + (arrays.edgeIds?.byteLength ?? 0) + (arrays.weights?.byteLength ?? 0);
    const g = new FakeGraph(device, graphFromValidatedArrays(arrays, numCols), bytes);
    this.#graphs.add(g);
    return g as unknown as DeviceGraph;
  }

  graphFree(graph: DeviceGraph): void {
    const g = graph as unknown as FakeGraph;
    this.calls.push('graphFree');
    g.disposed = true;
    this.#graphs.delete(g);
  }

  graphInfo(graph: DeviceGraph): { device: number; bytes: number; hubRows: number; maxRowNnz: number; disposed: boolean } {
    const g = graph as unknown as FakeGraph;
    const d = g.graph.inDegrees();
    return { device: g.device, bytes: g.bytes, hubRows: 0, maxRowNnz: d.reduce((a, b) => Math.max(a, b), 0), disposed: g.disposed };
  }

  // ---- ops ----

  spmmSync(...a: CudaSpmmArgs): void {
    this.calls.push('spmmSync');
    const [graph, x, width, weightsMode, weights, heads, out, reduce] = a;
    const g = this.#graph(graph, [x, weights, out]);
    const xt = this.#f32(x, [g.numSrcNodes, width]);
    ops.spmmSync(g, xt, { reduce: REDUCERS[reduce], weights: this.#weights(weightsMode, weights, g, heads), out: this.#f32(out, [g.numNodes, width]) });
  }

  spmmInt8Sync(...a: CudaQSpmmArgs): void {
    this.calls.push('spmmInt8Sync');
    const [graph, q, width, scale, scaleStride, weightsMode, weights, heads, out, reduce] = a;
    const g = this.#graph(graph, [q, scale, weights, out]);
    const rows = g.numSrcNodes;
    const qt = new QuantizedTensor(this.#view(q, Int8Array, [rows, width]) as Tensor<'int8'>, this.#f32(scale, [scaleStride === 1 ? rows : 1]).data);
    ops.spmmInt8Sync(g, qt, { reduce: REDUCERS[reduce], weights: this.#weights(weightsMode, weights, g, heads), out: this.#f32(out, [g.numNodes, width]) });
  }

  sddmmSync(...a: CudaSddmmArgs): void {
    this.calls.push('sddmmSync');
    const [graph, u, uWidth, v, vWidth, heads, op, out, outWidth] = a;
    const g = this.#graph(graph, [u, v, out]);
    const opts = SDDMM_OPS[op] === 'dot' ? { op: 'dot' as const, heads } : { op: SDDMM_OPS[op] };
    ops.sddmmSync(g, this.#f32(u, [g.numSrcNodes, uWidth]), this.#f32(v, [g.numNodes, vWidth]), { ...opts, out: this.#f32(out, [g.numEdges, outWidth]) });
  }

  edgeSoftmaxSync(...a: CudaEdgeSoftmaxArgs): void {
    this.calls.push('edgeSoftmaxSync');
    const [graph, scores, out, heads] = a;
    const g = this.#graph(graph, [scores, out]);
    const s = this.#f32(scores, [g.numEdges, heads]);
    ops.edgeSoftmaxSync(g, s, { out: scores === out ? s : this.#f32(out, [g.numEdges, heads]) });
  }

  gatAggregateSync(...a: CudaGatArgs): void {
    this.calls.push('gatAggregateSync');
    const [graph, x, heads, headWidth, aSrc, aDst, edgeTerm, slope, out, attention] = a;
    const g = this.#graph(graph, [x, aSrc, aDst, edgeTerm, out, attention]);
    const w = heads * headWidth;
    const opts = {
      negativeSlope: slope,
      edgeTerm: edgeTerm === null ? undefined : this.#f32(edgeTerm, [g.numEdges, heads]),
      out: this.#f32(out, [g.numNodes, w]),
    };
    const args = [g, this.#f32(x, [g.numSrcNodes, w]), this.#f32(aSrc, [g.numSrcNodes, heads]), this.#f32(aDst, [g.numNodes, heads])] as const;
    if (attention === null) {
      ops.gatAggregateSync(...args, opts);
    } else {
      const r = ops.gatAggregateSync(...args, { ...opts, returnAttention: true });
      this.#f32(attention, [g.numEdges, heads]).data.set(r.attention.data);
    }
  }

  gatv2ScoresSync(...a: CudaGatv2Args): void {
    this.calls.push('gatv2ScoresSync');
    const [graph, xl, xr, att, heads, headWidth, slope, out] = a;
    const g = this.#graph(graph, [xl, xr, att, out]);
    const w = heads * headWidth;
    ops.gatv2ScoresSync(g, this.#f32(xl, [g.numSrcNodes, w]), this.#f32(xr, [g.numNodes, w]), this.#f32(att, [w]), {
      negativeSlope: slope,
      heads,
      out: this.#f32(out, [g.numEdges, heads]),
    });
  }

  activationSync(...a: CudaActivationArgs): void {
    this.calls.push('activationSync');
    const [x, out, n, act, alpha] = a;
    this.#sameDevice('activation', [x, out]);
    const xt = this.#f32(x, [n]);
    ops.activationSync(xt, ACTIVATION_NAMES[act], { alpha, out: x === out ? xt : this.#f32(out, [n]) });
  }

  addSync(...a: CudaAddArgs): void {
    this.calls.push('addSync');
    const [x, y, out, rows, width, bRowStride, alpha, beta] = a;
    this.#sameDevice('add', [x, y, out]);
    const at = this.#f32(x, [rows, width]);
    const bt = bRowStride === 0 ? this.#f32(y, [width]) : this.#f32(y, [rows, width]);
    const ot = out === x ? at : out === y ? bt : this.#f32(out, [rows, width]);
    ops.addSync(at, bt, { alpha, beta, out: ot });
  }

  scaleSync(...a: CudaScaleArgs): void {
    this.calls.push('scaleSync');
    const [x, rowScale, scale, out, rows, width] = a;
    this.#sameDevice('scale', [x, rowScale, out]);
    const xt = this.#f32(x, [rows, width]);
    ops.scaleSync(xt, rowScale === null ? scale : this.#f32(rowScale, [rows]), { out: out === x ? xt : this.#f32(out, [rows, width]) });
  }

  softmaxSync(...a: CudaSoftmaxArgs): void {
    this.calls.push('softmaxSync');
    const [x, out, rows, width, kind] = a;
    this.#sameDevice('softmax', [x, out]);
    const xt = this.#f32(x, [rows, width]);
    const o = { out: out === x ? xt : this.#f32(out, [rows, width]) };
    if (kind === 0) ops.softmaxSync(xt, o);
    else ops.logSoftmaxSync(xt, o);
  }

  concatSync(...a: CudaConcatArgs): void {
    this.calls.push('concatSync');
    const [parts, rows, out] = a;
    this.#sameDevice('concat', [...parts.map(([b]) => b), out]);
    const total = parts.reduce((n, [, w]) => n + w, 0);
    ops.concatSync(
      parts.map(([b, w]) => this.#f32(b, [rows, w])),
      { out: this.#f32(out, [rows, total]) },
    );
  }

  indexSelectSync(...a: CudaIndexSelectArgs): void {
    this.calls.push('indexSelectSync');
    const [x, xRows, width, index, n, out] = a;
    this.#sameDevice('indexSelect', [x, index, out]);
    ops.indexSelectSync(this.#f32(x, [xRows, width]), this.#view(index, Int32Array, [n]) as Tensor<'int32'>, { out: this.#f32(out, [n, width]) });
  }

  indexScatterSync(...a: CudaIndexScatterArgs): void {
    this.calls.push('indexScatterSync');
    const [target, targetRows, width, index, n, src, op, alpha] = a;
    this.#sameDevice('indexScatter', [target, index, src]);
    const t = this.#f32(target, [targetRows, width]);
    const idx = this.#view(index, Int32Array, [n]) as Tensor<'int32'>;
    const s = this.#f32(src, [n, width]);
    if (op === 0) ops.indexCopySync(t, idx, s);
    else ops.indexAddSync(t, idx, s, { alpha });
  }

  columnAffineSync(...a: CudaColumnAffineArgs): void {
    this.calls.push('columnAffineSync');
    const [x, scale, shift, out, rows, width] = a;
    this.#sameDevice('columnAffine', [x, scale, shift, out]);
    const xt = this.#f32(x, [rows, width]);
    ops.columnAffineSync(xt, scale === null ? null : this.#f32(scale, [width]), shift === null ? null : this.#f32(shift, [width]), {
      out: out === x ? xt : this.#f32(out, [rows, width]),
    });
  }

  layerNormSync(...a: CudaLayerNormArgs): void {
    this.calls.push('layerNormSync');
    const [x, weight, bias, out, rows, width, eps] = a;
    this.#sameDevice('layerNorm', [x, weight, bias, out]);
    const xt = this.#f32(x, [rows, width]);
    ops.layerNormSync(xt, {
      weight: weight === null ? null : this.#f32(weight, [width]),
      bias: bias === null ? null : this.#f32(bias, [width]),
      eps,
      out: out === x ? xt : this.#f32(out, [rows, width]),
    });
  }

  graphLayerNormSync(...a: CudaGraphLayerNormArgs): void {
    this.calls.push('graphLayerNormSync');
    const [x, batch, weight, bias, out, rows, width, eps] = a;
    this.#sameDevice('graphLayerNorm', [x, batch, weight, bias, out]);
    const xt = this.#f32(x, [rows, width]);
    ops.graphLayerNormSync(xt, {
      batch: batch === null ? null : (this.#view(batch, Int32Array, [rows]) as Tensor<'int32'>),
      weight: weight === null ? null : this.#f32(weight, [width]),
      bias: bias === null ? null : this.#f32(bias, [width]),
      eps,
      out: out === x ? xt : this.#f32(out, [rows, width]),
    });
  }

  linearSync(...a: CudaLinearArgs): void {
    this.calls.push('linearSync');
    const [x, n, k, weight, m, bias, out, act, alpha] = a;
    this.#sameDevice('linear', [x, weight, bias, out]);
    ops.linearSync(this.#f32(x, [n, k]), this.#f32(weight, [m, k]), {
      bias: bias === null ? null : this.#f32(bias, [m]),
      activation: ACTIVATION_NAMES[act],
      alpha,
      out: this.#f32(out, [n, m]),
    });
  }

  quantizeSync(...a: CudaQuantizeArgs): void {
    this.calls.push('quantizeSync');
    const [x, n, k, isSigned, perRow, isStatic, staticScale, staticZeroPoint, codes, scale, zeroPoint] = a;
    this.#sameDevice('quantize', [x, codes, scale, zeroPoint]);
    const groups = perRow ? n : 1;
    const q = new QuantizedTensor(
      (isSigned ? this.#view(codes, Int8Array, [n, k]) : this.#view(codes, Uint8Array, [n, k])) as Tensor<'int8'>,
      this.#f32(scale, [groups]).data,
      zeroPoint === null ? null : (this.#view(zeroPoint, Int32Array, [groups]).data as Int32Array),
    );
    const dtype = isSigned ? ('int8' as const) : ('uint8' as const);
    const statics = isStatic ? { scale: staticScale, ...(isSigned ? {} : { zeroPoint: staticZeroPoint }) } : { granularity: perRow ? ('row' as const) : ('tensor' as const) };
    ops.quantizeSync(this.#f32(x, [n, k]), { dtype, ...statics, out: q });
  }

  dequantizeSync(...a: CudaDequantizeArgs): void {
    this.calls.push('dequantizeSync');
    const [codes, isSigned, n, k, scale, scaleLength, zeroPoint, out] = a;
    this.#sameDevice('dequantize', [codes, scale, zeroPoint, out]);
    const q = new QuantizedTensor(
      (isSigned ? this.#view(codes, Int8Array, [n, k]) : this.#view(codes, Uint8Array, [n, k])) as Tensor<'int8'>,
      this.#f32(scale, [scaleLength]).data,
      zeroPoint === null ? null : (this.#view(zeroPoint, Int32Array, [scaleLength]).data as Int32Array),
    );
    ops.dequantizeSync(q, { out: this.#f32(out, [n, k]) });
  }

  quantizedLinearSync(...a: CudaQLinearArgs): void {
    this.calls.push('quantizedLinearSync');
    const [x, xScale, xZeroPoint, n, k, weight, weightScale, m, bias, out, act, alpha] = a;
    this.#sameDevice('quantizedLinear', [x, xScale, xZeroPoint, weight, weightScale, bias, out]);
    const qx = new QuantizedTensor(
      this.#view(x, Uint8Array, [n, k]) as Tensor<'uint8'>,
      this.#f32(xScale, [n]).data,
      this.#view(xZeroPoint, Int32Array, [n]).data as Int32Array,
    );
    const w = new QuantizedWeight(this.#view(weight, Int8Array, [m, k]) as Tensor<'int8'>, this.#f32(weightScale, [m]).data);
    ops.quantizedLinearSync(qx, w, {
      bias: bias === null ? null : this.#f32(bias, [m]),
      activation: ACTIVATION_NAMES[act],
      alpha,
      out: this.#f32(out, [n, m]),
    });
  }

  // Async forms: the same work after a turn of the event loop, as a job that finishes later.
  spmmAsync = this.#async('spmmAsync', (...a: CudaSpmmArgs) => this.spmmSync(...a));
  spmmInt8Async = this.#async('spmmInt8Async', (...a: CudaQSpmmArgs) => this.spmmInt8Sync(...a));
  sddmmAsync = this.#async('sddmmAsync', (...a: CudaSddmmArgs) => this.sddmmSync(...a));
  edgeSoftmaxAsync = this.#async('edgeSoftmaxAsync', (...a: CudaEdgeSoftmaxArgs) => this.edgeSoftmaxSync(...a));
  gatAggregateAsync = this.#async('gatAggregateAsync', (...a: CudaGatArgs) => this.gatAggregateSync(...a));
  gatv2ScoresAsync = this.#async('gatv2ScoresAsync', (...a: CudaGatv2Args) => this.gatv2ScoresSync(...a));
  activationAsync = this.#async('activationAsync', (...a: CudaActivationArgs) => this.activationSync(...a));
  addAsync = this.#async('addAsync', (...a: CudaAddArgs) => this.addSync(...a));
  scaleAsync = this.#async('scaleAsync', (...a: CudaScaleArgs) => this.scaleSync(...a));
  softmaxAsync = this.#async('softmaxAsync', (...a: CudaSoftmaxArgs) => this.softmaxSync(...a));
  concatAsync = this.#async('concatAsync', (...a: CudaConcatArgs) => this.concatSync(...a));
  indexSelectAsync = this.#async('indexSelectAsync', (...a: CudaIndexSelectArgs) => this.indexSelectSync(...a));
  indexScatterAsync = this.#async('indexScatterAsync', (...a: CudaIndexScatterArgs) => this.indexScatterSync(...a));
  columnAffineAsync = this.#async('columnAffineAsync', (...a: CudaColumnAffineArgs) => this.columnAffineSync(...a));
  layerNormAsync = this.#async('layerNormAsync', (...a: CudaLayerNormArgs) => this.layerNormSync(...a));
  graphLayerNormAsync = this.#async('graphLayerNormAsync', (...a: CudaGraphLayerNormArgs) => this.graphLayerNormSync(...a));
  linearAsync = this.#async('linearAsync', (...a: CudaLinearArgs) => this.linearSync(...a));
  quantizeAsync = this.#async('quantizeAsync', (...a: CudaQuantizeArgs) => this.quantizeSync(...a));
  dequantizeAsync = this.#async('dequantizeAsync', (...a: CudaDequantizeArgs) => this.dequantizeSync(...a));
  quantizedLinearAsync = this.#async('quantizedLinearAsync', (...a: CudaQLinearArgs) => this.quantizedLinearSync(...a));

  // ---- benchmarks ----

  cusparseSpmmMs(): number {
    throw new GnnError('ERR_GNN_BACKEND_UNAVAILABLE', 'cusparseSpmmMs: this build has no cuSPARSE');
  }

  spmmMs(graph: DeviceGraph, x: DeviceBuffer, width: number, weightsMode: number, weights: DeviceBuffer | null, heads: number, out: DeviceBuffer, reduce: 0 | 1 | 2 | 3, repeats: number): number {
    const times: number[] = [];
    for (let i = 0; i < repeats + 1; i++) {
      const t0 = performance.now();
      this.spmmSync(graph, x, width, weightsMode as 0 | 1 | 2, weights, heads, out, reduce);
      if (i > 0) times.push(performance.now() - t0);
    }
    times.sort((p, q) => p - q);
    return times[Math.floor(times.length / 2)];
  }

  copyBandwidth(device: number, bytes: number, repeats: number): number {
    this.#checkDevice(device);
    const a = new Uint8Array(bytes);
    const b = new Uint8Array(bytes);
    let best = Infinity;
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      b.set(a);
      best = Math.min(best, performance.now() - t0);
    }
    return (2 * bytes) / (Math.max(best, 1e-6) * 1e6);
  }

  // ---- internals ----

  #async<A extends unknown[]>(name: string, run: (...a: A) => void): (...a: A) => Promise<void> {
    return async (...a: A) => {
      this.calls.push(name);
      await tick();
      run(...a);
    };
  }

  #checkDevice(device: number): void {
    if (!Number.isInteger(device) || device < 0 || device >= this.#devices) throw new RangeError(`device: expected an index below ${this.#devices}, got ${device}`);
  }

  #buffer(name: string, buffer: DeviceBuffer): FakeBuffer {
    const b = buffer as unknown as FakeBuffer;
    if (!(b instanceof FakeBuffer)) throw new TypeError(`${name}: expected a DeviceBuffer`);
    if (b.disposed) throw deviceError(`${name}: the DeviceBuffer was disposed`);
    return b;
  }

  #sameDevice(op: string, buffers: ReadonlyArray<DeviceBuffer | null>, device?: number): void {
    for (const buffer of buffers) {
      if (buffer === null) continue;
      const b = this.#buffer(op, buffer);
      device ??= b.device;
      if (b.device !== device) throw deviceError(`${op}: buffers on cuda:${device} and cuda:${b.device}`);
    }
  }

  #graph(graph: DeviceGraph, buffers: ReadonlyArray<DeviceBuffer | null>): Graph {
    const g = graph as unknown as FakeGraph;
    if (!(g instanceof FakeGraph)) throw new TypeError('graph: expected a DeviceGraph');
    if (g.disposed) throw deviceError('graph: the DeviceGraph was disposed');
    this.#sameDevice('graph op', buffers, g.device);
    return g.graph;
  }

  /** A typed view of a buffer of exactly `shape` elements at its start (the buffer may be larger only by nothing: ops size them exactly). */
  #view<C extends Float32Array | Int32Array | Int8Array | Uint8Array>(
    buffer: DeviceBuffer,
    Ctor: { new (b: ArrayBuffer, offset: number, length: number): C; BYTES_PER_ELEMENT: number },
    shape: readonly number[],
  ): Tensor {
    const b = this.#buffer('buffer', buffer);
    const n = shape.reduce((p, d) => p * d, 1);
    if (n * Ctor.BYTES_PER_ELEMENT !== b.memory.byteLength) {
      throw new GnnError('ERR_GNN_INTERNAL', `fake CUDA: a buffer of ${b.memory.byteLength} bytes given for ${n} ${Ctor.name} elements [${shape.join(', ')}]`);
    }
    return Tensor.from(new Ctor(b.memory, 0, n), shape);
  }

  #f32(buffer: DeviceBuffer, shape: readonly number[]): Tensor<'float32'> {
    return this.#view(buffer, Float32Array, shape) as Tensor<'float32'>;
  }

  #weights(mode: number, weights: DeviceBuffer | null, g: Graph, heads: number): 'graph' | Tensor<'float32'> | undefined {
    if (mode === 0) return undefined;
    if (mode === 1) return 'graph';
    if (weights === null) throw new TypeError('weights: expected a DeviceBuffer for weightsMode 2');
    return this.#f32(weights, heads === 1 ? [g.numEdges] : [g.numEdges, heads]);
  }
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
