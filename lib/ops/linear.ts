/**
 * linear: the dense half of a GNN layer, out = act(x · Wᵀ + b), as torch.nn.functional.linear
 * followed by an activation, computed by a blocked GEMM whose epilogue adds the bias and applies
 * the activation as each tile is stored.
 *   x [N, K] (or [K], giving [M]), weight [M, K] (PyTorch's [out_features, in_features]), bias [M].
 * The weight is packed once into the micro-kernel's layout and the packed copy cached on the
 * weight Tensor (./packed-weight.ts): a weight's data must not change after its first use here,
 * unless it is repacked with packLinearWeight or released with releasePackedWeight.
 * On a CUDA device the weight is read as it is (a plain [M, K] device tensor, no packing): cuBLAS
 * when the build links it, the addon's tiled kernel otherwise; bias and activation in its epilogue.
 */
import { addon } from '../backend';
import { CsrMatrix } from '../csr-matrix';
import type { Device } from '../device';
import { sparseLinear, sparseLinearSync } from './linear-sparse';
import { GnnError } from '../errors';
import type { CudaLinearArgs } from '../native-cuda-types';
import type { NativeLinearArgs } from '../native-types';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { activationCode } from './activation';
import type { ActivationName } from './activation';
import { callAsync, callSync, outputTensor } from './common';
import { buf, cudaAsync, cudaSync, opDevice, optBuf } from './device-dispatch';
import { allocatePacked, cachedPackedWeight, packGeneration, storePackedWeight } from './packed-weight';
import type { PackedWeight } from './packed-weight';

export interface LinearOptions {
  /** float32 [M], added to every row before the activation. */
  bias?: Tensor<'float32'> | null;
  /** Applied to x · Wᵀ + b as it is stored; default 'none'. */
  activation?: ActivationName;
  /** leaky_relu's negative slope (default 0.01) or elu's alpha (default 1). */
  alpha?: number;
  /** Output, float32 [N, M] ([M] for a 1-D x); must not overlap x, weight or bias. */
  out?: Tensor<'float32'>;
}

const OPTION_KEYS = ['bias', 'activation', 'alpha', 'out'] as const;

interface LinearCall {
  device: Device;
  weight: Tensor<'float32'>;
  /** The CPU call's arguments (null on a CUDA device). */
  args: NativeLinearArgs | null;
  /** The CUDA call's (built when it runs; null on the CPU). */
  cuda: (() => CudaLinearArgs) | null;
  out: Tensor<'float32'>;
  /** Set when this call packs the weight (no cached copy for the active layout). */
  fresh: { entry: PackedWeight; generation: number } | null;
}

function shapeMismatch(message: string): GnnError {
  return new GnnError('ERR_GNN_SHAPE_MISMATCH', message);
}

function prepare(x: Tensor<'float32'>, weight: Tensor<'float32'>, options: LinearOptions | undefined, where: string): LinearCall {
  const opts = checkOptions(options, where, OPTION_KEYS);
  const xt = checkTensor('x', x, 'float32', [1, 2]);
  const wt = checkTensor('weight', weight, 'float32', [2]);
  const [m, k] = wt.shape;
  const xk = xt.shape[xt.rank - 1];
  if (xk !== k) {
    throw shapeMismatch(`x: expected ${k} features in the last dimension to match weight [${m}, ${k}], got shape [${xt.shape.join(', ')}]`);
  }
  const n = xt.rank === 2 ? xt.shape[0] : 1;
  let bt: Tensor<'float32'> | null = null;
  if (opts.bias !== undefined && opts.bias !== null) {
    bt = checkTensor('bias', opts.bias, 'float32', [1]);
    if (bt.shape[0] !== m) throw shapeMismatch(`bias: expected shape [${m}] to match weight [${m}, ${k}], got shape [${bt.shape.join(', ')}]`);
  }
  const device = opDevice(where, ['x', xt], ['weight', wt], ['bias', bt]);
  const { code, alpha } = activationCode(opts.activation ?? 'none', opts.alpha, 'activation');
  const out = outputTensor(opts.out, xt.rank === 2 ? [n, m] : [m], [xt, wt, bt], device);
  if (device !== 'cpu') {
    const cuda = (): CudaLinearArgs => [buf('x', xt), n, k, buf('weight', wt), m, optBuf('bias', bt), buf('out', out), code, alpha, true];
    return { device, weight: wt, args: null, cuda, out, fresh: null };
  }
  const bias = bt?.data ?? null;
  const a = addon();
  const layout = a.gemmLayout();
  const cached = cachedPackedWeight(wt, layout);
  let fresh: LinearCall['fresh'] = null;
  let packed: Float32Array;
  if (cached !== undefined && cached.m === m && cached.k === k) {
    packed = cached.data;
  } else {
    packed = callSync(() => allocatePacked(layout, m, k));
    fresh = { entry: { layout, m, k, data: packed }, generation: packGeneration(wt) };
  }
  const args: NativeLinearArgs = [xt.data, n, k, packed, layout, m, bias, out.data, code, alpha, fresh === null ? null : wt.data];
  return { device, weight: wt, args, cuda: null, out, fresh };
}

/** ERR_GNN_DEVICE for sparse features against a weight on a CUDA device. */
function checkSparseOnHost(where: string, weight: unknown): void {
  if (weight instanceof Tensor && weight.device !== 'cpu') {
    throw new GnnError(
      'ERR_GNN_DEVICE',
      `${where}: x is a CsrMatrix (host memory; sparse features run on the CPU only), got weight on ${weight.device}; give dense features on ${weight.device} (x.toDense().to('${weight.device}'))`,
    );
  }
}

/** out = act(x · Wᵀ + b) on the calling thread (and the native pool). */
export function linearSync(x: Tensor<'float32'> | CsrMatrix, weight: Tensor<'float32'>, options?: LinearOptions): Tensor<'float32'> {
  if (x instanceof CsrMatrix) {
    checkSparseOnHost('linearSync', weight);
    return sparseLinearSync(x, weight, checkOptions(options, 'linearSync', OPTION_KEYS));
  }
  const c = prepare(x, weight, options, 'linearSync');
  const cudaCall = c.cuda;
  if (cudaCall !== null) return cudaSync(c.device, (cuda) => cuda.linearSync(...cudaCall()), c.out);
  const args = c.args as NativeLinearArgs;
  callSync(() => addon().linearSync(...args));
  if (c.fresh !== null) storePackedWeight(c.weight, c.fresh.entry, c.fresh.generation);
  return c.out;
}

/**
 * out = act(x · Wᵀ + b) off the event loop (packing the weight too, on its first use). Inputs are
 * used in place and must not be modified or transferred until the promise settles.
 */
export function linear(x: Tensor<'float32'> | CsrMatrix, weight: Tensor<'float32'>, options?: LinearOptions): Promise<Tensor<'float32'>> {
  if (x instanceof CsrMatrix) {
    try {
      checkSparseOnHost('linear', weight);
      return sparseLinear(x, weight, checkOptions(options, 'linear', OPTION_KEYS));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const site = new Error();
  let c: LinearCall;
  try {
    c = prepare(x, weight, options, 'linear');
  } catch (error) {
    return Promise.reject(error);
  }
  const cudaCall = c.cuda;
  if (cudaCall !== null) return cudaAsync(site, c.device, (cuda) => cuda.linearAsync(...cudaCall()), c.out);
  const args = c.args as NativeLinearArgs;
  const done = callAsync(site, () => addon().linearAsync(...args), c.out);
  const fresh = c.fresh;
  if (fresh === null) return done;
  return done.then((out) => {
    storePackedWeight(c.weight, fresh.entry, fresh.generation);
    return out;
  });
}
