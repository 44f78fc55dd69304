/**
 * Module: the base of every layer and model. A module has named parameters (its own tensors plus
 * its children's, with dotted names as in PyTorch's state_dict), loads them from a state dict by
 * those names, describes itself as JSON (type + constructor arguments), and runs forward as a
 * sync / async pair over a graph and node features. `to(device)` moves it, in place, to a CUDA
 * device (or back): every op of a forward pass then runs there, on a graph and features there.
 */
import { cudaFor, parseDevice } from '../device';
import type { Device, DeviceSpec } from '../device';
import { GnnError, invalidArgType, invalidArgValue } from '../errors';
import { CsrMatrix, denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import { Tensor, checkTensor, copyInto, sameStorage } from '../tensor';
import { Random } from '../generators/random';
import { checkOptions } from '../validate';
import { keepHostCopy } from './params';
import type { Param } from './params';
import { Workspace } from '../ops/workspace';
import { runAsync, runSync } from './steps';
import type { Steps } from './steps';
import { scoped } from './scope';
import type { ForwardPlan } from './scope';
import type { QuantizationScheme } from '../quant/plan';
import type { PruningScheme } from '../prune/magnitude';

export type StateDict = Record<string, Tensor>;

/** Extra inputs some modules read: a graph-level batch vector, edge features. */
export interface ForwardContext {
  /** For global pooling: the graph of every node, non-decreasing ids starting at 0. */
  batch?: Int32Array;
  /** Number of graphs in the batch (default: last batch id + 1). */
  numGraphs?: number;
  /** Per-edge features [E, D] in the graph's input edge order (GATConv's edge_dim). */
  edgeAttr?: Tensor<'float32'>;
  /**
   * Where to write the output (float32, the output's shape). The result is copied in, and the
   * buffer it was computed in stays with the module for the next pass, so a caller that reuses
   * `out` makes a pass allocate nothing.
   */
  out?: Tensor<'float32'>;
}

export interface LoadStateDictOptions {
  /** Throw when keys are missing or unexpected (default true). */
  strict?: boolean;
  /** Prefix of this module's keys in the dict, e.g. 'conv1.' (a trailing dot is added if missing). */
  prefix?: string;
}

export interface LoadReport {
  missing: string[];
  unexpected: string[];
}

/** The JSON form of a module: its type and constructor arguments (and children for containers). */
export interface ModuleJSON {
  type: string;
  args: Record<string, unknown>;
  name?: string;
  modules?: ModuleJSON[];
}

/** A tensor slot of a module: its expected shape (null: any) and a setter. */
export interface ParameterSlot {
  name: string;
  shape: readonly number[] | null;
  get(): Tensor<'float32'> | null;
  set(t: Tensor<'float32'>): void;
  /** Optional parameters (e.g. a bias that may be absent) are not reported missing. */
  optional?: boolean;
}

let saveHook: ((module: Module, dir: string, options: unknown) => void) | null = null;

/** model-file.ts registers the writer (it imports every layer, so module.ts cannot import it). @internal */
export function setSaveHook(hook: (module: Module, dir: string, options: unknown) => void): void {
  saveHook = hook;
}

export abstract class Module {
  /** The type name used in model.json (e.g. 'GCNConv'). */
  abstract readonly type: string;

  /** Tensors this module owns directly (not its children's): by default its params(). */
  protected slots(): ParameterSlot[] {
    return this.params().map((p) => p.slot());
  }

  /** Named child modules. */
  children(): Array<[string, Module]> {
    return [];
  }

  /**
   * Renames keys of other versions or frameworks to this module's names before loading (e.g. PyG
   * 2.4's lin_src.weight, DGL's fc.weight); keys are relative to the module. Default: none.
   */
  protected normalizeKeys(dict: Map<string, Tensor>): void {
    void dict;
  }

  /** The constructor arguments, for toJSON. */
  protected abstract args(): Record<string, unknown>;

  /**
   * The forward pass as a sequence of ops (see steps.ts): yields each op and receives its result.
   * @internal
   */
  abstract steps(graph: Graph, x: Features, context: ForwardContext): Steps;

  /**
   * The plan that substitutes ops in this module's forward passes: a quantized model's int8 GEMMs
   * and aggregations (quant/plan.ts). Set by quantize() and loadModel; null for fp32.
   * @internal
   */
  plan: ForwardPlan | null = null;

  /** How this model was quantized (quantize() or a quantized model file); null for fp32. */
  get quantization(): QuantizationScheme | null {
    if (this.plan?.kind !== 'int8') return null;
    const scheme = (this.plan as unknown as { scheme: QuantizationScheme }).scheme;
    return { ...scheme, skip: [...scheme.skip] };
  }

  /** How this model was pruned (prune.magnitude or a pruned model file); null otherwise. */
  get pruning(): PruningScheme | null {
    if (this.plan?.kind !== 'pruned') return null;
    const scheme = (this.plan as unknown as { scheme: PruningScheme }).scheme;
    return { ...scheme, skip: [...scheme.skip] };
  }

  /**
   * Receptive-field inference (nn/block.ts, nn/receptive.ts): how many hops of in-neighbours one
   * output row reads (0: only the row's own input). A module whose rows depend on the whole graph
   * (pooling, graph-mode LayerNorm, batch statistics), or one that does not say, throws
   * ERR_INVALID_ARG_VALUE naming it.
   * @internal
   */
  receptiveHops(): number {
    throw invalidArgValue('model', `node-local layers for receptive-field inference (${this.type} reads rows of the whole graph)`, this.type);
  }

  /**
   * The forward pass on the calling thread (lowest overhead; the call for worker threads). On a
   * CUDA device the ops are queued on the calling thread's stream and the result is returned at
   * once; reading it (`to('cpu')`) waits for them.
   */
  forwardSync(graph: Graph, x: Features, context?: ForwardContext): Tensor<'float32'> {
    return this.forwardSyncWith(this.plan, graph, x, context);
  }

  /** forwardSync under another plan (calibration, layer-output capture). @internal */
  forwardSyncWith(plan: ForwardPlan | null, graph: Graph, x: Features, context?: ForwardContext): Tensor<'float32'> {
    const out = context?.out;
    if (out !== undefined) checkTensor('context.out', out, 'float32');
    this.#checkDevices('forwardSync', graph, x);
    const ws = this.#acquire();
    try {
      return deliver(runSync(scoped(this, graph, x, context ?? {}, plan), ws, x, out === undefined), out);
    } finally {
      this.#idle(ws);
    }
  }

  /**
   * The forward pass with every op off the event loop (on a CUDA device each op runs on a worker's
   * stream, so concurrent passes overlap; the promise resolves once the result is complete).
   */
  forward(graph: Graph, x: Features, context?: ForwardContext): Promise<Tensor<'float32'>> {
    const out = context?.out;
    let ws: Workspace | null = null;
    let run: Promise<Features>;
    try {
      if (out !== undefined) checkTensor('context.out', out, 'float32');
      this.#checkDevices('forward', graph, x);
      ws = this.#acquire();
      run = runAsync(scoped(this, graph, x, context ?? {}, this.plan), ws, x, out === undefined);
    } catch (error) {
      if (ws !== null) this.#idle(ws);
      return Promise.reject(error);
    }
    const held = ws;
    // The copy into `out` happens before the workspace is handed to another pass.
    return run.then((result) => deliver(result, out)).finally(() => this.#idle(held));
  }

  // Buffers of intermediate results kept between forward passes (ops/workspace.ts): one
  // workspace per pass in flight, at most two kept idle.
  #workspaces: Workspace[] = [];

  #acquire(): Workspace {
    return this.#workspaces.pop() ?? new Workspace();
  }

  #idle(ws: Workspace): void {
    if (this.#workspaces.length < 2) this.#workspaces.push(ws);
  }

  /**
   * Drops the intermediate buffers kept for the next forward pass (they are rebuilt on demand);
   * on a CUDA device their memory is released now.
   */
  releaseWorkspace(): void {
    for (const ws of this.#workspaces) ws.dispose();
    this.#workspaces = [];
  }

  #device: Device = 'cpu';

  /** Where `to()` last put this module ('cpu' until it is moved). */
  get device(): Device {
    return this.#device;
  }

  /**
   * Moves the module, in place as PyTorch's `Module.to`, to `device` ('cpu', 'cuda' or 'cuda:N'),
   * and returns it: every parameter and buffer (tied ones stay tied), the weights a quantized
   * model's plan keeps (their device copies), and the module's children. Tensors read from
   * `parameters()` before a move are the old copies: CPU ones stay usable, device ones are released
   * by the move. A forward pass then takes a graph and features on the same device; a module already
   * there is returned as it is. Nothing moves when a step
   * fails (ERR_GNN_BACKEND_UNAVAILABLE, ERR_GNN_OUT_OF_MEMORY), and a plan with no CUDA path (a
   * pruned model's sparse weights) is ERR_GNN_DEVICE.
   */
  to(device: DeviceSpec): this {
    const target = parseDevice(device);
    if (target !== 'cpu') cudaFor(target);
    const modules = this.#descendants();
    if (modules.every((m) => m.#device === target) && Object.values(this.parameters()).every((t) => t.device === target)) return this;
    for (const m of modules) {
      const plan = m.plan;
      if (target !== 'cpu' && plan !== null && plan.moved === undefined) {
        throw new GnnError('ERR_GNN_DEVICE', `${m.type}.to('${target}'): a model with a ${plan.kind} plan runs on the CPU only (its ops have no CUDA kernels)`);
      }
    }
    const moved = new Map<Tensor, Tensor>();
    const undo: Array<() => void> = [];
    const plans = new Map<Module, ForwardPlan | null>();
    try {
      for (const m of modules) {
        for (const slot of m.slots()) {
          const t = slot.get();
          if (t === null) continue;
          let n = moved.get(t);
          if (n === undefined) {
            n = t.to(target);
            moved.set(t, n);
            if (t.device === 'cpu') keepHostCopy(n, t);
          }
          if (n !== t) {
            slot.set(n as Tensor<'float32'>);
            undo.push(() => slot.set(t));
          }
        }
      }
      for (const m of modules) plans.set(m, m.plan === null ? null : (m.plan.moved?.(moved, target) ?? m.plan));
    } catch (error) {
      for (const u of undo.reverse()) u();
      for (const [old, n] of moved) if (n !== old) n.dispose();
      throw error;
    }
    for (const m of modules) {
      m.plan = plans.get(m) ?? null;
      m.#device = target;
      m.releaseWorkspace();
    }
    for (const [old, n] of moved) if (n !== old && old.device !== 'cpu') old.dispose();
    return this;
  }

  /** This module and every module below it, each once. */
  #descendants(): Module[] {
    const seen = new Set<Module>();
    const visit = (m: Module): void => {
      if (seen.has(m)) return;
      seen.add(m);
      for (const [, child] of m.children()) visit(child);
    };
    visit(this);
    return [...seen];
  }

  /**
   * ERR_GNN_DEVICE unless the graph, x and the model's parameters are on one device (checked when
   * any of them is on a CUDA device; a CPU pass costs nothing here).
   */
  #checkDevices(where: string, graph: Graph, x: Features): void {
    const xDevice: Device = x instanceof Tensor ? x.device : 'cpu';
    const gDevice: Device | undefined = (graph as { device?: Device } | null)?.device;
    if (gDevice === undefined || (gDevice === 'cpu' && xDevice === 'cpu' && this.#device === 'cpu')) return;
    const params = Object.entries(this.parameters());
    // A module without parameters (APPNP, pooling) runs wherever its inputs are.
    const modelDevice = params.length === 0 ? gDevice : this.#device;
    const stray = params.find(([, t]) => t.device !== modelDevice);
    if (xDevice !== gDevice || stray !== undefined || modelDevice !== gDevice) {
      const model = stray !== undefined ? `parameter ${stray[0]} on ${stray[1].device}` : `model on ${modelDevice}`;
      const xText = x instanceof CsrMatrix ? 'x a CsrMatrix (host memory)' : `x on ${xDevice}`;
      throw new GnnError('ERR_GNN_DEVICE', `${this.type}.${where}: expected the graph, x and the model on one device, got graph on ${gDevice}, ${xText}, ${model}; move them with .to()`);
    }
  }

  /** Bytes of intermediate buffers kept for reuse by the next forward passes. */
  get workspaceBytes(): number {
    return this.#workspaces.reduce((n, w) => n + w.bytes, 0);
  }

  /** Refills every parameter with PyTorch's default initialisation, deterministically for a seed. */
  resetParameters(options?: { seed?: number }): this {
    const opts = checkOptions(options, 'resetParameters', ['seed']);
    const rng = new Random(opts.seed ?? 0);
    this.resetWith(rng);
    return this;
  }

  /** @internal */
  resetWith(rng: Random): void {
    for (const p of this.params()) p.reset(rng);
    for (const [, child] of this.children()) child.resetWith(rng);
  }

  /** The Param objects behind slots(), for resetParameters. @internal */
  protected params(): Param[] {
    return [];
  }

  /** Every parameter and buffer, by its full dotted name. */
  parameters(): Record<string, Tensor<'float32'>> {
    const out: Record<string, Tensor<'float32'>> = {};
    for (const slot of this.slots()) {
      const t = slot.get();
      if (t !== null) out[slot.name] = t;
    }
    for (const [name, child] of this.children()) {
      for (const [key, t] of Object.entries(child.parameters())) out[`${name}.${key}`] = t;
    }
    return out;
  }

  /** Number of scalar parameters. */
  parameterCount(): number {
    return Object.values(this.parameters()).reduce((n, t) => n + t.numel, 0);
  }

  /**
   * Loads parameters by name from a state dict (PyG / torch names, relative to `prefix`). Shapes
   * must match. Returns the keys that were missing and unexpected; with `strict` (default) any of
   * either is an ERR_GNN_MODEL_FILE naming them.
   */
  loadStateDict(dict: StateDict | Map<string, Tensor>, options?: LoadStateDictOptions): LoadReport {
    const opts = checkOptions(options, 'loadStateDict', ['strict', 'prefix']);
    const strict = opts.strict ?? true;
    let prefix = opts.prefix ?? '';
    if (typeof prefix !== 'string') throw invalidArgType('prefix', 'a string', prefix);
    if (prefix !== '' && !prefix.endsWith('.')) prefix += '.';
    if (dict === null || typeof dict !== 'object') throw invalidArgType('dict', 'a record of name -> Tensor', dict);
    const entries = dict instanceof Map ? [...dict.entries()] : Object.entries(dict);
    const mine = new Map<string, Tensor>();
    for (const [key, t] of entries) {
      if (!(t instanceof Tensor)) throw invalidArgType(`dict['${key}']`, 'a Tensor', t);
      if (key.startsWith(prefix)) mine.set(key.slice(prefix.length), t);
    }
    const report = this.loadRelative(mine, prefix);
    if (strict && (report.missing.length > 0 || report.unexpected.length > 0)) {
      const parts: string[] = [];
      if (report.missing.length > 0) parts.push(`missing ${report.missing.join(', ')}`);
      if (report.unexpected.length > 0) parts.push(`unexpected ${report.unexpected.join(', ')}`);
      throw new GnnError('ERR_GNN_MODEL_FILE', `loadStateDict(${this.type}): ${parts.join('; ')}`);
    }
    return report;
  }

  /** Loads from keys relative to this module; `prefix` is only for messages. @internal */
  loadRelative(dict: Map<string, Tensor>, prefix: string): LoadReport {
    this.normalizeKeys(dict);
    const missing: string[] = [];
    const unexpected: string[] = [];
    const claimed = new Set<string>();
    for (const slot of this.slots()) {
      const t = dict.get(slot.name);
      if (t === undefined) {
        if (slot.optional !== true) missing.push(prefix + slot.name);
        continue;
      }
      claimed.add(slot.name);
      slot.set(checkParameter(prefix + slot.name, t, slot.shape));
    }
    for (const [name, child] of this.children()) {
      const sub = new Map<string, Tensor>();
      for (const [key, t] of dict) {
        if (!key.startsWith(`${name}.`)) continue;
        sub.set(key.slice(name.length + 1), t);
        claimed.add(key);
      }
      const r = child.loadRelative(sub, `${prefix}${name}.`);
      missing.push(...r.missing);
      unexpected.push(...r.unexpected);
    }
    for (const key of dict.keys()) if (!claimed.has(key)) unexpected.push(prefix + key);
    return { missing, unexpected };
  }

  /**
   * Writes this module as a model directory: `dir/model.json` and `dir/model.safetensors`
   * (options: `{ dtype: 'F32' | 'F16' | 'BF16', extra }`). loadModel(dir) reads it back.
   */
  save(dir: string, options?: { dtype?: 'F32' | 'F16' | 'BF16'; extra?: Record<string, unknown> }): void {
    if (saveHook === null) throw new GnnError('ERR_GNN_INTERNAL', 'save: the model-file writer is not loaded');
    saveHook(this, dir, options);
  }

  toJSON(): ModuleJSON {
    return { type: this.type, args: this.args() };
  }

  toString(): string {
    return `${this.type}(${JSON.stringify(this.args())})`;
  }
}

/** The pass's output as the caller gets it: dense, and copied into `out` when one is given. */
function deliver(result: Features, out: Tensor<'float32'> | undefined): Tensor<'float32'> {
  const dense = denseFeatures(result);
  if (out === undefined) return dense;
  if (out.shape.length !== dense.shape.length || out.shape.some((d, i) => d !== dense.shape[i])) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `context.out: expected shape [${dense.shape.join(', ')}], got [${out.shape.join(', ')}]`);
  }
  if (out.device !== dense.device) {
    throw new GnnError('ERR_GNN_DEVICE', `context.out: expected a tensor on ${dense.device} (where the result is), got one on ${out.device}`);
  }
  if (out.device === 'cpu' ? out.data !== dense.data : !sameStorage(out, dense)) copyInto(out, dense);
  return out;
}

/** Checks a loaded tensor: float32 (other dtypes are converted by the file reader) and shape. */
export function checkParameter(name: string, t: Tensor, shape: readonly number[] | null): Tensor<'float32'> {
  if (t.dtype !== 'float32') {
    throw new GnnError('ERR_GNN_MODEL_FILE', `${name}: expected a float32 tensor, got ${t.dtype}`);
  }
  if (shape !== null && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
    throw new GnnError('ERR_GNN_MODEL_FILE', `${name}: expected shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
  return t as Tensor<'float32'>;
}
