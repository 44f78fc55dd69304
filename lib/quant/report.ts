/**
 * quantizationReport: what quantizing cost, layer by layer. Both models run on the same input; the
 * output of each top-level layer (each named layer of a Sequential / loaded Model, or the whole
 * module) is captured and compared: relative L2 error ‖q − f‖ / ‖f‖ and the largest absolute
 * difference. Over the final outputs: argmax agreement and, with labels, both accuracies.
 */
import { cpuOnly } from '../device';
import { described, invalidArgType, invalidArgValue } from '../errors';
import { denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import { Tensor } from '../tensor';
import { checkOptions } from '../validate';
import { comparePredictions } from '../predictions';
import { Module } from '../nn/module';
import type { ForwardContext } from '../nn/module';
import { Sequential } from '../nn/sequential';
import type { ForwardPlan } from '../nn/scope';
import type { Pending } from '../nn/steps';

export interface LayerError {
  /** The layer's name in the model. */
  name: string;
  /** ‖q − f‖₂ / ‖f‖₂ over the layer's output (0 when both are zero). */
  relativeL2: number;
  /** max |q − f|. */
  maxAbs: number;
}

export interface QuantizationReport {
  layers: LayerError[];
  output: { relativeL2: number; maxAbs: number };
  /** Fraction of (masked) rows whose argmax is the same in both models. */
  agreement: number;
  /** With labels: accuracy over the (masked) labelled rows. */
  accuracy?: { fp32: number; quantized: number };
  /** Parameter storage in bytes: fp32 model vs int8 codes + scales + remaining fp32 tensors. */
  bytes: { fp32: number; quantized: number };
  /** Rows compared (the mask's true entries, else all). */
  rows: number;
}

export interface QuantizationReportOptions {
  /** Rows to score (e.g. a test mask), as a boolean array or Uint8Array over nodes. */
  mask?: ArrayLike<boolean | number>;
  context?: Omit<ForwardContext, 'out'>;
}

/** Delegates to a model's plan and records copies of the named layers' outputs. */
class CapturePlan implements ForwardPlan {
  readonly kind = 'capture';
  readonly outputs = new Map<Module, Float32Array>();

  constructor(
    readonly inner: ForwardPlan | null,
    readonly watched: ReadonlySet<Module>,
  ) {}

  linear(x: Features, weight: Tensor<'float32'>, options: Record<string, unknown> | undefined, modules: readonly Module[]): Pending | null {
    return this.inner?.linear(x, weight, options, modules) ?? null;
  }

  spmm(graph: Graph, x: Tensor<'float32'>, options: Record<string, unknown> | undefined, modules: readonly Module[]): Pending | null {
    return this.inner?.spmm(graph, x, options, modules) ?? null;
  }

  output(module: Module, out: Features): void {
    if (this.watched.has(module)) this.outputs.set(module, denseFeatures(out).data.slice());
  }
}

function layersOf(m: Module): Array<[string, Module]> {
  return m instanceof Sequential ? m.layers.map(([n, c]) => [n, c]) : [['output', m]];
}

function compare(f: Float32Array, q: Float32Array): { relativeL2: number; maxAbs: number } {
  let num = 0;
  let den = 0;
  let maxAbs = 0;
  for (let i = 0; i < f.length; i++) {
    const d = q[i] - f[i];
    num += d * d;
    den += f[i] * f[i];
    const a = Math.abs(d);
    if (a > maxAbs || Number.isNaN(a)) maxAbs = a;
  }
  return { relativeL2: den === 0 ? (num === 0 ? 0 : Infinity) : Math.sqrt(num / den), maxAbs };
}

function parameterBytes(m: Module): number {
  const sites = (m.plan as { sites?: ReadonlyMap<Tensor, { weight: { byteLength: number } }> } | null)?.sites;
  let bytes = 0;
  for (const t of Object.values(m.parameters())) {
    const site = sites?.get(t);
    bytes += site !== undefined ? site.weight.byteLength : t.data.byteLength;
  }
  return bytes;
}

/** Compares an fp32 model and its quantized copy on one input (both run synchronously). */
export function quantizationReport(
  fpModel: Module,
  qModel: Module,
  graph: Graph,
  x: Features,
  labels?: Int32Array | ArrayLike<number> | null,
  options?: QuantizationReportOptions,
): QuantizationReport {
  if (!(fpModel instanceof Module)) throw invalidArgType('fpModel', 'a Module', fpModel);
  if (!(qModel instanceof Module)) throw invalidArgType('qModel', 'a Module', qModel);
  // Layer outputs are captured and compared on the host.
  for (const [name, m] of [['fpModel', fpModel], ['qModel', qModel]] as const) if (m.device !== 'cpu') throw cpuOnly('quantizationReport', name, m.device);
  const opts = checkOptions(options, 'quantizationReport', ['mask', 'context']);
  const fl = layersOf(fpModel);
  const ql = layersOf(qModel);
  if (fl.length !== ql.length || fl.some(([n], i) => ql[i][0] !== n)) {
    throw invalidArgValue('qModel', `the layers of fpModel (${fl.map(([n]) => n).join(', ')})`, described(`layers ${ql.map(([n]) => n).join(', ')}`));
  }
  const fCap = new CapturePlan(fpModel.plan, new Set(fl.map(([, m]) => m)));
  const qCap = new CapturePlan(qModel.plan, new Set(ql.map(([, m]) => m)));
  const f = fpModel.forwardSyncWith(fCap, graph, x, opts.context).clone();
  const q = qModel.forwardSyncWith(qCap, graph, x, opts.context).clone();
  const mask = opts.mask;
  const layers: LayerError[] = [];
  for (let i = 0; i < fl.length; i++) {
    const a = fCap.outputs.get(fl[i][1]);
    const b = qCap.outputs.get(ql[i][1]);
    if (a === undefined || b === undefined || a.length !== b.length) continue; // fused into a neighbour (Linear + activation)
    layers.push({ name: fl[i][0], ...compare(a, b) });
  }
  const cmp = comparePredictions(f, q, labels, mask);
  const report: QuantizationReport = {
    layers,
    output: compare(f.data, q.data),
    agreement: cmp.agreement,
    bytes: { fp32: parameterBytes(fpModel), quantized: parameterBytes(qModel) },
    rows: cmp.rows,
  };
  if (cmp.accuracy !== undefined) report.accuracy = { fp32: cmp.accuracy.a, quantized: cmp.accuracy.b };
  return report;
}
