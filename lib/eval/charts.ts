/**
 * The evaluation charts as SVG documents: line charts (robustness curves), grouped bar charts
 * (accuracy by slice) and the reliability diagram. Every series is one
 * `<g class="series" data-series="name">` whose marks carry their values as data-x / data-y (and
 * data-count where there is one), so a chart can be read back by a program as well as by eye.
 * @internal
 */
import { el, svgDocument } from './svg';
import type { SvgElement } from './svg';
import type { ReliabilityBin } from './calibration';

const WIDTH = 640;
const HEIGHT = 400;
const LEFT = 64;
const RIGHT = 180;
const TOP = 44;
const BOTTOM = 56;
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/** The plot area and its value → pixel maps. */
interface Frame {
  x0: number;
  y0: number;
  w: number;
  h: number;
  sx(v: number): number;
  sy(v: number): number;
}

function frame(xDomain: readonly [number, number], yDomain: readonly [number, number]): Frame {
  const w = WIDTH - LEFT - RIGHT;
  const h = HEIGHT - TOP - BOTTOM;
  const [xa, xb] = xDomain[1] > xDomain[0] ? xDomain : [xDomain[0] - 0.5, xDomain[0] + 0.5];
  const [ya, yb] = yDomain[1] > yDomain[0] ? yDomain : [yDomain[0] - 0.5, yDomain[0] + 0.5];
  return { x0: LEFT, y0: TOP, w, h, sx: (v) => LEFT + ((v - xa) / (xb - xa)) * w, sy: (v) => TOP + h - ((v - ya) / (yb - ya)) * h };
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

function tickText(v: number): string {
  return Math.abs(v) >= 1000 || v === Math.round(v) ? String(Math.round(v)) : String(Math.round(v * 1000) / 1000);
}

function axes(f: Frame, xTicks: Array<{ at: number; text: string }>, yTicks: number[], xLabel: string, yLabel: string): SvgElement {
  const bottom = f.y0 + f.h;
  return el(
    'g',
    { class: 'axes', stroke: '#333', 'stroke-width': 1 },
    el('line', { x1: f.x0, y1: bottom, x2: f.x0 + f.w, y2: bottom }),
    el('line', { x1: f.x0, y1: f.y0, x2: f.x0, y2: bottom }),
    ...yTicks.map((v) => el('line', { class: 'grid', x1: f.x0, y1: f.sy(v), x2: f.x0 + f.w, y2: f.sy(v), stroke: '#ddd' })),
    el(
      'g',
      { stroke: 'none', fill: '#333' },
      ...xTicks.map((t) => el('text', { x: t.at, y: bottom + 16, 'text-anchor': 'middle' }, t.text)),
      ...yTicks.map((v) => el('text', { x: f.x0 - 6, y: f.sy(v) + 4, 'text-anchor': 'end' }, tickText(v))),
      el('text', { x: f.x0 + f.w / 2, y: HEIGHT - 14, 'text-anchor': 'middle' }, xLabel),
      el('text', { x: 16, y: f.y0 + f.h / 2, 'text-anchor': 'middle', transform: `rotate(-90 16 ${f.y0 + f.h / 2})` }, yLabel),
    ),
  );
}

function legend(entries: Array<{ name: string; color: string; dashed?: boolean }>): SvgElement {
  const x = WIDTH - RIGHT + 16;
  return el(
    'g',
    { class: 'legend' },
    ...entries.map((e, i) =>
      el(
        'g',
        { 'data-series': e.name },
        el('line', { x1: x, y1: TOP + 8 + i * 20, x2: x + 22, y2: TOP + 8 + i * 20, stroke: e.color, 'stroke-width': 3, 'stroke-dasharray': e.dashed === true ? '5 4' : undefined }),
        el('text', { x: x + 28, y: TOP + 12 + i * 20 }, e.name),
      ),
    ),
  );
}

function heading(title: string): SvgElement {
  return el('text', { class: 'title', x: WIDTH / 2, y: 24, 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 'bold' }, title);
}

/** [min, max] of finite values, widened to include `include`. */
function extent(values: number[], include: number[] = []): [number, number] {
  const v = [...values, ...include].filter(Number.isFinite);
  return v.length === 0 ? [0, 1] : [Math.min(...v), Math.max(...v)];
}

export interface LineSeries {
  name: string;
  /** [x, y] points; a NaN y is left out. */
  points: ReadonlyArray<readonly [number, number]>;
  dashed?: boolean;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Fixed y range (default: the data's, with 0). */
  yDomain?: readonly [number, number];
}

/** One polyline with point markers per series. */
export function lineChart(spec: LineChartSpec): string {
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]));
  const xDomain = extent(xs);
  const yDomain = spec.yDomain ?? extent(ys, [0]);
  const f = frame(xDomain, yDomain);
  const xTicks = niceTicks(xDomain[0], xDomain[1]).map((v) => ({ at: f.sx(v), text: tickText(v) }));
  const groups = spec.series.map((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    return el(
      'g',
      { class: 'series', 'data-series': s.name, stroke: color, fill: color },
      el('polyline', { fill: 'none', 'stroke-width': 2, 'stroke-dasharray': s.dashed === true ? '5 4' : undefined, points: pts.map((p) => `${f.sx(p[0]).toFixed(2)},${f.sy(p[1]).toFixed(2)}`).join(' ') }),
      ...pts.map((p) => el('circle', { cx: f.sx(p[0]), cy: f.sy(p[1]), r: 3, 'data-x': p[0], 'data-y': p[1] })),
    );
  });
  return svgDocument(WIDTH, HEIGHT, spec.title, [
    heading(spec.title),
    axes(f, xTicks, niceTicks(yDomain[0], yDomain[1]), spec.xLabel, spec.yLabel),
    ...groups,
    legend(spec.series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length], dashed: s.dashed }))),
  ]);
}

export interface BarChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  categories: string[];
  /** One value per category in each series (NaN: no bar). */
  series: Array<{ name: string; values: readonly number[]; counts?: readonly number[] }>;
  yDomain?: readonly [number, number];
  /** A horizontal reference line (e.g. the accuracy over all rows). */
  reference?: { name: string; value: number };
}

/** Grouped bars: one group per category, one bar per series; counts written above the bars. */
export function barChart(spec: BarChartSpec): string {
  const k = spec.categories.length;
  const ys = spec.series.flatMap((s) => [...s.values]);
  const yDomain = spec.yDomain ?? extent(ys, [0, ...(spec.reference === undefined ? [] : [spec.reference.value])]);
  const f = frame([0, Math.max(k, 1)], yDomain);
  const slot = f.w / Math.max(k, 1);
  const barW = (slot * 0.8) / Math.max(spec.series.length, 1);
  const base = f.sy(Math.max(yDomain[0], Math.min(0, yDomain[1])));
  const groups = spec.series.map((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const bars: SvgElement[] = [];
    spec.categories.forEach((cat, c) => {
      const v = s.values[c];
      if (!Number.isFinite(v)) return;
      const x = f.x0 + c * slot + slot * 0.1 + i * barW;
      const y = f.sy(v);
      bars.push(el('rect', { x, y: Math.min(y, base), width: barW, height: Math.abs(base - y), 'data-x': cat, 'data-y': v, 'data-count': s.counts?.[c] }));
      if (s.counts !== undefined) bars.push(el('text', { x: x + barW / 2, y: Math.min(y, base) - 3, 'text-anchor': 'middle', 'font-size': 9, stroke: 'none', fill: '#333' }, String(s.counts[c])));
    });
    return el('g', { class: 'series', 'data-series': s.name, fill: color }, ...bars);
  });
  const ref = spec.reference;
  const entries: Array<{ name: string; color: string; dashed?: boolean }> = spec.series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length] }));
  const children = [
    heading(spec.title),
    axes(f, spec.categories.map((cat, c) => ({ at: f.x0 + (c + 0.5) * slot, text: cat })), niceTicks(yDomain[0], yDomain[1]), spec.xLabel, spec.yLabel),
    ...groups,
  ];
  if (ref !== undefined && Number.isFinite(ref.value)) {
    children.push(el('g', { class: 'series', 'data-series': ref.name, stroke: '#333' }, el('line', { x1: f.x0, y1: f.sy(ref.value), x2: f.x0 + f.w, y2: f.sy(ref.value), 'stroke-width': 1.5, 'stroke-dasharray': '5 4', 'data-y': ref.value })));
    entries.push({ name: ref.name, color: '#333', dashed: true });
  }
  children.push(legend(entries));
  return svgDocument(WIDTH, HEIGHT, spec.title, children);
}

/**
 * The reliability diagram: per non-empty bin a bar of its accuracy over its confidence range, the
 * gap to its mean confidence shaded, and the diagonal of perfect calibration.
 */
export function reliabilityDiagram(bins: readonly ReliabilityBin[], title: string): string {
  const f = frame([0, 1], [0, 1]);
  const ticks = niceTicks(0, 1);
  const full = bins.filter((b) => b.count > 0);
  const span = (b: ReliabilityBin): [number, number] => {
    // Equal-mass bins may be a single confidence wide: draw them at least 1% wide.
    const mid = (b.lower + b.upper) / 2;
    const half = Math.max((b.upper - b.lower) / 2, 0.005);
    return [Math.max(0, mid - half), Math.min(1, mid + half)];
  };
  const bars = full.map((b) => {
    const [a, z] = span(b);
    return el('rect', { x: f.sx(a), y: f.sy(b.accuracy), width: f.sx(z) - f.sx(a), height: f.sy(0) - f.sy(b.accuracy), 'data-x': b.confidence, 'data-y': b.accuracy, 'data-count': b.count });
  });
  const gaps = full.map((b) => {
    const [a, z] = span(b);
    const top = Math.max(b.accuracy, b.confidence);
    return el('rect', { x: f.sx(a), y: f.sy(top), width: f.sx(z) - f.sx(a), height: f.sy(Math.min(b.accuracy, b.confidence)) - f.sy(top), 'data-x': b.confidence, 'data-y': b.confidence - b.accuracy });
  });
  return svgDocument(WIDTH, HEIGHT, title, [
    heading(title),
    axes(f, ticks.map((v) => ({ at: f.sx(v), text: tickText(v) })), ticks, 'confidence (probability of the predicted class)', 'accuracy'),
    el('g', { class: 'series', 'data-series': 'accuracy', fill: PALETTE[0], stroke: 'white' }, ...bars),
    el('g', { class: 'series', 'data-series': 'gap to confidence', fill: PALETTE[1], 'fill-opacity': 0.35, stroke: 'none' }, ...gaps),
    el('g', { class: 'series', 'data-series': 'perfect calibration', stroke: '#333' }, el('line', { x1: f.sx(0), y1: f.sy(0), x2: f.sx(1), y2: f.sy(1), 'stroke-dasharray': '5 4', 'stroke-width': 1.5 })),
    legend([
      { name: 'accuracy', color: PALETTE[0] },
      { name: 'gap to confidence', color: PALETTE[1] },
      { name: 'perfect calibration', color: '#333', dashed: true },
    ]),
  ]);
}
