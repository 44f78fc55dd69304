/**
 * prune.channels(model, { keep }): structured pruning. Each hidden layer of a chain (a Sequential
 * or loaded Model) keeps only its `keep` output channels of largest L2 norm (over every weight row
 * that produces the channel: e.g. SAGE's lin_l and lin_r rows; a GAT channel over all heads), and
 * the next message-passing or linear layer loses the matching input columns — smaller dense layers,
 * no sparse kernels. The last layer's outputs (the model's output) are never pruned.
 *
 *   keep: a fraction in (0, 1] of each layer's channels (rounded up, at least one), or an integer
 *     count > 1.
 * Between a producer and its consumer only channel-wise modules may sit (activations, Dropout,
 * Identity, BatchNorm — whose statistics are sliced too); anything else ends the pair. Layers
 * handled: Linear, GCNConv, SAGEConv, GraphConv, GINConv (its nn's last / first Linear), GATConv
 * (the same channels kept in every head). Ties in norm keep the lower channel index.
 * Removing channels whose weights and bias are exactly zero leaves the function unchanged.
 */
import { invalidArgType, invalidArgValue } from '../errors';
import { Tensor } from '../tensor';
import { checkOptions } from '../validate';
import { Activation, Dropout, Identity } from '../nn/activations';
import { GATConv } from '../nn/gat-conv';
import { GCNConv } from '../nn/gcn-conv';
import { GINConv } from '../nn/gin-conv';
import { GraphConv } from '../nn/graph-conv';
import { Linear } from '../nn/linear';
import { Model, cloneModule, moduleFromJSON, moduleToJSON } from '../nn/model-file';
import { Module } from '../nn/module';
import { BatchNorm } from '../nn/norm';
import { SAGEConv } from '../nn/sage-conv';
import { Sequential } from '../nn/sequential';

export interface ChannelOptions {
  /** Channels kept per pruned layer: a count, or a fraction in (0, 1]. */
  keep: number;
}

/** Which parameters carry a layer's output units and input columns. */
interface Spec {
  /** Weights [units, in] whose rows are output units. */
  rows: string[];
  /** 1-D parameters over the layer's output (after head concat / mean). */
  outVec: string[];
  /** Attention vectors [1, H, C]: sliced along C. */
  att: string[];
  /** Weights whose columns are input channels. */
  cols: string[];
  /** Square [in, in] weights sliced on both axes, and their 1-D bias over rows (SAGE's project). */
  both: string[];
  inVec: string[];
  channels: number;
  heads: number;
  /** Output width is heads · channels (GAT concat) rather than channels. */
  concat: boolean;
}

function gin(m: GINConv): { first: string; last: string } {
  const layers = m.nn instanceof Sequential ? m.nn.layers : [['', m.nn] as const];
  const linears = layers.filter(([, c]) => c instanceof Linear).map(([n]) => (n === '' ? 'nn' : `nn.${n}`));
  if (linears.length === 0) throw invalidArgValue('model', 'GINConv nn with a Linear', 'none');
  return { first: linears[0], last: linears[linears.length - 1] };
}

function specOf(m: Module): Spec | null {
  const base = { rows: [], outVec: [], att: [], cols: [], both: [], inVec: [], heads: 1, concat: false };
  if (m instanceof Linear) return { ...base, rows: ['weight'], outVec: ['bias'], cols: ['weight'], channels: m.outChannels };
  if (m instanceof GCNConv) return { ...base, rows: ['lin.weight'], outVec: ['bias'], cols: ['lin.weight'], channels: m.outChannels };
  if (m instanceof GraphConv) return { ...base, rows: ['lin_rel.weight', 'lin_root.weight'], outVec: ['lin_rel.bias'], cols: ['lin_rel.weight', 'lin_root.weight'], channels: m.outChannels };
  if (m instanceof SAGEConv) {
    return { ...base, rows: ['lin_l.weight', 'lin_r.weight'], outVec: ['lin_l.bias'], cols: ['lin_l.weight', 'lin_r.weight'], both: ['lin.weight'], inVec: ['lin.bias'], channels: m.outChannels };
  }
  if (m instanceof GINConv) {
    const { first, last } = gin(m);
    return { ...base, rows: [`${last}.weight`], outVec: [`${last}.bias`], cols: [`${first}.weight`], channels: (m.nn instanceof Sequential ? (m.nn.layers.filter(([, c]) => c instanceof Linear).pop()![1] as Linear) : (m.nn as Linear)).outChannels };
  }
  if (m instanceof GATConv) {
    const concat = m.concat || m.semantics === 'dgl';
    return { ...base, rows: ['lin.weight', 'res.weight'], outVec: ['bias'], att: ['att_src', 'att_dst', 'att_edge'], cols: ['lin.weight', 'res.weight'], channels: m.outChannels, heads: m.heads, concat };
  }
  return null;
}

const passes = (m: Module): boolean => m instanceof Activation || m instanceof Dropout || m instanceof Identity || m instanceof BatchNorm;

function sliceRows(t: Tensor<'float32'>, rows: readonly number[]): Tensor<'float32'> {
  const width = t.rank > 1 ? t.numel / t.shape[0] : 1;
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(t.data.subarray(r * width, (r + 1) * width), i * width));
  return Tensor.from(out, t.rank > 1 ? [rows.length, ...t.shape.slice(1)] : [rows.length]);
}

function sliceCols(t: Tensor<'float32'>, cols: readonly number[]): Tensor<'float32'> {
  const [r, c] = t.shape;
  const out = new Float32Array(r * cols.length);
  for (let i = 0; i < r; i++) cols.forEach((k, j) => (out[i * cols.length + j] = t.data[i * c + k]));
  return Tensor.from(out, [r, cols.length]);
}

/** Output units of kept channels: per head for multi-head weights. */
function units(kept: readonly number[], heads: number, channels: number): number[] {
  const out: number[] = [];
  for (let h = 0; h < heads; h++) for (const c of kept) out.push(h * channels + c);
  return out;
}

/** Rebuilds `m` with new channel counts and sliced parameters. */
function rebuild(m: Module, params: Record<string, Tensor>, set: (json: Record<string, unknown>) => void): Module {
  const json = moduleToJSON(m);
  set(json);
  const out = moduleFromJSON(json, 'gnn-kernels', `prune.channels(${m.type})`);
  out.loadStateDict(params);
  return out;
}

export function channels<M extends Module>(model: M, options: ChannelOptions): M {
  if (!(model instanceof Sequential)) throw invalidArgType('model', 'a Sequential or loaded Model (a chain of layers)', model);
  if (model.plan !== null) throw invalidArgValue('model', 'an fp32 model without a quantization or pruning plan', model.plan.kind);
  const opts = checkOptions(options, 'prune.channels', ['keep']);
  const keep = opts.keep;
  if (typeof keep !== 'number' || !(keep > 0) || (keep > 1 && !Number.isInteger(keep))) throw invalidArgValue('keep', 'a fraction in (0, 1] or an integer count > 1', keep);
  const layers = model.layers.map(([n, m]) => [n, m] as [string, Module]);
  const params = layers.map(([, m]) => ({ ...m.parameters() }) as Record<string, Tensor<'float32'>>);
  const argsOf: Array<Array<(j: Record<string, unknown>) => void>> = layers.map(() => []);
  for (let i = 0; i < layers.length; i++) {
    const spec = specOf(layers[i][1]);
    if (spec === null) continue;
    let j = i + 1;
    while (j < layers.length && passes(layers[j][1])) j++;
    const next = j < layers.length ? specOf(layers[j][1]) : null;
    if (next === null) continue;
    const c = spec.channels;
    const count = keep <= 1 ? Math.max(1, Math.ceil(keep * c)) : Math.min(keep, c);
    if (count >= c) continue;
    // Channel norms over every producing row (all heads).
    const p = params[i];
    const norm = new Float64Array(c);
    for (const name of spec.rows) {
      const w = p[name];
      if (w === undefined) continue;
      const width = w.numel / w.shape[0];
      for (let u = 0; u < w.shape[0]; u++) {
        let s = 0;
        for (let k = 0; k < width; k++) s += w.data[u * width + k] ** 2;
        norm[u % c] += s;
      }
    }
    const kept = Array.from({ length: c }, (_, k) => k)
      .sort((a, b) => norm[b] - norm[a] || a - b)
      .slice(0, count)
      .sort((a, b) => a - b);
    const rowUnits = units(kept, spec.heads, c);
    const outUnits = spec.concat ? rowUnits : kept;
    // Per-head rows (H·C of them) keep every head's channels; rows over the layer's output keep its units.
    const unitsFor = (rows: number): number[] => (rows === spec.heads * c ? rowUnits : outUnits);
    for (const name of [...spec.rows, ...spec.outVec]) if (p[name] !== undefined) p[name] = sliceRows(p[name], unitsFor(p[name].shape[0]));
    for (const name of spec.att) {
      const a = p[name];
      if (a === undefined) continue;
      const out = new Float32Array(spec.heads * count);
      for (let h = 0; h < spec.heads; h++) kept.forEach((k, x) => (out[h * count + x] = a.data[h * c + k]));
      p[name] = Tensor.from(out, [1, spec.heads, count]);
    }
    const producer = layers[i][1];
    argsOf[i].push((json) => {
      if (producer instanceof GINConv) setGinChannels(json, 'last', count);
      else (json.args as Record<string, unknown>).outChannels = count;
    });
    for (let b = i + 1; b < j; b++) {
      if (!(layers[b][1] instanceof BatchNorm)) continue;
      const q = params[b];
      for (const name of Object.keys(q)) q[name] = sliceRows(q[name], outUnits);
      argsOf[b].push((json) => ((json.args as Record<string, unknown>).inChannels = outUnits.length));
    }
    const q = params[j];
    for (const name of next.cols) if (q[name] !== undefined) q[name] = sliceCols(q[name], outUnits);
    for (const name of next.both) if (q[name] !== undefined) q[name] = sliceCols(sliceRows(q[name], outUnits), outUnits);
    for (const name of next.inVec) if (q[name] !== undefined) q[name] = sliceRows(q[name], outUnits);
    const consumer = layers[j][1];
    argsOf[j].push((json) => {
      if (consumer instanceof GINConv) setGinChannels(json, 'first', outUnits.length);
      else (json.args as Record<string, unknown>).inChannels = outUnits.length;
    });
  }
  // Unchanged layers are copied too, so the result shares nothing with the original.
  const fresh = layers.map(([name, m], i) => [name, argsOf[i].length === 0 ? cloneModule(m) : rebuild(m, params[i], (json) => argsOf[i].forEach((f) => f(json)))] as const);
  const out = model instanceof Model ? new Model(fresh, model.info) : new Sequential(fresh);
  return out as unknown as M;
}

/** Sets the in (first Linear) or out (last Linear) channels of a GINConv's nn in its JSON. */
function setGinChannels(json: Record<string, unknown>, which: 'first' | 'last', value: number): void {
  const nn = (json.args as Record<string, unknown>).nn as Record<string, unknown>;
  const list = (nn.layers as Array<Record<string, unknown>> | undefined) ?? [nn];
  const linears = list.filter((l) => l.type === 'Linear');
  const target = which === 'first' ? linears[0] : linears[linears.length - 1];
  (target.args as Record<string, unknown>)[which === 'first' ? 'inChannels' : 'outChannels'] = value;
}
