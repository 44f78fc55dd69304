/**
 * Slicings: rules that put every output row into exactly one slice.
 *
 *   'degree'     in-degree buckets on a log scale: 0, then [b^j, b^(j+1) − 1] for j = 0, 1, …
 *                (base b = 2: "0", "1", "2-3", "4-7", "8-15", …); degrees of the graph as given
 *   'label'      the row's label, one slice per class
 *   'attribute'  one slice per distinct value of a per-row attribute (numbers ascending, then
 *                strings in code-unit order, then booleans)
 *   'predicate'  `name` and `not name`, by a test on the row index
 *   'hops'       hop distance from a node set (e.g. the training mask) along edge direction, the way
 *                messages travel: "0" is the set itself, "1" … "k" the nodes first reached after that
 *                many hops, ">k" farther or unreachable (k = maxHops, default 3)
 * Degree and hop slicings need node-level rows (one per node of the graph); the others work on any
 * rows, graph-level ones included.
 */
import { GnnError, described, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import { Graph } from '../graph';
import { checkInteger, checkOptions } from '../validate';
import { labelArray, maskRows } from './inputs';
import type { LabelInput, MaskInput } from './inputs';

export type Slicing =
  | 'degree'
  | 'label'
  | { by: 'degree'; base?: number; name?: string }
  | { by: 'label'; name?: string }
  | { by: 'attribute'; name: string; values: ArrayLike<number | string | boolean> }
  | { by: 'predicate'; name: string; test: (row: number) => boolean }
  | { by: 'hops'; from: MaskInput; maxHops?: number; name?: string };

export type SlicingKind = 'degree' | 'label' | 'attribute' | 'predicate' | 'hops';

/** Which slice each row is in. */
export interface SliceAssignment {
  by: SlicingKind;
  /** The slicing's display name. */
  name: string;
  /** Slice names, in report order. */
  slices: string[];
  /** Per row, the index of its slice in `slices` (-1 only for an unevaluated row whose label is not a class). */
  of: Int32Array;
}

const KEYS: Record<SlicingKind, readonly string[]> = {
  degree: ['by', 'base', 'name'],
  label: ['by', 'name'],
  attribute: ['by', 'name', 'values'],
  predicate: ['by', 'name', 'test'],
  hops: ['by', 'from', 'maxHops', 'name'],
};

function nodeRows(graph: Graph, rows: number, by: string): void {
  if (rows !== graph.numNodes) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `slices: '${by}' needs one output row per node (${graph.numNodes}), got ${rows} rows`);
  }
}

function degreeSlices(graph: Graph, rows: number, base: number, name: string): SliceAssignment {
  nodeRows(graph, rows, 'degree');
  const deg = graph.inDegrees();
  // Bucket 0 holds degree 0; bucket j + 1 holds [base^j, base^(j+1) - 1].
  const bucket = new Int32Array(rows);
  let top = 0;
  for (let v = 0; v < rows; v++) {
    let b = 0;
    for (let lo = 1; deg[v] >= lo; lo *= base) b++;
    bucket[v] = b;
    top = Math.max(top, b);
  }
  const used = new Uint8Array(top + 1);
  for (const b of bucket) used[b] = 1;
  const names: string[] = [];
  const index = new Int32Array(top + 1).fill(-1);
  for (let b = 0; b <= top; b++) {
    if (used[b] === 0) continue;
    index[b] = names.length;
    const lo = b === 0 ? 0 : base ** (b - 1);
    const hi = b === 0 ? 0 : base ** b - 1;
    names.push(lo === hi ? String(lo) : `${lo}-${hi}`);
  }
  return { by: 'degree', name, slices: names, of: Int32Array.from(bucket, (b) => index[b]) };
}

function labelSlices(labels: ArrayLike<number>, classes: number, name: string): SliceAssignment {
  const of = Int32Array.from({ length: labels.length }, (_, r) => {
    const y = labels[r];
    return Number.isInteger(y) && y >= 0 && y < classes ? y : -1;
  });
  return { by: 'label', name, slices: Array.from({ length: classes }, (_, c) => String(c)), of };
}

function attributeSlices(values: unknown, rows: number, name: string): SliceAssignment {
  if (values === null || typeof values !== 'object' || typeof (values as { length?: unknown }).length !== 'number') {
    throw invalidArgType(`slices '${name}' values`, 'an array with one value per row', values);
  }
  const v = values as ArrayLike<unknown>;
  if (v.length !== rows) throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `slices '${name}' values: expected ${rows} entries (one per row), got ${v.length}`);
  const keys: Array<number | string | boolean> = [];
  for (let r = 0; r < rows; r++) {
    const x = v[r];
    if ((typeof x === 'number' && !Number.isNaN(x)) || typeof x === 'string' || typeof x === 'boolean') keys.push(x);
    else throw invalidArgValue(`slices '${name}' values[${r}]`, 'a number (not NaN), string or boolean', x);
  }
  const rank = (x: number | string | boolean): number => (typeof x === 'number' ? 0 : typeof x === 'string' ? 1 : 2);
  const distinct = [...new Set(keys)].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(distinct.map((x, i) => [x, i]));
  return { by: 'attribute', name, slices: distinct.map(String), of: Int32Array.from(keys, (x) => index.get(x) as number) };
}

function predicateSlices(test: unknown, rows: number, name: string): SliceAssignment {
  if (typeof test !== 'function') throw invalidArgType(`slices '${name}' test`, 'a function (row) => boolean', test);
  const of = new Int32Array(rows);
  for (let r = 0; r < rows; r++) of[r] = (test as (row: number) => unknown)(r) ? 0 : 1;
  return { by: 'predicate', name, slices: [name, `not ${name}`], of };
}

/** Hop distance from the `from` nodes along edge direction (-1: unreachable). */
export function hopDistances(graph: Graph, from: Int32Array): Int32Array {
  if (!(graph instanceof Graph)) throw invalidArgType('graph', 'a Graph', graph);
  if (!(from instanceof Int32Array)) throw invalidArgType('from', 'an Int32Array of node ids', from);
  const n = graph.numNodes;
  if (graph.numSrcNodes !== n) throw invalidArgValue('graph', 'a square graph (numSrcNodes = numNodes)', described(`${graph.numSrcNodes} -> ${n} nodes`));
  for (let i = 0; i < from.length; i++) if (!(from[i] >= 0 && from[i] < n)) throw outOfRange(`from[${i}]`, `a node id in [0, ${n - 1}]`, from[i]);
  const indptr = graph.indptr;
  const indices = graph.indices;
  // Out-adjacency (the graph stores in-edges per destination).
  const outPtr = new Int32Array(n + 1);
  for (let e = 0; e < indices.length; e++) outPtr[indices[e] + 1]++;
  for (let u = 0; u < n; u++) outPtr[u + 1] += outPtr[u];
  const fill = outPtr.slice(0, n);
  const outIdx = new Int32Array(indices.length);
  for (let v = 0; v < n; v++) {
    for (let p = Number(indptr[v]); p < Number(indptr[v + 1]); p++) outIdx[fill[indices[p]]++] = v;
  }
  const dist = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (const u of from) {
    if (dist[u] !== 0) {
      dist[u] = 0;
      queue[tail++] = u;
    }
  }
  while (head < tail) {
    const u = queue[head++];
    for (let p = outPtr[u]; p < outPtr[u + 1]; p++) {
      const v = outIdx[p];
      if (dist[v] === -1) {
        dist[v] = dist[u] + 1;
        queue[tail++] = v;
      }
    }
  }
  return dist;
}

function hopSlices(graph: Graph, rows: number, from: MaskInput, maxHops: number, name: string): SliceAssignment {
  nodeRows(graph, rows, 'hops');
  const dist = hopDistances(graph, maskRows(`slices '${name}' from`, from, rows));
  const names = [...Array.from({ length: maxHops + 1 }, (_, k) => String(k)), `>${maxHops}`];
  return { by: 'hops', name, slices: names, of: Int32Array.from(dist, (d) => (d === -1 || d > maxHops ? maxHops + 1 : d)) };
}

/**
 * The slice of every row under one slicing. `rows` is the number of output rows, `classes` the
 * number of classes (for 'label').
 */
export function assignSlices(slicing: Slicing, graph: Graph, labels: LabelInput, rows: number, classes: number): SliceAssignment {
  const spec = typeof slicing === 'string' ? { by: slicing } : slicing;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw invalidArgType('slices[]', "'degree', 'label' or a slicing object", slicing);
  const by = (spec as { by?: unknown }).by;
  if (typeof by !== 'string' || !Object.prototype.hasOwnProperty.call(KEYS, by)) {
    throw invalidArgValue('slices[].by', "'degree', 'label', 'attribute', 'predicate' or 'hops'", by);
  }
  const kind = by as SlicingKind;
  const s = checkOptions(spec as Record<string, unknown>, `slices '${kind}'`, KEYS[kind]) as Record<string, unknown>;
  const given = s.name;
  if (given !== undefined && typeof given !== 'string') throw invalidArgType(`slices '${kind}' name`, 'a string', given);
  if ((kind === 'attribute' || kind === 'predicate') && given === undefined) throw invalidArgValue(`slices '${kind}' name`, 'a name for the slicing', given);
  switch (kind) {
    case 'degree':
      return degreeSlices(graph, rows, s.base === undefined ? 2 : checkInteger(`slices 'degree' base`, s.base, 2, 1024), (given as string | undefined) ?? 'in-degree');
    case 'label':
      return labelSlices(labelArray('labels', labels, rows), classes, (given as string | undefined) ?? 'label');
    case 'attribute':
      return attributeSlices(s.values, rows, given as string);
    case 'predicate':
      return predicateSlices(s.test, rows, given as string);
    default: {
      if (s.from === undefined) throw invalidArgValue(`slices 'hops' from`, 'a node mask (e.g. the training mask)', s.from);
      const maxHops = s.maxHops === undefined ? 3 : checkInteger(`slices 'hops' maxHops`, s.maxHops, 0, 1024);
      return hopSlices(graph, rows, s.from as MaskInput, maxHops, (given as string | undefined) ?? 'hops from set');
    }
  }
}
