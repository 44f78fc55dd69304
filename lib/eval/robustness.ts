/**
 * robustnessSweep(model, graph, x, labels, { perturbations, mask, seed }): accuracy and prediction
 * flip rate (share of evaluated rows whose argmax differs from the clean run's) as a function of
 * perturbation strength, for the perturbations of perturb.ts. Every step is one model.forwardSync on
 * the perturbed input — the model is never copied; a step builds only the perturbed graph or
 * features (one dense feature buffer is reused across the steps of a feature sweep). Strength 0
 * rebuilds the unperturbed input and so reproduces the clean result. Deterministic for a seed; with
 * `repeats` > 1 the random perturbations are drawn with seeds seed, seed + 1, … and averaged.
 */
import type { Features } from '../csr-matrix';
import { GnnError, invalidArgType, invalidArgValue } from '../errors';
import type { Graph } from '../graph';
import { argmaxRows } from '../predictions';
import { Tensor } from '../tensor';
import { checkInteger, checkOptions } from '../validate';
import type { Module } from '../nn/module';
import type { ForwardContext } from '../nn/module';
import { lineChart } from './charts';
import type { LineSeries } from './charts';
import { runModel } from './evaluate';
import { maskRows, scoreRows } from './inputs';
import type { LabelInput, MaskInput, ScoreKind } from './inputs';
import {
  DEFAULT_STRENGTHS,
  PERTURBATIONS,
  STRENGTH_UNITS,
  addNoise,
  checkStrength,
  edgeList,
  edgeRows,
  featureStd,
  insertionPairs,
  maskFeatures,
  neighbourRemovalMask,
  rankedNeighbours,
  rebuild,
  removalMask,
} from './perturb';
import type { EdgeList, PerturbationKind } from './perturb';
import { formatTable, percent } from './table';

export type { PerturbationKind } from './perturb';

/** A perturbation by name (default strengths) or with its strengths. */
export type PerturbationSpec = PerturbationKind | { kind: PerturbationKind; strengths?: readonly number[] };

export interface RobustnessOptions {
  /** Default: all five, each with its default strengths. */
  perturbations?: PerturbationSpec[];
  /** Rows scored (e.g. the test mask); default all. */
  mask?: MaskInput;
  /** Seed of the random perturbations (default 0). */
  seed?: number;
  /** Draws per strength of the random perturbations, averaged (default 1). */
  repeats?: number;
  scores?: ScoreKind;
  context?: Omit<ForwardContext, 'out'>;
}

export interface RobustnessPoint {
  strength: number;
  /** Mean over the draws; NaN without labels. */
  accuracy: number;
  flipRate: number;
  /** Population standard deviations over the draws (0 for one draw). */
  accuracyStd: number;
  flipRateStd: number;
  /** Edges of the perturbed graph (mean over the draws). */
  edges: number;
}

export interface RobustnessCurve {
  kind: PerturbationKind;
  /** What the strength measures. */
  unit: string;
  points: RobustnessPoint[];
}

/** Accuracy and flip rate against perturbation strength. */
export class RobustnessReport {
  constructor(
    readonly clean: { count: number; accuracy: number },
    readonly curves: RobustnessCurve[],
    readonly seed: number,
    readonly repeats: number,
  ) {}

  /** The curve of one perturbation. */
  curve(kind: PerturbationKind): RobustnessCurve {
    const c = this.curves.find((k) => k.kind === kind);
    if (c === undefined) throw invalidArgValue('kind', `a perturbation of the report (${this.curves.map((k) => k.kind).join(', ')})`, kind);
    return c;
  }

  toJSON(): { clean: { count: number; accuracy: number }; seed: number; repeats: number; curves: RobustnessCurve[] } {
    return { clean: this.clean, seed: this.seed, repeats: this.repeats, curves: this.curves };
  }

  /** One block per perturbation: strength, accuracy (± std), flip rate, edges. */
  toTable(): string {
    const head = `clean: ${this.clean.count} rows, accuracy ${percent(this.clean.accuracy)}; seed ${this.seed}, ${this.repeats} draw(s) per strength`;
    const blocks = this.curves.map((c) =>
      formatTable(
        [`${c.kind} (${c.unit})`, 'accuracy', '± std', 'flip rate', 'edges'],
        c.points.map((p) => [String(p.strength), percent(p.accuracy), percent(p.accuracyStd), percent(p.flipRate), String(Math.round(p.edges))]),
      ),
    );
    return [head, ...blocks].join('\n\n');
  }

  /** The curves of one perturbation (accuracy and flip rate) as an SVG line chart. */
  toSVG(kind: PerturbationKind, title?: string): string {
    const c = this.curve(kind);
    const series: LineSeries[] = [];
    if (Number.isFinite(this.clean.accuracy)) series.push({ name: 'accuracy', points: c.points.map((p) => [p.strength, p.accuracy] as const) });
    series.push({ name: 'flip rate', points: c.points.map((p) => [p.strength, p.flipRate] as const), dashed: true });
    return lineChart({ title: title ?? `Robustness: ${kind}`, xLabel: c.unit, yLabel: 'share of evaluated rows', series, yDomain: [0, 1] });
  }
}

/** The accuracy curves of several models (e.g. fp32 and int8) under one perturbation, as SVG. */
export function robustnessChart(reports: ReadonlyArray<{ name: string; report: RobustnessReport }>, kind: PerturbationKind, title?: string): string {
  if (!Array.isArray(reports) || reports.some((r) => r === null || typeof r !== 'object' || !(r.report instanceof RobustnessReport) || typeof r.name !== 'string')) {
    throw invalidArgType('reports', 'an array of { name, report: RobustnessReport }', reports);
  }
  return lineChart({
    title: title ?? `Accuracy under ${kind}`,
    xLabel: STRENGTH_UNITS[kind],
    yLabel: 'accuracy',
    series: reports.map((r) => ({ name: r.name, points: r.report.curve(kind).points.map((p: RobustnessPoint) => [p.strength, p.accuracy] as const) })),
    yDomain: [0, 1],
  });
}

/** Predicted class per row: argmax (first on ties), or logit > 0 / p > 0.5 for one column. */
function predictions(out: Tensor<'float32'>, kind: ScoreKind): Int32Array {
  const width = out.rank === 2 ? out.shape[1] : 1;
  if (width > 1) return argmaxRows(out);
  const cut = kind === 'logits' ? 0 : 0.5;
  return Int32Array.from(out.data, (v) => (v > cut ? 1 : 0));
}

function specs(value: unknown): Array<{ kind: PerturbationKind; strengths: number[] }> {
  if (value === undefined) return PERTURBATIONS.map((kind) => ({ kind, strengths: DEFAULT_STRENGTHS[kind] }));
  if (!Array.isArray(value)) throw invalidArgType('perturbations', 'an array of perturbation names or { kind, strengths }', value);
  return value.map((v: unknown, i: number) => {
    const spec = typeof v === 'string' ? { kind: v } : v;
    if (spec === null || typeof spec !== 'object') throw invalidArgType(`perturbations[${i}]`, 'a perturbation name or { kind, strengths }', v);
    const s = checkOptions(spec as Record<string, unknown>, `perturbations[${i}]`, ['kind', 'strengths']) as Record<string, unknown>;
    if (!PERTURBATIONS.includes(s.kind as PerturbationKind)) throw invalidArgValue(`perturbations[${i}].kind`, PERTURBATIONS.map((k) => `'${k}'`).join(', '), s.kind);
    const kind = s.kind as PerturbationKind;
    if (s.strengths === undefined) return { kind, strengths: DEFAULT_STRENGTHS[kind] };
    if (!Array.isArray(s.strengths) || s.strengths.length === 0) throw invalidArgType(`perturbations[${i}].strengths`, 'a non-empty array of numbers', s.strengths);
    return { kind, strengths: s.strengths.map((x: unknown, j: number) => checkStrength(kind, x, `perturbations[${i}].strengths[${j}]`)) };
  });
}

/** Runs each perturbation at each strength and scores accuracy and flip rate over the masked rows. */
export function robustnessSweep(model: Module, graph: Graph, x: Features, labels: LabelInput | null, options?: RobustnessOptions): RobustnessReport {
  const opts = checkOptions(options, 'robustnessSweep', ['perturbations', 'mask', 'seed', 'repeats', 'scores', 'context']);
  const plan = specs(opts.perturbations);
  const seed = opts.seed === undefined ? 0 : checkInteger('seed', opts.seed, 0, 2 ** 32 - 1);
  const repeats = opts.repeats === undefined ? 1 : checkInteger('repeats', opts.repeats, 1, 1e6);
  const kind = opts.scores ?? 'logits';
  const context = opts.context ?? {};
  const clean = runModel(model, graph, x, context);
  if (clean.rank < 1 || clean.rank > 2) throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `model output: expected [N, C] scores, got shape [${clean.shape.join(', ')}]`);
  const rowsOut = clean.shape[0];
  // Checks labels, mask and the clean output once; perturbed outputs are only argmaxed.
  const scored = labels === null ? null : scoreRows(clean, labels, { mask: opts.mask, scores: kind }, { scores: 'model output', labels: 'labels', mask: 'mask' });
  const rows = scored !== null ? scored.rows : maskRows('mask', opts.mask, rowsOut);
  const truth = scored?.label ?? null;
  const cleanPred = predictions(clean, kind);
  const score = (out: Tensor<'float32'>): { accuracy: number; flipRate: number } => {
    const pred = predictions(out, kind);
    let correct = 0;
    let flips = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (truth !== null && pred[r] === truth[i]) correct++;
      if (pred[r] !== cleanPred[r]) flips++;
    }
    const n = rows.length;
    return { accuracy: truth === null || n === 0 ? NaN : correct / n, flipRate: n === 0 ? NaN : flips / n };
  };
  const cleanScore = score(clean);

  const needsEdges = plan.some((p) => p.kind.startsWith('edge') || p.kind === 'neighbour-removal');
  const list: EdgeList | null = needsEdges ? edgeList(graph) : null;
  const withEdges = (g: Graph, kept: Int32Array | null): Omit<ForwardContext, 'out'> => {
    if (context.edgeAttr === undefined) return context;
    if (kept === null) throw invalidArgValue('context.edgeAttr', "no edge attributes with 'edge-insertion' (new edges have none)", context.edgeAttr);
    return { ...context, edgeAttr: edgeRows(context.edgeAttr, kept) };
  };
  let buffer: Tensor<'float32'> | null = null;
  const dense = (): Tensor<'float32'> => (buffer ??= Tensor.zeros(x.shape));
  const std = plan.some((p) => p.kind === 'feature-noise') ? featureStd(x) : 0;
  let ranked: { targets: Int32Array; order: Int32Array[] } | null = null;

  const curves: RobustnessCurve[] = plan.map(({ kind: p, strengths }) => {
    const random = p !== 'neighbour-removal';
    const points = strengths.map((strength) => {
      const draws: Array<{ accuracy: number; flipRate: number; edges: number }> = [];
      for (let r = 0; r < (random ? repeats : 1); r++) {
        const s = (seed + r) >>> 0;
        let g = graph;
        let xs: Features = x;
        let ctx = context;
        if (p === 'feature-noise') xs = addNoise(x, strength * std, s, dense());
        else if (p === 'feature-mask') xs = maskFeatures(x, strength, s, x instanceof Tensor ? dense() : null);
        else if (p === 'edge-removal') {
          const b = rebuild(list!, removalMask(list!, strength, s));
          g = b.graph;
          ctx = withEdges(g, b.kept);
        } else if (p === 'edge-insertion') {
          const per = list!.symmetric ? 2 : 1;
          const pairs = Math.round((strength * list!.src.length) / per);
          const b = rebuild(list!, new Uint8Array(list!.src.length).fill(1), insertionPairs(list!, pairs, s));
          g = b.graph;
          ctx = withEdges(g, pairs === 0 ? b.kept : null);
        } else {
          if (ranked === null) {
            const targets = rowsOut === graph.numNodes ? rows : Int32Array.from({ length: graph.numNodes }, (_, v) => v);
            ranked = { targets, order: rankedNeighbours(list!, targets) };
          }
          const b = rebuild(list!, neighbourRemovalMask(list!, ranked.targets, ranked.order, strength));
          g = b.graph;
          ctx = withEdges(g, b.kept);
        }
        const out = runModel(model, g, xs, ctx);
        draws.push({ ...score(out), edges: g.numEdges });
      }
      const mean = (f: (d: (typeof draws)[number]) => number): number => draws.reduce((a, d) => a + f(d), 0) / draws.length;
      const sd = (f: (d: (typeof draws)[number]) => number): number => {
        const m = mean(f);
        return Math.sqrt(draws.reduce((a, d) => a + (f(d) - m) ** 2, 0) / draws.length);
      };
      return {
        strength,
        accuracy: mean((d) => d.accuracy),
        flipRate: mean((d) => d.flipRate),
        accuracyStd: truth === null ? NaN : sd((d) => d.accuracy),
        flipRateStd: sd((d) => d.flipRate),
        edges: mean((d) => d.edges),
      };
    });
    return { kind: p, unit: STRENGTH_UNITS[p], points };
  });
  return new RobustnessReport({ count: rows.length, accuracy: cleanScore.accuracy }, curves, seed, repeats);
}
