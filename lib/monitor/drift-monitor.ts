/**
 * DriftMonitor: holds a reference profile (what the model was validated on) and scores new data
 * against it — one batch at a time with check(), or a window of streamed batches with observe()
 * then report(). The latest report stays available to metrics code (latestReport()).
 */
import type { Features } from '../csr-matrix';
import { described, invalidArgType, invalidArgValue } from '../errors';
import { Graph } from '../graph';
import type { Tensor } from '../tensor';
import { checkInteger, checkOptions } from '../validate';
import { ReferenceView, compareProfiles } from './compare';
import type { CompareSettings } from './compare';
import { PredictionHistogram } from './prediction-histogram';
import { DriftProfile, checkFeatures, checkModel, freezeProfile, runModel } from './profile';
import type { DriftBatch, DriftModel, DriftProfileOptions } from './profile';
import { resolveThresholds } from './report';
import type { DriftReport, DriftSignalName, DriftThreshold, DriftThresholdOptions } from './report';

/** How reports are scored. */
export interface DriftCompareOptions {
  /** PSI bins per feature, cut at the reference's quantiles: integer in [2, 1000]; default 10. */
  psiBins?: number;
  /** Entries in report.topFeatures: integer ≥ 0; default 10. */
  topFeatures?: number;
  /** Per-signal overrides of DEFAULT_THRESHOLDS. */
  thresholds?: DriftThresholdOptions;
}

/** fromReference's options: the reference profile's settings and the scoring settings. */
export interface DriftMonitorOptions extends DriftProfileOptions, DriftCompareOptions {}

/** observe(graph, x, options) options. */
export interface DriftObserveOptions {
  /** The model's output for (graph, x), when the caller has it: the monitor then does not run the model. */
  output?: Tensor<'float32'>;
}

const COMPARE_KEYS = ['psiBins', 'topFeatures', 'thresholds'] as const;
const PROFILE_KEYS = ['sketchK', 'seed', 'confidenceBins', 'nonFinite'] as const;

function checkCompare(opts: DriftCompareOptions): CompareSettings {
  return {
    psiBins: checkInteger('psiBins', opts.psiBins ?? 10, 2, 1000),
    topFeatures: checkInteger('topFeatures', opts.topFeatures ?? 10, 0, 2 ** 31 - 1),
    thresholds: resolveThresholds(opts.thresholds),
  };
}

export class DriftMonitor {
  /** The reference profile (read-only: observe() on it throws). */
  readonly reference: DriftProfile;
  /** The thresholds in force, per signal (defaults with the options' overrides). */
  readonly thresholds: Readonly<Record<DriftSignalName, DriftThreshold>>;
  readonly #model: DriftModel | null;
  readonly #ref: ReferenceView;
  readonly #settings: CompareSettings;
  #window: DriftProfile;
  #latest: DriftReport | undefined;

  private constructor(reference: DriftProfile, model: DriftModel | null, settings: CompareSettings) {
    this.reference = reference;
    freezeProfile(reference);
    this.#model = model;
    this.#settings = settings;
    this.thresholds = Object.freeze({ ...settings.thresholds });
    this.#ref = new ReferenceView(reference, settings.psiBins);
    this.#window = this.#emptyProfile();
  }

  /**
   * Profiles the reference data — features, degrees, and with a model its predictions
   * (model.forwardSync(graph, x)) — in one pass, and returns a monitor scoring against it.
   */
  static fromReference(graph: Graph, x: Features, model?: DriftModel | null, options?: DriftMonitorOptions): DriftMonitor {
    if (!(graph instanceof Graph)) throw invalidArgType('graph', 'a Graph', graph);
    const opts = checkOptions(options, 'DriftMonitor.fromReference', [...PROFILE_KEYS, ...COMPARE_KEYS]);
    const settings = checkCompare(opts);
    const profileOptions: DriftProfileOptions = {};
    for (const key of PROFILE_KEYS) if (opts[key] !== undefined) (profileOptions as Record<string, unknown>)[key] = opts[key];
    const m = checkModel(model);
    return new DriftMonitor(DriftProfile.fromData(graph, x, m, profileOptions), m, settings);
  }

  /**
   * A monitor scoring against an existing profile (built elsewhere, loaded with
   * DriftProfile.fromJSON). The profile is copied. A model needs a profile with predictions.
   */
  static fromProfile(reference: DriftProfile, model?: DriftModel | null, options?: DriftCompareOptions): DriftMonitor {
    if (!(reference instanceof DriftProfile)) throw invalidArgType('reference', 'a DriftProfile', reference);
    const m = checkModel(model);
    if (m !== null && reference.predictionStats() === null) {
      throw invalidArgValue('model', 'no model (the reference profile has no predictions to compare with)', described('a model'));
    }
    const opts = checkOptions(options, 'DriftMonitor.fromProfile', COMPARE_KEYS);
    return new DriftMonitor(reference.clone(), m, checkCompare(opts));
  }

  /** The batches observed since the last reset(), as a profile (live: merge or serialize it freely). */
  get window(): DriftProfile {
    return this.#window;
  }

  /** Scores one batch on its own against the reference (the window is untouched). */
  check(x: Features): DriftReport;
  check(graph: Graph, x: Features, options?: DriftObserveOptions): DriftReport;
  check(a: Graph | Features, b?: Features, options?: DriftObserveOptions): DriftReport {
    const profile = this.#emptyProfile();
    profile.observe(this.#batch(a, b, options, arguments.length));
    return this.#compare(profile);
  }

  /**
   * Adds a batch to the window: graph, features and (with a model or options.output) predictions,
   * or feature rows alone. A rejected batch leaves the window unchanged.
   */
  observe(x: Features): this;
  observe(graph: Graph, x: Features, options?: DriftObserveOptions): this;
  observe(a: Graph | Features, b?: Features, options?: DriftObserveOptions): this {
    this.#window.observe(this.#batch(a, b, options, arguments.length));
    return this;
  }

  /**
   * Scores the window against the reference. With an empty window the report has no signals and
   * overall { score: 0, severity: 'none' }: check report.counts.current to tell "no data" from "no
   * drift". The window is kept; reset() starts a new one.
   */
  report(): DriftReport {
    return this.#compare(this.#window);
  }

  /** Empties the window. */
  reset(): void {
    this.#window = this.#emptyProfile();
  }

  /** The last report from check() or report(), if any. */
  latestReport(): DriftReport | undefined {
    return this.#latest;
  }

  toString(): string {
    return `DriftMonitor(reference ${this.reference.toString()}, window ${this.#window.rows} rows)`;
  }

  #emptyProfile(): DriftProfile {
    const { sketchK, seed, confidenceBins, nonFinite } = this.reference.config;
    return DriftProfile.create(this.reference.numFeatures, { sketchK, seed, confidenceBins, nonFinite });
  }

  #compare(profile: DriftProfile): DriftReport {
    const report = compareProfiles(this.#ref, profile, this.#settings);
    this.#latest = report;
    return report;
  }

  /** Checks the (x) or (graph, x, options) arguments and runs the model: the batch to observe. */
  #batch(a: Graph | Features, b: Features | undefined, options: DriftObserveOptions | undefined, argc: number): DriftBatch {
    const F = this.reference.numFeatures;
    if (!(a instanceof Graph)) {
      if (argc > 1) throw invalidArgType('graph', 'a Graph (or call with x alone)', a);
      return { x: checkFeatures(a, F, undefined, 'x') };
    }
    const opts = checkOptions(options, 'observe', ['output']);
    const x = checkFeatures(b, F, a, 'x');
    const classes = this.reference.predictionStats()?.numClasses ?? null;
    let output: Tensor<'float32'> | undefined;
    if (opts.output !== undefined) {
      output = PredictionHistogram.checkOutput(opts.output, classes, 'options.output');
    } else if (this.#model !== null) {
      output = runModel(this.#model, a, x, classes);
    }
    return output === undefined ? { graph: a, x } : { graph: a, x, output };
  }
}
