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
 * Both are plain holders (no native state); the kernels that read them live in ops/.
 */
import { GnnError, invalidArgType, invalidArgValue } from './errors';
import { Tensor, checkTensor } from './tensor';

export type QuantGranularity = 'row' | 'tensor';

function mismatch(message: string): GnnError {
  return new GnnError('ERR_GNN_SHAPE_MISMATCH', message);
}

export class QuantizedTensor {
  readonly data: Tensor<'int8'> | Tensor<'uint8'>;
  readonly scale: Float32Array;
  readonly zeroPoint: Int32Array | null;

  constructor(data: Tensor<'int8'> | Tensor<'uint8'>, scale: Float32Array, zeroPoint: Int32Array | null = null) {
    if (!(data instanceof Tensor) || (data.dtype !== 'int8' && data.dtype !== 'uint8')) {
      throw invalidArgType('data', 'an int8 or uint8 Tensor', data);
    }
    checkTensor('data', data, data.dtype, [2]);
    if (!(scale instanceof Float32Array)) throw invalidArgType('scale', 'a Float32Array', scale);
    const rows = data.shape[0];
    if (scale.length !== rows && scale.length !== 1) {
      throw mismatch(`scale: expected ${rows} (one per row) or 1 (per tensor) entries, got ${scale.length}`);
    }
    if (data.dtype === 'int8') {
      if (zeroPoint !== null) throw invalidArgValue('zeroPoint', 'null for int8 (symmetric) codes', zeroPoint);
    } else {
      if (!(zeroPoint instanceof Int32Array)) throw invalidArgType('zeroPoint', 'an Int32Array for uint8 (asymmetric) codes', zeroPoint);
      if (zeroPoint.length !== scale.length) {
        throw mismatch(`zeroPoint: expected ${scale.length} entries to match scale, got ${zeroPoint.length}`);
      }
    }
    this.data = data;
    this.scale = scale;
    this.zeroPoint = zeroPoint;
  }

  get dtype(): 'int8' | 'uint8' {
    return this.data.dtype;
  }

  get shape(): readonly number[] {
    return this.data.shape;
  }

  get granularity(): QuantGranularity {
    return this.scale.length === 1 && this.data.shape[0] !== 1 ? 'tensor' : 'row';
  }

  /** Bytes of codes plus scales and zero points. */
  get byteLength(): number {
    return this.data.data.byteLength + this.scale.byteLength + (this.zeroPoint?.byteLength ?? 0);
  }
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
    return this.data.data.byteLength + this.scale.byteLength;
  }
}
