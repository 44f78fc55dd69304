/**
 * Graph loaders: text edge lists (every option, both parse paths, chunk boundaries, every error),
 * binary edge_index files (raw and .npy written by NumPy itself, see fixtures/loaders), graphology
 * graphs (a duck-typed mock, and graphology itself, a devDependency), and hostile inputs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { GnnError } from '../lib/errors';
import { Random } from '../lib/generators/random';
import { Graph } from '../lib/graph';
import { MAX_LINE_BYTES, fromGraphology, readEdgeIndex, readEdgeIndexSync, readEdgeList, readEdgeListSync } from '../lib/io/index';
import type { EdgeListResult, GraphologyLike, ReadEdgeListOptions } from '../lib/io/index';

const FIXTURES = path.resolve(__dirname, 'fixtures', 'loaders');
const fixture = (name: string): string => path.join(FIXTURES, name);
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnn-loaders-'));
afterAll(() => fs.rmSync(tmpDir, { recursive: true, force: true }));
const tmp = (name: string, content: string | Uint8Array): string => {
  const p = path.join(tmpDir, name);
  fs.writeFileSync(p, content);
  return p;
};

/** The fixtures' graph. */
const SRC = [0, 1, 1, 2, 3, 0];
const DST = [1, 0, 2, 3, 0, 3];
const WEIGHT = [0.5, 1, 2.25, -3, 1e-3, 7].map(Math.fround);

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const read = (s: string, options?: ReadEdgeListOptions): EdgeListResult => readEdgeListSync(text(s), options);

/** Sources and targets of a graph in its input order. */
function edges(g: Graph): { src: number[]; dst: number[]; weight: number[] | null } {
  const { edgeIndex, edgeWeight } = g.toEdgeIndex();
  const e = g.numEdges;
  return { src: Array.from(edgeIndex.subarray(0, e)), dst: Array.from(edgeIndex.subarray(e)), weight: edgeWeight === null ? null : Array.from(edgeWeight) };
}

/** Expects `fn` to throw (or reject with) a GnnError / coded error with `code` and a message matching every pattern. */
function expectError(fn: () => unknown, code: string, ...patterns: Array<string | RegExp>): Error {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected an error').toBeInstanceOf(Error);
  const error = caught as Error & { code?: string };
  expect(error.code).toBe(code);
  for (const p of patterns) {
    if (typeof p === 'string') expect(error.message).toContain(p);
    else expect(error.message).toMatch(p);
  }
  return error;
}

/** Bitwise equality of two typed arrays (vitest's toEqual walks big ones element by element, slowly). */
function expectSameArray(actual: ArrayBufferView | null, expected: ArrayBufferView): void {
  expect(actual).not.toBeNull();
  const a = Buffer.from((actual as ArrayBufferView).buffer, (actual as ArrayBufferView).byteOffset, (actual as ArrayBufferView).byteLength);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  expect(actual?.constructor).toBe(expected.constructor);
  expect(a.equals(b)).toBe(true);
}

async function expectRejection(promise: Promise<unknown>, code: string, ...patterns: string[]): Promise<void> {
  const error = (await promise.then(
    () => null,
    (e: unknown) => e,
  )) as (Error & { code?: string }) | null;
  expect(error, 'expected a rejection').toBeInstanceOf(Error);
  expect(error?.code).toBe(code);
  for (const p of patterns) expect(error?.message).toContain(p);
}

const INVALID = 'ERR_GNN_INVALID_GRAPH';

describe('readEdgeList: formats', () => {
  it('reads a SNAP file (comments, tabs), sync and async, from a path and a file: URL', async () => {
    for (const r of [
      readEdgeListSync(fixture('snap.txt')),
      await readEdgeList(fixture('snap.txt')),
      readEdgeListSync(pathToFileURL(fixture('snap.txt'))),
      await readEdgeList(pathToFileURL(fixture('snap.txt'))),
    ]) {
      expect(edges(r.graph)).toEqual({ src: SRC, dst: DST, weight: null });
      expect(r.graph.numNodes).toBe(4);
      expect(r.nodeIds).toBeNull();
      expect(r.edgeWeight).toBeNull();
      expect(r.numEdges).toBe(6);
      expect(r.skippedLines).toBe(4);
    }
  });

  it('reads a CSV with a BOM, CRLF, a header, weights by name and no final line break', async () => {
    for (const r of [readEdgeListSync(fixture('weighted.csv'), { weight: 'weight' }), await readEdgeList(fixture('weighted.csv'), { weight: 2 })]) {
      expect(edges(r.graph)).toEqual({ src: SRC, dst: DST, weight: WEIGHT });
      expect(Array.from(r.edgeWeight as Float32Array)).toEqual(WEIGHT);
      expect(r.graph.hasEdgeWeight).toBe(true);
      expect(r.skippedLines).toBe(1);
    }
  });

  it('reads named nodes from a TSV with quoted fields, columns by header name', () => {
    const r = readEdgeListSync(fixture('names.tsv'), { source: 'from', target: 'to', weight: 'weight' });
    expect(r.nodeIds).toEqual(['New York', 'Boston', 'Chicago']);
    expect(edges(r.graph)).toEqual({ src: [0, 1, 2], dst: [1, 2, 0], weight: [2, 1.5, 0.25] });
  });

  it('gives the same graph from bytes as Buffer, Uint8Array at an offset and ArrayBuffer', () => {
    const bytes = fs.readFileSync(fixture('snap.txt'));
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    for (const source of [bytes, padded.subarray(3), bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)]) {
      expect(edges(readEdgeListSync(source).graph)).toEqual({ src: SRC, dst: DST, weight: null });
    }
  });

  it.each([
    ['comma', '0,1\n1,2\n'],
    ['comma with spaces', '0 , 1\n 1,2 \n'],
    ['tab', '0\t1\n1\t2\n'],
    ['semicolon', '0;1\n1;2\n'],
    ['spaces', '0 1\n1 2\n'],
    ['runs of spaces', '0    1\n  1  2  \n'],
    ['CRLF', '0 1\r\n1 2\r\n'],
    ['CRLF, comma', '0,1\r\n1,2\r\n'],
    ['no final line break', '0 1\n1 2'],
    ['blank and blank-looking lines', '\n0 1\n   \n\t\n\r\n1 2\n\n'],
    ['a BOM', '\ufeff0 1\n1 2\n'],
    ['a BOM before a comment', '\ufeff# c\n0 1\n1 2\n'],
    ['extra columns', '0 1 x y\n1 2 z 3\n'],
    ['extra columns, comma', '0,1,,\n1,2,"a,b",3\n'],
    ['quoted ids', '"0","1"\n"1",2\n'],
    ['leading zeros', '00 01\n001 2\n'],
    ['inline comments', '0 1 # first\n1 2 % second\n'],
  ])('auto-detects the delimiter: %s', (_name, content) => {
    const r = read(content);
    expect(edges(r.graph)).toEqual({ src: [0, 1], dst: [1, 2], weight: null });
    expect(r.graph.numNodes).toBe(3);
  });

  it.each([
    [',', '0,1\n1,2\n'],
    ['\t', '0\t1\n1\t2\n'],
    [';', '0;1\n1;2\n'],
    ['|', '0|1\n1|2\n'],
    ['whitespace', '0  1\n1\t2\n'],
    ['whitespace, runs of spaces and tabs', '0   \t 1\n  1\t\t2  \n'],
    [' ', '0  1\n1\t2\n'],
  ])('takes an explicit delimiter %j', (delimiter, content) => {
    const d = delimiter.startsWith('whitespace') ? 'whitespace' : delimiter;
    expect(edges(read(content, { delimiter: d }).graph)).toEqual({ src: [0, 1], dst: [1, 2], weight: null });
  });

  it('splits only on the given delimiter: a tab file with spaces inside names', () => {
    const r = read('new york\tboston\nboston\tla\n', { delimiter: '\t' });
    expect(r.nodeIds).toEqual(['new york', 'boston', 'la']);
    expect(() => read('new york\tboston\n', { delimiter: 'whitespace', nodeIds: 'string' })).not.toThrow();
  });

  it('reads weights in every notation, rounded like float64 -> float32', () => {
    const ws = ['1', '-2', '0.5', '.25', '5.', '-.125', '+3', '1e3', '1E-3', '2.5e+2', '0.1', '3.14159265358979323846', '123456789012345678', '-0', '1e-50'];
    const r = read(ws.map((w, i) => `${i} ${i + 1} ${w}`).join('\n'), { weight: 2 });
    expect(Array.from(r.edgeWeight as Float32Array)).toEqual(ws.map((w) => Math.fround(Number(w))));
    expect(Object.is((r.edgeWeight as Float32Array)[13], -0)).toBe(true);
  });
});

describe('readEdgeList: header', () => {
  it("'auto' finds a header over numbers, and no header in numbers alone", () => {
    expect(read('src dst\n0 1\n').skippedLines).toBe(1);
    expect(read('0 1\n1 2\n').skippedLines).toBe(0);
    expect(read('a,b,weight\nx,y,1.5\n', { weight: 2 }).skippedLines).toBe(1); // the weight column decides
    expect(read('a,b,weight\nx,y,1.5\n', { weight: 2 }).nodeIds).toEqual(['x', 'y']);
  });

  it("'auto' with named nodes and no number column reads the first line as an edge", () => {
    const r = read('alice bob\nbob carol\n');
    expect(r.nodeIds).toEqual(['alice', 'bob', 'carol']);
    expect(r.numEdges).toBe(2);
    expect(read('alice bob\nbob carol\n', { header: true }).nodeIds).toEqual(['bob', 'carol']);
  });

  it('a file of only a header has no edges', () => {
    for (const content of ['source,target\n', 'source,target', 'source target weight\r\n', '# c\nsource target\n\n']) {
      const r = read(content);
      expect(r.numEdges).toBe(0);
      expect(r.graph.numNodes).toBe(0);
    }
    expect(read('source,target\n', { nodeIds: 'string' }).numEdges).toBe(1); // named nodes: an edge
    expect(read('source,target\n', { source: 'source', target: 'target' }).numEdges).toBe(0);
  });

  it('header: true skips the first data line whatever it holds; false reads it', () => {
    expect(read('# c\n5 6\n0 1\n', { header: true }).graph.numNodes).toBe(2);
    expect(read('0 1\n', { header: false }).numEdges).toBe(1);
    expectError(() => read('src dst\n0 1\n', { header: false, nodeIds: 'integer' }), INVALID, 'line 1', '"src"');
    expect(read('src dst\n0 1\n', { header: false }).nodeIds).toEqual(['src', 'dst', '0', '1']);
  });

  it('columns by name: any order, extra columns, unknown names listed', () => {
    const r = read('w,x,to,from\n0.5,_,1,0\n2,_,0,2\n', { source: 'from', target: 'to', weight: 'w' });
    expect(edges(r.graph)).toEqual({ src: [0, 2], dst: [1, 0], weight: [0.5, 2] });
    expectError(() => read('a,b\n0,1\n', { source: 'from', target: 'b' }), INVALID, 'line 1', 'source', '"from"', '["a", "b"]');
    expectError(() => read('a,b\n0,1\n', { weight: 'w' }), INVALID, 'weight', '"w"');
  });

  it('columns by index: swapped, skipping some, weight anywhere', () => {
    const r = read('1 0 x 0.5\n2 1 y 1.5\n', { source: 1, target: 0, weight: 3 });
    expect(edges(r.graph)).toEqual({ src: [0, 1], dst: [1, 2], weight: [0.5, 1.5] });
    const c = read('t,0,1,3\nt,1,2,4\n', { source: 1, target: 2 });
    expect(edges(c.graph)).toEqual({ src: [0, 1], dst: [1, 2], weight: null });
  });
});

describe('readEdgeList: comments', () => {
  it('skips # and % lines by default, anywhere, with leading blanks', () => {
    const r = read('# a\n%b\n0 1\n  # c\n\t% d\n1 2\n#\n');
    expect(r.numEdges).toBe(2);
    expect(r.skippedLines).toBe(5);
  });

  it('takes other prefixes, or none', () => {
    expect(read('// x\n0 1\n', { comments: '//' }).numEdges).toBe(1);
    expect(read('// x\n! y\n0 1\n', { comments: ['//', '!'] }).numEdges).toBe(1);
    expect(read('/x y\n0 1\n', { comments: '//', header: false, nodeIds: 'string' }).nodeIds).toEqual(['/x', 'y', '0', '1']);
    expectError(() => read('0 1\n# c\n', { comments: null, nodeIds: 'integer' }), INVALID, 'line 2', '"#"');
    expect(read('0 1\n#a #b\n', { comments: null, nodeIds: 'string' }).nodeIds).toEqual(['0', '1', '#a', '#b']);
  });

  it('a comment in place of a needed field leaves too few columns', () => {
    expectError(() => read('0 1\n2 # 3\n'), INVALID, 'line 2', 'expected at least 2 columns, got 1');
  });
});

describe('readEdgeList: node ids', () => {
  it('integer ids: numNodes is the largest id + 1, or as given', () => {
    expect(read('0 5\n').graph.numNodes).toBe(6);
    expect(read('0 5\n', { numNodes: 10 }).graph.numNodes).toBe(10);
    expect(read('0 5\n', { nodeIds: 'integer' }).nodeIds).toBeNull();
    expect(read('', { numNodes: 3 }).graph.numNodes).toBe(3);
  });

  it('named ids are numbered in order of first appearance, source before target', () => {
    const r = read('b a\nc b\na d\n');
    expect(r.nodeIds).toEqual(['b', 'a', 'c', 'd']);
    expect(edges(r.graph)).toEqual({ src: [0, 2, 1], dst: [1, 0, 3], weight: null });
  });

  it("nodeIds: 'string' keeps numbers as text: 1 and 01 are different nodes", () => {
    const r = read('1 01\n01 2\n', { nodeIds: 'string' });
    expect(r.nodeIds).toEqual(['1', '01', '2']);
    expect(edges(r.graph)).toEqual({ src: [0, 1], dst: [1, 2], weight: null });
  });

  it("'auto' starts over with names when a name appears late (bytes, file, async)", async () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `${i} ${i + 1}`);
    lines.push('x 7');
    const content = `${lines.join('\n')}\n`;
    const file = tmp('late-name.txt', content);
    for (const r of [read(content), readEdgeListSync(file), await readEdgeList(file)]) {
      expect(r.nodeIds?.length).toBe(50_002);
      expect(r.nodeIds?.slice(0, 3)).toEqual(['0', '1', '2']);
      expect(r.nodeIds?.[50_001]).toBe('x');
      expect(r.numEdges).toBe(50_001);
      const last = edges(r.graph);
      expect([last.src[50_000], last.dst[50_000]]).toEqual([50_001, 7]);
    }
  });

  it('names: quoted with "" escapes, UTF-8, delimiters inside quotes', () => {
    const r = read('"a ""q""",b\n"x,y",é\n"日本",b\n');
    expect(r.nodeIds).toEqual(['a "q"', 'b', 'x,y', 'é', '日本']);
  });

  it('numNodes bounds named ids too', () => {
    expect(read('a b\n', { numNodes: 5 }).graph.numNodes).toBe(5);
    expectError(() => read('a b\nc a\n', { numNodes: 2 }), INVALID, 'line 2', '"c"', 'numNodes (2)');
  });
});

describe('readEdgeList: directed', () => {
  it('directed: false is Graph.toUndirected (reverse edges, duplicates summed, sorted)', () => {
    const content = '0 1 1\n1 0 2\n1 2 0.5\n2 2 4\n';
    const r = read(content, { directed: false, weight: 2 });
    const expected = Graph.fromCOO(Int32Array.from([0, 1, 1, 2]), Int32Array.from([1, 0, 2, 2]), { edgeWeight: Float32Array.from([1, 2, 0.5, 4]) }).toUndirected();
    expect(edges(r.graph)).toEqual(edges(expected));
    expect(edges(r.graph)).toEqual({ src: [0, 1, 1, 2, 2], dst: [1, 0, 2, 1, 2], weight: [3, 3, 0.5, 0.5, 8] });
    expect(r.numEdges).toBe(4);
    expect(Array.from(r.edgeWeight as Float32Array)).toEqual([1, 2, 0.5, 4]); // as read
  });
});

describe('readEdgeList: errors', () => {
  const cases: Array<[string, string, ReadEdgeListOptions | undefined, string[]]> = [
    ['negative id', '0 1\n1 -2\n', undefined, ['line 2', 'target node id "-2" is negative']],
    ['fractional id', '0 1.5\n', undefined, ['line 1', '"1.5" is not a plain decimal integer']],
    ['signed id', '+1 0\n', undefined, ['"+1" is not a plain decimal integer']],
    ['exponent id', '1e3 0\n', undefined, ['"1e3"']],
    ['id past int32', '0 2147483647\n', undefined, ['"2147483647" is too large']],
    ['huge id', `0 ${'9'.repeat(400)}\n`, undefined, ['is too large', '…']],
    ['id not below numNodes', '0 1\n3 0\n', { numNodes: 3 }, ['line 2', 'source node id 3 is not below numNodes (3)']],
    ['name with integer ids', '0 1\nx 0\n', { nodeIds: 'integer' }, ['line 2', 'expected an integer source node id, got "x"']],
    ['too few columns', '0 1\n2\n', undefined, ['line 2', 'expected at least 2 columns, got 1 in "2"']],
    ['too few for the weight', '0 1 1\n1 2\n', { weight: 2 }, ['line 2', 'expected at least 3 columns, got 2']],
    ['empty id', '0,1\n,2\n', undefined, ['line 2', 'empty source node id']],
    ['empty weight', '0,1,1\n0,1,\n', { weight: 2 }, ['empty weight']],
    ['NaN weight', '0 1 1\n0 1 NaN\n', { weight: 2 }, ['weight "NaN" is not finite']],
    ['nan weight', '0 1 1\n0 1 nan\n', { weight: 2 }, ['is not finite']],
    ['infinite weight', '0 1 1\n0 1 -inf\n', { weight: 2 }, ['weight "-inf" is not finite']],
    ['Infinity weight', '0 1 1\n0 1 Infinity\n', { weight: 2 }, ['is not finite']],
    ['weight past float32', '0 1 1\n0 1 1e39\n', { weight: 2 }, ['weight "1e39" is beyond float32\'s range']],
    ['text weight', '0 1 1\n0 1 heavy\n', { weight: 2 }, ['expected a number as weight, got "heavy"']],
    ['hex weight', '0 1 1\n0 1 0x10\n', { weight: 2 }, ['"0x10"']],
    ['unterminated quote', '"a,b\n', undefined, ['line 1', 'unterminated quoted field']],
    ['text after a quote', '"a"x,b\n', undefined, ['expected a delimiter after the quoted field']],
    ['invalid UTF-8', 'a\xff b\n', undefined, ['invalid UTF-8']],
    ['id glued to text', '0 1\n1 2x\n', { nodeIds: 'integer' }, ['line 2', '"2x"']],
  ];
  it.each(cases)('%s', (_name, content, options, patterns) => {
    const bytes = _name === 'invalid UTF-8' ? Buffer.from(content, 'latin1') : text(content);
    const error = expectError(() => readEdgeListSync(bytes, options), INVALID, 'the given bytes', ...patterns);
    expect(error).toBeInstanceOf(GnnError);
  });

  it('names the file and line, with long text cut', async () => {
    const file = tmp('bad.txt', `0 1\n\n1 ${'x'.repeat(200)}.5\n`);
    const e = expectError(() => readEdgeListSync(file, { nodeIds: 'integer' }), INVALID, `${file}, line 3`, '…');
    expect(e.message.length).toBeLessThan(file.length + 200);
    await expectRejection(readEdgeList(file, { nodeIds: 'integer' }), INVALID, `${file}, line 3`);
  });

  it('a line longer than MAX_LINE_BYTES is an error, not a buffer that grows', async () => {
    const long = `0 1\n${'7'.repeat(MAX_LINE_BYTES + 10)}\n`;
    expectError(() => read(long), INVALID, 'line 2', `longer than ${MAX_LINE_BYTES} bytes`);
    const file = tmp('long.txt', `0 1\n${'1 '.repeat(3 << 20)}`); // 6 MiB, no line break: past a chunk
    expectError(() => readEdgeListSync(file), INVALID, 'line 2', 'without a line break');
    await expectRejection(readEdgeList(file), INVALID, 'line 2');
  });

  it('missing files and directories', async () => {
    const missing = path.join(tmpDir, 'nope.txt');
    expectError(() => readEdgeListSync(missing), INVALID, missing, 'cannot open');
    await expectRejection(readEdgeList(missing), INVALID, 'cannot open');
    expectError(() => readEdgeListSync(tmpDir), INVALID, 'not a regular file');
    await expectRejection(readEdgeList(tmpDir), INVALID, 'not a regular file');
  });

  it('validates options and arguments (Node-style errors)', async () => {
    const bytes = text('0 1\n');
    expectError(() => readEdgeListSync(bytes, { colour: 1 } as never), 'ERR_INVALID_ARG_VALUE', 'readEdgeListSync options', 'colour');
    expectError(() => readEdgeListSync(bytes, 5 as never), 'ERR_INVALID_ARG_TYPE', 'options');
    expectError(() => readEdgeListSync(42 as never), 'ERR_INVALID_ARG_TYPE', 'source', 'the number 42');
    expectError(() => readEdgeListSync(''), 'ERR_INVALID_ARG_VALUE', 'source');
    expectError(() => readEdgeListSync(bytes, { delimiter: 'ab' }), 'ERR_INVALID_ARG_VALUE', 'delimiter', '"ab"');
    expectError(() => readEdgeListSync(bytes, { delimiter: '.' }), 'ERR_INVALID_ARG_VALUE', 'delimiter');
    expectError(() => readEdgeListSync(bytes, { delimiter: 3 as never }), 'ERR_INVALID_ARG_TYPE', 'delimiter');
    expectError(() => readEdgeListSync(bytes, { header: 'yes' as never }), 'ERR_INVALID_ARG_VALUE', 'header');
    expectError(() => readEdgeListSync(bytes, { comments: '' }), 'ERR_INVALID_ARG_VALUE', 'comments');
    expectError(() => readEdgeListSync(bytes, { comments: ['#', 'a b'] }), 'ERR_INVALID_ARG_VALUE', 'comments[1]');
    expectError(() => readEdgeListSync(bytes, { comments: ['-'] }), 'ERR_INVALID_ARG_VALUE', 'comments[0]');
    expectError(() => readEdgeListSync(bytes, { comments: [1 as never] }), 'ERR_INVALID_ARG_TYPE', 'comments[0]');
    expectError(() => readEdgeListSync(bytes, { delimiter: ',', comments: ',' }), 'ERR_INVALID_ARG_VALUE', 'comments');
    expectError(() => readEdgeListSync(bytes, { source: 1, target: 1 }), 'ERR_INVALID_ARG_VALUE', 'target');
    expectError(() => readEdgeListSync(bytes, { weight: 0 }), 'ERR_INVALID_ARG_VALUE', 'weight');
    expectError(() => readEdgeListSync(bytes, { source: -1 }), 'ERR_OUT_OF_RANGE', 'source');
    expectError(() => readEdgeListSync(bytes, { source: 1.5 }), 'ERR_OUT_OF_RANGE', 'source');
    expectError(() => readEdgeListSync(bytes, { target: '' }), 'ERR_INVALID_ARG_VALUE', 'target');
    expectError(() => readEdgeListSync(bytes, { weight: true as never }), 'ERR_INVALID_ARG_TYPE', 'weight');
    expectError(() => readEdgeListSync(bytes, { source: 'a', header: false }), 'ERR_INVALID_ARG_VALUE', 'header');
    expectError(() => readEdgeListSync(bytes, { directed: 'no' as never }), 'ERR_INVALID_ARG_TYPE', 'directed');
    expectError(() => readEdgeListSync(bytes, { nodeIds: 'names' as never }), 'ERR_INVALID_ARG_VALUE', 'nodeIds');
    expectError(() => readEdgeListSync(bytes, { numNodes: -1 }), 'ERR_OUT_OF_RANGE', 'numNodes');
    expectError(() => readEdgeListSync(bytes, { numNodes: 2 ** 31 }), 'ERR_OUT_OF_RANGE', 'numNodes');
    // The async form rejects rather than throws.
    const p = readEdgeList(bytes, { colour: 1 } as never);
    expect(p).toBeInstanceOf(Promise);
    await expectRejection(p, 'ERR_INVALID_ARG_VALUE', 'readEdgeList options');
  });
});

describe('readEdgeList: the fast and the general path agree', () => {
  it('random graphs written in many styles all read back the same', () => {
    const rng = new Random(7);
    const e = 3000;
    const src = Int32Array.from({ length: e }, () => rng.int(500));
    const dst = Int32Array.from({ length: e }, () => rng.int(500));
    const w = Float32Array.from({ length: e }, () => Math.fround((rng.int(2_000_000) - 1_000_000) / 64));
    const styles: Array<(i: number) => string> = [
      (i) => `${src[i]} ${dst[i]} ${w[i]}\n`,
      (i) => `${src[i]},${dst[i]},${w[i]}\r\n`,
      (i) => `  ${src[i]}   ${dst[i]}   ${w[i]}  \r\n`, // leading blanks: the general path
      (i) => `${src[i]}\t${dst[i]}\t${w[i]}\n`,
      (i) => `"${src[i]}", ${dst[i]} ,"${w[i]}"\n`, // quotes: the general path
      (i) => `${src[i]} ${dst[i]} ${w[i].toExponential()}\n`, // exponents: the general path
      (i) => `${src[i]} ${dst[i]} ${w[i]} extra "columns\n${i % 7 === 0 ? '# comment\n\n' : ''}`,
    ];
    for (const style of styles) {
      let content = '';
      for (let i = 0; i < e; i++) content += style(i);
      const r = read(content, { weight: 2 });
      expect(edges(r.graph)).toEqual({ src: Array.from(src), dst: Array.from(dst), weight: Array.from(w) });
    }
  });

  it('mixed plain and unusual lines in one file, line numbers counted by both paths', () => {
    const content = '0 1\n  1 2\n2 3\n# c\n3 4\n4  5\n5 6\n6 x7\n';
    expectError(() => read(content, { nodeIds: 'integer' }), INVALID, 'line 8', '"x7"');
    expectError(() => read('0 1\n1 2\r\n2 3\n  3 4\n4 5\n5 1.5\n'), INVALID, 'line 6');
  });
});

describe('readEdgeList: a 1M-edge file', () => {
  const e = 1_000_000;
  const rng = new Random(42);
  const src = Int32Array.from({ length: e }, () => rng.int(200_000));
  const dst = Int32Array.from({ length: e }, () => rng.int(200_000));
  const w = Float32Array.from({ length: e }, (_, i) => (i % 1000) / 8);
  const parts: string[] = ['# generated\n'];
  for (let i = 0; i < e; i++) parts.push(`${src[i]}\t${dst[i]}\t${w[i]}\n`);
  const file = tmp('million.tsv', parts.join(''));
  const maxId = src.reduce((m, v) => Math.max(m, v), dst.reduce((m, v) => Math.max(m, v), 0));

  it('reads it across chunk boundaries, sync and async, matching the source arrays', async () => {
    expect(fs.statSync(file).size).toBeGreaterThan(3 * (4 << 20));
    for (const r of [readEdgeListSync(file, { weight: 2 }), await readEdgeList(file, { weight: 2 }), readEdgeListSync(fs.readFileSync(file), { weight: 2 })]) {
      expect(r.numEdges).toBe(e);
      const { edgeIndex, edgeWeight } = r.graph.toEdgeIndex();
      expectSameArray(edgeIndex.subarray(0, e), src);
      expectSameArray(edgeIndex.subarray(e), dst);
      expectSameArray(edgeWeight, w);
      expectSameArray(r.edgeWeight, w);
      expect(r.graph.numNodes).toBe(maxId + 1);
    }
  });

  it('the async reader leaves the event loop free between chunks', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      await readEdgeList(file, { weight: 2 });
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('readEdgeList: hostile input never crashes', () => {
  const outcome = (bytes: Uint8Array, options?: ReadEdgeListOptions): string => {
    try {
      const r = readEdgeListSync(bytes, options);
      expect(r.graph.numEdges).toBe(r.numEdges);
      return 'ok';
    } catch (error) {
      expect(error).toBeInstanceOf(GnnError);
      expect((error as GnnError).code).toBe(INVALID);
      return 'error';
    }
  };

  it('empty input, only comments, only blanks', () => {
    for (const s of ['', '\n', '\r\n', '\ufeff', '# only\n% comments', '   \n\t\n']) {
      const r = read(s);
      expect(r.numEdges).toBe(0);
      expect(r.graph.numNodes).toBe(0);
      expect(r.nodeIds).toBeNull();
    }
  });

  it('random binary garbage, in every option combination', () => {
    const rng = new Random(3);
    for (let k = 0; k < 300; k++) {
      const bytes = Uint8Array.from({ length: rng.int(400) }, () => rng.int(256));
      for (const options of [{ numNodes: 1000 }, { nodeIds: 'string' as const }, { weight: 2, delimiter: ',', numNodes: 1000 }, { header: true, numNodes: 1000 }]) {
        outcome(bytes, options);
      }
    }
  });

  it('garbage made of the characters that matter', () => {
    const rng = new Random(5);
    const alphabet = ['0', '1', '9', ' ', '\t', ',', '\n', '\r', '"', '#', '%', '-', '.', 'e', 'x', '\ufeff', '\0'];
    const seen = new Set<string>();
    for (let k = 0; k < 2000; k++) {
      const s = Array.from({ length: rng.int(60) }, () => alphabet[rng.int(alphabet.length)]).join('');
      // numNodes bounds the graph: "9999999999 0" is otherwise a valid file for a huge graph.
      seen.add(outcome(text(s), { numNodes: 1000 }));
      seen.add(outcome(text(s), { weight: 2, nodeIds: 'integer', numNodes: 1000 }));
    }
    expect(seen).toEqual(new Set(['ok', 'error']));
  });

  it('huge numbers and many digits', () => {
    expect(outcome(text(`${'1'.repeat(100_000)} 0\n`))).toBe('error');
    expect(outcome(text(`0 1 ${'1'.repeat(100_000)}\n`), { weight: 2 })).toBe('error'); // beyond float32
    expect(outcome(text(`0 1 0.${'1'.repeat(100_000)}\n`), { weight: 2 })).toBe('ok');
    // The largest id parses (and is then checked against numNodes); one more does not.
    expectError(() => read('2147483646 0\n', { numNodes: 5 }), INVALID, 'source node id 2147483646 is not below numNodes (5)');
    expectError(() => read('2147483647 0\n'), INVALID, '"2147483647" is too large');
  });
});

// ---- readEdgeIndex ----

describe('readEdgeIndex: files written by NumPy', () => {
  const cases: Array<[string, { dtype?: 'int32' | 'int64' }, 'raw' | 'npy', 'int32' | 'int64']> = [
    ['edge_index_i8.npy', {}, 'npy', 'int64'],
    ['edge_index_i4.npy', {}, 'npy', 'int32'],
    ['edge_index_v2.npy', {}, 'npy', 'int64'],
    ['edge_index_v3.npy', {}, 'npy', 'int64'],
    ['edge_index_i8.npy', { dtype: 'int64' }, 'npy', 'int64'],
    ['edge_index_i8.bin', {}, 'raw', 'int64'],
    ['edge_index_i4.bin', { dtype: 'int32' }, 'raw', 'int32'],
  ];
  it.each(cases)('%s %j', async (name, options, format, dtype) => {
    for (const r of [readEdgeIndexSync(fixture(name), options), await readEdgeIndex(fixture(name), options), readEdgeIndexSync(fs.readFileSync(fixture(name)), options)]) {
      expect(edges(r.graph)).toEqual({ src: SRC, dst: DST, weight: null });
      expect(r.graph.numNodes).toBe(4);
      expect(r.numEdges).toBe(6);
      expect(r.format).toBe(format);
      expect(r.dtype).toBe(dtype);
      expect(r.edgeWeight).toBeNull();
    }
  });

  it.each(['edge_weight_f4.npy', 'edge_weight_f8.npy', 'edge_weight_f4.bin'])('weights from %s', async (name) => {
    for (const r of [
      readEdgeIndexSync(fixture('edge_index_i8.npy'), { weights: fixture(name) }),
      await readEdgeIndex(fixture('edge_index_i8.npy'), { weights: fixture(name) }),
      readEdgeIndexSync(fixture('edge_index_i8.bin'), { weights: fs.readFileSync(fixture(name)) }),
    ]) {
      expect(edges(r.graph)).toEqual({ src: SRC, dst: DST, weight: WEIGHT });
      expect(Array.from(r.edgeWeight as Float32Array)).toEqual(WEIGHT);
    }
  });

  it('numNodes: larger is fine, an id not below it is an error', () => {
    expect(readEdgeIndexSync(fixture('edge_index_i4.npy'), { numNodes: 10 }).graph.numNodes).toBe(10);
    expectError(() => readEdgeIndexSync(fixture('edge_index_i4.npy'), { numNodes: 3 }), INVALID, 'edge_index[0][4] = 3 is not below numNodes (3)');
  });

  it.each([
    ['bad_fortran.npy', 'fortran_order is True'],
    ['bad_big_endian.npy', "dtype '>i8'", 'big-endian'],
    ['bad_shape_e2.npy', 'shape: expected (2, E), got (6, 2)'],
    ['bad_shape_1d.npy', 'shape: expected (2, E), got (12,)'],
    ['bad_uint64.npy', "dtype '<u8'", "expected '<i8' or '<i4'"],
    ['bad_float.npy', "dtype '<f4'"],
    ['bad_negative.npy', 'edge_index[0][1] = -1 is negative'],
    ['bad_int64_range.npy', 'edge_index[0][1] = 2147483648 does not fit a node id'],
  ])('rejects %s', async (name, ...patterns) => {
    expectError(() => readEdgeIndexSync(fixture(name)), INVALID, fixture(name), ...patterns);
    await expectRejection(readEdgeIndex(fixture(name)), INVALID, ...patterns);
  });

  it('a .npy dtype that disagrees with the option, raw data of the wrong size or dtype', () => {
    expectError(() => readEdgeIndexSync(fixture('edge_index_i8.npy'), { dtype: 'int32' }), INVALID, ".npy dtype is int64, but dtype: 'int32' was given");
    expectError(() => readEdgeIndexSync(new Uint8Array(40)), INVALID, 'expected raw [2, E] int64 edge_index (a multiple of 16 bytes), got 40 bytes', "pass dtype: 'int32'");
    expectError(() => readEdgeIndexSync(fixture('edge_index_i4.bin')), INVALID, 'edge_index[0][0] = 4294967296 does not fit', "int32 data? pass dtype: 'int32'");
    expectError(() => readEdgeIndexSync(new Uint8Array(12), { dtype: 'int32' }), INVALID, 'a multiple of 8 bytes');
    // int32 data of a size that happens to divide: the ids do not fit, and the message says why
    const i32 = new Int32Array([0, 1, 2, 3, 1, 2, 3, 0]);
    expectError(() => readEdgeIndexSync(new Uint8Array(i32.buffer)), INVALID, 'does not fit a node id', "int32 data? pass dtype: 'int32'");
  });

  it('weights: wrong count, NaN, beyond float32, wrong dtype', () => {
    const ei = fixture('edge_index_i8.npy');
    expectError(() => readEdgeIndexSync(ei, { weights: new Uint8Array(20) }), INVALID, 'the given weight bytes', 'expected 6 weights', 'got 5');
    expectError(() => readEdgeIndexSync(ei, { weights: new Uint8Array(new Float32Array([1, 2, NaN, 4, 5, 6]).buffer) }), INVALID, 'weights[2] = NaN is not finite');
    expectError(() => readEdgeIndexSync(ei, { weights: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, Infinity]).buffer) }), INVALID, 'weights[5]');
    expectError(() => readEdgeIndexSync(ei, { weights: fixture('edge_index_i8.npy') }), INVALID, "dtype '<i8'", "expected '<f4' or '<f8'");
    const big = npy('<f8', '(6,)', new Uint8Array(new Float64Array([1, 2, 3, 1e300, 5, 6]).buffer));
    expectError(() => readEdgeIndexSync(ei, { weights: big }), INVALID, "weights[3] = 1e+300 is beyond float32's range");
    expectError(() => readEdgeIndexSync(ei, { weights: fixture('edge_weight_f4.npy').replace('f4', 'f2') }), INVALID, 'cannot open');
  });

  it('an empty edge_index, raw or .npy', () => {
    for (const source of [new Uint8Array(0), npy('<i8', '(2, 0)', new Uint8Array(0))]) {
      const r = readEdgeIndexSync(source, { numNodes: 3 });
      expect(r.numEdges).toBe(0);
      expect(r.graph.numNodes).toBe(3);
    }
  });

  it('misaligned bytes and data across 8 MiB chunks (1M edges, int64 and int32)', async () => {
    const e = 1_000_000;
    const rng = new Random(11);
    const expected = Int32Array.from({ length: 2 * e }, () => rng.int(300_000));
    const ids = new BigInt64Array(2 * e);
    for (let i = 0; i < ids.length; i++) ids[i] = BigInt(expected[i]);
    const raw = new Uint8Array(ids.buffer);
    const misaligned = new Uint8Array(raw.length + 1).subarray(1);
    misaligned.set(raw);
    const file = tmp('ei.bin', raw);
    const file32 = tmp('ei32.npy', npy('<i4', `(2, ${e})`, new Uint8Array(expected.buffer)));
    for (const r of [readEdgeIndexSync(misaligned), readEdgeIndexSync(file), await readEdgeIndex(file), readEdgeIndexSync(file32), await readEdgeIndex(file32)]) {
      expectSameArray(r.graph.toEdgeIndex().edgeIndex, expected);
    }
    // An error in a late chunk names the right position.
    ids[2 * e - 1] = -5n;
    expectError(() => readEdgeIndexSync(new Uint8Array(ids.buffer)), INVALID, `edge_index[1][${e - 1}] = -5 is negative`);
  });

  it('validates options and arguments', async () => {
    const b = new Uint8Array(16);
    expectError(() => readEdgeIndexSync(b, { format: 'npy' } as never), 'ERR_INVALID_ARG_VALUE', 'readEdgeIndexSync options', 'format');
    expectError(() => readEdgeIndexSync(b, { dtype: 'int16' as never }), 'ERR_INVALID_ARG_VALUE', 'dtype');
    expectError(() => readEdgeIndexSync(b, { dtype: 64 as never }), 'ERR_INVALID_ARG_TYPE', 'dtype');
    expectError(() => readEdgeIndexSync(b, { numNodes: 0.5 }), 'ERR_OUT_OF_RANGE', 'numNodes');
    expectError(() => readEdgeIndexSync(b, { weights: [1, 2] as never }), 'ERR_INVALID_ARG_TYPE', 'weights');
    expectError(() => readEdgeIndexSync(null as never), 'ERR_INVALID_ARG_TYPE', 'source');
    await expectRejection(readEdgeIndex(b, { dtype: 'int16' as never }), 'ERR_INVALID_ARG_VALUE', 'dtype');
  });
});

/** A .npy file from a descr, a shape literal and data, with a v1 header padded as NumPy pads it. */
function npy(descr: string, shape: string, data: Uint8Array, dict?: string): Buffer {
  let header = dict ?? `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = (64 - ((10 + header.length + 1) % 64)) % 64;
  header = `${header}${' '.repeat(pad)}\n`;
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data)]);
}

describe('readEdgeIndex: hostile .npy files', () => {
  const data = new Uint8Array(new BigInt64Array([0n, 1n, 1n, 0n]).buffer);
  it.each([
    ['a truncated preamble', Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]), 'ends inside its preamble'],
    ['an unknown version', Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 9, 0, 0, 0])]), 'version 9.0'],
    ['a header past the end', Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0xff, 0x00, 0x7b]), 'runs past the end'],
    ['a huge header', (() => {
      const b = Buffer.alloc(12 + 70000, 0x20);
      b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
      b.writeUInt32LE(70000, 8);
      return b;
    })(), 'larger than 65536'],
    ['not a dict', npy('', '', data, "['descr']"), "malformed .npy header (expected '{'"],
    ['missing key', npy('', '', data, "{'descr': '<i8', 'shape': (2, 2)}"), 'expected the keys descr, fortran_order and shape, got descr, shape'],
    ['extra key', npy('', '', data, "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), 'x': 1}"), 'malformed'],
    ['duplicate key', npy('', '', data, "{'descr': '<i8', 'descr': '<i8', 'fortran_order': False, 'shape': (2, 2)}"), "the key 'descr' twice"],
    ['unterminated string', npy('', '', data, "{'descr: '<i8'}"), 'malformed'],
    ['text after the dict', npy('', '', data, "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2)} x"), 'text after the dict'],
    ['a negative dimension', npy('<i8', '(2, -2)', data), 'expected a dimension'],
    ['a float dimension', npy('<i8', '(2, 2.0)', data), "expected ',' or ')'"],
    ['a structured dtype', npy('', '', data, "{'descr': [('a', '<i8')], 'fortran_order': False, 'shape': (2, 2)}"), 'expected a string'],
    ['fortran_order not a bool', npy('', '', data, "{'descr': '<i8', 'fortran_order': 0, 'shape': (2, 2)}"), 'malformed'],
    ['shape not a tuple', npy('', '', data, "{'descr': '<i8', 'fortran_order': False, 'shape': 'x'}"), 'shape: expected a tuple'],
    ['too little data', npy('<i8', '(2, 3)', data), 'is 48 bytes, the file holds 32'],
    ['trailing bytes', npy('<i8', '(2, 1)', data), 'is 16 bytes, the file holds 32'],
    ['an enormous shape', npy('<i8', '(2, 99999999999999)', data), 'the file holds 32'],
  ])('%s', (_name, bytes, pattern) => {
    expectError(() => readEdgeIndexSync(bytes), INVALID, 'the given bytes', pattern);
  });

  it('random mutations of a valid file give a graph or a GnnError, never anything else', () => {
    const valid = fs.readFileSync(fixture('edge_index_i8.npy'));
    const rng = new Random(9);
    let errors = 0;
    for (let k = 0; k < 3000; k++) {
      const b = Buffer.from(valid);
      for (let m = 1 + rng.int(3); m > 0; m--) b[rng.int(b.length)] = rng.int(256);
      const cut = rng.int(8) === 0 ? b.subarray(0, rng.int(b.length)) : b;
      try {
        // Bounded: a mutated id near 2^31 is a valid file for a graph of 2^31 nodes (an 8 GB indptr).
        readEdgeIndexSync(cut, { numNodes: 64 });
      } catch (error) {
        expect(error).toBeInstanceOf(GnnError);
        expect((error as GnnError).code).toBe(INVALID);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(100);
  });
});

// ---- fromGraphology ----

type Attrs = Record<string, unknown>;
/** A hand-written stand-in, typed loosely as users' own would be. */
const like = (o: object): GraphologyLike => o as GraphologyLike;

/** A minimal graph with graphology's API, enough to stand in for it. */
class MockGraph implements GraphologyLike {
  nodes: Array<[string, Attrs]> = [];
  edgeList: Array<{ key: string; source: string; target: string; undirected: boolean; attributes: Attrs }> = [];
  constructor(readonly type: 'directed' | 'undirected' | 'mixed') {}
  get order(): number {
    return this.nodes.length;
  }
  get size(): number {
    return this.edgeList.length;
  }
  addNode(key: string): this {
    this.nodes.push([key, {}]);
    return this;
  }
  addEdge(source: string, target: string, attributes: Attrs = {}, undirected = this.type === 'undirected'): this {
    this.edgeList.push({ key: `e${this.edgeList.length}`, source, target, undirected, attributes });
    return this;
  }
  forEachNode(callback: (node: string, attributes: Attrs) => void): void {
    for (const [k, a] of this.nodes) callback(k, a);
  }
  forEachEdge(callback: (e: string, a: Attrs, s: string, t: string, sa: Attrs, ta: Attrs, u: boolean) => void): void {
    for (const e of this.edgeList) callback(e.key, e.attributes, e.source, e.target, {}, {}, e.undirected);
  }
}

/** `g` seen through an object whose own properties replace some of its (getters included). */
function override(g: MockGraph, props: Record<string, unknown>): MockGraph {
  return Object.create(g, Object.fromEntries(Object.entries(props).map(([k, value]) => [k, { value }]))) as MockGraph;
}

describe('fromGraphology', () => {
  it('a directed graph: node order, edge order, weights (missing -> 1)', () => {
    const g = new MockGraph('directed').addNode('x').addNode('y').addNode('z');
    g.addEdge('x', 'y', { w: 2 }).addEdge('z', 'x').addEdge('y', 'y', { w: 0.5 }).addEdge('x', 'y', { w: 3 });
    const r = fromGraphology(g, { weightAttribute: 'w' });
    expect(r.nodeIds).toEqual(['x', 'y', 'z']);
    expect(edges(r.graph)).toEqual({ src: [0, 2, 1, 0], dst: [1, 0, 1, 1], weight: [2, 1, 0.5, 3] });
    expect(fromGraphology(g).graph.hasEdgeWeight).toBe(false);
  });

  it('an undirected graph gives both directions, a self loop once', () => {
    const g = new MockGraph('undirected').addNode('a').addNode('b').addNode('c');
    g.addEdge('a', 'b', { weight: 2 }).addEdge('c', 'c').addEdge('b', 'c', { weight: 5 });
    const r = fromGraphology(g, { weightAttribute: 'weight' });
    expect(edges(r.graph)).toEqual({ src: [0, 1, 2, 1, 2], dst: [1, 0, 2, 2, 1], weight: [2, 2, 1, 5, 5] });
    // the same as reading the edges once and symmetrising, up to order
    const once = Graph.fromCOO(Int32Array.from([0, 2, 1]), Int32Array.from([1, 2, 2]), { edgeWeight: Float32Array.from([2, 1, 5]) });
    const sorted = (x: ReturnType<typeof edges>) => x.src.map((s, i) => `${s}>${x.dst[i]}`).sort();
    expect(sorted(edges(r.graph))).toEqual(sorted(edges(once.toUndirected({ reduce: 'max' }))));
  });

  it('a mixed graph: by the undirected flag, by isUndirected(), or by the typed iterators', () => {
    const g = new MockGraph('mixed').addNode('a').addNode('b').addNode('c');
    g.addEdge('a', 'b', {}, false).addEdge('b', 'c', {}, true).addEdge('c', 'a', {}, false);
    const expected = { src: [0, 1, 2, 2], dst: [1, 2, 1, 0], weight: null };
    expect(edges(fromGraphology(g).graph)).toEqual(expected);

    const noFlag = {
      type: 'mixed',
      order: 3,
      size: 3,
      forEachNode: (cb: (k: string) => void) => ['a', 'b', 'c'].forEach((k) => cb(k)),
      forEachEdge: (cb: (e: string, a: Attrs, s: string, t: string) => void) => g.edgeList.forEach((e) => cb(e.key, e.attributes, e.source, e.target)),
      isUndirected: (e: string) => e === 'e1',
    };
    expect(edges(fromGraphology(like(noFlag)).graph)).toEqual(expected);
    expectError(() => fromGraphology(like({ ...noFlag, isUndirected: undefined })), INVALID, 'does not say whether edge "e0" is undirected');

    const typed = {
      type: 'mixed',
      order: 3,
      size: 3,
      forEachNode: noFlag.forEachNode,
      forEachDirectedEdge: (cb: (e: string, a: Attrs, s: string, t: string) => void) =>
        g.edgeList.filter((e) => !e.undirected).forEach((e) => cb(e.key, e.attributes, e.source, e.target)),
      forEachUndirectedEdge: (cb: (e: string, a: Attrs, s: string, t: string) => void) =>
        g.edgeList.filter((e) => e.undirected).forEach((e) => cb(e.key, e.attributes, e.source, e.target)),
    };
    expect(edges(fromGraphology(like(typed)).graph)).toEqual({ src: [0, 2, 1, 2], dst: [1, 0, 2, 1], weight: null });
  });

  it('attributes from getEdgeAttribute when forEachEdge passes none', () => {
    const g = {
      type: 'directed',
      order: 2,
      size: 1,
      forEachNode: (cb: (k: string) => void) => ['p', 'q'].forEach((k) => cb(k)),
      forEachEdge: (cb: (e: string, a: unknown, s: string, t: string) => void) => cb('only', undefined, 'q', 'p'),
      getEdgeAttribute: (_e: string, name: string) => (name === 'w' ? 4 : undefined),
    };
    expect(edges(fromGraphology(like(g), { weightAttribute: 'w' }).graph)).toEqual({ src: [1], dst: [0], weight: [4] });
  });

  it('nodeIds sets the numbering (numbers as keys too)', () => {
    const g = new MockGraph('directed').addNode('1').addNode('0').addNode('2');
    g.addEdge('1', '0').addEdge('0', '2');
    const r = fromGraphology(g, { nodeIds: [0, 1, '2'] });
    expect(r.nodeIds).toEqual(['0', '1', '2']);
    expect(edges(r.graph)).toEqual({ src: [1, 0], dst: [0, 2], weight: null });
    expectError(() => fromGraphology(g, { nodeIds: ['0', '1'] }), 'ERR_INVALID_ARG_VALUE', 'nodeIds', '3 keys');
    expectError(() => fromGraphology(g, { nodeIds: ['0', '1', '3'] }), 'ERR_INVALID_ARG_VALUE', 'nodeIds[2]', 'a node of the graph');
    expectError(() => fromGraphology(g, { nodeIds: ['0', '1', 1] }), 'ERR_INVALID_ARG_VALUE', 'nodeIds[2]', 'nodeIds[1]');
    expectError(() => fromGraphology(g, { nodeIds: ['0', '1', null as never] }), 'ERR_INVALID_ARG_TYPE', 'nodeIds[2]');
    expectError(() => fromGraphology(g, { nodeIds: 'abc' as never }), 'ERR_INVALID_ARG_TYPE', 'nodeIds');
  });

  it('an empty graph, and isolated nodes', () => {
    expect(fromGraphology(new MockGraph('directed')).graph.numNodes).toBe(0);
    const r = fromGraphology(new MockGraph('undirected').addNode('a').addNode('b'));
    expect([r.graph.numNodes, r.graph.numEdges]).toEqual([2, 0]);
  });

  it('weights that are not finite numbers are errors naming the edge', () => {
    const make = (w: unknown) => new MockGraph('directed').addNode('a').addNode('b').addEdge('a', 'b', { w });
    expectError(() => fromGraphology(make('2'), { weightAttribute: 'w' }), INVALID, 'edge "e0"', 'attribute "w" should be a number, got the string "2"');
    expectError(() => fromGraphology(make(null), { weightAttribute: 'w' }), INVALID, 'got null');
    expectError(() => fromGraphology(make(NaN), { weightAttribute: 'w' }), INVALID, '"w" = NaN is not finite');
    expectError(() => fromGraphology(make(1e300), { weightAttribute: 'w' }), INVALID, "beyond float32's range");
  });

  it('inconsistent graphs are errors', () => {
    const g = new MockGraph('directed').addNode('a').addNode('b').addEdge('a', 'b');
    expectError(() => fromGraphology(override(g, { order: 3 })), INVALID, 'visited 2 nodes, graph.order is 3');
    expectError(() => fromGraphology(override(g, { size: 0 })), INVALID, 'more than graph.size (0)');
    expectError(() => fromGraphology(override(g, { size: 2 })), INVALID, 'visited 1 edges, graph.size is 2');
    expectError(() => fromGraphology(override(g, { order: -1 })), INVALID, 'graph.order');
    const dangling = new MockGraph('directed').addNode('a').addEdge('a', 'zz');
    expectError(() => fromGraphology(dangling), INVALID, 'edge "e0": its target "zz" is not a node of the graph');
    const twice = new MockGraph('directed').addNode('a').addNode('a');
    expectError(() => fromGraphology(twice), INVALID, 'node "a" visited twice');
  });

  it('rejects what is not a graph, and bad options', () => {
    expectError(() => fromGraphology(null as never), 'ERR_INVALID_ARG_TYPE', 'graph', 'graphology');
    expectError(() => fromGraphology({} as never), 'ERR_INVALID_ARG_TYPE', 'graph');
    expectError(() => fromGraphology(new Map() as never), 'ERR_INVALID_ARG_TYPE', 'graph', 'an instance of Map');
    const g = new MockGraph('directed');
    expectError(() => fromGraphology(override(g, { type: 'hyper' })), 'ERR_INVALID_ARG_VALUE', 'graph', '"hyper"');
    expectError(() => fromGraphology(g, { weight: 'w' } as never), 'ERR_INVALID_ARG_VALUE', 'fromGraphology options', 'weight');
    expectError(() => fromGraphology(g, { weightAttribute: 3 as never }), 'ERR_INVALID_ARG_TYPE', 'weightAttribute');
    expectError(() => fromGraphology(g, { weightAttribute: '' }), 'ERR_INVALID_ARG_VALUE', 'weightAttribute');
  });
});

/** graphology itself (a devDependency; the package has no runtime dependency on it). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const graphologyModule = require('graphology') as { new (options?: object): unknown };

describe('fromGraphology with graphology itself', () => {
  it('a mixed multigraph with attributes', () => {
    const Ctor = graphologyModule as new (options?: object) => GraphologyLike & {
      addNode(k: string): void;
      addDirectedEdge(s: string, t: string, a?: Attrs): void;
      addUndirectedEdge(s: string, t: string, a?: Attrs): void;
    };
    const g = new Ctor({ type: 'mixed', multi: true });
    for (const k of ['a', 'b', 'c']) g.addNode(k);
    g.addDirectedEdge('a', 'b', { weight: 2 });
    g.addUndirectedEdge('b', 'c');
    g.addUndirectedEdge('c', 'c', { weight: 3 });
    g.addDirectedEdge('a', 'b', { weight: 4 });
    const r = fromGraphology(g, { weightAttribute: 'weight' });
    expect(r.nodeIds).toEqual(['a', 'b', 'c']);
    expect(edges(r.graph)).toEqual({ src: [0, 1, 2, 2, 0], dst: [1, 2, 1, 2, 1], weight: [2, 1, 1, 3, 4] });
  });
});
