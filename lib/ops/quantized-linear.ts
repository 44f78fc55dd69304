/**
 * quantizedLinear: out = act(x · Wᵀ · scales + b) with an int8 weight, by the int8 GEMM
 * (native/kernels/qgemm.h): out[n, m] = act((Σ_k (qx[n, k] − zx) · qw[m, k]) · sx · sw[m] + b[m]).
 *   x: float32 [N, K] — quantized inside the GEMM to uint8 per row (dynamic, the default; no copy
 *      of the codes is written to memory) or per tensor with `input: { scale, zeroPoint }` — or a
 *      QuantizedTensor (int8 or uint8, per row or per tensor).
 *   weight: QuantizedWeight [M, K] (int8 per output channel), packed once and cached.
 * The integer sum is exact (K ≤ 65536, else ERR_OUT_OF_RANGE); the epilogue is float32:
 * float(acc) · (sx · sw[m]) + b[m], then the activation. output 'int8' requantises each row to
 * symmetric int8 in the kernel (quantizeSync's int8 per-row arithmetic on those float32 values).
 */
import { addon } from '../backend';
import { GnnError, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import type { NativeQLinearArgs } from '../native-types';
import { QuantizedTensor, QuantizedWeight } from '../quantized';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { activationCode } from './activation';
import type { ActivationName } from './activation';
import { callAsync, callSync, outputTensor, overlaps } from './common';
import { packedQuantizedWeight } from './quantized-packed';
import { codesTensor } from './quantize';

export interface QuantizedLinearOptions {
  /** float32 [M], added before the activation. */
  bias?: Tensor<'float32'> | null;
  /** Applied as each tile is stored; default 'none'. */
  activation?: ActivationName;
  /** leaky_relu's negative slope (default 0.01) or elu's alpha (default 1). */
  alpha?: number;
  /** Static per-tensor uint8 params for a float32 x; absent: dynamic per-row quantization. */
  input?: { scale: number; zeroPoint: number };
  /** 'float32' (default) or 'int8': a QuantizedTensor, int8 symmetric per row. */
  output?: 'float32' | 'int8';
  /** Output: float32 [N, M], or an int8 QuantizedTensor [N, M] with N scales for output 'int8'. */
  out?: Tensor<'float32'> | QuantizedTensor;
}

const OPTION_KEYS = ['bias', 'activation', 'alpha', 'input', 'output', 'out'] as const;

type Result = Tensor<'float32'> | QuantizedTensor;

interface Call {
  args: NativeQLinearArgs;
  result: Result;
}

function mismatch(message: string): GnnError {
  return new GnnError('ERR_GNN_SHAPE_MISMATCH', message);
}

function prepare(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options: QuantizedLinearOptions | undefined, where: string): Call {
  const opts = checkOptions(options, where, OPTION_KEYS);
  if (!(weight instanceof QuantizedWeight)) throw invalidArgType('weight', 'a QuantizedWeight', weight);
  const [m, k] = weight.shape;
  let n: number;
  let xData: Float32Array | Int8Array | Uint8Array;
  let xScale: Float32Array | null = null;
  let xZp: Int32Array | null = null;
  let shape: readonly number[];
  if (x instanceof QuantizedTensor) {
    shape = x.shape;
    xData = x.data.data;
    xScale = x.scale;
    xZp = x.zeroPoint;
  } else {
    const xt = checkTensor('x', x, 'float32', [2]);
    shape = xt.shape;
    xData = xt.data;
  }
  n = shape[0];
  if (shape[1] !== k) {
    throw mismatch(`x: expected ${k} features in the last dimension to match weight [${m}, ${k}], got shape [${shape.join(', ')}]`);
  }
  let staticScale: number | null = null;
  let staticZp = 0;
  if (opts.input !== undefined) {
    if (x instanceof QuantizedTensor) throw invalidArgValue('input', 'no static params for an already quantized x', opts.input);
    const input = checkOptions(opts.input, 'input', ['scale', 'zeroPoint']);
    if (typeof input.scale !== 'number') throw invalidArgType('input.scale', 'a number', input.scale);
    if (typeof input.zeroPoint !== 'number') throw invalidArgType('input.zeroPoint', 'a number', input.zeroPoint);
    if (!(input.scale > 0) || !Number.isFinite(input.scale) || !Number.isFinite(Math.fround(1 / Math.fround(input.scale)))) {
      throw outOfRange('input.scale', 'a finite number > 0 whose float32 reciprocal is finite', input.scale);
    }
    if (!Number.isInteger(input.zeroPoint) || input.zeroPoint < 0 || input.zeroPoint > 255) {
      throw outOfRange('input.zeroPoint', 'an integer in [0, 255]', input.zeroPoint);
    }
    staticScale = input.scale;
    staticZp = input.zeroPoint;
  }
  let bias: Float32Array | null = null;
  if (opts.bias !== undefined && opts.bias !== null) {
    const bt = checkTensor('bias', opts.bias, 'float32', [1]);
    if (bt.shape[0] !== m) throw mismatch(`bias: expected shape [${m}] to match weight [${m}, ${k}], got shape [${bt.shape.join(', ')}]`);
    bias = bt.data;
  }
  const { code, alpha } = activationCode(opts.activation ?? 'none', opts.alpha, 'activation');
  const output = opts.output ?? 'float32';
  if (output !== 'float32' && output !== 'int8') throw invalidArgValue('output', "'float32' or 'int8'", output);
  const inputs = [xData, xScale, xZp, weight.data.data, weight.scale, bias];
  let result: Result;
  let outData: Float32Array | Int8Array;
  let outScale: Float32Array | null = null;
  if (output === 'float32') {
    if (opts.out instanceof QuantizedTensor) throw invalidArgType('out', "a float32 Tensor for output 'float32'", opts.out);
    const out = outputTensor(opts.out, [n, m], inputs);
    result = out;
    outData = out.data;
  } else {
    let q: QuantizedTensor;
    if (opts.out !== undefined) {
      if (!(opts.out instanceof QuantizedTensor) || opts.out.dtype !== 'int8') {
        throw invalidArgType('out', "an int8 QuantizedTensor for output 'int8'", opts.out);
      }
      q = opts.out;
      if (q.shape[0] !== n || q.shape[1] !== m) throw mismatch(`out: expected shape [${n}, ${m}], got [${q.shape.join(', ')}]`);
      if (q.scale.length !== n) throw mismatch(`out.scale: expected ${n} entries (one per row), got ${q.scale.length}`);
      for (const part of [q.data.data, q.scale]) {
        for (const input of inputs) {
          if (input !== null && overlaps(part, input)) throw mismatch('out: expected memory separate from the inputs, got a view that overlaps one');
        }
      }
    } else {
      q = new QuantizedTensor(codesTensor('int8', [n, m]), new Float32Array(n), null);
    }
    result = q;
    outData = q.data.data as Int8Array;
    outScale = q.scale;
  }
  const packed = packedQuantizedWeight(weight);
  const args: NativeQLinearArgs = [xData, n, k, xScale, xZp, staticScale, staticZp, packed, m, weight.scale, bias, code, alpha, outData, outScale];
  return { args, result };
}

/** The int8 linear layer on the calling thread (and the native pool). */
export function quantizedLinearSync(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options: QuantizedLinearOptions & { output: 'int8' }): QuantizedTensor;
export function quantizedLinearSync(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options?: QuantizedLinearOptions & { output?: 'float32' }): Tensor<'float32'>;
export function quantizedLinearSync(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options?: QuantizedLinearOptions): Tensor<'float32'> | QuantizedTensor;
export function quantizedLinearSync(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options?: QuantizedLinearOptions): Tensor<'float32'> | QuantizedTensor {
  const c = prepare(x, weight, options, 'quantizedLinearSync');
  callSync(() => addon().qlinearSync(...c.args));
  return c.result;
}

/** quantizedLinearSync off the event loop; inputs must not change until the promise settles. */
export function quantizedLinear(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options: QuantizedLinearOptions & { output: 'int8' }): Promise<QuantizedTensor>;
export function quantizedLinear(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options?: QuantizedLinearOptions & { output?: 'float32' }): Promise<Tensor<'float32'>>;
export function quantizedLinear(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options?: QuantizedLinearOptions): Promise<Tensor<'float32'> | QuantizedTensor>;
export function quantizedLinear(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options?: QuantizedLinearOptions): Promise<Tensor<'float32'> | QuantizedTensor> {
  const site = new Error();
  let c: Call;
  try {
    c = prepare(x, weight, options, 'quantizedLinear');
  } catch (error) {
    return Promise.reject(error);
  }
  return callAsync(site, () => addon().qlinearAsync(...c.args), c.result);
}
