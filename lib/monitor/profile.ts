/**
 * DriftProfile: a one-pass, mergeable summary of a graph's node features, degrees and a model's
 * predictions, for comparing what a served model sees with what it was validated on.
 *
 *   features     per feature: finite count, non-finite count, mean, variance (Welford; merged with
 *                Chan's formula) and a KLL quantile sketch of size O(sketchK)
 *   degrees      in-degree of every destination node and out-degree of every source node: count,
 *                mean, variance and a KLL sketch each
 *   predictions  with a model (or its output): rows per predicted class and a confidence histogram
 *
 * Memory is O(numFeatures · sketchK + classes + confidenceBins) whatever the number of nodes, and
 * each observe() reads its inputs once. Profiles merge (`DriftProfile.merge`) across batches and
 * processes, and serialize to JSON (`toJSON` / `DriftProfile.fromJSON`, validated field by field).
 */
import { CsrMatrix } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import { GnnError, described, invalidArgType, invalidArgValue } from '../errors';
import { Graph } from '../graph';
import { Tensor, checkTensor } from '../tensor';
import { checkInteger, checkOptions } from '../validate';
import { FeatureColumns } from './feature-columns';
import type { FeatureColumnsJSON, FeatureStats } from './feature-columns';
import { KllSketch, mixSeed } from './kll';
import { PredictionHistogram } from './prediction-histogram';
import type { PredictionHistogramJSON, PredictionStats } from './prediction-histogram';
import { Summary } from './summary';
import type { SummaryJSON, SummaryStats } from './summary';

/** Anything with a synchronous forward pass: a loaded Model, an nn.Sequential, a layer. */
export interface DriftModel {
  forwardSync(graph: Graph, x: Features): Tensor<'float32'>;
}

/** What to do with NaN and ±Infinity feature values. */
export type NonFinitePolicy = 'count' | 'reject';

export interface DriftProfileOptions {
  /** KLL accuracy parameter of every sketch: integer in [8, 65535]; default 200 (rank error ≤ 1.65%). */
  sketchK?: number;
  /** Seed of the sketches' coin flips, an integer in [0, 2^32); default 1. */
  seed?: number;
  /** Equal-width bins of the confidence histogram over [0, 1]: integer in [2, 1000]; default 10. */
  confidenceBins?: number;
  /**
   * 'count' (default): NaN and ±Infinity feature values are counted per feature, kept out of the
   * moments and sketches, and get their own PSI bin in reports (a feature that starts arriving as
   * NaN drifts). 'reject': observe() throws ERR_INVALID_ARG_VALUE naming the first such value,
   * before changing anything.
   */
  nonFinite?: NonFinitePolicy;
}

/** A profile's settings, fixed when it is created and kept in its JSON. */
export interface DriftProfileConfig {
  sketchK: number;
  seed: number;
  confidenceBins: number;
  nonFinite: NonFinitePolicy;
}

/** One batch for {@link DriftProfile.observe}: any of its parts (at least one). */
export interface DriftBatch {
  /** Degrees are recorded from it; it also fixes x's row count (graph.numSrcNodes). */
  graph?: Graph;
  /** [rows, numFeatures] node features, dense or sparse. */
  x?: Features;
  /** A model's [rows, classes] output (logits or log-probabilities) to record predictions from. */
  output?: Tensor<'float32'>;
}

/** The JSON form of a profile. */
export interface DriftProfileJSON {
  format: 'gnn-kernels/drift-profile';
  version: 1;
  config: DriftProfileConfig;
  numFeatures: number;
  rows: number;
  features: FeatureColumnsJSON;
  degrees: { in: SummaryJSON; out: SummaryJSON };
  predictions: PredictionHistogramJSON | null;
}

/** Internal parts, for the comparison code. @internal */
export interface ProfileParts {
  features: FeatureColumns;
  inDegrees: Summary;
  outDegrees: Summary;
  predictions: PredictionHistogram | null;
}

const FORMAT = 'gnn-kernels/drift-profile';
const frozen = new WeakSet<DriftProfile>();

/** Makes observe() throw on this profile (a monitor's reference). @internal */
export function freezeProfile(p: DriftProfile): void {
  frozen.add(p);
}

/** Checks the profile settings among `options` (other keys are the caller's to check). */
export function checkConfig(options: DriftProfileOptions | undefined, prefix = ''): DriftProfileConfig {
  const opts = options ?? {};
  const nonFinite = opts.nonFinite ?? 'count';
  if (nonFinite !== 'count' && nonFinite !== 'reject') throw invalidArgValue(`${prefix}nonFinite`, "'count' or 'reject'", nonFinite);
  return Object.freeze({
    sketchK: checkInteger(`${prefix}sketchK`, opts.sketchK ?? 200, 8, 65535),
    seed: checkInteger(`${prefix}seed`, opts.seed ?? 1, 0, 2 ** 32 - 1),
    confidenceBins: checkInteger(`${prefix}confidenceBins`, opts.confidenceBins ?? 10, 2, 1000),
    nonFinite,
  });
}

const CONFIG_KEYS = ['sketchK', 'seed', 'confidenceBins', 'nonFinite'] as const;

/** Throws ERR_INVALID_ARG_VALUE at the first NaN or ±Infinity of x (the 'reject' policy). */
function rejectNonFinite(x: Features): void {
  const [, F] = x.shape;
  if (x instanceof CsrMatrix) {
    const values = x.graph.edgeWeight as Float32Array;
    const indptr = x.graph.indptr;
    for (let p = 0; p < values.length; p++) {
      if (!(values[p] - values[p] === 0)) {
        let r = 0;
        while (Number(indptr[r + 1]) <= p) r++;
        throw invalidArgValue('x', "finite values (the profile's nonFinite policy is 'reject')", described(`${values[p]} at row ${r}, column ${x.graph.indices[p]}`));
      }
    }
    return;
  }
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    if (!(d[i] - d[i] === 0)) {
      throw invalidArgValue('x', "finite values (the profile's nonFinite policy is 'reject')", described(`${d[i]} at row ${Math.floor(i / F)}, column ${i % F}`));
    }
  }
}

/** Checks x (dense float32 [rows, F] or a CsrMatrix) against the profile width and the graph. */
export function checkFeatures(x: unknown, numFeatures: number, graph: Graph | undefined, name = 'x'): Features {
  let shape: readonly number[];
  if (x instanceof CsrMatrix) shape = x.shape;
  else {
    if (!(x instanceof Tensor)) throw invalidArgType(name, 'a float32 Tensor [nodes, features] or a CsrMatrix', x);
    shape = checkTensor(name, x, 'float32', [2]).shape;
  }
  if (shape[1] !== numFeatures) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected ${numFeatures} columns (the profile's features), got shape [${shape.join(', ')}]`);
  }
  if (graph !== undefined && shape[0] !== graph.numSrcNodes) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected ${graph.numSrcNodes} rows (one per source node of the graph), got shape [${shape.join(', ')}]`);
  }
  return x as Features;
}

/** Runs a model and checks its output. */
export function runModel(model: DriftModel, graph: Graph, x: Features, numClasses: number | null): Tensor<'float32'> {
  const output = model.forwardSync(graph, x);
  return PredictionHistogram.checkOutput(output, numClasses, 'model output');
}

/** Checks that `model` has a forwardSync method (or is null / undefined). */
export function checkModel(model: unknown): DriftModel | null {
  if (model === undefined || model === null) return null;
  if (typeof (model as { forwardSync?: unknown }).forwardSync !== 'function') {
    throw invalidArgType('model', 'an object with forwardSync(graph, x) (a Model or a module)', model);
  }
  return model as DriftModel;
}

export class DriftProfile {
  /** Width of the feature rows. */
  readonly numFeatures: number;
  /** Settings fixed at creation. */
  readonly config: DriftProfileConfig;
  readonly #features: FeatureColumns;
  readonly #in: Summary;
  readonly #out: Summary;
  #predictions: PredictionHistogram | null = null;

  private constructor(numFeatures: number, config: DriftProfileConfig, parts?: ProfileParts) {
    this.numFeatures = numFeatures;
    this.config = config;
    if (parts !== undefined) {
      this.#features = parts.features;
      this.#in = parts.inDegrees;
      this.#out = parts.outDegrees;
      this.#predictions = parts.predictions;
    } else {
      this.#features = FeatureColumns.create(numFeatures, config.sketchK, config.seed);
      // Degree sketches get seeds no feature uses.
      this.#in = new Summary(new KllSketch({ k: config.sketchK, seed: mixSeed(config.seed ^ 0x1d) }));
      this.#out = new Summary(new KllSketch({ k: config.sketchK, seed: mixSeed(config.seed ^ 0x2e) }));
    }
  }

  /** An empty profile of `numFeatures` features. */
  static create(numFeatures: number, options?: DriftProfileOptions): DriftProfile {
    checkInteger('numFeatures', numFeatures, 0, 2 ** 31 - 1);
    return new DriftProfile(numFeatures, checkConfig(checkOptions(options, 'DriftProfile.create', CONFIG_KEYS)));
  }

  /**
   * Profiles one graph and its features in one pass, and with a model its predictions
   * (model.forwardSync(graph, x)). `graph` may be null for features alone.
   */
  static fromData(graph: Graph | null, x: Features, model?: DriftModel | null, options?: DriftProfileOptions): DriftProfile {
    if (graph !== null && !(graph instanceof Graph)) throw invalidArgType('graph', 'a Graph or null', graph);
    const m = checkModel(model);
    if (m !== null && graph === null) throw invalidArgValue('graph', 'a Graph to run the model on', graph);
    if (!(x instanceof CsrMatrix) && !(x instanceof Tensor)) throw invalidArgType('x', 'a float32 Tensor [nodes, features] or a CsrMatrix', x);
    const numFeatures = x instanceof CsrMatrix ? x.shape[1] : x.rank === 2 ? x.shape[1] : -1;
    if (numFeatures < 0) throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `x: expected a Tensor of rank 2, got shape [${x.shape.join(', ')}]`);
    const profile = new DriftProfile(numFeatures, checkConfig(checkOptions(options, 'DriftProfile.fromData', CONFIG_KEYS)));
    const batch: DriftBatch = { x };
    if (graph !== null) batch.graph = graph;
    if (m !== null && graph !== null) batch.output = runModel(m, graph, checkFeatures(x, numFeatures, graph), null);
    return profile.observe(batch);
  }

  /**
   * Adds one batch: a graph's degrees, feature rows, a model output — any of them. Everything is
   * checked before anything changes, so a rejected batch leaves the profile as it was.
   */
  observe(batch: DriftBatch): this {
    if (frozen.has(this)) throw invalidArgValue('profile', "a profile that is not a monitor's reference (those are read-only)", described('a reference profile'));
    const b = checkOptions(batch, 'observe batch', ['graph', 'x', 'output']);
    if (b.graph === undefined && b.x === undefined && b.output === undefined) {
      throw invalidArgValue('batch', 'at least one of graph, x, output', described('an empty batch'));
    }
    if (b.graph !== undefined && !(b.graph instanceof Graph)) throw invalidArgType('batch.graph', 'a Graph', b.graph);
    const x = b.x === undefined ? undefined : checkFeatures(b.x, this.numFeatures, b.graph, 'batch.x');
    const output = b.output === undefined ? undefined : PredictionHistogram.checkOutput(b.output, this.#predictions?.numClasses ?? null, 'batch.output');
    if (x !== undefined && this.config.nonFinite === 'reject') rejectNonFinite(x);
    const inDeg = b.graph?.inDegrees();
    const outDeg = b.graph?.outDegrees();
    // Nothing above changed the profile; nothing below throws.
    if (inDeg !== undefined && outDeg !== undefined) {
      this.#in.addAll(inDeg);
      this.#out.addAll(outDeg);
    }
    if (x instanceof CsrMatrix) this.#features.addCsr(x);
    else if (x !== undefined) this.#features.addDense(x.data, x.shape[0]);
    if (output !== undefined) {
      this.#predictions ??= new PredictionHistogram(output.shape[1], this.config.confidenceBins);
      this.#predictions.add(output);
    }
    return this;
  }

  /** Feature rows seen. */
  get rows(): number {
    return this.#features.rows;
  }

  /** Count, non-finite count, mean, population variance, min and max of feature f. */
  featureStats(f: number): FeatureStats {
    return this.#features.stats(this.#checkFeature(f));
  }

  /** Estimated q-quantile of feature f's finite values (NaN when it has none); error: KllSketch.rankErrorBound(sketchK). */
  featureQuantile(f: number, q: number): number {
    return this.#features.sketches[this.#checkFeature(f)].quantile(q);
  }

  /** Estimated fraction of feature f's finite values ≤ value. */
  featureRank(f: number, value: number): number {
    return this.#features.sketches[this.#checkFeature(f)].rank(value);
  }

  /** Count (nodes), mean, variance, min and max of the in- or out-degrees seen. */
  degreeStats(direction: 'in' | 'out'): SummaryStats {
    return this.#degrees(direction).stats();
  }

  /** Estimated q-quantile of the in- or out-degrees (NaN when no graph was seen). */
  degreeQuantile(direction: 'in' | 'out', q: number): number {
    return this.#degrees(direction).sketch.quantile(q);
  }

  /** Predicted classes and confidences, or null when no model output was seen. */
  predictionStats(): PredictionStats | null {
    return this.#predictions?.stats() ?? null;
  }

  /** A deep copy (not frozen). */
  clone(): DriftProfile {
    return new DriftProfile(this.numFeatures, this.config, {
      features: this.#features.clone(),
      inDegrees: this.#in.clone(),
      outDegrees: this.#out.clone(),
      predictions: this.#predictions?.clone() ?? null,
    });
  }

  /**
   * A new profile summarising both inputs' data, as if one profile had seen it all: counts add,
   * moments combine exactly (up to rounding), sketches merge within their error bound. Needs the
   * same numFeatures (ERR_GNN_SHAPE_MISMATCH), sketchK and confidenceBins, and the same classes when
   * both have predictions. The result takes `a`'s seed and nonFinite policy. Associative, so shards
   * from many processes can be merged in any grouping.
   */
  static merge(a: DriftProfile, b: DriftProfile): DriftProfile {
    if (!(a instanceof DriftProfile)) throw invalidArgType('a', 'a DriftProfile', a);
    if (!(b instanceof DriftProfile)) throw invalidArgType('b', 'a DriftProfile', b);
    if (a.numFeatures !== b.numFeatures) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `b: expected a profile of ${a.numFeatures} features (a's), got ${b.numFeatures}`);
    }
    for (const key of ['sketchK', 'confidenceBins'] as const) {
      if (a.config[key] !== b.config[key]) throw invalidArgValue(`b.config.${key}`, `${a.config[key]} (a's)`, b.config[key]);
    }
    const pa = a.#predictions;
    const pb = b.#predictions;
    if (pa !== null && pb !== null && pa.numClasses !== pb.numClasses) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `b: expected predictions over ${pa.numClasses} classes (a's), got ${pb.numClasses}`);
    }
    const out = a.clone();
    out.#features.merge(b.#features);
    out.#in.merge(b.#in);
    out.#out.merge(b.#out);
    if (pb !== null) {
      if (out.#predictions === null) out.#predictions = pb.clone();
      else out.#predictions.merge(pb);
    }
    return out;
  }

  /** The JSON form (plain numbers and arrays; `JSON.stringify` it). */
  toJSON(): DriftProfileJSON {
    return {
      format: FORMAT,
      version: 1,
      config: { ...this.config },
      numFeatures: this.numFeatures,
      rows: this.#features.rows,
      features: this.#features.toJSON(),
      degrees: { in: this.#in.toJSON(), out: this.#out.toJSON() },
      predictions: this.#predictions?.toJSON() ?? null,
    };
  }

  /**
   * Restores a profile from `toJSON()`'s output (parsed or as a string). Every field is checked —
   * format and version, array lengths, counts against sketches, sketch invariants — and a bad one
   * throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE naming its path.
   */
  static fromJSON(json: unknown): DriftProfile {
    let value = json;
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch (error) {
        throw invalidArgValue('json', 'a JSON document', described(`unparsable text (${(error as Error).message})`));
      }
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgType('profile', 'a drift profile object', value);
    const j = value as Record<string, unknown>;
    if (j.format !== FORMAT) throw invalidArgValue('profile.format', JSON.stringify(FORMAT), j.format);
    if (j.version !== 1) throw invalidArgValue('profile.version', '1', j.version);
    const rawConfig = j.config;
    if (rawConfig === null || typeof rawConfig !== 'object' || Array.isArray(rawConfig)) throw invalidArgType('profile.config', 'an object', rawConfig);
    const config = checkConfig(checkOptions(rawConfig as DriftProfileOptions, 'profile.config', CONFIG_KEYS), 'profile.config.');
    const numFeatures = checkInteger('profile.numFeatures', j.numFeatures, 0, 2 ** 31 - 1);
    const rows = checkInteger('profile.rows', j.rows, 0, Number.MAX_SAFE_INTEGER);
    const features = FeatureColumns.fromJSON(j.features, 'profile.features', numFeatures, rows, config.sketchK);
    const degrees = j.degrees;
    if (degrees === null || typeof degrees !== 'object' || Array.isArray(degrees)) throw invalidArgType('profile.degrees', 'an object { in, out }', degrees);
    const d = degrees as Record<string, unknown>;
    const inDegrees = Summary.fromJSON(d.in, 'profile.degrees.in', config.sketchK);
    const outDegrees = Summary.fromJSON(d.out, 'profile.degrees.out', config.sketchK);
    const predictions = j.predictions === null ? null : PredictionHistogram.fromJSON(j.predictions, 'profile.predictions', config.confidenceBins);
    return new DriftProfile(numFeatures, config, { features, inDegrees, outDegrees, predictions });
  }

  /** The internal parts, read-only by convention. @internal */
  get parts(): ProfileParts {
    return { features: this.#features, inDegrees: this.#in, outDegrees: this.#out, predictions: this.#predictions };
  }

  toString(): string {
    return `DriftProfile(${this.numFeatures} features, ${this.rows} rows, ${this.#in.count} nodes${this.#predictions === null ? '' : `, ${this.#predictions.numClasses} classes`})`;
  }

  #checkFeature(f: number): number {
    return checkInteger('feature', f, 0, this.numFeatures - 1);
  }

  #degrees(direction: 'in' | 'out'): Summary {
    if (direction === 'in') return this.#in;
    if (direction === 'out') return this.#out;
    throw invalidArgValue('direction', "'in' or 'out'", direction);
  }
}
