/**
 * sparseWeightLinear: linear with a pruned weight, out = act(x · Wᵀ + b) where W is a SparseWeight
 * [M, K] (CSR by output channel), x dense [N, K] (or [K], giving [M]). Native kernel:
 * native/kernels/sparse_linear.h (blocks of rows of x transposed, one SIMD FMA per nonzero and
 * block, fused bias + activation).
 *
 * Only the stored nonzeros are multiplied: where x holds inf or NaN, a pruned (absent) weight
 * contributes nothing, whereas the dense `linear` on the zero-filled weight gives 0 · inf = NaN.
 *
 * sparseWeightWins(m, k, density, rows) says whether this path is faster than the dense `linear` on
 * this machine, from the crossover measured by `npm run bench:sparse-weight` (BENCHMARKS.md,
 * "Sparse-weight linear").
 */
import { addon } from '../backend';
import { GnnError, invalidArgType, outOfRange } from '../errors';
import type { NativeSparseLinearArgs } from '../native-types';
import { SparseWeight, sparseWeightArrays } from '../sparse-weight';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { activationCode } from './activation';
import type { ActivationName } from './activation';
import { callAsync, callSync, outputTensor } from './common';
import { cpuOnly } from './device-dispatch';

export interface SparseWeightLinearOptions {
  /** float32 [M], added to every row before the activation. */
  bias?: Tensor<'float32'> | null;
  /** Applied to x · Wᵀ + b as it is stored; default 'none'. */
  activation?: ActivationName;
  /** leaky_relu's negative slope (default 0.01) or elu's alpha (default 1). */
  alpha?: number;
  /** Output, float32 [N, M] ([M] for a 1-D x); must not overlap x, the weight's arrays or bias. */
  out?: Tensor<'float32'>;
}

const OPTION_KEYS = ['bias', 'activation', 'alpha', 'out'] as const;

function prepare(
  x: Tensor<'float32'>,
  weight: SparseWeight,
  options: SparseWeightLinearOptions | undefined,
  where: string,
): { args: NativeSparseLinearArgs; out: Tensor<'float32'> } {
  const opts = checkOptions(options, where, OPTION_KEYS);
  const xt = checkTensor('x', x, 'float32', [1, 2]);
  if (xt.device !== 'cpu') throw cpuOnly(where, 'x', xt.device);
  if (!(weight instanceof SparseWeight)) throw invalidArgType('weight', 'a SparseWeight', weight);
  const [m, k] = weight.shape;
  const xk = xt.shape[xt.rank - 1];
  if (xk !== k) {
    throw new GnnError(
      'ERR_GNN_SHAPE_MISMATCH',
      `x: expected ${k} features in the last dimension to match weight [${m}, ${k}], got shape [${xt.shape.join(', ')}]`,
    );
  }
  const n = xt.rank === 2 ? xt.shape[0] : 1;
  let bias: Float32Array | null = null;
  if (opts.bias !== undefined && opts.bias !== null) {
    const bt = checkTensor('bias', opts.bias, 'float32', [1]);
    if (bt.device !== 'cpu') throw cpuOnly(where, 'bias', bt.device);
    if (bt.shape[0] !== m) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `bias: expected shape [${m}] to match weight [${m}, ${k}], got shape [${bt.shape.join(', ')}]`);
    }
    bias = bt.data;
  }
  const { code, alpha } = activationCode(opts.activation ?? 'none', opts.alpha, 'activation');
  const w = sparseWeightArrays(weight);
  const out = outputTensor(opts.out, xt.rank === 2 ? [n, m] : [m], [xt, bias, weight.values, weight.indices, weight.indptr]);
  return { args: [xt.data, n, k, w.indptr, w.indices, w.values, m, bias, out.data, code, alpha], out };
}

/** out = act(x · Wᵀ + b) with a sparse W, on the calling thread (and the native pool). */
export function sparseWeightLinearSync(x: Tensor<'float32'>, weight: SparseWeight, options?: SparseWeightLinearOptions): Tensor<'float32'> {
  const c = prepare(x, weight, options, 'sparseWeightLinearSync');
  callSync(() => addon().sparseLinearSync(...c.args));
  return c.out;
}

/**
 * out = act(x · Wᵀ + b) with a sparse W, off the event loop. Inputs are used in place and must not
 * be modified or transferred until the promise settles.
 */
export function sparseWeightLinear(x: Tensor<'float32'>, weight: SparseWeight, options?: SparseWeightLinearOptions): Promise<Tensor<'float32'>> {
  const site = new Error();
  let c: ReturnType<typeof prepare>;
  try {
    c = prepare(x, weight, options, 'sparseWeightLinear');
  } catch (error) {
    return Promise.reject(error);
  }
  return callAsync(site, () => addon().sparseLinearAsync(...c.args), c.out);
}

/**
 * The crossover model, fitted to `npm run bench:sparse-weight` on the development machine (AMD EPYC
 * Zen 5, 2 cores, AVX-512; BENCHMARKS.md, "Sparse-weight linear"): the sparse path wins below a
 * density threshold per weight shape class.
 *   narrow (M < 32, e.g. Cora's 1433 -> 16): 2%. With few output channels the dense GEMM is bound
 *     by reading x, which the sparse path must read (and transpose) too: measured x1.1-1.2 at
 *     1-2%, break-even at 4-10%.
 *   small (K <= 64 and M <= 64) with rows >= 50 000: 5%. x and out stream from DRAM on both paths;
 *     measured break-even at 0-6% (N = 100k, 64 x 64).
 *   otherwise: 30%. Measured break-even 35-45% (64 x 64 at N = 10k, 128 x 128, 256 x 256); 30%
 *     keeps a margin for the host's noise (every such row measured x1.06 or better at 30%).
 * The rule was measured on one machine; another CPU (AVX2 only, other cache sizes) moves it.
 */
function crossoverDensity(m: number, k: number, rows: number | undefined): number {
  if (m < 32) return 0.02;
  if (k <= 64 && m <= 64 && rows !== undefined && rows >= 50_000) return 0.05;
  return 0.3;
}

/**
 * True when sparseWeightLinear is expected to beat the dense linear for a weight [m, k] of this
 * density (applied to `rows` rows of x, if known): the measured crossover model above (see
 * BENCHMARKS.md, "Sparse-weight linear").
 */
export function sparseWeightWins(m: number, k: number, density: number, rows?: number): boolean {
  for (const [name, v] of [
    ['m', m],
    ['k', k],
  ] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw outOfRange(name, 'a non-negative integer', v);
  }
  if (typeof density !== 'number' || !(density >= 0 && density <= 1)) throw outOfRange('density', 'a number in [0, 1]', density);
  if (rows !== undefined && (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 0)) {
    throw outOfRange('rows', 'a non-negative integer', rows);
  }
  return density < crossoverDensity(m, k, rows);
}
