/**
 * linear with a sparse x (CsrMatrix [N, K]): out = act(x · Wᵀ + b) computed as an SpMM of x's
 * rows against Wᵀ [K, M] (each stored entry x[r, k] adds x[r, k]·W[:, k] to row r), then the
 * bias and activation in place. Wᵀ is made once per weight and cached beside it; it is dropped
 * with the packed copy (packLinearWeight / releasePackedWeight), so the same rules hold: do not
 * change a weight's data after its first use without repacking it.
 */
import type { CsrMatrix } from '../csr-matrix';
import { GnnError } from '../errors';
import { Tensor, checkTensor } from '../tensor';
import { activationSync, activation } from './activation';
import type { ActivationName } from './activation';
import { addSync, add } from './add';
import { packGeneration } from './packed-weight';
import { spmmSync, spmm } from './spmm';

export interface SparseLinearOptions {
  bias?: Tensor<'float32'> | null;
  activation?: ActivationName;
  alpha?: number;
  out?: Tensor<'float32'>;
}

const transposed = new WeakMap<Tensor, { generation: number; t: Tensor<'float32'> }>();

function transposedWeight(w: Tensor<'float32'>): Tensor<'float32'> {
  const generation = packGeneration(w);
  const hit = transposed.get(w);
  if (hit !== undefined && hit.generation === generation) return hit.t;
  const [m, k] = w.shape;
  const t = Tensor.zeros([k, m]);
  for (let r = 0; r < m; r++) for (let c = 0; c < k; c++) t.data[c * m + r] = w.data[r * k + c];
  transposed.set(w, { generation, t });
  return t;
}

function check(x: CsrMatrix, weight: Tensor<'float32'>): Tensor<'float32'> {
  const wt = checkTensor('weight', weight, 'float32', [2]);
  if (wt.shape[1] !== x.shape[1]) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `x: expected ${wt.shape[1]} columns to match weight [${wt.shape.join(', ')}], got CsrMatrix [${x.shape.join(', ')}]`);
  }
  return wt;
}

export function sparseLinearSync(x: CsrMatrix, weight: Tensor<'float32'>, options: SparseLinearOptions = {}): Tensor<'float32'> {
  const wt = check(x, weight);
  let out = spmmSync(x.graph, transposedWeight(wt), { weights: 'graph', out: options.out });
  if (options.bias) out = addSync(out, options.bias, { out });
  const act = options.activation ?? 'none';
  return act === 'none' ? out : activationSync(out, act, { alpha: options.alpha, out });
}

export async function sparseLinear(x: CsrMatrix, weight: Tensor<'float32'>, options: SparseLinearOptions = {}): Promise<Tensor<'float32'>> {
  const wt = check(x, weight);
  let out = await spmm(x.graph, transposedWeight(wt), { weights: 'graph', out: options.out });
  if (options.bias) out = await add(out, options.bias, { out });
  const act = options.activation ?? 'none';
  return act === 'none' ? out : activation(out, act, { alpha: options.alpha, out });
}
