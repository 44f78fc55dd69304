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
 *
 * On a CUDA device: x (float32 or uint8 per-row codes) on the device, the weight's device copy
 * (ops/quantized-packed.ts), the dp4a kernel; see cudaSteps.
 */
import { addon } from '../backend';
import { cudaFor } from '../device';
import type { Device, OnDevice } from '../device';
import { GnnError, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import type { CudaQLinearArgs, CudaQuantizeArgs, NativeCuda } from '../native-cuda-types';
import type { NativeQLinearArgs } from '../native-types';
import { QuantizedTensor, QuantizedWeight } from '../quantized';
import { Tensor, allocateOn, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { activationCode } from './activation';
import type { ActivationName } from './activation';
import { callAsync, callSync, outputTensor, overlapsInput } from './common';
import type { OpInput } from './common';
import { Scratch, buf, checkOutDevice, cudaAsync, cudaSync, opDevice, optBuf } from './device-dispatch';
import { deviceQuantizedWeight, packedQuantizedWeight } from './quantized-packed';
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

function mismatch(message: string): GnnError {
  return new GnnError('ERR_GNN_SHAPE_MISMATCH', message);
}

/** The checked arguments, device-independent. */
interface Checked {
  device: Device;
  x: Tensor<'float32'> | QuantizedTensor;
  weight: QuantizedWeight;
  n: number;
  k: number;
  m: number;
  input: { scale: number; zeroPoint: number } | null;
  bias: Tensor<'float32'> | null;
  code: number;
  alpha: number;
  result: Result;
}

function check(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options: QuantizedLinearOptions | undefined, where: string): Checked {
  const opts = checkOptions(options, where, OPTION_KEYS);
  if (!(weight instanceof QuantizedWeight)) throw invalidArgType('weight', 'a QuantizedWeight', weight);
  const [m, k] = weight.shape;
  let shape: readonly number[];
  let xDevice: OnDevice;
  if (x instanceof QuantizedTensor) {
    shape = x.shape;
    xDevice = x;
  } else {
    const xt = checkTensor('x', x, 'float32', [2]);
    shape = xt.shape;
    xDevice = xt;
  }
  const n = shape[0];
  if (shape[1] !== k) {
    throw mismatch(`x: expected ${k} features in the last dimension to match weight [${m}, ${k}], got shape [${shape.join(', ')}]`);
  }
  let input: Checked['input'] = null;
  if (opts.input !== undefined) {
    if (x instanceof QuantizedTensor) throw invalidArgValue('input', 'no static params for an already quantized x', opts.input);
    const given = checkOptions(opts.input, 'input', ['scale', 'zeroPoint']);
    if (typeof given.scale !== 'number') throw invalidArgType('input.scale', 'a number', given.scale);
    if (typeof given.zeroPoint !== 'number') throw invalidArgType('input.zeroPoint', 'a number', given.zeroPoint);
    if (!(given.scale > 0) || !Number.isFinite(given.scale) || !Number.isFinite(Math.fround(1 / Math.fround(given.scale)))) {
      throw outOfRange('input.scale', 'a finite number > 0 whose float32 reciprocal is finite', given.scale);
    }
    if (!Number.isInteger(given.zeroPoint) || given.zeroPoint < 0 || given.zeroPoint > 255) {
      throw outOfRange('input.zeroPoint', 'an integer in [0, 255]', given.zeroPoint);
    }
    input = { scale: given.scale, zeroPoint: given.zeroPoint };
  }
  let bias: Tensor<'float32'> | null = null;
  if (opts.bias !== undefined && opts.bias !== null) {
    bias = checkTensor('bias', opts.bias, 'float32', [1]);
    if (bias.shape[0] !== m) throw mismatch(`bias: expected shape [${m}] to match weight [${m}, ${k}], got shape [${bias.shape.join(', ')}]`);
  }
  const device = opDevice(where, ['x', xDevice], ['bias', bias]);
  const { code, alpha } = activationCode(opts.activation ?? 'none', opts.alpha, 'activation');
  const output = opts.output ?? 'float32';
  if (output !== 'float32' && output !== 'int8') throw invalidArgValue('output', "'float32' or 'int8'", output);
  const inputs: OpInput[] =
    x instanceof QuantizedTensor ? [x.data, x.scaleTensor, x.zeroPointTensor, bias] : [x, bias];
  if (device === 'cpu') inputs.push(weight.data.data, weight.scale);
  let result: Result;
  if (output === 'float32') {
    if (opts.out instanceof QuantizedTensor) throw invalidArgType('out', "a float32 Tensor for output 'float32'", opts.out);
    result = outputTensor(opts.out, [n, m], inputs, device);
  } else if (opts.out !== undefined) {
    if (!(opts.out instanceof QuantizedTensor) || opts.out.dtype !== 'int8') {
      throw invalidArgType('out', "an int8 QuantizedTensor for output 'int8'", opts.out);
    }
    const q = opts.out;
    checkOutDevice('out', q, device);
    if (q.shape[0] !== n || q.shape[1] !== m) throw mismatch(`out: expected shape [${n}, ${m}], got [${q.shape.join(', ')}]`);
    if (q.scaleTensor.numel !== n) throw mismatch(`out.scale: expected ${n} entries (one per row), got ${q.scaleTensor.numel}`);
    for (const part of [q.data, q.scaleTensor]) {
      if (inputs.some((input) => overlapsInput(part, input))) throw mismatch('out: expected memory separate from the inputs, got a view that overlaps one');
    }
    result = q;
  } else if (device === 'cpu') {
    result = new QuantizedTensor(codesTensor('int8', [n, m]), new Float32Array(n), null);
  } else {
    result = new QuantizedTensor(allocateOn([n, m], 'int8', device), allocateOn([n], 'float32', device), null);
  }
  return { device, x, weight, n, k, m, input, bias, code, alpha, result };
}

function cpuArgs(c: Checked): NativeQLinearArgs {
  const x = c.x;
  const xData = x instanceof QuantizedTensor ? x.data.data : x.data;
  const xScale = x instanceof QuantizedTensor ? x.scale : null;
  const xZp = x instanceof QuantizedTensor ? x.zeroPoint : null;
  const r = c.result;
  const outData = r instanceof QuantizedTensor ? (r.data.data as Int8Array) : r.data;
  const outScale = r instanceof QuantizedTensor ? r.scale : null;
  const packed = packedQuantizedWeight(c.weight);
  return [
    xData, c.n, c.k, xScale, xZp, c.input?.scale ?? null, c.input?.zeroPoint ?? 0,
    packed, c.m, c.weight.scale, c.bias?.data ?? null, c.code, c.alpha, outData, outScale,
  ];
}

/**
 * The CUDA form as a chain of kernel calls: x quantized to uint8 per row on the device (unless it
 * already is: a uint8 per-row QuantizedTensor), the dp4a GEMM into float32, and for output 'int8'
 * the per-row int8 quantization of that float32 result (what the CPU kernel's epilogue computes).
 */
function cudaSteps(c: Checked, scratch: Scratch): Array<{ name: 'quantize' | 'quantizedLinear'; args: CudaQuantizeArgs | CudaQLinearArgs }> {
  const { n, k, m } = c;
  const steps: Array<{ name: 'quantize' | 'quantizedLinear'; args: CudaQuantizeArgs | CudaQLinearArgs }> = [];
  let codes: Tensor;
  let xScale: Tensor<'float32'>;
  let xZp: Tensor<'int32'>;
  const x = c.x;
  if (x instanceof QuantizedTensor) {
    if (x.dtype !== 'uint8' || x.granularity !== 'row') {
      throw new GnnError(
        'ERR_GNN_DEVICE',
        `quantizedLinear: on ${c.device} x must be float32 or uint8 codes with one scale per row, got ${x.dtype} codes per ${x.granularity} (int8 and per-tensor codes run on the CPU only)`,
      );
    }
    codes = x.data;
    xScale = x.scaleTensor;
    xZp = x.zeroPointTensor as Tensor<'int32'>;
  } else {
    codes = scratch.take([n, k], 'uint8');
    if (c.input === null) {
      xScale = scratch.take([n], 'float32');
      xZp = scratch.take([n], 'int32');
      steps.push({ name: 'quantize', args: [buf('x', x), n, k, false, true, false, 0, 0, buf('x codes', codes), buf('x scale', xScale), buf('x zero point', xZp)] });
    } else {
      // Per-tensor parameters, given per row to the GEMM (its epilogue reads one scale per row).
      const s1 = scratch.take([1], 'float32');
      const z1 = scratch.take([1], 'int32');
      steps.push({
        name: 'quantize',
        args: [buf('x', x), n, k, false, false, true, c.input.scale, c.input.zeroPoint, buf('x codes', codes), buf('x scale', s1), buf('x zero point', z1)],
      });
      xScale = uploadInto(scratch.take([n], 'float32'), new Float32Array(n).fill(c.input.scale));
      xZp = uploadInto(scratch.take([n], 'int32'), new Int32Array(n).fill(c.input.zeroPoint));
    }
  }
  const w = deviceQuantizedWeight(c.weight, c.device);
  const r = c.result;
  const out = r instanceof QuantizedTensor ? scratch.take([n, m], 'float32') : r;
  steps.push({
    name: 'quantizedLinear',
    args: [buf('x codes', codes), buf('x scale', xScale), buf('x zero point', xZp), n, k, buf('weight', w.codes), buf('weight scale', w.scale), m, optBuf('bias', c.bias), buf('out', out), c.code, c.alpha],
  });
  if (r instanceof QuantizedTensor) {
    steps.push({ name: 'quantize', args: [buf('out', out), n, m, true, true, false, 0, 0, buf('out.data', r.data), buf('out.scale', r.scaleTensor), null] });
  }
  return steps;
}

function uploadInto<T extends Tensor>(t: T, host: Float32Array | Int32Array): T {
  callSync(() => cudaFor(t.device).upload(buf('x', t), 0, host));
  return t;
}

function runCudaSync(c: Checked): Result {
  const scratch = new Scratch(c.device);
  let steps: ReturnType<typeof cudaSteps>;
  try {
    steps = cudaSteps(c, scratch);
  } catch (error) {
    scratch.release();
    throw error;
  }
  return cudaSync(
    c.device,
    (cuda) => {
      for (const s of steps) {
        if (s.name === 'quantize') cuda.quantizeSync(...(s.args as CudaQuantizeArgs));
        else cuda.quantizedLinearSync(...(s.args as CudaQLinearArgs));
      }
    },
    c.result,
    scratch,
  );
}

function runCudaAsync(site: Error, c: Checked): Promise<Result> {
  const scratch = new Scratch(c.device);
  let steps: ReturnType<typeof cudaSteps>;
  try {
    steps = cudaSteps(c, scratch);
  } catch (error) {
    scratch.release();
    return Promise.reject(error);
  }
  const chain = async (cuda: NativeCuda): Promise<void> => {
    for (const s of steps) {
      if (s.name === 'quantize') await cuda.quantizeAsync(...(s.args as CudaQuantizeArgs));
      else await cuda.quantizedLinearAsync(...(s.args as CudaQLinearArgs));
    }
  };
  return cudaAsync(site, c.device, chain, c.result, scratch);
}

/** The int8 linear layer on the calling thread (and the native pool). */
export function quantizedLinearSync(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options: QuantizedLinearOptions & { output: 'int8' }): QuantizedTensor;
export function quantizedLinearSync(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options?: QuantizedLinearOptions & { output?: 'float32' }): Tensor<'float32'>;
export function quantizedLinearSync(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options?: QuantizedLinearOptions): Tensor<'float32'> | QuantizedTensor;
export function quantizedLinearSync(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options?: QuantizedLinearOptions): Tensor<'float32'> | QuantizedTensor {
  const c = check(x, weight, options, 'quantizedLinearSync');
  if (c.device !== 'cpu') return runCudaSync(c);
  const args = cpuArgs(c);
  callSync(() => addon().qlinearSync(...args));
  return c.result;
}

/** quantizedLinearSync off the event loop; inputs must not change until the promise settles. */
export function quantizedLinear(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options: QuantizedLinearOptions & { output: 'int8' }): Promise<QuantizedTensor>;
export function quantizedLinear(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options?: QuantizedLinearOptions & { output?: 'float32' }): Promise<Tensor<'float32'>>;
export function quantizedLinear(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options?: QuantizedLinearOptions): Promise<Tensor<'float32'> | QuantizedTensor>;
export function quantizedLinear(x: Tensor<'float32'> | QuantizedTensor, weight: QuantizedWeight, options?: QuantizedLinearOptions): Promise<Tensor<'float32'> | QuantizedTensor> {
  const site = new Error();
  let c: Checked;
  let args: NativeQLinearArgs;
  try {
    c = check(x, weight, options, 'quantizedLinear');
    if (c.device !== 'cpu') return runCudaAsync(site, c);
    args = cpuArgs(c);
  } catch (error) {
    return Promise.reject(error);
  }
  return callAsync(site, () => addon().qlinearAsync(...args), c.result);
}
