/**
 * Reports: every SVG chart is well-formed XML (parsed here by a small strict XML parser: one root,
 * balanced and properly nested tags, quoted unique attributes, only the five predefined entities
 * and character references) holding the expected series, whose marks carry the report's values;
 * text is escaped; toJSON survives JSON.stringify; the terminal tables hold the numbers.
 */
import { describe, expect, it } from 'vitest';

import { Graph, Random, Tensor, evaluateScores, evaluateSlices, nn, robustnessChart, robustnessSweep } from '../lib/index';

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;

function decode(s: string, where: number): string {
  return s.replace(/&([^;]*);?/g, (m, body: string) => {
    if (!m.endsWith(';')) throw new Error(`bare & at ${where}`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (body in named) return named[body];
    if (/^#[0-9]+$/.test(body)) return String.fromCodePoint(Number(body.slice(1)));
    if (/^#x[0-9a-fA-F]+$/.test(body)) return String.fromCodePoint(parseInt(body.slice(2), 16));
    throw new Error(`unknown entity &${body}; at ${where}`);
  });
}

/** Parses a document into its root element; throws on anything not well-formed. */
function parseXml(doc: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}: ${JSON.stringify(doc.slice(i, i + 40))}`);
  };
  if (doc.startsWith('<?xml')) {
    const end = doc.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const text = doc.slice(i, lt < 0 ? doc.length : lt);
    if (text.includes('>')) fail('stray >');
    if (text.trim() !== '') {
      if (stack.length === 0) fail('text outside the root');
      stack[stack.length - 1].text += decode(text, i);
    }
    if (lt < 0) break;
    i = lt + 1;
    if (doc[i] === '/') {
      i++;
      const m = NAME.exec(doc.slice(i));
      if (m === null) fail('bad closing tag');
      i += m![0].length;
      while (/\s/.test(doc[i])) i++;
      if (doc[i] !== '>') fail('bad closing tag');
      i++;
      const open = stack.pop();
      if (open === undefined || open.name !== m![0]) fail(`</${m![0]}> closes <${open?.name}>`);
      continue;
    }
    const m = NAME.exec(doc.slice(i));
    if (m === null) fail('bad tag name');
    const el: XmlElement = { name: m![0], attrs: {}, children: [], text: '' };
    i += m![0].length;
    for (;;) {
      const ws = /^\s*/.exec(doc.slice(i))![0].length;
      i += ws;
      if (doc.startsWith('/>', i) || doc[i] === '>') break;
      if (ws === 0) fail('attributes must be separated by whitespace');
      const a = NAME.exec(doc.slice(i));
      if (a === null) fail('bad attribute name');
      i += a![0].length;
      if (doc[i] !== '=' || doc[i + 1] !== '"') fail('attribute value must be ="..."');
      const end = doc.indexOf('"', i + 2);
      if (end < 0) fail('unterminated attribute');
      const value = doc.slice(i + 2, end);
      if (value.includes('<')) fail('< in an attribute');
      if (a![0] in el.attrs) fail(`duplicate attribute ${a![0]}`);
      el.attrs[a![0]] = decode(value, i);
      i = end + 1;
    }
    if (stack.length > 0) stack[stack.length - 1].children.push(el);
    else if (root === null) root = el;
    else fail('second root element');
    if (doc.startsWith('/>', i)) i += 2;
    else {
      i++;
      stack.push(el);
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1].name}> never closed`);
  if (root === null) fail('no root element');
  return root!;
}

function all(e: XmlElement, pred: (x: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  if (pred(e)) out.push(e);
  for (const c of e.children) all(c, pred, out);
  return out;
}

function series(svg: string): Map<string, XmlElement> {
  const root = parseXml(svg);
  expect(root.name).toBe('svg');
  expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
  return new Map(all(root, (e) => e.attrs.class === 'series').map((e) => [e.attrs['data-series'], e]));
}

/** The marks of a series that carry values. */
function marks(g: XmlElement): XmlElement[] {
  return all(g, (e) => e.attrs['data-y'] !== undefined);
}

describe('the XML checker itself', () => {
  it('accepts well-formed documents and rejects broken ones', () => {
    expect(parseXml('<?xml version="1.0"?>\n<a x="1"><b>t &amp; u</b><c/></a>').children).toHaveLength(2);
    for (const bad of ['<a><b></a></b>', '<a x=1/>', '<a x="1" x="2"/>', '<a>&nbsp;</a>', '<a>1 & 2</a>', '<a/><b/>', '<a>', 'text', '<a y="<"/>', '<a x="1"y="2"/>']) {
      expect(() => parseXml(bad), bad).toThrow();
    }
  });
});

const rng = new Random(12);
const N = 400;
const C = 4;
const logits = Tensor.from(Float32Array.from({ length: N * C }, () => 2 * rng.normal()), [N, C]);
const labels = Int32Array.from({ length: N }, (_, i) => (i * 7) % C);

describe('EvaluationReport', () => {
  const r = evaluateScores(logits, labels, { bins: 10 });

  it('the reliability diagram: one bar per non-empty bin with its accuracy and confidence, the diagonal', () => {
    const s = series(r.reliabilitySVG());
    expect([...s.keys()].sort()).toEqual(['accuracy', 'gap to confidence', 'perfect calibration']);
    const full = r.calibration.bins.filter((b) => b.count > 0);
    const bars = marks(s.get('accuracy')!);
    expect(bars).toHaveLength(full.length);
    bars.forEach((bar, k) => {
      expect(Number(bar.attrs['data-y'])).toBe(full[k].accuracy);
      expect(Number(bar.attrs['data-x'])).toBe(full[k].confidence);
      expect(Number(bar.attrs['data-count'])).toBe(full[k].count);
      expect(Number(bar.attrs.height)).toBeGreaterThanOrEqual(0);
    });
    expect(all(parseXml(r.reliabilitySVG()), (e) => e.name === 'title')[0].text).toMatch(/^Reliability diagram \(ECE 0\.\d{4}\)$/);
  });

  it('toJSON and the table', () => {
    const json = JSON.parse(JSON.stringify(r)) as ReturnType<typeof r.toJSON>;
    expect(json.metrics.accuracy).toBe(r.metrics.accuracy);
    expect(json.calibration.bins).toHaveLength(10);
    expect(json.calibration.bins.filter((b) => b.count === 0).every((b) => b.accuracy === null)).toBe(true);
    const table = r.toTable();
    expect(table).toMatch(new RegExp(`^accuracy\\s+${(100 * r.metrics.accuracy).toFixed(1)}%$`, 'm'));
    expect(table).toMatch(new RegExp(`ECE \\(10 equal-width bins\\)\\s+${r.calibration.ece.toFixed(4)}`));
    expect(table.split('\n').filter((l) => /^\d\s/.test(l))).toHaveLength(C);
  });
});

describe('SliceReport and RobustnessReport charts', () => {
  const g = Graph.fromCOO(Int32Array.from({ length: 1600 }, () => rng.int(N)), Int32Array.from({ length: 1600 }, () => rng.int(N)), { numNodes: N });
  const x = Tensor.from(Float32Array.from({ length: N * 6 }, () => rng.normal()), [N, 6]);
  const model = new nn.Sequential([new nn.SAGEConv({ inChannels: 6, outChannels: C })]);
  model.resetParameters({ seed: 1 });
  const odd = 'odd <id> & "quotes"';
  const slices = evaluateSlices(model, g, x, labels, { slices: ['degree', { by: 'predicate', name: odd, test: (v) => v % 2 === 1 }] });

  it('accuracy by degree bucket: a bar per slice carrying its accuracy and count, the overall line', () => {
    const s = series(slices.toSVG('degree'));
    expect([...s.keys()]).toEqual(['accuracy', 'all rows']);
    const bars = marks(s.get('accuracy')!);
    const deg = slices.slicing('degree').slices.filter((k) => k.count > 0);
    expect(bars.map((b) => b.attrs['data-x'])).toEqual(deg.map((k) => k.name));
    expect(bars.map((b) => Number(b.attrs['data-y']))).toEqual(deg.map((k) => k.accuracy));
    expect(bars.map((b) => Number(b.attrs['data-count']))).toEqual(deg.map((k) => k.count));
    expect(Number(marks(s.get('all rows')!)[0].attrs['data-y'])).toBe(slices.overall.accuracy);
  });

  it('names with markup characters are escaped and read back intact', () => {
    const svg = slices.toSVG(odd);
    expect(svg).not.toContain('<id>');
    const root = parseXml(svg);
    expect(all(root, (e) => e.name === 'title')[0].text).toBe(`Accuracy by ${odd}`);
    expect(marks(series(svg).get('accuracy')!).map((b) => b.attrs['data-x'])).toEqual([odd, `not ${odd}`]);
  });

  it('robustness curves: a polyline and a marker per strength, accuracy and flip rate; models compared', () => {
    const strengths = [0, 0.2, 0.5, 1];
    const r = robustnessSweep(model, g, x, labels, { perturbations: [{ kind: 'edge-removal', strengths }] });
    const s = series(r.toSVG('edge-removal'));
    expect([...s.keys()]).toEqual(['accuracy', 'flip rate']);
    const pts = r.curve('edge-removal').points;
    expect(marks(s.get('accuracy')!).map((m) => [Number(m.attrs['data-x']), Number(m.attrs['data-y'])])).toEqual(pts.map((p) => [p.strength, p.accuracy]));
    expect(marks(s.get('flip rate')!).map((m) => Number(m.attrs['data-y']))).toEqual(pts.map((p) => p.flipRate));
    expect(all(s.get('accuracy')!, (e) => e.name === 'polyline')[0].attrs.points.split(' ')).toHaveLength(4);
    const other = robustnessSweep(model, g, x, labels, { seed: 1, perturbations: [{ kind: 'edge-removal', strengths }] });
    const both = series(robustnessChart([{ name: 'seed 0', report: r }, { name: 'seed 1', report: other }], 'edge-removal'));
    expect([...both.keys()]).toEqual(['seed 0', 'seed 1']);
    expect(marks(both.get('seed 1')!).map((m) => Number(m.attrs['data-y']))).toEqual(other.curve('edge-removal').points.map((p) => p.accuracy));
  });
});
