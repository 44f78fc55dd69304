/**
 * `npm run bench:graph`: Graph construction and transforms at 10M edges (uniform random, unsorted
 * caller order, and the same edges already sorted by target).
 */
import { Graph, Random } from '../lib/index';
import { fmt, time } from './harness';

const numNodes = 1_000_000;
const numEdges = 10_000_000;
const rng = new Random(7);
const edgeIndex = new Int32Array(2 * numEdges);
for (let i = 0; i < edgeIndex.length; i++) edgeIndex[i] = rng.int(numNodes);
const weights = new Float32Array(numEdges).fill(1);

// The same edges in CSR order (sorted by target), as PyG's coalesced Planetoid graphs come.
const built = Graph.fromEdgeIndex(edgeIndex, numNodes);
const sorted = new Int32Array(2 * numEdges);
sorted.set(built.indices, 0);
const ptr = built.indptr as Int32Array;
for (let v = 0; v < numNodes; v++) sorted.fill(v, numEdges + ptr[v], numEdges + ptr[v + 1]);

const rows: Array<[string, number]> = [];
rows.push(['fromEdgeIndex, 10M edges, random order', time(() => Graph.fromEdgeIndex(edgeIndex, numNodes), 5, 1).medianMs]);
rows.push(['fromEdgeIndex, 10M edges, random order, weighted', time(() => Graph.fromEdgeIndex(edgeIndex, numNodes, { edgeWeight: weights }), 5, 1).medianMs]);
rows.push(['fromEdgeIndex, 10M edges, sorted by target', time(() => Graph.fromEdgeIndex(sorted, numNodes), 5, 1).medianMs]);
const g = Graph.fromEdgeIndex(edgeIndex, numNodes);
rows.push(['fromCSR (copy + validate), 10M edges', time(() => Graph.fromCSR(g.indptr, g.indices), 5, 1).medianMs]);
rows.push(['gcnNorm (add loops + normalise), 10M edges', time(() => g.gcnNorm(), 3, 1).medianMs]);
rows.push(['toUndirected, 10M edges', time(() => g.toUndirected(), 3, 1).medianMs]);
console.log('| operation | median ms |');
console.log('|---|---:|');
for (const [name, ms] of rows) console.log(`| ${name} | ${fmt(ms)} |`);
