/**
 * Quantized data: int8 activations / features with their scales, and int8 weights.
 *
 * QuantizedTensor — a 2-D [N, K] matrix of 8-bit codes and the affine map back to float:
 *     x[i, k] ≈ scale[g] * (q[i, k] - zeroPoint[g])
 * where g = i for per-row ('row') quantization and g = 0 for per-tensor ('tensor').
 *   int8 codes are symmetric: zeroPoint is null (0), q in [-127, 127] (−128 never produced).
 *   uint8 codes are asymmetric: zeroPoint holds one int32 in [0, 255] per group.
 * A row (or tensor) whose values are all zero gets scale 1 and the zero code, so it dequantizes to
 * exact zeros and no kernel divides by zero.
 *
 * QuantizedWeight — a PyTorch-layout weight [M, K] (out × in) in symmetric int8, one fp32 scale
 * per output channel: w[m, k] ≈ scale[m] * q[m, k], q in [-127, 127].
 *
 * Both are plain holders; the kernels that read them live in ops/. A QuantizedTensor may live on a
 * CUDA device (codes, scales and zero points all there); a QuantizedWeight lives on the host, and
 * quantizedLinear keeps a device copy of it per device (ops/quantized-device.ts).
 */
import { parseDevice } from './device';
import type { Device, DeviceSpec } from './device';
import { GnnError, invalidArgType, invalidArgValue } from './errors';
import { Tensor, checkTensor } from './tensor';
import type { TypedArrayFor } from './tensor';

export type QuantGranularity = 'row' | 'tensor';

function mismatch(message: string): GnnError {
  return new GnnError('ERR_GNN_SHAPE_MISMATCH', message);
}

export class QuantizedTensor {
  readonly data: Tensor<'int8'> | Tensor<'uint8'>;
  readonly #scale: Tensor<'float32'>;
  readonly #zeroPoint: Tensor<'int32'> | null;

  /**
   * `scale` and `zeroPoint` are typed arrays on the CPU; for codes on a CUDA device they are
   * tensors on that device (ops.quantize makes them).
   */
  constructor(data: Tensor<'int8'> | Tensor<'uint8'>, scale: Float32Array | Tensor<'float32'>, zeroPoint: Int32Array | Tensor<'int32'> | null = null) {
    if (!(data instanceof Tensor) || (data.dtype !== 'int8' && data.dtype !== 'uint8')) {
      throw invalidArgType('data', 'an int8 or uint8 Tensor', data);
    }
    checkTensor('data', data, data.dtype, [2]);
    const where = data.device;
    const scaleT = asTensor('scale', scale, 'float32', where);
    const rows = data.shape[0];
    if (scaleT.numel !== rows && scaleT.numel !== 1) {
      throw mismatch(`scale: expected ${rows} (one per row) or 1 (per tensor) entries, got ${scaleT.numel}`);
    }
    let zp: Tensor<'int32'> | null = null;
    if (data.dtype === 'int8') {
      if (zeroPoint !== null) throw invalidArgValue('zeroPoint', 'null for int8 (symmetric) codes', zeroPoint);
    } else {
      if (zeroPoint === null) throw invalidArgType('zeroPoint', 'an Int32Array for uint8 (asymmetric) codes', zeroPoint);
      zp = asTensor('zeroPoint', zeroPoint, 'int32', where);
      if (zp.numel !== scaleT.numel) {
        throw mismatch(`zeroPoint: expected ${scaleT.numel} entries to match scale, got ${zp.numel}`);
      }
    }
    this.data = data;
    this.#scale = scaleT;
    this.#zeroPoint = zp;
  }

  /** The scales (a Float32Array on the CPU; reading it for codes on a CUDA device throws ERR_GNN_DEVICE). */
  get scale(): Float32Array {
    return this.#scale.data;
  }

  /** The zero points of uint8 codes (null for int8), as `scale`. */
  get zeroPoint(): Int32Array | null {
    return this.#zeroPoint === null ? null : this.#zeroPoint.data;
  }

  /** The scales as a float32 tensor [groups] on the codes' device. */
  get scaleTensor(): Tensor<'float32'> {
    return this.#scale;
  }

  /** The zero points as an int32 tensor [groups] on the codes' device, or null (int8). */
  get zeroPointTensor(): Tensor<'int32'> | null {
    return this.#zeroPoint;
  }

  /** Where the codes (and their scales) are. */
  get device(): Device {
    return this.data.device;
  }

  get dtype(): 'int8' | 'uint8' {
    return this.data.dtype;
  }

  get shape(): readonly number[] {
    return this.data.shape;
  }

  get granularity(): QuantGranularity {
    return this.#scale.numel === 1 && this.data.shape[0] !== 1 ? 'tensor' : 'row';
  }

  /** Bytes of codes plus scales and zero points. */
  get byteLength(): number {
    return this.data.byteLength + this.#scale.byteLength + (this.#zeroPoint?.byteLength ?? 0);
  }

  /** The codes, scales and zero points on `device` (this object when they are already there). */
  to(device: DeviceSpec): QuantizedTensor {
    const target = parseDevice(device);
    if (target === this.device) return this;
    return new QuantizedTensor(this.data.to(target), this.#scale.to(target), this.#zeroPoint?.to(target) ?? null);
  }

  /** Releases the device memory of the codes, scales and zero points (a no-op on the CPU). */
  dispose(): void {
    this.data.dispose();
    this.#scale.dispose();
    this.#zeroPoint?.dispose();
  }
}

function asTensor<D extends 'float32' | 'int32'>(name: string, value: unknown, dtype: D, device: Device): Tensor<D> {
  const Ctor = dtype === 'float32' ? Float32Array : Int32Array;
  if (value instanceof Ctor) {
    if (device !== 'cpu') {
      throw new GnnError('ERR_GNN_DEVICE', `${name}: expected a ${dtype} Tensor on ${device} (where the codes are), got a ${Ctor.name} (host memory)`);
    }
    return Tensor.from(value as TypedArrayFor<D>) as unknown as Tensor<D>;
  }
  if (!(value instanceof Tensor)) throw invalidArgType(name, dtype === 'float32' ? 'a Float32Array or a float32 Tensor' : 'an Int32Array or an int32 Tensor', value);
  const t = checkTensor(name, value, dtype, [1]);
  if (t.device !== device) {
    throw new GnnError('ERR_GNN_DEVICE', `${name}: expected a tensor on ${device} (where the codes are), got one on ${t.device}`);
  }
  return t;
}

export class QuantizedWeight {
  /** int8 [M, K], symmetric codes in [-127, 127]. */
  readonly data: Tensor<'int8'>;
  /** float32 [M]: one scale per output channel. */
  readonly scale: Float32Array;

  constructor(data: Tensor<'int8'>, scale: Float32Array) {
    const d = checkTensor('data', data, 'int8', [2]);
    if (!(scale instanceof Float32Array)) throw invalidArgType('scale', 'a Float32Array', scale);
    if (scale.length !== d.shape[0]) {
      throw mismatch(`scale: expected ${d.shape[0]} entries (one per output channel of weight [${d.shape.join(', ')}]), got ${scale.length}`);
    }
    this.data = d;
    this.scale = scale;
  }

  get shape(): readonly number[] {
    return this.data.shape;
  }

  /** Bytes of codes plus scales. */
  get byteLength(): number {
    return this.data.byteLength + this.scale.byteLength;
  }
}
