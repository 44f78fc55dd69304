/**
 * Sequential: children run in order, each on the previous output (the graph and context passed
 * to all). Children are named '0', '1', … like torch.nn.Sequential (so PyG's `nn.0.weight` keys
 * load), or by the names given. A Linear directly followed by an activation runs as one GEMM
 * with the activation fused into its epilogue.
 */
import { invalidArgType } from '../errors';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import { Activation } from './activations';
import { Linear } from './linear';
import { Module } from './module';
import type { ForwardContext, ModuleJSON } from './module';
import type { Steps } from './steps';
import { scoped } from './scope';

export class Sequential extends Module {
  readonly type = 'Sequential';
  readonly layers: ReadonlyArray<readonly [string, Module]>;

  /** `modules`: an array (named '0', '1', …) or [name, module] pairs. */
  constructor(modules: ReadonlyArray<Module | readonly [string, Module]>) {
    super();
    if (!Array.isArray(modules)) throw invalidArgType('modules', 'an array of modules', modules);
    this.layers = modules.map((m, i) => {
      if (m instanceof Module) return [String(i), m] as const;
      if (Array.isArray(m) && typeof m[0] === 'string' && m[1] instanceof Module) return [m[0], m[1]] as const;
      throw invalidArgType(`modules[${i}]`, 'a Module or a [name, Module] pair', m);
    });
  }

  override children(): Array<[string, Module]> {
    return this.layers.map(([n, m]) => [n, m]);
  }

  protected args(): Record<string, unknown> {
    return {};
  }

  override toJSON(): ModuleJSON {
    return { type: this.type, args: {}, modules: this.layers.map(([name, m]) => ({ ...m.toJSON(), name })) };
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    return yield* runChain(this.layers.map(([, m]) => m), graph, x, context);
  }
}

/** Runs modules in order, fusing each Linear with a directly following activation. @internal */
export function* runChain(modules: readonly Module[], graph: Graph, x: Features, context: ForwardContext): Steps {
  let h: Features = x;
  for (let i = 0; i < modules.length; i++) {
    const m = modules[i];
    const next = modules[i + 1];
    if (m instanceof Linear && next instanceof Activation) {
      h = yield m.apply(h, next.activation, next.alpha);
      i++;
      continue;
    }
    h = yield* scoped(m, graph, h, context);
  }
  return h;
}
