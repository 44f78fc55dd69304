/**
 * The forward plan of a quantized model: which linears run as int8 GEMMs (by weight tensor), with
 * dynamic per-row or calibrated per-tensor activation parameters, and whether layer aggregations
 * gather int8 features. Everything else — attention logits, softmax, norms, pooling, the
 * sparse-input first layer — runs the fp32 ops unchanged.
 * @internal
 */
import { CsrMatrix } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import * as ops from '../ops/index';
import type { Device } from '../device';
import { allocateOutput } from '../ops/workspace';
import { deviceQuantizedWeight, releaseDeviceQuantizedWeight } from '../ops/quantized-packed';
import { QuantizedTensor } from '../quantized';
import type { QuantizedWeight } from '../quantized';
import { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import { GlobalPool } from '../nn/pool';
import type { ForwardPlan } from '../nn/scope';
import { workOf } from '../nn/steps';
import type { Pending } from '../nn/steps';

/** Per-tensor uint8 parameters of a linear's input (static activations). */
export interface InputParams {
  scale: number;
  zeroPoint: number;
}

/** One quantized linear: the int8 weight and, with static activations, its input's parameters. */
export interface LinearSite {
  /** The weight's parameter name in the model (e.g. 'conv1.lin.weight'). */
  name: string;
  weight: QuantizedWeight;
  input: InputParams | null;
}

/** How a model was quantized (recorded in model.json). */
export interface QuantizationScheme {
  weights: 'int8';
  activations: 'dynamic' | 'static';
  /** 'auto': int8 only where it was measured to win (MIN_INT8_AGGREGATION_*); 'int8': always. */
  aggregation: 'auto' | 'int8' | 'fp32';
  /** 'auto': int8 GEMMs only for linears with at least MIN_INT8_OUTPUTS outputs; 'int8': all. */
  gemm: 'auto' | 'int8';
  skip: string[];
  /** Static activations: how the input ranges were observed. */
  observer?: 'minmax' | 'percentile';
  percentile?: number;
}

// An int8 GEMM does about a quarter of the fp32 instruction work per multiply-add.
const INT8_GEMM_WORK = 0.25;

/**
 * Linears with fewer output channels than this run the fp32 GEMM on the dequantized weights: the
 * per-row quantization of x inside the int8 GEMM then costs more than the GEMM saves. Measured
 * (BENCHMARKS.md, "Quantized models"): 262 144 x 256 inputs, fp32 / int8 time ratio 0.60-0.69 at
 * M = 8 and 16, 0.74-0.83 at 32, 0.97-1.05 at 48, 1.16-1.20 at 64, 1.70-1.77 at 128.
 */
export const MIN_INT8_OUTPUTS = 64;

/**
 * With aggregation 'auto', features are aggregated as int8 only when they are at least this wide
 * and the fp32 features at least this large: the int8 kernel saves memory traffic, and a row of
 * fewer than 32 floats is a cache line either way, while features that stay in cache make the
 * quantization pass pure overhead. Measured (BENCHMARKS.md, "Quantized models"), int8 +
 * quantization vs fp32 spmm, GCN weights: R-MAT 18 (262 144 nodes) 0.56-0.80x at F = 8, 16;
 * 1.16-1.25x at 32; 1.32-1.55x at 64 — Cora (2 708 nodes, <= 0.7 MB of features) 0.33-0.50x at
 * every width.
 */
export const MIN_INT8_AGGREGATION_WIDTH = 32;
export const MIN_INT8_AGGREGATION_BYTES = 8 * 2 ** 20;

export class QuantPlan implements ForwardPlan {
  readonly kind = 'int8';

  constructor(
    readonly scheme: QuantizationScheme,
    /** Quantized linears by the fp32 weight tensor of the model's module (its dequantized copy). */
    readonly sites: ReadonlyMap<Tensor, LinearSite>,
    /** Modules that keep fp32 aggregation (the skip list). */
    readonly skipped: ReadonlySet<Module>,
  ) {}

  /** The site of a linear that runs as an int8 GEMM here, or null. */
  #int8Gemm(x: Features, weight: Tensor<'float32'>): LinearSite | null {
    const site = this.sites.get(weight);
    if (site === undefined || x instanceof CsrMatrix || x.rank !== 2) return null;
    if (this.scheme.gemm === 'auto' && weight.shape[0] < MIN_INT8_OUTPUTS) return null;
    return site;
  }

  /** Whether features [rows, width] are aggregated as int8 inside `modules`. */
  #int8Aggregation(rows: number, width: number, modules: readonly Module[]): boolean {
    if (this.scheme.aggregation === 'fp32') return false;
    if (this.scheme.aggregation === 'auto' && (width < MIN_INT8_AGGREGATION_WIDTH || rows * width * 4 < MIN_INT8_AGGREGATION_BYTES)) return false;
    // Pooling is a readout, not a neighbourhood aggregation: it stays fp32.
    return !modules.some((m) => this.skipped.has(m) || m instanceof GlobalPool);
  }

  /**
   * An int8 GEMM whose output is aggregated as int8: the GEMM writes int8 codes (requantized per
   * row in its epilogue, bitwise what quantizing its float output would give) and the int8 spmm
   * reads them — no float32 intermediate, no quantization pass.
   */
  project(x: Features, weight: Tensor<'float32'>, graph: Graph, options: Record<string, unknown> | undefined, modules: readonly Module[]): Pending | null {
    const site = this.#int8Gemm(x, weight);
    if (site === null || x instanceof CsrMatrix) return null;
    const [rows, m] = [x.shape[0], weight.shape[0]];
    if (!this.#int8Aggregation(rows, m, modules)) return null;
    const opts: ops.QuantizedLinearOptions = site.input === null ? { output: 'int8' } : { output: 'int8', input: site.input };
    const device = x.device;
    const prepare = (): { q: QuantizedTensor; spmmOpts: ops.SpmmInt8Options } => ({
      q: new QuantizedTensor(allocateOutput([rows, m], 'int8', device), allocateOutput([rows], 'float32', device)),
      spmmOpts: { ...(options as ops.SpmmInt8Options | undefined), out: allocateOutput([graph.numNodes, m], 'float32', device) },
    });
    return {
      sync: () => {
        const { q, spmmOpts } = prepare();
        ops.quantizedLinearSync(x, site.weight, { ...opts, out: q });
        return ops.spmmInt8Sync(graph, q, spmmOpts);
      },
      async: () => {
        const { q, spmmOpts } = prepare();
        return ops.quantizedLinear(x, site.weight, { ...opts, out: q }).then(() => ops.spmmInt8(graph, q, spmmOpts));
      },
      work: workOf.linear(x, weight) * INT8_GEMM_WORK + (graph.numEdges * m) / 4,
      device,
    };
  }

  linear(x: Features, weight: Tensor<'float32'>, options: Record<string, unknown> | undefined): Pending | null {
    // Sparse (bag-of-words) or 1-D inputs, and with gemm 'auto' narrow outputs, run the fp32
    // kernel on the module's weight, which holds the dequantized int8 values: the same weights,
    // activations left exact.
    const site = this.#int8Gemm(x, weight);
    if (site === null || x instanceof CsrMatrix) return null;
    const opts: ops.QuantizedLinearOptions = {
      bias: (options?.bias as Tensor<'float32'> | null | undefined) ?? null,
      activation: options?.activation as ops.ActivationName | undefined,
      alpha: options?.alpha as number | undefined,
      out: options?.out as Tensor<'float32'> | undefined,
    };
    if (site.input !== null) opts.input = site.input;
    return {
      sync: () => ops.quantizedLinearSync(x, site.weight, opts) as Tensor<'float32'>,
      async: () => ops.quantizedLinear(x, site.weight, opts) as Promise<Tensor<'float32'>>,
      work: workOf.linear(x, weight) * INT8_GEMM_WORK,
      device: x.device,
    };
  }

  spmm(graph: Graph, x: Tensor<'float32'>, options: Record<string, unknown> | undefined, modules: readonly Module[]): Pending | null {
    if (!(x instanceof Tensor) || x.rank !== 2 || !this.#int8Aggregation(x.shape[0], x.shape[1], modules)) return null;
    // The int8 copy of x and the output come from the pass's workspace, taken while the op is
    // prepared (synchronously, before the async form's first hop).
    const device = x.device;
    const prepare = (): { q: QuantizedTensor; opts: ops.SpmmInt8Options } => ({
      q: new QuantizedTensor(allocateOutput(x.shape, 'int8', device), allocateOutput([x.shape[0]], 'float32', device)),
      opts: {
        ...(options as ops.SpmmInt8Options | undefined),
        out: (options?.out as Tensor<'float32'> | undefined) ?? allocateOutput([graph.numNodes, x.shape[1]], 'float32', device),
      },
    });
    return {
      sync: () => {
        const { q, opts } = prepare();
        return ops.spmmInt8Sync(graph, ops.quantizeSync(x, { out: q }), opts);
      },
      async: () => {
        const { q, opts } = prepare();
        return ops.quantize(x, { out: q }).then((qx) => ops.spmmInt8(graph, qx, opts));
      },
      work: workOf.spmm(graph, x) / 4 + x.numel,
      device,
    };
  }

  /**
   * The plan after Module.to: the same sites keyed by the moved weight tensors. The int8 weights
   * get their copies on a CUDA device now (not at the first request), and copies on the device the
   * model left are released.
   */
  moved(moved: ReadonlyMap<Tensor, Tensor>, device: Device): QuantPlan {
    const sites = new Map<Tensor, LinearSite>();
    for (const [weight, site] of this.sites) {
      const left = weight.device;
      if (left !== 'cpu' && left !== device) releaseDeviceQuantizedWeight(site.weight, left);
      if (device !== 'cpu') deviceQuantizedWeight(site.weight, device);
      sites.set(moved.get(weight) ?? weight, site);
    }
    return new QuantPlan(this.scheme, sites, this.skipped);
  }
}
