/**
 * Text edge lists: one edge per line, `source target [weight …]`, separated by commas, tabs,
 * semicolons or runs of whitespace (SNAP, KONECT, networkx's write_edgelist, pandas' to_csv).
 *
 * The parser works on bytes, never on the file as one JS string: a file is read in 4 MiB chunks
 * into one buffer (only a partial last line is carried over), so a multi-gigabyte file costs its
 * edge arrays and not a second copy of its text. Integer ids are read digit by digit from the bytes;
 * only named nodes (and error messages) are decoded to strings. Cost: one pass over the bytes,
 * 8 bytes per edge (12 weighted) in arrays that grow to the estimated edge count after the first
 * chunk, then Graph.fromCOO.
 */
import * as fs from 'node:fs';

import { GnnError, invalidArgType, invalidArgValue } from '../errors';
import type { GnnErrorCode } from '../errors';
import { Graph } from '../graph';
import { checkInteger, checkOptions } from '../validate';
import { FileReader, toByteSource } from './source';
import type { ByteSource, PathOrBytes } from './source';

export interface ReadEdgeListOptions {
  /**
   * Field separator: 'auto' (default: from the first data line, a tab, else a comma, else a
   * semicolon, else whitespace), 'whitespace' (runs of spaces and tabs; ' ' means the same) or one
   * ASCII punctuation character such as ',', '\t', ';' or '|'.
   */
  delimiter?: string;
  /**
   * Whether the first data line names the columns: true, false, or 'auto' (default): a header when
   * a chosen column holds text on the first data line and a number on the second (or there is no
   * second and `nodeIds` is not 'string'). Columns chosen by name imply a header.
   */
  header?: boolean | 'auto';
  /** Line prefixes that mark comments (also ignored where a field starts with one); default ['#', '%']; null for none. */
  comments?: string | readonly string[] | null;
  /** Column of the source node: 0-based index or header name; default 0. */
  source?: number | string;
  /** Column of the target node: 0-based index or header name; default 1. */
  target?: number | string;
  /** Column of the edge weight (index or header name); default: none, the graph is unweighted. */
  weight?: number | string;
  /**
   * true (default): each line is one edge source -> target. false: the graph is made undirected as
   * PyG's to_undirected does (Graph.toUndirected: reverse edges added, duplicates merged, their
   * weights summed).
   */
  directed?: boolean;
  /**
   * 'integer': ids are 0-based integers, used as they are. 'string': any text, each distinct id
   * numbered in order of first appearance. 'auto' (default): integers unless an id is not a number.
   */
  nodeIds?: 'auto' | 'integer' | 'string';
  /** Number of nodes; default: largest integer id + 1, or the number of distinct named ids. */
  numNodes?: number;
}

export interface EdgeListResult {
  /** The graph, edges in file order (sorted by source, target when `directed` is false). */
  graph: Graph;
  /** With named nodes, the name of node i at index i; null with integer ids. */
  nodeIds: string[] | null;
  /** The weights as read, one per edge line in file order; null without a weight column. */
  edgeWeight: Float32Array | null;
  /** Edge lines read (the graph has more edges when `directed` is false). */
  numEdges: number;
  /** Lines that held no edge: blank lines, comments and the header. */
  skippedLines: number;
}

const OPTION_KEYS = ['delimiter', 'header', 'comments', 'source', 'target', 'weight', 'directed', 'nodeIds', 'numNodes'] as const;
const CODE = 'ERR_GNN_INVALID_GRAPH';
const MAX_ID = 2 ** 31 - 2; // the largest id whose count (id + 1) is still a valid numNodes
const MAX_EDGES = 2 ** 31 - 1;
/** No edge line is this long; a longer one means the file is not text (or has no line breaks). */
export const MAX_LINE_BYTES = 1 << 20;
const CHUNK_BYTES = 4 << 20;
const WHITESPACE = -1;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL_FLOAT = /^[+-]?(nan|inf|infinity)$/i;
// 10^k, exact in a double for k <= 22 (Clinger's fast path).
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

interface Settings {
  delimiter: number | 'auto';
  header: boolean | 'auto';
  comments: Uint8Array[];
  source: number | string;
  target: number | string;
  weight: number | string | null;
  directed: boolean;
  nodeIds: 'auto' | 'integer' | 'string';
  numNodes: number | undefined;
}

function column(name: string, value: unknown, fallback: number | null): number | string | null {
  if (value === undefined) return fallback;
  if (typeof value === 'string') {
    if (value.length === 0) throw invalidArgValue(name, 'a column index or a non-empty header name', value);
    return value;
  }
  if (typeof value === 'number') return checkInteger(name, value, 0, 1_000_000);
  throw invalidArgType(name, 'a column index (number) or header name (string)', value);
}

function settings(options: ReadEdgeListOptions | undefined, where: string): Settings {
  const opts = checkOptions(options, where, OPTION_KEYS);
  let delimiter: number | 'auto' = 'auto';
  const d: unknown = opts.delimiter;
  if (d !== undefined && d !== 'auto') {
    if (d === 'whitespace' || d === ' ') delimiter = WHITESPACE;
    else if (typeof d !== 'string') throw invalidArgType('delimiter', "a string ('auto', 'whitespace' or one character)", d);
    else if (d.length === 1 && (d === '\t' || /^[!$&'()*,/:;<=>?@[\\\]^_`{|}~]$/.test(d))) delimiter = d.charCodeAt(0);
    else throw invalidArgValue('delimiter', "'auto', 'whitespace', '\\t' or one ASCII punctuation character other than '\"', '.', '-', '#' and '%'", d);
  }
  const header: unknown = opts.header ?? 'auto';
  if (header !== true && header !== false && header !== 'auto') throw invalidArgValue('header', "true, false or 'auto'", header);
  let comments: Uint8Array[] = [Uint8Array.of(0x23), Uint8Array.of(0x25)];
  const c: unknown = opts.comments;
  if (c === null) comments = [];
  else if (c !== undefined) {
    const list: unknown[] = typeof c === 'string' ? [c] : Array.isArray(c) ? c : [c];
    comments = list.map((p, i) => {
      const name = typeof c === 'string' ? 'comments' : `comments[${i}]`;
      if (typeof p !== 'string') throw invalidArgType(name, 'a string', p);
      if (!/^[!#$%&'()*,/:;<=>?@[\\\]^_`{|}~][!-~]{0,15}$/.test(p)) {
        throw invalidArgValue(name, "1 to 16 printable ASCII characters, no spaces, the first punctuation other than '\"', '+', '-' and '.'", p);
      }
      return Uint8Array.from(p, (ch) => ch.charCodeAt(0));
    });
  }
  if (typeof delimiter === 'number') {
    for (const p of comments) {
      if (p[0] === delimiter) throw invalidArgValue('comments', `prefixes that do not start with the delimiter ${JSON.stringify(String.fromCharCode(delimiter))}`, c);
    }
  }
  const source = column('source', opts.source, 0) as number | string;
  const target = column('target', opts.target, 1) as number | string;
  const weight = column('weight', opts.weight, null);
  if (source === target) throw invalidArgValue('target', 'a column other than source', target);
  if (weight !== null && (weight === source || weight === target)) throw invalidArgValue('weight', 'a column other than source and target', weight);
  const named = typeof source === 'string' || typeof target === 'string' || typeof weight === 'string';
  if (named && header === false) throw invalidArgValue('header', 'true or \'auto\' when columns are chosen by name', header);
  const directed: unknown = opts.directed ?? true;
  if (typeof directed !== 'boolean') throw invalidArgType('directed', 'a boolean', directed);
  const nodeIds: unknown = opts.nodeIds ?? 'auto';
  if (nodeIds !== 'auto' && nodeIds !== 'integer' && nodeIds !== 'string') throw invalidArgValue('nodeIds', "'auto', 'integer' or 'string'", nodeIds);
  const numNodes = opts.numNodes === undefined ? undefined : checkInteger('numNodes', opts.numNodes, 0, MAX_ID + 1);
  return { delimiter, header: named ? true : header, comments, source, target, weight, directed, nodeIds, numNodes };
}

/** Thrown inside the parser when nodeIds is 'auto' and a named id appears: the read starts over with names. */
class RestartWithNames {}

const decoder = new TextDecoder('utf-8', { fatal: true });
const lenientDecoder = new TextDecoder('utf-8');

/** Offending text for a message: decoded leniently, at most 60 characters, quoted. */
function quote(bytes: Uint8Array, start: number, end: number): string {
  const text = lenientDecoder.decode(bytes.subarray(start, Math.min(end, start + 240)));
  return JSON.stringify(text.length > 60 || end - start > 240 ? `${text.slice(0, 60)}…` : text);
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d;
}

/** Line parser and edge accumulator; fed complete lines, keeps its state between chunks. */
class EdgeListParser {
  line = 0;
  skipped = 0;
  count = 0;
  src: Int32Array;
  dst: Int32Array;
  weights: Float32Array | null = null;
  maxId = -1;
  readonly names: string[] = [];
  readonly ids = new Map<string, number>();

  /** Up to two data lines held back until the delimiter and header are decided. */
  #pending: Array<{ bytes: Uint8Array; line: number }> = [];
  #ready = false;
  #delim = 0;
  #srcCol = 0;
  #dstCol = 1;
  #wCol = -1;
  #maxCol = 1;
  #named: boolean;
  /** Integer ids and columns decided: plain lines take #fastLine. */
  #fast = false;
  #commentStarts = new Uint8Array(256); // 1 where a comment prefix starts with that byte
  #limit: number;
  // Field bounds set by #field().
  #fs = 0;
  #fe = 0;
  #quoted = false;

  constructor(
    readonly s: Settings,
    readonly label: string,
    capacity: number,
  ) {
    this.#named = s.nodeIds === 'string';
    this.src = new Int32Array(capacity);
    this.dst = new Int32Array(capacity);
    for (const prefix of s.comments) this.#commentStarts[prefix[0]] = 1;
    this.#limit = s.numNodes ?? MAX_ID + 1;
  }

  fail(message: string): never {
    throw new GnnError(CODE, `${this.label}, line ${this.line}: ${message}`);
  }

  /**
   * Parses the complete lines of `buf` (its whole length). Returns where the unfinished last line
   * starts; with `final`, the rest is a last line without a line break and everything is consumed.
   */
  feed(buf: Uint8Array, start: number, final: boolean): number {
    let pos = start;
    const n = buf.length;
    while (pos < n) {
      if (this.#fast) {
        const next = this.#fastLine(buf, pos, n);
        if (next >= 0) {
          pos = next;
          continue;
        }
      }
      // A plain loop: lines are short, and indexOf's per-call cost is several times the scan's.
      let nl = pos;
      while (nl < n && buf[nl] !== 0x0a) nl++;
      if (nl === n) {
        if (n - pos > MAX_LINE_BYTES) {
          this.line++;
          this.fail(`longer than ${MAX_LINE_BYTES} bytes without a line break (not a text edge list?), starts ${quote(buf, pos, n)}`);
        }
        if (!final) return pos;
        nl = n;
      } else if (nl - pos > MAX_LINE_BYTES) {
        this.line++;
        this.fail(`longer than ${MAX_LINE_BYTES} bytes (not a text edge list?), starts ${quote(buf, pos, nl)}`);
      }
      this.line++;
      if (this.#ready) this.#parseLine(buf, pos, nl);
      else this.#setupLine(buf, pos, nl);
      pos = nl + 1;
    }
    return n;
  }

  /** Called once the input is exhausted: settles a file of fewer than two data lines. */
  finish(): void {
    if (!this.#ready) this.#decide(true);
  }

  // ---- the first data lines: delimiter, header, columns ----

  #setupLine(buf: Uint8Array, start: number, end: number): void {
    const p = this.#contentStart(buf, start, end);
    if (p < 0) {
      this.skipped++;
      return;
    }
    this.#pending.push({ bytes: buf.slice(start, end), line: this.line });
    const needSecond = this.s.header === 'auto' && this.#pending.length < 2;
    if (!needSecond) this.#decide(false);
  }

  /** First non-blank byte of a line, or -1 for a blank or comment line. */
  #contentStart(buf: Uint8Array, start: number, end: number): number {
    let p = start;
    if (this.line === 1 && end - start >= 3 && buf[p] === 0xef && buf[p + 1] === 0xbb && buf[p + 2] === 0xbf) p += 3;
    while (p < end && isSpace(buf[p])) p++;
    if (p === end || this.#isComment(buf, p, end)) return -1;
    return p;
  }

  #isComment(buf: Uint8Array, p: number, end: number): boolean {
    const b = buf[p];
    if (this.#commentStarts[b] === 0) return false;
    for (const prefix of this.s.comments) {
      if (prefix[0] !== b || end - p < prefix.length) continue;
      let k = 1;
      while (k < prefix.length && buf[p + k] === prefix[k]) k++;
      if (k === prefix.length) return true;
    }
    return false;
  }

  /** The fields of a line as strings (for the header and the first lines only). */
  #fields(buf: Uint8Array, start: number, end: number): string[] {
    const out: string[] = [];
    let p = this.#contentStart(buf, start, end);
    if (p < 0) return out;
    while (p <= end) {
      p = this.#field(buf, p, end);
      if (p === -2) break;
      out.push(this.#text(buf));
    }
    return out;
  }

  #decide(atEnd: boolean): void {
    const s = this.s;
    const pending = this.#pending;
    this.#ready = true;
    this.#pending = [];
    if (pending.length === 0) return; // nothing but blanks and comments
    const first = pending[0];
    const savedLine = this.line;
    if (s.delimiter === 'auto') {
      const b = first.bytes;
      this.#delim = b.includes(0x09) ? 0x09 : b.includes(0x2c) ? 0x2c : b.includes(0x3b) ? 0x3b : WHITESPACE;
    } else {
      this.#delim = s.delimiter;
    }
    this.line = first.line;
    const head = this.#fields(first.bytes, 0, first.bytes.length);
    let isHeader = s.header === true;
    const indices = [s.source, s.target, s.weight].filter((c): c is number => typeof c === 'number');
    if (s.header === 'auto') {
      const second = pending.length > 1 ? pending[1] : null;
      const next = second === null ? null : (() => {
        this.line = second.line;
        return this.#fields(second.bytes, 0, second.bytes.length);
      })();
      isHeader = indices.some((i) => {
        if (i >= head.length || isNumberText(head[i])) return false;
        if (next === null) return atEnd && s.nodeIds !== 'string';
        return i < next.length && isNumberText(next[i]);
      });
    }
    this.line = first.line;
    const resolve = (name: string, c: number | string | null): number => {
      if (c === null) return -1;
      if (typeof c === 'number') return c;
      const i = head.indexOf(c);
      if (i < 0) this.fail(`${name}: no column named ${JSON.stringify(c)} in the header [${head.map((h) => JSON.stringify(h)).join(', ')}]`);
      return i;
    };
    this.#srcCol = resolve('source', s.source);
    this.#dstCol = resolve('target', s.target);
    this.#wCol = resolve('weight', s.weight);
    this.#maxCol = Math.max(this.#srcCol, this.#dstCol, this.#wCol);
    if (this.#wCol >= 0) this.weights = new Float32Array(this.src.length);
    this.#fast = !this.#named;
    for (let i = 0; i < pending.length; i++) {
      this.line = pending[i].line;
      if (i === 0 && isHeader) this.skipped++;
      else this.#parseLine(pending[i].bytes, 0, pending[i].bytes.length);
    }
    this.line = savedLine;
  }

  // ---- data lines ----

  /**
   * Finds the field starting at or after `p` (leading blanks skipped) and sets #fs/#fe/#quoted.
   * Returns where the next field may start (end + 1 after the last field of a delimited line), or
   * -2 when the line has no more fields (end of line, or a comment).
   */
  #field(buf: Uint8Array, p: number, end: number): number {
    const delim = this.#delim;
    while (p < end && (buf[p] === 0x20 || (buf[p] === 0x09 && delim !== 0x09) || buf[p] === 0x0d)) p++;
    if (delim === WHITESPACE) {
      if (p >= end || this.#isComment(buf, p, end)) return -2;
      let q = p;
      while (q < end && !isSpace(buf[q])) q++;
      this.#fs = p;
      this.#fe = q;
      this.#quoted = false;
      return q;
    }
    if (p >= end) {
      // Only reached after a delimiter (lines start with content): an empty last field.
      this.#fs = this.#fe = end;
      this.#quoted = false;
      return end + 1;
    }
    if (this.#isComment(buf, p, end)) return -2;
    let q: number;
    if (buf[p] === 0x22) {
      // "quoted", "" inside stands for one quote
      q = p + 1;
      for (;;) {
        while (q < end && buf[q] !== 0x22) q++;
        if (q >= end) this.fail(`unterminated quoted field ${quote(buf, p, end)}`);
        if (q + 1 < end && buf[q + 1] === 0x22) q += 2;
        else break;
      }
      this.#fs = p + 1;
      this.#fe = q;
      this.#quoted = true;
      q++;
      while (q < end && (buf[q] === 0x20 || (buf[q] === 0x09 && delim !== 0x09) || buf[q] === 0x0d)) q++;
      if (q < end && buf[q] !== delim) this.fail(`expected a delimiter after the quoted field ${quote(buf, p, q + 1)}`);
    } else {
      q = p;
      while (q < end && buf[q] !== delim) q++;
      let e = q;
      while (e > p && (buf[e - 1] === 0x20 || (buf[e - 1] === 0x09 && delim !== 0x09) || buf[e - 1] === 0x0d)) e--;
      this.#fs = p;
      this.#fe = e;
      this.#quoted = false;
    }
    return q < end ? q + 1 : end + 1;
  }

  /** The current field as a string (unquoted, UTF-8 checked). */
  #text(buf: Uint8Array): string {
    const start = this.#fs;
    const end = this.#fe;
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (buf[i] >= 0x80) {
        ascii = false;
        break;
      }
    }
    let text: string;
    if (ascii && end - start <= 64) {
      text = '';
      for (let i = start; i < end; i++) text += String.fromCharCode(buf[i]);
    } else {
      try {
        text = decoder.decode(buf.subarray(start, end));
      } catch {
        this.fail(`invalid UTF-8 in ${quote(buf, start, end)}`);
      }
    }
    return this.#quoted ? text.replace(/""/g, '"') : text;
  }

  /**
   * One pass over a plain line (digits, separators, simple decimals, LF or CRLF), finding its end
   * as it goes: about 3x faster than locating the line and then its fields. Returns the start of
   * the next line, or -1 for anything else (comments, blanks, quotes, exponents, errors, an
   * unfinished last line), which #parseLine then reads; the two agree on every line this accepts.
   */
  #fastLine(buf: Uint8Array, pos: number, n: number): number {
    const delim = this.#delim;
    const ws = delim === WHITESPACE;
    const maxCol = this.#maxCol;
    const limit = this.#limit;
    let p = pos;
    let u = 0;
    let v = 0;
    let w = 0;
    const first = buf[p];
    if (first === 0x20 || first === 0x09 || first === 0x0d || first === 0x0a || this.#commentStarts[first] === 1) return -1;
    for (let col = 0; ; col++) {
      if (col === this.#srcCol || col === this.#dstCol) {
        const start = p;
        let x = 0;
        for (;;) {
          const d = buf[p] - 0x30; // NaN past the end
          if (!(d >= 0 && d <= 9)) break;
          x = x * 10 + d;
          p++;
        }
        if (p === start || x >= limit) return -1;
        if (col === this.#srcCol) u = x;
        else v = x;
      } else if (col === this.#wCol) {
        let negative = false;
        if (buf[p] === 0x2d) {
          negative = true;
          p++;
        }
        let mantissa = 0;
        let digits = 0;
        let scale = 0;
        for (;;) {
          const d = buf[p] - 0x30;
          if (!(d >= 0 && d <= 9)) break;
          mantissa = mantissa * 10 + d;
          digits++;
          p++;
        }
        if (buf[p] === 0x2e) {
          p++;
          for (;;) {
            const d = buf[p] - 0x30;
            if (!(d >= 0 && d <= 9)) break;
            mantissa = mantissa * 10 + d;
            digits++;
            scale++;
            p++;
          }
        }
        if (digits === 0 || digits > 15) return -1;
        const value = mantissa / POW10[scale];
        w = Math.fround(negative ? -value : value);
      } else {
        // A column not read: skipped, as #parseLine skips it.
        if (this.#commentStarts[buf[p]] === 1) return -1;
        if (ws) {
          while (p < n) {
            const b = buf[p];
            if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) break;
            p++;
          }
        } else {
          while (p < n) {
            const b = buf[p];
            if (b === delim || b === 0x0a || b === 0x0d || b === 0x22) break;
            p++;
          }
          if (buf[p] === 0x22) return -1;
        }
      }
      if (col === maxCol) break;
      if (ws) {
        if (buf[p] !== 0x20 && buf[p] !== 0x09) return -1;
        p++;
        while (buf[p] === 0x20 || buf[p] === 0x09) p++;
        const b = buf[p];
        if (b === 0x0a || b === 0x0d || p >= n) return -1;
      } else {
        while (buf[p] === 0x20 || (buf[p] === 0x09 && delim !== 0x09)) p++;
        if (buf[p] !== delim) return -1;
        p++;
        while (buf[p] === 0x20 || (buf[p] === 0x09 && delim !== 0x09)) p++;
      }
    }
    if (ws) {
      const b = buf[p];
      if (b !== 0x0a && b !== 0x0d && b !== 0x20 && b !== 0x09) return -1;
    } else {
      while (buf[p] === 0x20 || (buf[p] === 0x09 && delim !== 0x09) || buf[p] === 0x0d) p++;
      if (buf[p] !== delim && buf[p] !== 0x0a) return -1;
    }
    let q = p;
    while (q < n && buf[q] !== 0x0a) q++;
    if (q === n || q - pos > MAX_LINE_BYTES) return -1;
    let i = this.count;
    if (i === this.src.length) {
      this.#grow(i + 1);
      i = this.count;
    }
    this.src[i] = u;
    this.dst[i] = v;
    if (this.weights !== null) this.weights[i] = w;
    this.count = i + 1;
    const m = u > v ? u : v;
    if (m > this.maxId) this.maxId = m;
    this.line++;
    return q + 1;
  }

  #parseLine(buf: Uint8Array, start: number, end: number): void {
    let p = this.#contentStart(buf, start, end);
    if (p < 0) {
      this.skipped++;
      return;
    }
    let u = -1;
    let v = -1;
    let w = 0;
    for (let col = 0; col <= this.#maxCol; col++) {
      p = p > end ? -2 : this.#field(buf, p, end);
      if (p === -2) {
        this.fail(`expected at least ${this.#maxCol + 1} columns, got ${col} in ${quote(buf, start, end)}`);
      }
      if (col === this.#srcCol) u = this.#id(buf, 'source');
      else if (col === this.#dstCol) v = this.#id(buf, 'target');
      else if (col === this.#wCol) w = this.#weight(buf);
    }
    let i = this.count;
    if (i === this.src.length) {
      this.#grow(i + 1);
      i = this.count;
    }
    this.src[i] = u;
    this.dst[i] = v;
    if (this.weights !== null) this.weights[i] = w;
    this.count = i + 1;
  }

  #id(buf: Uint8Array, which: string): number {
    const start = this.#fs;
    const end = this.#fe;
    if (start === end) this.fail(`empty ${which} node id`);
    if (this.#named) return this.#namedId(this.#text(buf));
    let v = 0;
    let i = start;
    for (; i < end; i++) {
      const d = buf[i] - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      if (v > MAX_ID) break;
    }
    if (i === end) {
      if (v >= this.#limit) this.fail(`${which} node id ${v} is not below numNodes (${this.#limit})`);
      if (v > this.maxId) this.maxId = v;
      return v;
    }
    const text = this.#text(buf);
    if (NUMBER_TEXT.test(text)) {
      const shown = quote(buf, start, end);
      if (/^\d+$/.test(text)) this.fail(`${which} node id ${shown} is too large (node ids must be below 2^31 - 1)`);
      const what = text.startsWith('-') && Number(text) !== 0 ? 'negative' : 'not a plain decimal integer';
      this.fail(`${which} node id ${shown} is ${what} (node ids are non-negative integers; nodeIds: 'string' reads any text as a name)`);
    }
    if (this.s.nodeIds === 'auto') throw new RestartWithNames();
    this.fail(`expected an integer ${which} node id, got ${quote(buf, start, end)} (nodeIds: 'string' reads any text as a name)`);
  }

  #namedId(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      if (id >= this.#limit) this.fail(`node ${JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name)} is node number ${id + 1}, more than numNodes (${this.#limit})`);
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  #weight(buf: Uint8Array): number {
    let start = this.#fs;
    const end = this.#fe;
    if (start === end) this.fail('empty weight');
    // Fast path: [-]digits[.digits] with at most 15 significant digits is exact in a double
    // (Clinger); Math.fround then rounds once more, as parsing to float64 and casting does.
    let negative = false;
    if (buf[start] === 0x2d) {
      negative = true;
      start++;
    }
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    let dot = false;
    let i = start;
    for (; i < end; i++) {
      const b = buf[i];
      const d = b - 0x30;
      if (d >= 0 && d <= 9) {
        mantissa = mantissa * 10 + d;
        digits++;
        if (dot) scale++;
      } else if (b === 0x2e && !dot) {
        dot = true;
      } else {
        break;
      }
    }
    let value: number;
    if (i === end && digits > 0 && digits <= 15 && scale <= 22) {
      value = mantissa / POW10[scale];
      if (negative) value = -value;
    } else {
      const text = this.#text(buf);
      if (!NUMBER_TEXT.test(text)) {
        if (SPECIAL_FLOAT.test(text)) this.fail(`weight ${quote(buf, this.#fs, end)} is not finite`);
        this.fail(`expected a number as weight, got ${quote(buf, this.#fs, end)}`);
      }
      value = Number(text);
    }
    const f = Math.fround(value);
    if (!Number.isFinite(f)) this.fail(`weight ${quote(buf, this.#fs, end)} is beyond float32's range`);
    return f;
  }

  #grow(needed: number): void {
    if (needed > MAX_EDGES) this.fail(`more than ${MAX_EDGES} edges`);
    const size = Math.min(MAX_EDGES, Math.max(needed, Math.ceil(this.src.length * 1.5), 1024));
    this.reserve(size);
  }

  /** Grows the edge arrays to `size` entries (no-op when already that large). */
  reserve(size: number): void {
    if (size <= this.src.length) return;
    const grow = <T extends Int32Array | Float32Array>(a: T, make: (n: number) => T): T => {
      let b: T;
      try {
        b = make(size);
      } catch (error) {
        throw new GnnError('ERR_GNN_OUT_OF_MEMORY', `${this.label}: cannot allocate ${size} edges (${(error as Error).message})`, { cause: error });
      }
      b.set(a.subarray(0, this.count));
      return b;
    };
    this.src = grow(this.src, (n) => new Int32Array(n));
    this.dst = grow(this.dst, (n) => new Int32Array(n));
    if (this.weights !== null) this.weights = grow(this.weights, (n) => new Float32Array(n));
  }
}

function isNumberText(text: string): boolean {
  return NUMBER_TEXT.test(text) || SPECIAL_FLOAT.test(text);
}

/** After the first chunk: size the arrays for the whole file at the density seen so far. */
function reserveFor(parser: EdgeListParser, bytesSeen: number, totalBytes: number): void {
  if (bytesSeen <= 0 || parser.count === 0) return;
  const estimate = Math.ceil((parser.count / bytesSeen) * totalBytes * 1.02) + 16;
  parser.reserve(Math.min(MAX_EDGES, estimate));
}

function result(parser: EdgeListParser, s: Settings): EdgeListResult {
  parser.finish();
  const n = parser.count;
  const src = parser.src.subarray(0, n);
  const dst = parser.dst.subarray(0, n);
  const named = s.nodeIds === 'string';
  const weights = parser.weights === null ? null : parser.weights.length === n ? parser.weights : parser.weights.slice(0, n);
  const numNodes = s.numNodes ?? (named ? parser.names.length : parser.maxId + 1);
  let graph = Graph.fromCOO(src, dst, weights === null ? { numNodes } : { numNodes, edgeWeight: weights });
  if (!s.directed) graph = graph.toUndirected();
  return { graph, nodeIds: named ? parser.names : null, edgeWeight: weights, numEdges: n, skippedLines: parser.skipped };
}

/** Runs `parse` with the settings, and again with named ids if it met one under nodeIds 'auto'. */
function withRestart<T>(s: Settings, parse: (s: Settings) => T): T {
  try {
    return parse(s);
  } catch (error) {
    if (!(error instanceof RestartWithNames)) throw error;
    return parse({ ...s, nodeIds: 'string' });
  }
}

async function withRestartAsync<T>(s: Settings, parse: (s: Settings) => Promise<T>): Promise<T> {
  try {
    return await parse(s);
  } catch (error) {
    if (!(error instanceof RestartWithNames)) throw error;
    return parse({ ...s, nodeIds: 'string' });
  }
}

function parseBytes(bytes: Uint8Array, label: string, s: Settings): EdgeListResult {
  const parser = new EdgeListParser(s, label, Math.min(1 << 16, (bytes.length >> 2) + 1));
  // Size the arrays from the first 4 MiB, then parse everything in one go.
  const head = bytes.lastIndexOf(0x0a, Math.min(bytes.length, CHUNK_BYTES) - 1);
  let start = 0;
  if (head > 0 && head + 1 < bytes.length) {
    start = parser.feed(bytes.subarray(0, head + 1), 0, false);
    reserveFor(parser, start, bytes.length);
  }
  parser.feed(bytes, start, true);
  return result(parser, s);
}

function parseFileSync(path: string, s: Settings): EdgeListResult {
  const reader = FileReader.open(path, CODE);
  try {
    const parser = new EdgeListParser(s, path, Math.min(1 << 16, (reader.size >> 2) + 1));
    const buffer = new Uint8Array(Math.min(CHUNK_BYTES, Math.max(reader.size, 1)));
    let filled = 0;
    let position = 0;
    for (;;) {
      const n = Math.min(buffer.length - filled, reader.size - position);
      if (n > 0) reader.readInto(buffer.subarray(filled, filled + n), position);
      position += n;
      filled += n;
      const final = position >= reader.size;
      const consumed = parser.feed(buffer.subarray(0, filled), 0, final);
      if (final) break;
      if (position === n) reserveFor(parser, consumed, reader.size); // after the first chunk
      buffer.copyWithin(0, consumed, filled);
      filled -= consumed;
    }
    return result(parser, s);
  } finally {
    reader.close();
  }
}

/**
 * FileReader's asynchronous twin: reads run on libuv's pool, the event loop stays free between
 * them. (Belongs in source.ts beside FileReader.) @internal
 */
export class AsyncFileReader {
  private constructor(
    readonly path: string,
    readonly code: GnnErrorCode,
    readonly size: number,
    private readonly handle: fs.promises.FileHandle,
  ) {}

  static async open(path: string, code: GnnErrorCode): Promise<AsyncFileReader> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(path, 'r');
    } catch (error) {
      throw new GnnError(code, `${path}: cannot open (${(error as Error).message})`, { cause: error });
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new GnnError(code, `${path}: not a regular file`);
      return new AsyncFileReader(path, code, stat.size, handle);
    } catch (error) {
      await handle.close();
      if (error instanceof GnnError) throw error;
      throw new GnnError(code, `${path}: cannot stat (${(error as Error).message})`, { cause: error });
    }
  }

  /** Fills `into` from `position`; a short read (file shrank) is an error. */
  async readInto(into: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < into.length) {
      let n: number;
      try {
        ({ bytesRead: n } = await this.handle.read(into, done, Math.min(1 << 30, into.length - done), position + done));
      } catch (error) {
        throw new GnnError(this.code, `${this.path}: read failed (${(error as Error).message})`, { cause: error });
      }
      if (n === 0) {
        throw new GnnError(this.code, `${this.path}: file ended at byte ${position + done}, expected ${position + into.length} bytes (changed while reading?)`);
      }
      done += n;
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

async function parseFileAsync(path: string, s: Settings): Promise<EdgeListResult> {
  const reader = await AsyncFileReader.open(path, CODE);
  try {
    const parser = new EdgeListParser(s, path, Math.min(1 << 16, (reader.size >> 2) + 1));
    const buffer = new Uint8Array(Math.min(CHUNK_BYTES, Math.max(reader.size, 1)));
    let filled = 0;
    let position = 0;
    for (;;) {
      const n = Math.min(buffer.length - filled, reader.size - position);
      if (n > 0) await reader.readInto(buffer.subarray(filled, filled + n), position);
      position += n;
      filled += n;
      const final = position >= reader.size;
      const consumed = parser.feed(buffer.subarray(0, filled), 0, final);
      if (final) break;
      if (position === n) reserveFor(parser, consumed, reader.size); // after the first chunk
      buffer.copyWithin(0, consumed, filled);
      filled -= consumed;
    }
    return result(parser, s);
  } finally {
    await reader.close();
  }
}

function sourceOf(input: unknown): ByteSource {
  return toByteSource('source', input, 'a path, file: URL, Uint8Array or ArrayBuffer');
}

/**
 * Reads a text edge list synchronously. `source` is a path, a file: URL or the file's bytes.
 * Malformed content is a GnnError ERR_GNN_INVALID_GRAPH naming the file, the line and the text.
 */
export function readEdgeListSync(source: PathOrBytes, options?: ReadEdgeListOptions): EdgeListResult {
  const s = settings(options, 'readEdgeListSync');
  const src = sourceOf(source);
  return withRestart(s, (t) => (src.kind === 'bytes' ? parseBytes(src.bytes, src.label, t) : parseFileSync(src.path, t)));
}

/**
 * Reads a text edge list; the file is read in chunks with the event loop free between them.
 * Bytes given in memory are parsed at once (there is nothing to wait for).
 */
export async function readEdgeList(source: PathOrBytes, options?: ReadEdgeListOptions): Promise<EdgeListResult> {
  const s = settings(options, 'readEdgeList');
  const src = sourceOf(source);
  if (src.kind === 'bytes') return withRestart(s, (t) => parseBytes(src.bytes, src.label, t));
  return withRestartAsync(s, (t) => parseFileAsync(src.path, t));
}
