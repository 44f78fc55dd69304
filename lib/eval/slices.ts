/**
 * evaluateSlices(model, graph, x, labels, { slices, mask }): where a model fails. Each slicing
 * (slicing.ts: in-degree buckets, label, a per-row attribute or predicate, hop distance to the
 * training set) splits the evaluated rows; each slice reports its count, accuracy, ECE and the gap
 * of its accuracy to the accuracy over all evaluated rows. GNN accuracy typically differs sharply
 * between low- and high-degree nodes, which the 'degree' slicing (the default, with 'label') shows.
 */
import type { Features } from '../csr-matrix';
import { invalidArgType, invalidArgValue } from '../errors';
import type { Graph } from '../graph';
import { checkOptions } from '../validate';
import type { Module } from '../nn/module';
import type { ForwardContext } from '../nn/module';
import { binOptions, calibrationOf } from './calibration';
import type { Binning } from './calibration';
import { barChart } from './charts';
import { runModel } from './evaluate';
import { scoreRows, subset } from './inputs';
import type { LabelInput, MaskInput, ScoreKind, Scored } from './inputs';
import { assignSlices } from './slicing';
import type { Slicing, SlicingKind } from './slicing';
import { fixed, formatTable, percent, points } from './table';

export interface EvaluateSlicesOptions {
  /** Slicings to report (default ['degree', 'label']). */
  slices?: Slicing[];
  /** Rows to evaluate (e.g. the test mask); default all. */
  mask?: MaskInput;
  scores?: ScoreKind;
  /** ECE bins of each slice (default 15) and their kind (default 'width'). */
  bins?: number;
  binning?: Binning;
  context?: Omit<ForwardContext, 'out'>;
}

export interface SliceResult {
  name: string;
  /** Evaluated rows in the slice. */
  count: number;
  correct: number;
  /** NaN when the slice has no evaluated rows. */
  accuracy: number;
  ece: number;
  /** accuracy − the accuracy over all evaluated rows. */
  gap: number;
}

export interface SlicingResult {
  by: SlicingKind;
  name: string;
  slices: SliceResult[];
}

export interface SliceSummary {
  count: number;
  accuracy: number;
  ece: number;
}

/** Per-slice accuracy and calibration of one model on one input. */
export class SliceReport {
  constructor(
    readonly overall: SliceSummary,
    readonly slicings: SlicingResult[],
  ) {}

  /** A slicing by its name or kind (the first one, by default). */
  slicing(which?: string): SlicingResult {
    const found = which === undefined ? this.slicings[0] : this.slicings.find((s) => s.name === which) ?? this.slicings.find((s) => s.by === which);
    if (found === undefined) throw invalidArgValue('which', `a slicing of the report (${this.slicings.map((s) => s.name).join(', ')})`, which);
    return found;
  }

  /** The slice of lowest accuracy among those with at least `minCount` rows (null if none). */
  worst(which?: string, options?: { minCount?: number }): SliceResult | null {
    const opts = checkOptions(options, 'worst', ['minCount']);
    const min = opts.minCount ?? 1;
    let worst: SliceResult | null = null;
    for (const s of this.slicing(which).slices) if (s.count >= min && s.count > 0 && (worst === null || s.accuracy < worst.accuracy)) worst = s;
    return worst;
  }

  toJSON(): { overall: SliceSummary; slicings: SlicingResult[] } {
    return { overall: this.overall, slicings: this.slicings };
  }

  /** One block per slicing: slice, count, accuracy, gap (points), ECE. */
  toTable(): string {
    const head = `all evaluated rows: ${this.overall.count}, accuracy ${percent(this.overall.accuracy)}, ECE ${fixed(this.overall.ece, 4)}`;
    const blocks = this.slicings.map((g) =>
      formatTable([g.name, 'count', 'accuracy', 'gap (pts)', 'ECE'], g.slices.map((s) => [s.name, String(s.count), percent(s.accuracy), points(s.gap), fixed(s.ece, 4)])),
    );
    return [head, ...blocks].join('\n\n');
  }

  /** Accuracy per slice of one slicing as a bar chart (counts above the bars, overall accuracy dashed). */
  toSVG(which?: string, title?: string): string {
    const g = this.slicing(which);
    return barChart({
      title: title ?? `Accuracy by ${g.name}`,
      xLabel: g.name,
      yLabel: 'accuracy',
      categories: g.slices.map((s) => s.name),
      series: [{ name: 'accuracy', values: g.slices.map((s) => s.accuracy), counts: g.slices.map((s) => s.count) }],
      yDomain: [0, 1],
      reference: { name: 'all rows', value: this.overall.accuracy },
    });
  }
}

function summary(s: Scored, bins: number, binning: Binning): SliceSummary & { correct: number } {
  const cal = calibrationOf(s, bins, binning);
  let correct = 0;
  for (let i = 0; i < s.rows.length; i++) if (s.pred[i] === s.label[i]) correct++;
  return { count: s.rows.length, correct, accuracy: cal.accuracy, ece: cal.ece };
}

/** Runs the model on (graph, x) and reports accuracy and ECE per slice of the evaluated rows. */
export function evaluateSlices(model: Module, graph: Graph, x: Features, labels: LabelInput, options?: EvaluateSlicesOptions): SliceReport {
  const opts = checkOptions(options, 'evaluateSlices', ['slices', 'mask', 'scores', 'bins', 'binning', 'context']);
  const slicings = opts.slices ?? ['degree', 'label'];
  if (!Array.isArray(slicings)) throw invalidArgType('slices', 'an array of slicings', slicings);
  const { bins, binning } = binOptions(opts);
  const out = runModel(model, graph, x, opts.context);
  const scored = scoreRows(out, labels, opts, { scores: 'model output', labels: 'labels', mask: 'mask' });
  const all = summary(scored, bins, binning);
  const results = slicings.map((spec: Slicing) => {
    const a = assignSlices(spec, graph, labels, scored.totalRows, scored.classes);
    // Positions (into the evaluated rows) of each slice.
    const members: number[][] = a.slices.map(() => []);
    for (let i = 0; i < scored.rows.length; i++) members[a.of[scored.rows[i]]].push(i);
    const slices = a.slices.map((name, k) => {
      const s = summary(subset(scored, Int32Array.from(members[k])), bins, binning);
      return { name, count: s.count, correct: s.correct, accuracy: s.accuracy, ece: s.ece, gap: s.accuracy - all.accuracy };
    });
    return { by: a.by, name: a.name, slices };
  });
  return new SliceReport({ count: all.count, accuracy: all.accuracy, ece: all.ece }, results);
}
