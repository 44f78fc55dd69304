/**
 * predictor.metrics(): Prometheus text exposition format 0.0.4, read back by a strict parser
 * written here from the format's description (HELP then TYPE before each family's samples, escapes
 * in help and label values, float syntax, unique series, cumulative histogram buckets ending in
 * +Inf = _count). The parser is itself checked on malformed texts. Then the values: requests,
 * errors by code, queue depth and in-flight while requests wait, the latency histogram, the
 * model version gauge across a swap, and a drift monitor's scores as gauges.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { PROMETHEUS_CONTENT_TYPE, Predictor } from '../lib/index';
import type { DriftReportLike } from '../lib/index';
import { smallData, smallGcn } from './helpers/serve';

interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function unescape(s: string, allowQuote: boolean, where: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      out += s[i];
      continue;
    }
    const next = s[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === '"' && allowQuote) out += '"';
    else throw new Error(`${where}: invalid escape \\${next ?? ''}`);
  }
  return out;
}

function parseValue(v: string, where: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  if (!FLOAT.test(v)) throw new Error(`${where}: invalid value ${JSON.stringify(v)}`);
  return Number(v);
}

/** name{a="x",b="y"} value — labels scanned character by character. */
function parseSample(line: string, where: string): ParsedSample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (m === null) throw new Error(`${where}: no metric name`);
  const name = m[1];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(i));
      if (l === null) throw new Error(`${where}: bad label at ${JSON.stringify(line.slice(i))}`);
      i += l[0].length;
      let raw = '';
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\') raw += line[i++];
        raw += line[i++];
      }
      if (line[i] !== '"') throw new Error(`${where}: unterminated label value`);
      i++;
      if (l[1] in labels) throw new Error(`${where}: label ${l[1]} twice`);
      if (!LABEL.test(l[1])) throw new Error(`${where}: bad label name`);
      labels[l[1]] = unescape(raw, true, where);
      if (line[i] === ',') {
        i++;
        continue;
      }
      if (line[i] === '}') {
        i++;
        break;
      }
      throw new Error(`${where}: expected , or } after a label, got ${JSON.stringify(line[i])}`);
    }
  }
  if (line[i] !== ' ') throw new Error(`${where}: expected one space before the value`);
  const rest = line.slice(i + 1).split(' ');
  if (rest.length > 2 || rest[0] === '') throw new Error(`${where}: expected a value and an optional timestamp`);
  if (rest.length === 2 && !/^-?\d+$/.test(rest[1])) throw new Error(`${where}: bad timestamp`);
  return { name, labels, value: parseValue(rest[0], where) };
}

function parseExposition(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new Error('the text must end with a newline');
  const families = new Map<string, ParsedFamily>();
  const series = new Set<string>();
  let current: ParsedFamily | null = null;
  let pendingHelp: { name: string; help: string } | null = null;
  text.slice(0, -1).split('\n').forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line === '') throw new Error(`${where}: empty line`);
    if (line.startsWith('#')) {
      const h = /^# HELP (\S+) (.*)$/.exec(line);
      const t = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (h !== null) {
        if (!NAME.test(h[1])) throw new Error(`${where}: bad name`);
        if (families.has(h[1]) || pendingHelp !== null) throw new Error(`${where}: HELP out of place`);
        pendingHelp = { name: h[1], help: unescape(h[2], false, where) };
      } else if (t !== null) {
        if (pendingHelp === null || pendingHelp.name !== t[1]) throw new Error(`${where}: TYPE without its HELP`);
        current = { name: t[1], type: t[2], help: pendingHelp.help, samples: [] };
        families.set(t[1], current);
        pendingHelp = null;
      } else throw new Error(`${where}: unexpected comment ${JSON.stringify(line)}`);
      return;
    }
    if (current === null || pendingHelp !== null) throw new Error(`${where}: sample outside a family`);
    const s = parseSample(line, where);
    const fam: ParsedFamily = current;
    const allowed = fam.type === 'histogram' ? [`${fam.name}_bucket`, `${fam.name}_sum`, `${fam.name}_count`] : [fam.name];
    if (!allowed.includes(s.name)) throw new Error(`${where}: sample ${s.name} in family ${fam.name}`);
    const key = `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
    if (series.has(key)) throw new Error(`${where}: duplicate series ${key}`);
    series.add(key);
    if (fam.type === 'counter' && !(s.value >= 0)) throw new Error(`${where}: counter below 0 or NaN`);
    fam.samples.push(s);
  });
  if (pendingHelp !== null) throw new Error('HELP without TYPE at the end');
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: ParsedFamily): void {
  const groups = new Map<string, ParsedSample[]>();
  for (const s of f.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const samples of groups.values()) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    const count = samples.find((s) => s.name.endsWith('_count'));
    const sum = samples.find((s) => s.name.endsWith('_sum'));
    if (count === undefined || sum === undefined || buckets.length === 0) throw new Error(`${f.name}: missing _bucket, _sum or _count`);
    let le = -Infinity;
    let c = 0;
    for (const b of buckets) {
      if (b.labels.le === undefined) throw new Error(`${f.name}: bucket without le`);
      const bound = parseValue(b.labels.le, f.name);
      if (!(bound > le)) throw new Error(`${f.name}: le not increasing`);
      if (b.value < c) throw new Error(`${f.name}: buckets not cumulative`);
      le = bound;
      c = b.value;
    }
    if (le !== Infinity) throw new Error(`${f.name}: no +Inf bucket`);
    if (c !== count.value) throw new Error(`${f.name}: +Inf bucket ${c} != _count ${count.value}`);
  }
}

const value = (families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}, sample = name): number | undefined =>
  families.get(name)?.samples.find((s) => s.name === sample && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()))?.value;

const { graph, x } = smallData(100, 4);
const open: Predictor[] = [];
function make(options: ConstructorParameters<typeof Predictor>[0]): Predictor {
  const p = new Predictor(options);
  open.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

describe('the strict parser', () => {
  it('accepts a well-formed text and rejects each kind of malformed one', () => {
    const good = '# HELP a_total Things.\n# TYPE a_total counter\na_total{k="x\\"y\\\\z\\n"} 3\n# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3.5\nh_count 2\n';
    const parsed = parseExposition(good);
    expect(parsed.get('a_total')?.samples[0].labels.k).toBe('x"y\\z\n');
    const bad: Array<[string, RegExp]> = [
      ['# TYPE a gauge\na 1\n', /TYPE without its HELP/],
      ['# HELP a A.\n# TYPE a gauge\na 1', /end with a newline/],
      ['a 1\n', /sample outside a family/],
      ['# HELP a A.\n# TYPE a gauge\na{k="x"y"} 1\n', /expected , or \}/],
      ['# HELP a A.\n# TYPE a gauge\na{k="\\t"} 1\n', /invalid escape/],
      ['# HELP a A.\n# TYPE a gauge\na 1\na 2\n', /duplicate series/],
      ['# HELP a A.\n# TYPE a gauge\na one\n', /invalid value/],
      ['# HELP a A.\n# TYPE a gauge\nb 1\n', /sample b in family a/],
      ['# HELP a_total A.\n# TYPE a_total counter\na_total -1\n', /counter below 0/],
      ['# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', /not cumulative/],
      ['# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /no \+Inf bucket/],
      ['# HELP h H.\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n', /!= _count/],
      ['# HELP a A.\n\n# TYPE a gauge\n', /empty line/],
    ];
    for (const [text, message] of bad) expect(() => parseExposition(text), text).toThrow(message);
  });
});

describe('predictor.metrics()', () => {
  it('has every family with HELP and TYPE, before any request', () => {
    const p = make({ model: smallGcn(1), graph, x, version: 'v1' });
    const m = parseExposition(p.metrics());
    expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect([...m.values()].map((f) => [f.name, f.type])).toEqual([
      ['gnn_predictor_requests_total', 'counter'],
      ['gnn_predictor_errors_total', 'counter'],
      ['gnn_predictor_queue_depth', 'gauge'],
      ['gnn_predictor_in_flight', 'gauge'],
      ['gnn_predictor_request_duration_seconds', 'histogram'],
      ['gnn_predictor_model_info', 'gauge'],
      ['gnn_predictor_model_swaps_total', 'counter'],
      ['gnn_predictor_reload_errors_total', 'counter'],
      ['gnn_predictor_full_passes_total', 'counter'],
    ]);
    for (const f of m.values()) expect(f.help.length).toBeGreaterThan(5);
    expect(value(m, 'gnn_predictor_requests_total')).toBe(0);
    expect(m.get('gnn_predictor_errors_total')?.samples).toEqual([]);
    expect(value(m, 'gnn_predictor_model_info', { version: 'v1', path: 'nodes' })).toBe(1);
    const buckets = m.get('gnn_predictor_request_duration_seconds')?.samples.filter((s) => s.name.endsWith('_bucket')) ?? [];
    expect(buckets.map((b) => b.labels.le)).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    expect(buckets.every((b) => b.value === 0)).toBe(true);
  });

  it('counts requests and errors by code, shows queue depth and in-flight while requests wait, and times admitted requests', async () => {
    const p = make({ model: smallGcn(1), graph, x, maxConcurrency: 2, maxQueue: 3, latencyBuckets: [1e-9, 600] });
    const t0 = performance.now();
    const calls = Array.from({ length: 7 }, (_, i) => p.predict([i]));
    const waiting = parseExposition(p.metrics());
    expect(value(waiting, 'gnn_predictor_in_flight')).toBe(2);
    expect(value(waiting, 'gnn_predictor_queue_depth')).toBe(3);
    const bad = [p.predict([1000]), p.predict('x' as never)];
    const settled = await Promise.allSettled([...calls, ...bad]);
    const elapsed = (performance.now() - t0) / 1000;
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(5);
    const m = parseExposition(p.metrics());
    expect(value(m, 'gnn_predictor_requests_total')).toBe(9);
    expect(value(m, 'gnn_predictor_errors_total', { code: 'ERR_GNN_OVERLOADED' })).toBe(2);
    expect(value(m, 'gnn_predictor_errors_total', { code: 'ERR_OUT_OF_RANGE' })).toBe(1);
    expect(value(m, 'gnn_predictor_errors_total', { code: 'ERR_INVALID_ARG_TYPE' })).toBe(1);
    expect(value(m, 'gnn_predictor_in_flight')).toBe(0);
    expect(value(m, 'gnn_predictor_queue_depth')).toBe(0);
    const h = 'gnn_predictor_request_duration_seconds';
    expect(value(m, h, {}, `${h}_count`)).toBe(5); // refused requests are not timed
    expect(value(m, h, { le: '1e-9' }, `${h}_bucket`)).toBe(0);
    expect(value(m, h, { le: '600' }, `${h}_bucket`)).toBe(5);
    const sum = value(m, h, {}, `${h}_sum`) as number;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThanOrEqual(5 * elapsed);
  });

  it('labels the served version (escaped) and follows a swap', async () => {
    const odd = 'we"ird\\name\nv1';
    const p = make({ model: smallGcn(1), graph, x, version: odd, mode: 'full' });
    await p.predict([0]);
    let m = parseExposition(p.metrics());
    expect(m.get('gnn_predictor_model_info')?.samples).toEqual([{ name: 'gnn_predictor_model_info', labels: { version: odd, path: 'full' }, value: 1 }]);
    expect(value(m, 'gnn_predictor_full_passes_total')).toBe(1);
    await p.useModel(smallGcn(2), 'v2');
    m = parseExposition(p.metrics());
    expect(m.get('gnn_predictor_model_info')?.samples).toEqual([{ name: 'gnn_predictor_model_info', labels: { version: 'v2', path: 'full' }, value: 1 }]);
    expect(value(m, 'gnn_predictor_model_swaps_total')).toBe(1);
    expect(value(m, 'gnn_predictor_full_passes_total')).toBe(2); // the warm-up filled the new model's cache
  });

  it("exports the drift monitor's latest report as gauges", () => {
    let report: DriftReportLike | undefined;
    let throws = false;
    const monitor = {
      latestReport(): DriftReportLike | undefined {
        if (throws) throw new Error('monitor broke');
        return report;
      },
    };
    const p = make({ model: smallGcn(1), graph, x, monitor });
    let m = parseExposition(p.metrics());
    for (const name of ['gnn_drift_overall_score', 'gnn_drift_overall_severity', 'gnn_drift_score', 'gnn_drift_severity']) {
      expect(m.get(name)?.type).toBe('gauge');
      expect(m.get(name)?.samples).toEqual([]);
    }
    report = {
      overall: { score: 0.31, severity: 'warn' },
      signals: [
        { name: 'feature_3', kind: 'psi', score: 0.31, severity: 'warn' },
        { name: 'in_degree', kind: 'ks', score: 0.02, severity: 'none' },
        { name: 'predictions', kind: 'js', score: 0.5, severity: 'alert' },
        { name: 'x"y\\z\nw', kind: 'psi', score: Number.NaN, severity: 'none' },
        { name: 'feature_3', kind: 'psi', score: 0.99, severity: 'alert' }, // a repeat: the first is kept
      ],
    };
    m = parseExposition(p.metrics());
    expect(value(m, 'gnn_drift_overall_score')).toBe(0.31);
    expect(value(m, 'gnn_drift_overall_severity')).toBe(1);
    expect(m.get('gnn_drift_score')?.samples.map((s) => [s.labels.signal, s.labels.kind, s.value])).toEqual([
      ['feature_3', 'psi', 0.31],
      ['in_degree', 'ks', 0.02],
      ['predictions', 'js', 0.5],
      ['x"y\\z\nw', 'psi', Number.NaN],
    ]);
    expect(m.get('gnn_drift_severity')?.samples.map((s) => s.value)).toEqual([1, 0, 2, 0]);
    throws = true;
    m = parseExposition(p.metrics());
    expect(value(m, 'gnn_drift_report_errors_total')).toBe(1);
    expect(m.get('gnn_drift_score')?.samples).toEqual([]);
  });
});
