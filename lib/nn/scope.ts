/**
 * The module scope of a forward pass. A layer's `steps()` creates its ops (op.linear, op.spmm, …)
 * while its generator runs; `scoped` runs a module's generator with that module on a stack, so an
 * op can ask which layer is creating it and under which plan. A plan (quant/plan.ts) substitutes
 * ops — an int8 GEMM for a linear whose weight it quantized, an int8-feature spmm for a layer's
 * aggregation — and can watch inputs (calibration) and layer outputs (reports).
 *
 * The stack only lives inside one synchronous `next()` of the generator: it is pushed before and
 * popped after, so concurrent async forward passes interleaving between ops never see each other's
 * scope.
 * @internal
 */
import type { Features } from '../csr-matrix';
import type { Device } from '../device';
import type { Graph } from '../graph';
import type { Tensor } from '../tensor';
import type { ForwardContext, Module } from './module';
import type { Pending, Steps } from './steps';

/** What a plan may substitute; null keeps the plain fp32 op. */
export interface ForwardPlan {
  /** What the plan is for: a quantized model's ('int8'), a pruned model's ('pruned'), or a tool's own. */
  readonly kind: string;
  /** A linear whose weight tensor is `weight`, created inside `modules` (outermost first). */
  linear(x: Features, weight: Tensor<'float32'>, options: Record<string, unknown> | undefined, modules: readonly Module[]): Pending | null;
  /** An aggregation (spmm) created inside `modules`. */
  spmm(graph: Graph, x: Tensor<'float32'>, options: Record<string, unknown> | undefined, modules: readonly Module[]): Pending | null;
  /** x · Wᵀ aggregated over `graph` as one step (see steps.ts `project`); null: the two ops. */
  project?(x: Features, weight: Tensor<'float32'>, graph: Graph, options: Record<string, unknown> | undefined, modules: readonly Module[]): Pending | null;
  /** Called with each module's output as its steps finish (the tensor may be reused later: copy it). */
  output?(module: Module, out: Features): void;
  /**
   * The plan for the model after Module.to moved it to `device` (`moved` maps each old parameter
   * tensor to its copy there). A plan without it runs on the CPU only: moving its model to a CUDA
   * device is ERR_GNN_DEVICE.
   */
  moved?(moved: ReadonlyMap<Tensor, Tensor>, device: Device): ForwardPlan;
}

interface Frame {
  plan: ForwardPlan | null;
  modules: Module[];
}

let current: Frame | null = null;

/** The plan and module stack of the op being created, if any. */
export function activeScope(): { plan: ForwardPlan; modules: readonly Module[] } | null {
  return current === null || current.plan === null ? null : { plan: current.plan, modules: current.modules };
}

function within<T>(frame: Frame, module: Module, fn: () => T): T {
  const saved = current;
  current = frame;
  frame.modules.push(module);
  try {
    return fn();
  } finally {
    frame.modules.pop();
    current = saved;
  }
}

/**
 * Runs `module.steps(...)` with `module` on the scope stack. `plan` starts a new scope (the root of
 * a forward pass); without it the plan of the enclosing scope carries on.
 */
export function* scoped(module: Module, graph: Graph, x: Features, context: ForwardContext, plan?: ForwardPlan | null): Steps {
  const frame: Frame = plan !== undefined ? { plan, modules: [] } : current !== null ? { plan: current.plan, modules: current.modules.slice() } : { plan: null, modules: [] };
  const inner = module.steps(graph, x, context);
  let r = within(frame, module, () => inner.next());
  while (r.done !== true) {
    const value: Tensor<'float32'> = yield r.value;
    r = within(frame, module, () => inner.next(value));
  }
  frame.plan?.output?.(module, r.value);
  return r.value;
}
