/**
 * quantize / dequantize: fp32 [N, K] ⇄ 8-bit codes with scales (lib/quantized.ts's contract).
 *
 *   int8 (symmetric, default):  scale = absmax / 127, q = RNE(clamp(x · inv, −127, 127)), inv = 1 / scale
 *   uint8 (asymmetric):         lo = min(0, min x), hi = max(0, max x), scale = (hi − lo) / 255,
 *                               zp = clamp(RNE(−lo / scale), 0, 255), q = RNE(clamp(x · inv, −zp, 255 − zp)) + zp
 * per row (default) or per tensor; or per tensor with a given scale (and zero point for uint8).
 * scale and inv are computed in float64 and rounded once to float32; x · inv is a float32 product;
 * RNE rounds ties to even. A row (or tensor) whose absmax (uint8: hi − lo) is below 2^−110 —
 * all-zero rows included — gets scale 1, zero point 0 and zero codes. NaN and ±Infinity have no
 * code: quantizing them throws ERR_INVALID_ARG_VALUE.
 *
 * dequantize: x = float32(q − zp) · scale.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { GnnError, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import type { CudaDequantizeArgs, CudaQuantizeArgs } from '../native-cuda-types';
import type { NativeDequantizeArgs, NativeInt8Path, NativeQuantizeArgs } from '../native-types';
import { QuantizedTensor, QuantizedWeight } from '../quantized';
import { Tensor, allocateOn, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync, outputTensor, overlapsInput } from './common';
import { buf, checkOutDevice, cpuOnly, cudaAsync, cudaSync, optBuf } from './device-dispatch';

export interface QuantizeOptions {
  /** 'int8' (symmetric, default) or 'uint8' (asymmetric). */
  dtype?: 'int8' | 'uint8';
  /** One scale per row (default) or one for the tensor. */
  granularity?: 'row' | 'tensor';
  /** Static per-tensor scale (then granularity is 'tensor'). */
  scale?: number;
  /** Static zero point in [0, 255], uint8 only (default 0). */
  zeroPoint?: number;
  /** Output; must match x's shape, the dtype and the granularity, and not overlap x. */
  out?: QuantizedTensor;
}

/** The int8 GEMM's code path: the SIMD level caps it; VNNI is used where the CPU has it unless disabled. */
export type Int8Path = NativeInt8Path;

const QUANTIZE_KEYS = ['dtype', 'granularity', 'scale', 'zeroPoint', 'out'] as const;
const DEQUANTIZE_KEYS = ['out'] as const;

function mismatch(message: string): GnnError {
  return new GnnError('ERR_GNN_SHAPE_MISMATCH', message);
}

/** A 64-byte aligned code array (Tensor.zeros aligns). @internal */
export function codesTensor(dtype: 'int8' | 'uint8', shape: readonly number[]): Tensor<'int8'> | Tensor<'uint8'> {
  return dtype === 'int8' ? Tensor.zeros(shape, 'int8') : Tensor.zeros(shape, 'uint8');
}

interface QuantizeCall {
  device: Device;
  /** The CPU call's arguments, or (on a CUDA device) a builder of the CUDA call's. */
  args: NativeQuantizeArgs | null;
  cuda: (() => CudaQuantizeArgs) | null;
  result: QuantizedTensor;
}

function prepareQuantize(x: Tensor<'float32'>, options: QuantizeOptions | undefined, where: string): QuantizeCall {
  const opts = checkOptions(options, where, QUANTIZE_KEYS);
  const xt = checkTensor('x', x, 'float32', [2]);
  const device = xt.device;
  const [n, k] = xt.shape;
  const dtype = opts.dtype ?? 'int8';
  if (dtype !== 'int8' && dtype !== 'uint8') throw invalidArgValue('dtype', "'int8' or 'uint8'", dtype);
  const isStatic = opts.scale !== undefined;
  let granularity = opts.granularity;
  if (granularity !== undefined && granularity !== 'row' && granularity !== 'tensor') {
    throw invalidArgValue('granularity', "'row' or 'tensor'", granularity);
  }
  if (isStatic && granularity === 'row') throw invalidArgValue('granularity', "'tensor' (or none) with a static scale", granularity);
  granularity ??= isStatic ? 'tensor' : 'row';
  let staticScale: number | null = null;
  let staticZp = 0;
  if (isStatic) {
    if (typeof opts.scale !== 'number') throw invalidArgType('scale', 'a number', opts.scale);
    const inv = Math.fround(1 / Math.fround(opts.scale));
    if (!(opts.scale > 0) || !Number.isFinite(opts.scale) || !(Math.fround(opts.scale) > 0) || !Number.isFinite(inv)) {
      throw outOfRange('scale', 'a finite number > 0 whose float32 reciprocal is finite', opts.scale);
    }
    staticScale = opts.scale;
  }
  if (opts.zeroPoint !== undefined) {
    if (dtype !== 'uint8') throw invalidArgValue('zeroPoint', "no zero point for 'int8' (symmetric) codes", opts.zeroPoint);
    if (!isStatic) throw invalidArgValue('zeroPoint', 'a static scale alongside it', opts.zeroPoint);
    if (typeof opts.zeroPoint !== 'number') throw invalidArgType('zeroPoint', 'a number', opts.zeroPoint);
    if (!Number.isInteger(opts.zeroPoint) || opts.zeroPoint < 0 || opts.zeroPoint > 255) {
      throw outOfRange('zeroPoint', 'an integer in [0, 255]', opts.zeroPoint);
    }
    staticZp = opts.zeroPoint;
  }
  const groups = granularity === 'row' ? n : 1;
  let result: QuantizedTensor;
  if (opts.out !== undefined) {
    const o = opts.out;
    if (!(o instanceof QuantizedTensor)) throw invalidArgType('out', 'a QuantizedTensor', o);
    if (o.dtype !== dtype) throw invalidArgValue('out', `a QuantizedTensor of dtype '${dtype}'`, o.dtype);
    checkOutDevice('out', o, device);
    if (o.shape[0] !== n || o.shape[1] !== k) throw mismatch(`out: expected shape [${n}, ${k}], got [${o.shape.join(', ')}]`);
    if (o.scaleTensor.numel !== groups) {
      throw mismatch(`out.scale: expected ${groups} entries (granularity '${granularity}'), got ${o.scaleTensor.numel}`);
    }
    for (const part of [o.data, o.scaleTensor, o.zeroPointTensor]) {
      if (part !== null && overlapsInput(part, xt)) throw mismatch('out: expected memory separate from x, got a view that overlaps it');
    }
    result = o;
  } else if (device === 'cpu') {
    result = new QuantizedTensor(codesTensor(dtype, [n, k]), new Float32Array(groups), dtype === 'uint8' ? new Int32Array(groups) : null);
  } else {
    const zp = dtype === 'uint8' ? allocateOn([groups], 'int32', device) : null;
    const codes = dtype === 'int8' ? allocateOn([n, k], 'int8', device) : allocateOn([n, k], 'uint8', device);
    result = new QuantizedTensor(codes, allocateOn([groups], 'float32', device), zp);
  }
  if (device !== 'cpu') {
    const r = result;
    const cuda = (): CudaQuantizeArgs => [
      buf('x', xt),
      n,
      k,
      dtype === 'int8',
      granularity === 'row',
      staticScale !== null,
      staticScale ?? 0,
      staticZp,
      buf('out.data', r.data),
      buf('out.scale', r.scaleTensor),
      optBuf('out.zeroPoint', r.zeroPointTensor),
    ];
    return { device, args: null, cuda, result };
  }
  const args: NativeQuantizeArgs = [
    xt.data,
    n,
    k,
    dtype === 'int8',
    granularity === 'row',
    staticScale,
    staticZp,
    result.data.data,
    result.scale,
    result.zeroPoint,
  ];
  return { device, args, cuda: null, result };
}

/** Quantizes x [N, K] to 8-bit codes (see the module comment). */
export function quantizeSync(x: Tensor<'float32'>, options?: QuantizeOptions): QuantizedTensor {
  const c = prepareQuantize(x, options, 'quantizeSync');
  const cudaCall = c.cuda;
  if (cudaCall !== null) return cudaSync(c.device, (cuda) => cuda.quantizeSync(...cudaCall()), c.result);
  const args = c.args as NativeQuantizeArgs;
  callSync(() => addon().quantizeSync(...args));
  return c.result;
}

/** quantizeSync off the event loop; x must not change until the promise settles. */
export function quantize(x: Tensor<'float32'>, options?: QuantizeOptions): Promise<QuantizedTensor> {
  const site = new Error();
  let c: QuantizeCall;
  try {
    c = prepareQuantize(x, options, 'quantize');
  } catch (error) {
    return Promise.reject(error);
  }
  const cudaCall = c.cuda;
  if (cudaCall !== null) return cudaAsync(site, c.device, (cuda) => cuda.quantizeAsync(...cudaCall()), c.result);
  const args = c.args as NativeQuantizeArgs;
  return callAsync(site, () => addon().quantizeAsync(...args), c.result);
}

interface DequantizeCall {
  q: QuantizedTensor;
  out: Tensor<'float32'>;
}

function prepareDequantize(q: QuantizedTensor, options: { out?: Tensor<'float32'> } | undefined, where: string): DequantizeCall {
  const opts = checkOptions(options, where, DEQUANTIZE_KEYS);
  if (!(q instanceof QuantizedTensor)) throw invalidArgType('q', 'a QuantizedTensor', q);
  const [n, k] = q.shape;
  const out = outputTensor(opts.out, [n, k], [q.data, q.scaleTensor, q.zeroPointTensor], q.device);
  return { q, out };
}

function cpuDequantizeArgs(c: DequantizeCall): NativeDequantizeArgs {
  const [n, k] = c.q.shape;
  return [c.q.data.data, n, k, c.q.scale, c.q.zeroPoint, c.out.data];
}

function cudaDequantizeArgs(c: DequantizeCall): CudaDequantizeArgs {
  const q = c.q;
  const [n, k] = q.shape;
  const scale = q.scaleTensor;
  return [buf('q.data', q.data), q.dtype === 'int8', n, k, buf('q.scale', scale), scale.numel, optBuf('q.zeroPoint', q.zeroPointTensor), buf('out', c.out)];
}

/** x = float32(q − zp) · scale, as float32 [N, K]. */
export function dequantizeSync(q: QuantizedTensor, options?: { out?: Tensor<'float32'> }): Tensor<'float32'> {
  const c = prepareDequantize(q, options, 'dequantizeSync');
  if (c.q.device !== 'cpu') return cudaSync(c.q.device, (cuda) => cuda.dequantizeSync(...cudaDequantizeArgs(c)), c.out);
  callSync(() => addon().dequantizeSync(...cpuDequantizeArgs(c)));
  return c.out;
}

/** dequantizeSync off the event loop. */
export function dequantize(q: QuantizedTensor, options?: { out?: Tensor<'float32'> }): Promise<Tensor<'float32'>> {
  const site = new Error();
  let c: DequantizeCall;
  try {
    c = prepareDequantize(q, options, 'dequantize');
  } catch (error) {
    return Promise.reject(error);
  }
  if (c.q.device !== 'cpu') return cudaAsync(site, c.q.device, (cuda) => cuda.dequantizeAsync(...cudaDequantizeArgs(c)), c.out);
  return callAsync(site, () => addon().dequantizeAsync(...cpuDequantizeArgs(c)), c.out);
}

/**
 * Symmetric int8 per output channel: scale[m] = absmax(w[m, :]) / 127 (the int8 per-row quantizer).
 * A QuantizedWeight lives on the host: quantize the CPU weight (quantizedLinear keeps a device copy).
 */
export function quantizeWeight(weight: Tensor<'float32'>): QuantizedWeight {
  const wt = checkTensor('weight', weight, 'float32', [2]);
  if (wt.device !== 'cpu') throw cpuOnly('quantizeWeight', 'weight', wt.device);
  const q = quantizeSync(wt);
  return new QuantizedWeight(q.data as Tensor<'int8'>, q.scale);
}

/** float32 [M, K]: w[m, k] = q[m, k] · scale[m]. */
export function dequantizeWeight(weight: QuantizedWeight): Tensor<'float32'> {
  if (!(weight instanceof QuantizedWeight)) throw invalidArgType('weight', 'a QuantizedWeight', weight);
  return dequantizeSync(new QuantizedTensor(weight.data, weight.scale, null));
}

/** The int8 GEMM path the next call runs ('avx512-vnni', 'avx512bw', 'avx-vnni', 'avx2' or 'scalar'). */
export function int8Path(): Int8Path {
  return addon().int8Path();
}

/**
 * Enables or disables the VNNI int8 paths process-wide (tests and benchmarks of each path; the
 * environment variable GNN_KERNELS_INT8=novnni disables them at start-up). Returns the path now in effect.
 */
export function setInt8Vnni(enabled: boolean): Int8Path {
  if (typeof enabled !== 'boolean') throw invalidArgType('enabled', 'a boolean', enabled);
  return addon().setInt8Vnni(enabled);
}
