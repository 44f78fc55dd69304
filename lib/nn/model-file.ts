/**
 * Model files: a directory holding `model.json` (the layer graph) and `model.safetensors` (the
 * parameters by their state-dict names). The JSON is the schema of the project's PyG reference
 * models (the project's shared/models folder), which our own `save` also writes:
 *
 *   { "format_version": 1, "producer": {...}, "framework": "pyg" | "dgl" | "gnn-kernels",
 *     "input": { "channels": 1433 }, "output": { "channels": 7 },
 *     "architecture": { "forward": [
 *        { "op": "dropout", "p": 0.5 },
 *        { "name": "conv1", "type": "GCNConv", "args": { "in_channels": 1433, ... } },
 *        { "op": "relu" }, ... ] },
 *     "parameters": { "file": "model.safetensors" } }
 *
 * Layer arguments may be PyG's snake_case, DGL's names (in_feats, num_heads, aggregator_type, k,
 * …) or our camelCase. PyG arguments that change nothing at inference (cached, flow =
 * source_to_target, aggr = add for GCN / GAT, dropout rates) are accepted and dropped; any other
 * argument a layer does not know is an ERR_GNN_MODEL_FILE naming it. With framework 'dgl', layers
 * default to DGL semantics and DGL's type names map to ours (GraphConv → GCNConv, APPNPConv → APPNP).
 * A temperature-calibrated model (eval/temperature.ts) ends in a layer
 * `{ "type": "TemperatureScaling", "args": { "temperature": T } }`: its logits divided by T.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { GnnError, described, invalidArgValue } from '../errors';
import { readSafetensors } from '../io/safetensors';
import { writeSafetensors } from '../io/safetensors-write';
import type { SafetensorsWriteDType } from '../io/safetensors-write';
import type { Tensor } from '../tensor';
import { checkOptions } from '../validate';
import { quantizedParts, restoreQuantization } from '../quant/file';
import { attachPrunePlan, checkPruningEntry } from '../prune/magnitude';
import { TemperatureScaling } from '../eval/temperature-layer';
import { Activation, Dropout, Identity, Softmax, activationModule } from './activations';
import { APPNP } from './appnp';
import { ChebConv } from './cheb-conv';
import { GATConv } from './gat-conv';
import { GATv2Conv } from './gatv2-conv';
import { GCNConv } from './gcn-conv';
import { BatchNorm, LayerNorm } from './norm';
import { GINConv } from './gin-conv';
import { GraphConv } from './graph-conv';
import { Linear } from './linear';
import { Module, setSaveHook } from './module';
import type { ModuleJSON } from './module';
import { GlobalPool } from './pool';
import type { PoolReduce } from './pool';
import { SAGEConv } from './sage-conv';
import { Sequential } from './sequential';
import { SGConv } from './sg-conv';

export const MODEL_FORMAT_VERSION = 1;

type Framework = 'pyg' | 'dgl' | 'gnn-kernels';
type Args = Record<string, unknown>;

/** What model.json says beyond the layers. */
export interface ModelInfo {
  formatVersion: number;
  framework: Framework;
  producer: Record<string, unknown>;
  inputChannels: number | null;
  outputChannels: number | null;
  /** The whole parsed model.json, for fields this library does not interpret. */
  json: Record<string, unknown>;
}

/** A loaded model: a Sequential of named layers, with what its file said about it. */
export class Model extends Sequential {
  constructor(
    layers: ReadonlyArray<readonly [string, Module]>,
    readonly info: ModelInfo,
  ) {
    super(layers);
  }
}

const fail = (message: string, cause?: unknown): GnnError => new GnnError('ERR_GNN_MODEL_FILE', message, cause === undefined ? undefined : { cause });

const RENAMES: Record<string, string> = {
  in_channels: 'inChannels', out_channels: 'outChannels', negative_slope: 'negativeSlope', add_self_loops: 'addSelfLoops',
  edge_dim: 'edgeDim', fill_value: 'fillValue', root_weight: 'rootWeight', train_eps: 'trainEps', eps_initial: 'eps',
  lambda_max: 'lambdaMax', allow_zero_in_degree: 'allowZeroInDegree', aggregator_type: 'aggregatorType',
  in_feats: 'inChannels', out_feats: 'outChannels', num_heads: 'heads', k: 'K', init_eps: 'eps', learn_eps: 'trainEps',
  in_features: 'inChannels', out_features: 'outChannels', share_weights: 'shareWeights', track_running_stats: 'trackRunningStats',
  allow_single_element: 'allowSingleElement', num_features: 'inChannels', normalized_shape: 'inChannels',
};

/** Arguments with no effect at inference, dropped when they hold the value given (any value: null). */
const INERT: Record<string, unknown> = {
  cached: null, flow: 'source_to_target', eps_value_after_training: null, feat_drop: null, attn_drop: null, edge_drop: null,
};

function layerArgs(type: string, raw: Args, where: string): Args {
  const out: Args = {};
  for (const [key, value] of Object.entries(raw)) {
    if (Object.prototype.hasOwnProperty.call(INERT, key)) {
      const want = INERT[key];
      if (want !== null && value !== want) throw fail(`${where}: ${key}: expected ${JSON.stringify(want)}, got ${JSON.stringify(value)}`);
      continue;
    }
    if (key === 'aggr' && (type === 'GCNConv' || type === 'GATConv' || type === 'GATv2Conv')) {
      if (value !== 'add' && value !== 'sum') throw fail(`${where}: aggr: expected 'add' for ${type}, got ${JSON.stringify(value)}`);
      continue;
    }
    if (key === 'activation' && type !== 'ChebConv' && (value === null || value === 'none')) continue;
    if (key === 'nn' || key === 'apply_func') continue;
    out[RENAMES[key] ?? key] = value;
  }
  return out;
}

function isRecord(v: unknown): v is Args {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Builds one module from its JSON description. */
export function moduleFromJSON(
  spec: unknown,
  framework: Framework = 'gnn-kernels',
  where = 'module',
  shapes?: { tensors: Record<string, Tensor>; prefix: string },
): Module {
  if (!isRecord(spec)) throw fail(`${where}: expected an object, got ${JSON.stringify(spec)}`);
  if (typeof spec.op === 'string') return opModule(spec, where);
  if (typeof spec.type !== 'string') throw fail(`${where}: expected a "type" or an "op", got ${JSON.stringify(Object.keys(spec))}`);
  let type = spec.type;
  if (framework === 'dgl' && type === 'GraphConv') type = 'GCNConv';
  if (type === 'APPNPConv') type = 'APPNP';
  const raw = isRecord(spec.args) ? spec.args : Object.fromEntries(Object.entries(spec).filter(([k]) => k !== 'type' && k !== 'name' && k !== 'layers' && k !== 'modules'));
  if (type === 'Sequential') {
    const children = Array.isArray(spec.layers) ? spec.layers : Array.isArray(spec.modules) ? spec.modules : null;
    if (children === null) throw fail(`${where}: expected a Sequential's "layers" array`);
    return new Sequential(
      children.map((c: unknown, i: number) => {
        const name = isRecord(c) && typeof c.name === 'string' ? c.name : String(i);
        return [name, moduleFromJSON(c, framework, `${where}.${name}`, shapes === undefined ? undefined : { tensors: shapes.tensors, prefix: `${shapes.prefix}${name}.` })] as const;
      }),
    );
  }
  const args = layerArgs(type, raw, where);
  inferArgs(type, args, shapes?.tensors, shapes?.prefix ?? '');
  if (framework === 'dgl' && args.semantics === undefined && DGL_AWARE.has(type)) args.semantics = 'dgl';
  try {
    switch (type) {
      case 'GCNConv': return new GCNConv(args as never);
      case 'GATConv': return new GATConv(args as never);
      case 'GATv2Conv': return new GATv2Conv(args as never);
      case 'BatchNorm':
      case 'BatchNorm1d': return new BatchNorm(args as never);
      case 'LayerNorm': return new LayerNorm(args as never);
      case 'SAGEConv': return new SAGEConv(args as never);
      case 'GraphConv': return new GraphConv(args as never);
      case 'SGConv': return new SGConv(args as never);
      case 'APPNP': return new APPNP(args as never);
      case 'ChebConv': return new ChebConv(args as never);
      case 'Linear': return new Linear(args as never);
      case 'TemperatureScaling': return new TemperatureScaling(args as never);
      case 'GINConv': {
        const mlp = isRecord(raw) ? (raw.nn ?? raw.apply_func) : undefined;
        const nested = spec.modules !== undefined && Array.isArray(spec.modules) ? (spec.modules as Args[]).find((m) => m.name === 'nn') : undefined;
        const inner = shapes === undefined ? undefined : { tensors: shapes.tensors, prefix: `${shapes.prefix}nn.` };
        return new GINConv({ ...(args as object), nn: moduleFromJSON(mlp ?? nested, framework, `${where}.nn`, inner) } as never);
      }
      case 'Dropout': return new Dropout({ p: (args.p as number | undefined) ?? 0.5 });
      case 'Identity': return new Identity();
      default: {
        const act = ACTIVATION_TYPES[type];
        if (act !== undefined) return activationModule(act, args as never);
        throw fail(`${where}: unknown layer type ${JSON.stringify(type)}`);
      }
    }
  } catch (error) {
    if (error instanceof GnnError) throw error;
    throw fail(`${where} (${type}): ${(error as Error).message}`, error);
  }
}

const DGL_AWARE = new Set(['GCNConv', 'GATConv', 'GATv2Conv', 'SAGEConv', 'GINConv', 'SGConv', 'APPNP', 'ChebConv']);
const ACTIVATION_TYPES: Record<string, string> = {
  ReLU: 'relu', LeakyReLU: 'leaky_relu', ELU: 'elu', GELU: 'gelu', Sigmoid: 'sigmoid', Tanh: 'tanh', Softmax: 'softmax', LogSoftmax: 'log_softmax',
};

function opModule(spec: Args, where: string): Module {
  const op = (spec.op as string).toLowerCase();
  if (op === 'dropout') return new Dropout({ p: typeof spec.p === 'number' ? spec.p : 0.5 });
  const pool = /^global_(add|sum|mean|max|min)_pool$/.exec(op);
  if (pool !== null) return new GlobalPool({ reduce: pool[1] as PoolReduce });
  const extra: { negativeSlope?: number; alpha?: number } = {};
  if (typeof spec.negative_slope === 'number') extra.negativeSlope = spec.negative_slope;
  if (typeof spec.negativeSlope === 'number') extra.negativeSlope = spec.negativeSlope;
  if (typeof spec.alpha === 'number') extra.alpha = spec.alpha;
  try {
    const m = activationModule(op, extra);
    if (m instanceof Identity && op !== 'identity') throw new Error(`unknown op ${JSON.stringify(spec.op)}`);
    return m;
  } catch (error) {
    throw fail(`${where}: ${(error as Error).message}`, error);
  }
}

function opJSON(m: Module): Args | null {
  if (m instanceof Dropout) return { op: 'dropout', p: m.p };
  if (m instanceof GlobalPool) return { op: m.type };
  if (m instanceof Softmax) return { op: m.log ? 'log_softmax' : 'softmax' };
  if (m instanceof Identity) return { op: 'identity' };
  if (m instanceof Activation) {
    const e: Args = { op: m.activation };
    if (m.activation === 'leaky_relu') e.negative_slope = m.alpha;
    if (m.activation === 'elu') e.alpha = m.alpha;
    return e;
  }
  return null;
}

function entryJSON(name: string, m: Module): Args {
  const asOp = opJSON(m);
  if (asOp !== null) return { ...asOp, name };
  const j: ModuleJSON = m.toJSON();
  const e: Args = { name, type: j.type, args: j.args };
  if (m instanceof GINConv) (e.args as Args).nn = nestedJSON(m.nn);
  if (m instanceof Sequential) e.layers = m.layers.map(([n, c]) => ({ ...nestedJSON(c), name: n }));
  return e;
}

function nestedJSON(m: Module): Args {
  if (m instanceof Sequential) return { type: 'Sequential', layers: m.layers.map(([n, c]) => ({ ...nestedJSON(c), name: n })) };
  if (m instanceof Activation || m instanceof Softmax || m instanceof Dropout || m instanceof Identity) return { type: m.type, args: m.toJSON().args };
  const j = m.toJSON();
  return { type: j.type, args: m instanceof GINConv ? { ...j.args, nn: nestedJSON(m.nn) } : j.args };
}

/** A module's JSON form as model files write it (GINConv with its nn, Sequential with its layers). @internal */
export function moduleToJSON(module: Module): Record<string, unknown> {
  const { name: _name, ...rest } = entryJSON('module', module);
  return rest;
}

/**
 * A deep copy of a module: the same architecture (through its JSON form, so every layer type the
 * model files know) and copies of its parameters. A Model keeps its file's info.
 */
export function cloneModule<M extends Module>(module: M): M {
  const copy = module instanceof Model
    ? new Model(module.layers.map(([name, m]) => [name, cloneModule(m)] as const), module.info)
    : moduleFromJSON(entryJSON('module', module), 'gnn-kernels', 'cloneModule');
  const params = Object.fromEntries(Object.entries(module.parameters()).map(([k, t]) => [k, t.clone()]));
  if (!(module instanceof Model)) copy.loadStateDict(params);
  return copy as M;
}

/**
 * Fills constructor arguments a model.json leaves out from the shapes of the layer's tensors
 * (a state_dict carries no hyper-parameters, but channels, heads, concat and K show in shapes).
 * Only arguments that are absent are filled; what the file states is never overridden.
 */
function inferArgs(type: string, args: Args, tensors: Record<string, Tensor> | undefined, prefix: string): void {
  if (tensors === undefined) return;
  const shape = (key: string): number[] | undefined => tensors[`${prefix}${key}`]?.shape as number[] | undefined;
  const set = (key: string, value: number | boolean | undefined): void => {
    if (args[key] === undefined && value !== undefined) args[key] = value;
  };
  const fromWeight = (key: string, transposed = false): void => {
    const s = shape(key);
    if (s === undefined || s.length !== 2) return;
    set('outChannels', transposed ? s[1] : s[0]);
    set('inChannels', transposed ? s[0] : s[1]);
  };
  switch (type) {
    case 'Linear': fromWeight('weight'); break;
    case 'GCNConv': shape('weight') !== undefined ? fromWeight('weight', true) : fromWeight('lin.weight'); break;
    case 'SAGEConv': fromWeight('lin_l.weight'); fromWeight('fc_neigh.weight'); break;
    case 'GraphConv': fromWeight('lin_rel.weight'); break;
    case 'SGConv': fromWeight('lin.weight'); fromWeight('fc.weight'); break;
    case 'ChebConv': {
      fromWeight('lins.0.weight');
      let k = 0;
      while (shape(`lins.${k}.weight`) !== undefined) k++;
      set('K', k > 0 ? k : undefined);
      break;
    }
    case 'GATConv':
    case 'GATv2Conv': {
      const att = shape(type === 'GATConv' ? 'att_src' : 'att') ?? shape(type === 'GATConv' ? 'attn_l' : 'attn');
      if (att !== undefined && att.length === 3) {
        set('heads', att[1]);
        set('outChannels', att[2]);
        const bias = shape('bias');
        if (bias !== undefined && att[1] > 1) set('concat', bias[0] === att[1] * att[2]);
      }
      const w = shape('lin.weight') ?? shape('lin_src.weight') ?? shape('lin_l.weight') ?? shape('fc.weight') ?? shape('fc_src.weight');
      if (w !== undefined && w.length === 2) set('inChannels', w[1]);
      const edge = shape('lin_edge.weight');
      if (edge !== undefined && edge.length === 2) set('edgeDim', edge[1]);
      break;
    }
    case 'BatchNorm':
    case 'BatchNorm1d': {
      const s = shape('module.running_mean') ?? shape('running_mean') ?? shape('module.weight') ?? shape('weight');
      if (s !== undefined) set('inChannels', s[0]);
      break;
    }
    case 'LayerNorm': {
      const s = shape('weight');
      if (s !== undefined) set('inChannels', s[0]);
      break;
    }
    default:
  }
}

/** Builds the model a parsed model.json describes (parameters still zero). */
export function modelFromJSON(json: unknown, tensors?: Record<string, Tensor>): Model {
  if (!isRecord(json)) throw fail('model.json: expected an object');
  const version = json.format_version;
  if (version !== MODEL_FORMAT_VERSION) throw fail(`model.json: format_version: expected ${MODEL_FORMAT_VERSION}, got ${JSON.stringify(version)}`);
  const producer = isRecord(json.producer) ? json.producer : {};
  let framework: Framework = 'pyg';
  if (json.framework === 'dgl' || json.framework === 'pyg' || json.framework === 'gnn-kernels') framework = json.framework;
  else if (json.framework !== undefined) throw fail(`model.json: framework: expected 'pyg', 'dgl' or 'gnn-kernels', got ${JSON.stringify(json.framework)}`);
  else if (producer.dgl !== undefined) framework = 'dgl';
  const arch = json.architecture;
  if (!isRecord(arch) || !Array.isArray(arch.forward)) throw fail('model.json: architecture.forward: expected an array of layers');
  const layers = arch.forward.map((entry: unknown, i: number) => {
    const name = isRecord(entry) && typeof entry.name === 'string' ? entry.name : `_${i}`;
    return [name, moduleFromJSON(entry, framework, `architecture.forward[${i}]`, tensors === undefined ? undefined : { tensors, prefix: `${name}.` })] as const;
  });
  const names = new Set<string>();
  for (const [n] of layers) {
    if (names.has(n)) throw fail(`model.json: architecture.forward: layer name ${JSON.stringify(n)} appears twice`);
    names.add(n);
  }
  const channels = (v: unknown, key: string): number | null => (isRecord(v) && typeof v[key] === 'number' ? (v[key] as number) : null);
  const dataset = isRecord(json.dataset) ? json.dataset : {};
  return new Model(layers, {
    formatVersion: version,
    framework,
    producer,
    inputChannels: channels(json.input, 'channels') ?? channels(dataset, 'num_features'),
    outputChannels: channels(json.output, 'channels') ?? channels(dataset, 'num_classes'),
    json,
  });
}

function resolve(p: string): { json: string; tensors: (j: Args) => string } {
  if (typeof p !== 'string' || p === '') throw fail(`path: expected a model directory or model.json path, got ${JSON.stringify(p)}`);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch (error) {
    throw fail(`${p}: cannot read the model (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
  }
  const dir = stat.isDirectory() ? p : path.dirname(p);
  const json = stat.isDirectory() ? path.join(p, 'model.json') : p;
  return {
    json,
    tensors: (j) => {
      const params = j.parameters;
      const file = isRecord(params) && typeof params.file === 'string' ? params.file : 'model.safetensors';
      if (path.isAbsolute(file) || file.split(/[\\/]/).includes('..')) throw fail(`model.json: parameters.file: expected a file name beside model.json, got ${JSON.stringify(file)}`);
      return path.join(dir, file);
    },
  };
}

export interface LoadModelOptions {
  /** Every parameter must be in the file and every tensor used (default true). */
  strict?: boolean;
}

/** Loads a model directory (or a model.json path with its safetensors beside it), synchronously. */
export function loadModelSync(modelPath: string, options?: LoadModelOptions): Model {
  const opts = checkOptions(options, 'loadModel', ['strict']);
  const files = resolve(modelPath);
  let json: Args;
  try {
    json = JSON.parse(fs.readFileSync(files.json, 'utf8')) as Args;
  } catch (error) {
    throw fail(`${files.json}: ${(error as Error).message}`, error);
  }
  let tensors = readSafetensors(files.tensors(json)) as Record<string, Tensor>;
  // A quantized model: int8 weights become their dequantized values for loading, and the plan
  // (the int8 codes and scales themselves) is attached afterwards.
  const quant = json.quantization === undefined ? null : restoreQuantization(json.quantization, tensors);
  if (quant !== null) tensors = quant.tensors;
  const model = modelFromJSON(json, tensors);
  model.loadStateDict(tensors, { strict: opts.strict ?? true });
  quant?.attach(model);
  if (json.pruning !== undefined) {
    const p = checkPruningEntry(json.pruning);
    attachPrunePlan(model, p.scheme, p.tensors);
  }
  return model;
}

/** Loads a model directory; file reads run off the event loop's critical path in one go. */
export async function loadModel(modelPath: string, options?: LoadModelOptions): Promise<Model> {
  await Promise.resolve();
  return loadModelSync(modelPath, options);
}

export interface SaveModelOptions {
  /** Parameter storage: 'F32' (default, exact), 'F16' or 'BF16' (half the size, rounded). */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Extra fields merged into model.json (e.g. { metrics: {...} }). */
  extra?: Record<string, unknown>;
}

/** Writes `dir/model.json` and `dir/model.safetensors` (each atomically). */
export function saveModel(module: Module, dir: string, options?: SaveModelOptions): void {
  const opts = checkOptions(options, 'save', ['dtype', 'extra']);
  fs.mkdirSync(dir, { recursive: true });
  const layers: ReadonlyArray<readonly [string, Module]> = module instanceof Sequential ? module.layers : [['model', module]];
  const info = module instanceof Model ? module.info : null;
  const json: Args = {
    format_version: MODEL_FORMAT_VERSION,
    framework: 'gnn-kernels',
    producer: { library: 'gnn-kernels', version: packageVersion(), ...(info !== null ? { converted_from: info.producer } : {}) },
    input: { channels: info?.inputChannels ?? firstChannels(module, 'inChannels') },
    output: { channels: info?.outputChannels ?? null },
    architecture: { forward: layers.map(([name, m]) => entryJSON(name, m)) },
    parameters: { file: 'model.safetensors', dtype: opts.dtype ?? 'F32' },
    ...(opts.extra ?? {}),
  };
  const dtype: SafetensorsWriteDType = opts.dtype ?? 'F32';
  // A bare layer is written as a one-layer model named 'model', so its tensors carry that prefix
  // (what loadModel reads back). Its int8 / pruning entries name tensors without one, so those
  // are saved only from a Sequential / Model.
  const bare = !(module instanceof Sequential);
  if (bare && (module.quantization !== null || module.pruning !== null)) {
    throw invalidArgValue('module', 'a Sequential or Model when it is quantized or pruned (wrap the layer first)', described(module.constructor.name));
  }
  const own = module.parameters();
  const params = bare ? Object.fromEntries(Object.entries(own).map(([k, t]) => [`model.${k}`, t])) : own;
  const quant = quantizedParts(module, params);
  const pruning = module.pruning;
  if (pruning !== null) {
    const sites = (module.plan as unknown as { sites: ReadonlyMap<unknown, { name: string }> }).sites;
    json.pruning = { ...pruning, tensors: [...sites.values()].map((s) => s.name).sort() };
  }
  if (quant !== null) {
    json.quantization = quant.json;
    // Scales stay F32 whatever the storage of the other float tensors; codes are I8.
    const dtypes: Record<string, SafetensorsWriteDType> = {};
    for (const [name, t] of Object.entries(quant.tensors)) {
      dtypes[name] = t.dtype === 'int8' ? 'I8' : t.dtype === 'int32' ? 'I32' : name in params ? dtype : 'F32';
    }
    writeSafetensors(path.join(dir, 'model.safetensors'), quant.tensors, { dtype: dtypes, metadata: { format: 'pt' } });
  } else {
    writeSafetensors(path.join(dir, 'model.safetensors'), params, { dtype: dtype as 'F32' | 'F16' | 'BF16', metadata: { format: 'pt' } });
  }
  const tmp = path.join(dir, `.model.json.${process.pid}.tmp`);
  fs.writeFileSync(tmp, `${JSON.stringify(json, null, 2)}\n`);
  fs.renameSync(tmp, path.join(dir, 'model.json'));
}

function firstChannels(m: Module, key: string): number | null {
  const probe = m instanceof Sequential ? m.layers.map(([, c]) => c) : [m];
  for (const c of probe) {
    const v = (c as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') return v;
  }
  return null;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

setSaveHook((module, dir, options) => saveModel(module, dir, options as SaveModelOptions | undefined));
