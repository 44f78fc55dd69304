/**
 * prune.magnitude(model, { sparsity, scope, skip }): a copy of the model whose linear weights have
 * their smallest-magnitude entries set to zero, each pruned weight also held as a SparseWeight
 * (CSR by output channel). The original model is untouched.
 *
 *   scope 'layer' (default): each weight loses floor(sparsity · numel) entries, its own smallest.
 *   scope 'global': the smallest floor(sparsity · total) entries over all pruned weights together
 *     (layers with small weights lose more).
 * Ties in |w| are broken by position (the earlier flat index, then the earlier weight in parameter
 * order, is pruned first), so the result is deterministic. Entries already zero count as pruned
 * when they are among the smallest.
 *
 * At run time each linear with a pruned weight takes the sparse-weight kernel when the measured
 * crossover says it wins for that weight's shape, density and the number of rows
 * (ops.sparseWeightWins); otherwise the dense GEMM runs on the zeroed weight. Both compute the same
 * function (up to float32 summation order; and a NaN or ±Infinity input meets a pruned weight as
 * 0 · x = NaN on the dense path only).
 */
import { GnnError, described, invalidArgType, invalidArgValue } from '../errors';
import type { Features } from '../csr-matrix';
import { CsrMatrix } from '../csr-matrix';
import { Tensor } from '../tensor';
import { SparseWeight } from '../sparse-weight';
import * as ops from '../ops/index';
import { checkOptions } from '../validate';
import { Module } from '../nn/module';
import { cloneModule } from '../nn/model-file';
import type { ForwardPlan } from '../nn/scope';
import { workOf } from '../nn/steps';
import type { Pending } from '../nn/steps';
import { isLinearWeight, underSkipped, skippedModules } from '../nn/layer-names';

export interface MagnitudeOptions {
  /** Fraction of weight entries to zero, in [0, 1). */
  sparsity: number;
  /** 'layer' (default): per weight; 'global': one threshold over all weights. */
  scope?: 'layer' | 'global';
  /** Layer names (dotted, as in parameter names) left dense. */
  skip?: string[];
}

/** How a model was pruned (recorded in model.json). */
export interface PruningScheme {
  method: 'magnitude';
  sparsity: number;
  scope: 'layer' | 'global';
  skip: string[];
}

/** One pruned linear: the sparse form of its zeroed weight. */
export interface PrunedSite {
  name: string;
  weight: SparseWeight;
}

// The sparse kernel does about two vector FMAs per nonzero and 16–32 rows.
const SPARSE_WORK_PER_NNZ = 1 / 8;

/** Runs pruned linears through the sparse-weight kernel where it is measured to win. @internal */
export class PrunePlan implements ForwardPlan {
  readonly kind = 'pruned';

  constructor(
    readonly scheme: PruningScheme,
    readonly sites: ReadonlyMap<Tensor, PrunedSite>,
  ) {}

  linear(x: Features, weight: Tensor<'float32'>, options: Record<string, unknown> | undefined): Pending | null {
    const site = this.sites.get(weight);
    if (site === undefined || x instanceof CsrMatrix) return null;
    const [m, k] = site.weight.shape;
    const rows = x.rank === 2 ? x.shape[0] : 1;
    if (!ops.sparseWeightWins(m, k, site.weight.density, rows)) return null;
    const opts = options as ops.SparseWeightLinearOptions | undefined;
    return {
      sync: () => ops.sparseWeightLinearSync(x, site.weight, opts),
      async: () => ops.sparseWeightLinear(x, site.weight, opts),
      work: Math.min(workOf.linear(x, weight), rows * site.weight.nnz * SPARSE_WORK_PER_NNZ + x.numel),
    };
  }

  spmm(): null {
    return null;
  }
}

/** Flat indices of the `count` smallest |values| (ties: lower index first). */
function smallest(values: Float32Array, count: number): Int32Array {
  const order = Int32Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => Math.abs(values[a]) - Math.abs(values[b]) || a - b);
  return order.subarray(0, count);
}

/** The pruning plan for a model whose pruned weights (by name) are already zeroed. @internal */
export function attachPrunePlan(model: Module, scheme: PruningScheme, names: readonly string[]): void {
  const params = model.parameters();
  const sites = new Map<Tensor, PrunedSite>();
  for (const name of names) {
    const t = params[name];
    if (t === undefined || t.rank !== 2) throw new GnnError('ERR_GNN_MODEL_FILE', `pruning: ${name} is not a 2-D parameter of the model`);
    sites.set(t, { name, weight: SparseWeight.fromDense(t) });
  }
  model.plan = new PrunePlan(scheme, sites);
}

export function magnitude<M extends Module>(model: M, options: MagnitudeOptions): M {
  if (!(model instanceof Module)) throw invalidArgType('model', 'a Module (a layer or a loaded Model)', model);
  if (model.plan !== null) throw invalidArgValue('model', 'an fp32 model', described(`a model with a ${model.plan.kind} plan (quantized or pruned)`));
  const opts = checkOptions(options, 'prune.magnitude', ['sparsity', 'scope', 'skip']);
  const sparsity = opts.sparsity;
  if (typeof sparsity !== 'number' || !(sparsity >= 0 && sparsity < 1)) throw invalidArgValue('sparsity', 'a number in [0, 1)', sparsity);
  const scope = opts.scope ?? 'layer';
  if (scope !== 'layer' && scope !== 'global') throw invalidArgValue('scope', "'layer' or 'global'", scope);
  const skip = opts.skip ?? [];
  if (!Array.isArray(skip) || skip.some((s) => typeof s !== 'string')) throw invalidArgType('skip', 'an array of layer names', skip);

  const copy = cloneModule(model);
  skippedModules(copy, skip); // unknown names throw
  const params = copy.parameters();
  const names = Object.keys(params).filter((n) => isLinearWeight(n, params[n]) && !underSkipped(n, skip));
  const data = names.map((n) => params[n].data as Float32Array);
  if (scope === 'layer') {
    for (const d of data) for (const i of smallest(d, Math.floor(sparsity * d.length))) d[i] = 0;
  } else {
    const total = data.reduce((n, d) => n + d.length, 0);
    const all = new Float32Array(total);
    const owner = new Int32Array(total);
    let at = 0;
    data.forEach((d, w) => {
      all.set(d, at);
      owner.fill(w, at, at + d.length);
      at += d.length;
    });
    const starts = data.reduce<number[]>((s, d, i) => (s.push(i === 0 ? 0 : s[i - 1] + data[i - 1].length), s), []);
    for (const i of smallest(all, Math.floor(sparsity * total))) data[owner[i]][i - starts[owner[i]]] = 0;
  }
  attachPrunePlan(copy, { method: 'magnitude', sparsity, scope, skip: [...skip] }, names);
  return copy;
}

/** Reads model.json's pruning entry (weights are stored dense, with their zeros). @internal */
export function checkPruningEntry(entry: unknown): { scheme: PruningScheme; tensors: string[] } {
  const fail = (what: string): GnnError => new GnnError('ERR_GNN_MODEL_FILE', `model.json: pruning${what}`);
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw fail(': expected an object');
  const e = entry as Record<string, unknown>;
  if (e.method !== 'magnitude') throw fail(`.method: expected 'magnitude', got ${JSON.stringify(e.method)}`);
  if (typeof e.sparsity !== 'number' || !(e.sparsity >= 0 && e.sparsity < 1)) throw fail(`.sparsity: expected a number in [0, 1), got ${JSON.stringify(e.sparsity)}`);
  if (e.scope !== 'layer' && e.scope !== 'global') throw fail(`.scope: expected 'layer' or 'global', got ${JSON.stringify(e.scope)}`);
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (!strings(e.skip)) throw fail(`.skip: expected an array of layer names, got ${JSON.stringify(e.skip)}`);
  if (!strings(e.tensors)) throw fail(`.tensors: expected an array of parameter names, got ${JSON.stringify(e.tensors)}`);
  return { scheme: { method: 'magnitude', sparsity: e.sparsity, scope: e.scope, skip: e.skip }, tensors: e.tensors };
}
