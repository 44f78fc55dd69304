/**
 * Predictor: serves `predict(nodes)` for a model on a graph, with bounded concurrency and queue,
 * hot swaps to newly promoted registry versions, and Prometheus metrics.
 *
 * Paths. A model that supports receptive-field inference (a Sequential / loaded Model of
 * node-local layers) answers each request with `forwardNodes` on the request's nodes: cost
 * follows their L-hop neighbourhood. Any other model runs over the whole graph once; the output is
 * cached and every request picks its rows, until updateFeatures / updateGraph or a swap drops it.
 *
 * Consistency. A request captures the serving model (and the graph and features) once, when it
 * starts, and uses nothing else: a swap or an update while it runs affects only later requests,
 * and no response mixes two versions. A swap warms the new model on the current data first and
 * refuses it (keeping the old one, counting a reload error) if that fails, so a model that cannot
 * run on the graph never takes traffic.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';

import type { Features } from '../csr-matrix';
import { GnnError, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import { Graph } from '../graph';
import { Module } from '../nn/module';
import type { Sequential } from '../nn/sequential';
import { argmaxRows } from '../predictions';
import { Registry } from '../registry/registry';
import type { Tensor } from '../tensor';
import { checkInteger, checkOptions } from '../validate';
import type { DriftReportLike, DriftSource } from './drift-source';
import { Fifo } from './fifo';
import { checkBuckets, checkData, checkNodes, featureRows, pickRows, supportsNodes } from './inputs';
import { driftFamilies, predictorFamilies } from './metric-families';
import { exposition, Histogram } from './prometheus';

export interface PredictorOptions {
  /** Serve the registry's active version (loaded and verified now; swapped on reload / checkForUpdate / watch). */
  registry?: Registry;
  /** Or serve this model (swap with useModel). Exactly one of registry and model. */
  model?: Module;
  /** The label of `model` in responses and metrics (default 'unversioned'; with a registry, its version names). */
  version?: string;
  graph: Graph;
  /** Node features [numNodes, F]: a float32 Tensor or a CsrMatrix. */
  x: Features;
  /** Requests computed at once (default 4). */
  maxConcurrency?: number;
  /** Requests waiting beyond those; more are refused with ERR_GNN_OVERLOADED (default 256; 0: none wait). */
  maxQueue?: number;
  /** 'auto' (default): receptive-field queries when the model supports them, else the cached full pass. */
  mode?: 'auto' | 'nodes' | 'full';
  /** Neighbour sampling of receptive-field queries (one entry per hop; see forwardNodes). Default: exact. */
  fanout?: readonly number[];
  /** Seed of that sampling (default 0). */
  seed?: number;
  /** A drift monitor whose latest report metrics() exports as gauges. */
  monitor?: DriftSource;
  /** Poll the registry's active pointer and swap on change: true (every 1000 ms) or an interval in ms. */
  watch?: boolean | number;
  /** Upper bounds of the latency histogram, in seconds (default Prometheus's: 0.005 … 10). */
  latencyBuckets?: readonly number[];
}

/** The answer to one request; every row comes from `version`. */
export interface Prediction {
  version: string;
  /** The nodes asked for, in order (repeats kept). */
  nodes: Int32Array;
  /** The model's output rows for those nodes [nodes.length, C]. */
  logits: Tensor<'float32'>;
  /** The argmax of each row (the first on ties). */
  classes: Int32Array;
}

/** Counters and gauges as numbers (metrics() has them as Prometheus text). */
export interface PredictorStats {
  version: string;
  path: 'nodes' | 'full';
  requests: number;
  /** Requests answered. */
  completed: number;
  /** Requests failed or refused, by error code. */
  errors: Record<string, number>;
  queueDepth: number;
  inFlight: number;
  swaps: number;
  reloadErrors: number;
  /** Full-graph passes run (the full path's cache misses). */
  fullPasses: number;
}

/** A model being served, with its full-pass cache. */
interface Serving {
  model: Module;
  version: string;
  path: 'nodes' | 'full';
  cache: { gen: number; output: Tensor<'float32'> } | null;
  pending: { gen: number; promise: Promise<Tensor<'float32'>> } | null;
}

/** The graph and features; `gen` changes with each update. */
interface Data {
  graph: Graph;
  x: Features;
  gen: number;
}

interface Job {
  nodes: Int32Array;
  start: number;
  resolve: (p: Prediction) => void;
  reject: (e: unknown) => void;
}

const OPTION_KEYS = ['registry', 'model', 'version', 'graph', 'x', 'maxConcurrency', 'maxQueue', 'mode', 'fanout', 'seed', 'monitor', 'watch', 'latencyBuckets'];

const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
};

/**
 * Serves predictions for a model on a graph. Events: 'swap' ({ from, to }: the version served
 * changed) and 'reloadError' (an error of a reload started by `watch`; explicit reload() and
 * checkForUpdate() calls reject instead).
 */
export class Predictor extends EventEmitter {
  readonly #registry: Registry | null;
  readonly #mode: 'auto' | 'nodes' | 'full';
  readonly #nodeOptions: { fanout?: readonly number[]; seed?: number };
  readonly #maxConcurrency: number;
  readonly #maxQueue: number;
  readonly #monitor: DriftSource | null;
  readonly #latency: Histogram;
  readonly #queue = new Fifo<Job>();
  #serving: Serving;
  #previous: Serving | null = null;
  #data: Data;
  #inFlight = 0;
  #closed = false;
  #requests = 0;
  #completed = 0;
  #errors = new Map<string, number>();
  #swaps = 0;
  #reloadErrors = 0;
  #fullPasses = 0;
  #driftErrors = 0;
  /** Reloads run one after another. */
  #chain: Promise<unknown> = Promise.resolve();
  #drained: Array<() => void> = [];
  #watcher: ((curr: fs.Stats, prev: fs.Stats) => void) | null = null;

  constructor(options: PredictorOptions) {
    super();
    if (options === null || typeof options !== 'object') throw invalidArgType('Predictor options', 'an object', options);
    const opts = checkOptions(options, 'Predictor', OPTION_KEYS);
    checkData(opts.graph, opts.x);
    if ((opts.registry === undefined) === (opts.model === undefined)) {
      throw invalidArgValue('Predictor options', 'exactly one of registry and model', opts.registry === undefined ? 'neither' : 'both');
    }
    if (opts.registry !== undefined && !(opts.registry instanceof Registry)) throw invalidArgType('registry', 'a Registry', opts.registry);
    if (opts.model !== undefined && !(opts.model instanceof Module)) throw invalidArgType('model', 'a Module', opts.model);
    if (opts.version !== undefined && (typeof opts.version !== 'string' || opts.version === '')) throw invalidArgType('version', 'a non-empty string', opts.version);
    if (opts.registry !== undefined && opts.version !== undefined) throw invalidArgValue('version', 'no version with a registry (its versions name themselves)', opts.version);
    const mode = opts.mode ?? 'auto';
    if (mode !== 'auto' && mode !== 'nodes' && mode !== 'full') throw invalidArgValue('mode', "'auto', 'nodes' or 'full'", mode);
    this.#mode = mode;
    this.#maxConcurrency = checkInteger('maxConcurrency', opts.maxConcurrency ?? 4, 1, 1 << 16);
    this.#maxQueue = checkInteger('maxQueue', opts.maxQueue ?? 256, 0, 2 ** 31 - 1);
    if (opts.fanout !== undefined && !Array.isArray(opts.fanout)) throw invalidArgType('fanout', 'an array of integers (one per hop, -1 = all)', opts.fanout);
    this.#nodeOptions = {};
    if (opts.fanout !== undefined) this.#nodeOptions.fanout = [...opts.fanout];
    if (opts.seed !== undefined) this.#nodeOptions.seed = checkInteger('seed', opts.seed, 0, 2 ** 32 - 1);
    if (opts.monitor !== undefined && (opts.monitor === null || typeof (opts.monitor as { latestReport?: unknown }).latestReport !== 'function')) {
      throw invalidArgType('monitor', 'an object with a latestReport() method', opts.monitor);
    }
    this.#monitor = opts.monitor ?? null;
    this.#latency = new Histogram(checkBuckets(opts.latencyBuckets));
    this.#data = { graph: opts.graph as Graph, x: opts.x as Features, gen: 0 };
    this.#registry = opts.registry ?? null;
    if (this.#registry !== null) {
      const loaded = this.#registry.loadVersionSync();
      this.#serving = this.#makeServing(loaded.model, loaded.version);
    } else {
      this.#serving = this.#makeServing(opts.model as Module, opts.version ?? 'unversioned');
    }
    if (opts.watch !== undefined && opts.watch !== false) {
      if (this.#registry === null) throw invalidArgValue('watch', 'false without a registry (there is no pointer to watch)', opts.watch);
      const interval = opts.watch === true ? 1000 : checkInteger('watch', opts.watch, 1, 2 ** 31 - 1);
      this.#watcher = () => {
        this.checkForUpdate().catch((error: unknown) => {
          if (this.listenerCount('reloadError') > 0) this.emit('reloadError', error);
        });
      };
      fs.watchFile(this.#registry.activeFile, { persistent: false, interval }, this.#watcher);
    }
  }

  /** The version being served. */
  get version(): string {
    return this.#serving.version;
  }

  /** The path requests take: 'nodes' (receptive field) or 'full' (cached full-graph pass). */
  get path(): 'nodes' | 'full' {
    return this.#serving.path;
  }

  /**
   * The model's output rows and argmax classes for `nodes` (an Int32Array or an array of node
   * ids; repeats allowed). Rejects with ERR_GNN_OVERLOADED when maxConcurrency requests run and
   * maxQueue wait, with ERR_GNN_ABORTED after close(), and with the argument error for bad ids.
   */
  predict(nodes: Int32Array | readonly number[]): Promise<Prediction> {
    const start = performance.now();
    this.#requests++;
    let ids: Int32Array;
    try {
      if (this.#closed) throw new GnnError('ERR_GNN_ABORTED', 'predict: the Predictor is closed');
      ids = checkNodes(nodes, this.#data.graph.numNodes);
      if (this.#inFlight >= this.#maxConcurrency && this.#queue.length >= this.#maxQueue) {
        throw new GnnError(
          'ERR_GNN_OVERLOADED',
          `predict: overloaded (${this.#inFlight} requests running, ${this.#queue.length} queued; maxConcurrency ${this.#maxConcurrency}, maxQueue ${this.#maxQueue}): retry later`,
        );
      }
    } catch (error) {
      this.#countError(error);
      return Promise.reject(error);
    }
    return new Promise<Prediction>((resolve, reject) => {
      const job: Job = { nodes: ids, start, resolve, reject };
      if (this.#inFlight < this.#maxConcurrency) this.#run(job);
      else this.#queue.push(job);
    });
  }

  #run(job: Job): void {
    this.#inFlight++;
    // Captured once: this request sees one model, one graph and one x whatever happens meanwhile.
    const serving = this.#serving;
    const data = this.#data;
    this.#compute(serving, data, job.nodes).then(
      (prediction) => {
        this.#finish(job);
        this.#completed++;
        job.resolve(prediction);
      },
      (error: unknown) => {
        this.#finish(job);
        this.#countError(error);
        job.reject(error);
      },
    );
  }

  #finish(job: Job): void {
    this.#inFlight--;
    this.#latency.observe((performance.now() - job.start) / 1000);
    const next = this.#queue.shift();
    if (next !== undefined) this.#run(next);
    else if (this.#inFlight === 0) for (const done of this.#drained.splice(0)) done();
  }

  async #compute(s: Serving, d: Data, nodes: Int32Array): Promise<Prediction> {
    // The graph may have changed since the ids were checked.
    for (let i = 0; i < nodes.length; i++) {
      if (nodes[i] >= d.graph.numNodes) throw outOfRange(`nodes[${i}]`, `a node id in [0, ${d.graph.numNodes})`, nodes[i]);
    }
    let logits: Tensor<'float32'>;
    if (s.path === 'nodes' && d.graph.numSrcNodes === d.graph.numNodes) {
      logits = await (s.model as Sequential).forwardNodes(d.graph, d.x, nodes, this.#nodeOptions);
    } else {
      logits = pickRows(await this.#fullOutput(s, d), nodes);
    }
    return { version: s.version, nodes, logits, classes: argmaxRows(logits) };
  }

  /** The full-graph output of `s` on `d`, computed once per (model, data generation). */
  #fullOutput(s: Serving, d: Data): Promise<Tensor<'float32'>> {
    if (s.cache !== null && s.cache.gen === d.gen) return Promise.resolve(s.cache.output);
    if (s.pending !== null && s.pending.gen === d.gen) return s.pending.promise;
    this.#fullPasses++;
    const promise = s.model.forward(d.graph, d.x);
    const pending = { gen: d.gen, promise };
    s.pending = pending;
    promise.then(
      (output) => {
        if (s.pending === pending) s.pending = null;
        // Only the current data's output is kept: an update during the pass made it stale.
        if (this.#data.gen === d.gen) s.cache = { gen: d.gen, output };
      },
      () => {
        if (s.pending === pending) s.pending = null;
      },
    );
    return promise;
  }

  #makeServing(model: Module, version: string): Serving {
    const nodes = supportsNodes(model);
    if (this.#mode === 'nodes' && !nodes) {
      throw invalidArgValue('mode', `'auto' or 'full' for model ${JSON.stringify(version)} (it does not support receptive-field queries: not a Sequential of node-local layers)`, 'nodes');
    }
    const path = this.#mode === 'full' || !nodes ? 'full' : 'nodes';
    const fanout = this.#nodeOptions.fanout;
    if (fanout !== undefined) {
      if (path !== 'nodes') throw invalidArgValue('fanout', `no fanout for model ${JSON.stringify(version)}, which is served by full-graph passes`, fanout);
      const hops = model.receptiveHops();
      if (fanout.length !== hops) throw invalidArgValue('fanout', `${hops} entries (one per hop of model ${JSON.stringify(version)})`, fanout);
    }
    return { model, version, path, cache: null, pending: null };
  }

  /** Runs a model on the current data before it serves: a model that fails here never takes traffic. */
  async #warm(s: Serving): Promise<void> {
    const d = this.#data;
    if (d.graph.numNodes === 0) return;
    await this.#compute(s, d, Int32Array.of(0));
  }

  async #swapTo(s: Serving): Promise<void> {
    await this.#warm(s);
    const from = this.#serving;
    if (from === s) return;
    this.#previous = from;
    this.#serving = s;
    this.#swaps++;
    this.emit('swap', { from: from.version, to: s.version });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Serves `model` (labelled `version`) from now on, after a warm-up run on the current data.
   * Requests already running finish on the model they started with.
   */
  useModel(model: Module, version = 'unversioned'): Promise<void> {
    if (!(model instanceof Module)) return Promise.reject(invalidArgType('model', 'a Module', model));
    if (typeof version !== 'string' || version === '') return Promise.reject(invalidArgType('version', 'a non-empty string', version));
    return this.#serial(async () => {
      try {
        await this.#swapTo(this.#makeServing(model, version));
      } catch (error) {
        this.#reloadErrors++;
        throw error;
      }
    });
  }

  /**
   * Loads the registry's active version (checksums verified) and swaps to it, unless it is
   * already served. Resolves to the version served after the call.
   */
  reload(): Promise<string> {
    return this.#serial(() => this.#reload());
  }

  /** Swaps to the registry's active version if it changed; resolves to whether it swapped. */
  checkForUpdate(): Promise<boolean> {
    return this.#serial(async () => {
      const before = this.#serving.version;
      return (await this.#reload()) !== before;
    });
  }

  async #reload(): Promise<string> {
    const registry = this.#registry;
    if (registry === null) throw new GnnError('ERR_GNN_REGISTRY', 'reload: this Predictor serves a model given directly, not a registry (use useModel)');
    if (this.#closed) return this.#serving.version;
    try {
      const active = registry.active();
      if (active === null) throw new GnnError('ERR_GNN_REGISTRY', `reload: no version is active in ${registry.dir}`);
      if (active === this.#serving.version) return active;
      // A rollback returns to the version served before: it was verified when first loaded.
      const previous = this.#previous;
      if (previous !== null && previous.version === active) {
        await this.#swapTo(previous);
      } else {
        const loaded = await registry.loadVersion(active);
        await this.#swapTo(this.#makeServing(loaded.model, loaded.version));
      }
      return active;
    } catch (error) {
      this.#reloadErrors++;
      throw error;
    }
  }

  /** New features for every later request (the full-pass cache is dropped). Call it after changing x in place too. */
  updateFeatures(x: Features): void {
    checkData(this.#data.graph, x);
    this.#setData(this.#data.graph, x);
  }

  /** A new graph (and features, required when the node count changes) for every later request. */
  updateGraph(graph: Graph, x?: Features): void {
    const features = x ?? this.#data.x;
    if (graph instanceof Graph && x === undefined && featureRows(features) !== graph.numSrcNodes) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `updateGraph: the graph has ${graph.numSrcNodes} nodes and the current x ${featureRows(features)} rows: pass the new x too`);
    }
    checkData(graph, features);
    this.#setData(graph, features);
  }

  #setData(graph: Graph, x: Features): void {
    this.#data = { graph, x, gen: this.#data.gen + 1 };
    for (const s of [this.#serving, this.#previous]) if (s !== null) s.cache = null;
  }

  /** The counters and gauges as numbers. */
  stats(): PredictorStats {
    return {
      version: this.#serving.version,
      path: this.#serving.path,
      requests: this.#requests,
      completed: this.#completed,
      errors: Object.fromEntries(this.#errors),
      queueDepth: this.#queue.length,
      inFlight: this.#inFlight,
      swaps: this.#swaps,
      reloadErrors: this.#reloadErrors,
      fullPasses: this.#fullPasses,
    };
  }

  #countError(error: unknown): void {
    const code = codeOf(error);
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
  }

  /** The metrics in Prometheus text exposition format (serve it with content type PROMETHEUS_CONTENT_TYPE). */
  metrics(): string {
    const families = predictorFamilies({
      requests: this.#requests,
      errors: this.#errors,
      queueDepth: this.#queue.length,
      inFlight: this.#inFlight,
      latency: this.#latency,
      version: this.#serving.version,
      path: this.#serving.path,
      swaps: this.#swaps,
      reloadErrors: this.#reloadErrors,
      fullPasses: this.#fullPasses,
    });
    if (this.#monitor !== null) {
      let report: DriftReportLike | undefined;
      try {
        report = this.#monitor.latestReport();
      } catch {
        this.#driftErrors++;
        report = undefined;
      }
      families.push(...driftFamilies(report, this.#driftErrors));
    }
    return exposition(families);
  }

  /**
   * Stops taking requests (later ones reject with ERR_GNN_ABORTED), stops watching the registry,
   * and resolves once every admitted request has been answered and any reload has finished.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#watcher !== null && this.#registry !== null) fs.unwatchFile(this.#registry.activeFile, this.#watcher);
      this.#watcher = null;
    }
    if (this.#inFlight > 0 || this.#queue.length > 0) await new Promise<void>((resolve) => this.#drained.push(resolve));
    await this.#chain;
  }
}
