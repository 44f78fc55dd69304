/**
 * A small SVG writer: elements as plain objects, rendered to a standalone, well-formed SVG 1.1
 * document (text and attribute values escaped; coordinates written with at most 3 decimals, data-*
 * values in full; no browser, no dependency). The charts (charts.ts) are built from it.
 * @internal
 */

export type SvgAttrs = Record<string, string | number | undefined>;

/** One element: a tag, attributes (undefined ones are left out) and children (elements or text). */
export interface SvgElement {
  tag: string;
  attrs: SvgAttrs;
  children: Array<SvgElement | string>;
}

/** An element. */
export function el(tag: string, attrs: SvgAttrs = {}, ...children: Array<SvgElement | string | null>): SvgElement {
  return { tag, attrs, children: children.filter((c): c is SvgElement | string => c !== null) };
}

/** Text with &, <, >, " and ' escaped (safe in content and in double-quoted attributes). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[ch] as string);
}

/** A number as SVG writes it: at most 3 decimals, no trailing zeros, never NaN or "-0". */
export function num(v: number): string {
  if (!Number.isFinite(v)) return '0';
  const r = Math.round(v * 1000) / 1000;
  return Object.is(r, -0) ? '0' : String(r);
}

// data-* attributes carry values for programs that read a chart back: written in full.
function attrText(name: string, value: string | number): string {
  const text = typeof value === 'number' ? (name.startsWith('data-') ? String(value) : num(value)) : value;
  return ` ${name}="${escapeXml(text)}"`;
}

function render(e: SvgElement, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  let open = `<${e.tag}`;
  for (const [k, v] of Object.entries(e.attrs)) if (v !== undefined) open += attrText(k, v);
  if (e.children.length === 0) {
    out.push(`${pad}${open}/>`);
    return;
  }
  if (e.children.every((c) => typeof c === 'string')) {
    out.push(`${pad}${open}>${(e.children as string[]).map(escapeXml).join('')}</${e.tag}>`);
    return;
  }
  out.push(`${pad}${open}>`);
  for (const c of e.children) {
    if (typeof c === 'string') out.push(`${pad}  ${escapeXml(c)}`);
    else render(c, depth + 1, out);
  }
  out.push(`${pad}</${e.tag}>`);
}

/** A complete SVG document of the given size holding `children`. */
export function svgDocument(width: number, height: number, title: string, children: SvgElement[]): string {
  const root = el(
    'svg',
    { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${num(width)} ${num(height)}`, 'font-family': 'sans-serif', 'font-size': 12 },
    el('title', {}, title),
    el('rect', { x: 0, y: 0, width, height, fill: 'white' }),
    ...children,
  );
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  render(root, 0, out);
  return `${out.join('\n')}\n`;
}
