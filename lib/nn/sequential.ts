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
import { advance, isBlock } from './block';
import { embedLayers, planQuery } from './receptive';
import type { EmbedOptions, Embedding, ForwardNodesOptions } from './receptive';
import { runAsync, runSync } from './steps';
import type { Tensor } from '../tensor';

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

  /** The children's hops, in sequence. @internal */
  override receptiveHops(): number {
    return this.layers.reduce((n, [, m]) => n + m.receptiveHops(), 0);
  }

  /** A Sequential of layers [start, end) of this one (the same module objects). @internal */
  slice(start: number, end?: number): Sequential {
    const s = new Sequential(this.layers.slice(start, end));
    s.plan = this.plan;
    return s;
  }

  #embedding: Embedding | null = null;

  /**
   * The output rows of `nodes` (any order, repeats allowed: one row per entry), computing each
   * layer only on the nodes the layers after it read (receptive-field inference, nn/receptive.ts).
   * Without `fanout` the rows are bitwise those of forwardSync(graph, x). With `fanout` each node
   * aggregates over at most that many sampled in-edges per hop (README "Receptive-field queries").
   * When embed() cached this (graph, x) — the same objects — the pass starts from that embedding.
   * Runs on the calling thread; forwardNodes is the Promise form.
   */
  forwardNodesSync(graph: Graph, x: Features, nodes: Int32Array, options?: ForwardNodesOptions): Tensor<'float32'> {
    const q = planQuery(this, graph, x, nodes, options, this.#embedding);
    return q.finish(runSync(q.steps));
  }

  /** forwardNodesSync with its larger ops off the event loop. */
  forwardNodes(graph: Graph, x: Features, nodes: Int32Array, options?: ForwardNodesOptions): Promise<Tensor<'float32'>> {
    let q: ReturnType<typeof planQuery>;
    try {
      q = planQuery(this, graph, x, nodes, options, this.#embedding);
    } catch (error) {
      return Promise.reject(error);
    }
    return runAsync(q.steps).then((r) => q.finish(r));
  }

  /**
   * Runs the first `layers` layers over the whole graph (default: all before the last layer that
   * reads neighbours) and keeps the output, so that later forwardNodes calls with this same graph
   * and x object start from it. The cache holds one embedding: embed() again replaces it,
   * clearEmbeddings() drops it. It is keyed by object identity, so after changing x in place or
   * the model's parameters, call clearEmbeddings() (or embed() again). Returns the embedding.
   */
  embedSync(graph: Graph, x: Features, options?: EmbedOptions): Tensor<'float32'> {
    const layers = embedLayers(this, options);
    const output = this.slice(0, layers).forwardSync(graph, x);
    this.#embedding = { graph, x, layers, output };
    return output;
  }

  /** embedSync with its ops off the event loop. */
  async embed(graph: Graph, x: Features, options?: EmbedOptions): Promise<Tensor<'float32'>> {
    const layers = embedLayers(this, options);
    const output = await this.slice(0, layers).forward(graph, x);
    this.#embedding = { graph, x, layers, output };
    return output;
  }

  /** Drops the embedding kept by embed(). */
  clearEmbeddings(): void {
    this.#embedding = null;
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    return yield* runChain(this.layers.map(([, m]) => m), graph, x, context);
  }
}

/**
 * Runs modules in order, fusing each Linear with a directly following activation. On a block
 * chain (block.ts) each module gets the block of its own hop(s). @internal
 */
export function* runChain(modules: readonly Module[], graph: Graph, x: Features, context: ForwardContext): Steps {
  let h: Features = x;
  let g = graph;
  for (let i = 0; i < modules.length; i++) {
    const m = modules[i];
    const next = modules[i + 1];
    if (m instanceof Linear && next instanceof Activation) {
      h = yield m.apply(h, next.activation, next.alpha);
      i++;
      continue;
    }
    h = yield* scoped(m, g, h, context);
    if (isBlock(g)) g = advance(g, m.receptiveHops());
  }
  return h;
}
