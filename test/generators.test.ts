/** Graph generators: deterministic for a seed, with the structure they promise. */
import { describe, expect, it } from 'vitest';

import { Random, randomValues, rmat, rmatEdgeIndex, stochasticBlockModel, uniformRandomGraph } from '../lib/index';

describe('Random', () => {
  it('is deterministic, uniform in [0, 1) and normal with the right moments', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const sa = Array.from({ length: 5 }, () => a.uint32());
    expect(sa).toEqual(Array.from({ length: 5 }, () => b.uint32()));
    expect(sa).not.toEqual(Array.from({ length: 5 }, () => c.uint32()));
    const r = new Random(1);
    let sum = 0;
    let sq = 0;
    let lo = 1;
    let hi = 0;
    const n = 200000;
    for (let i = 0; i < n; i++) {
      const f = r.float();
      lo = Math.min(lo, f);
      hi = Math.max(hi, f);
      const z = r.normal();
      sum += z;
      sq += z * z;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.02);
    expect(Array.from(randomValues(4, 9))).toEqual(Array.from(randomValues(4, 9)));
  });
});

describe('rmat', () => {
  it('has Graph500 size, is deterministic, and is heavy-tailed', () => {
    const a = rmatEdgeIndex({ scale: 14, seed: 5 });
    const b = rmatEdgeIndex({ scale: 14, seed: 5 });
    expect(a.numNodes).toBe(16384);
    expect(a.edgeIndex.length).toBe(2 * 16 * 16384);
    expect(Array.from(a.edgeIndex.subarray(0, 100))).toEqual(Array.from(b.edgeIndex.subarray(0, 100)));
    expect(Array.from(rmatEdgeIndex({ scale: 14, seed: 6 }).edgeIndex.subarray(0, 100))).not.toEqual(Array.from(a.edgeIndex.subarray(0, 100)));
    const g = rmat({ scale: 14, seed: 5 });
    const deg = g.inDegrees();
    const max = Math.max(...deg);
    const zero = deg.filter((d) => d === 0).length;
    expect(max).toBeGreaterThan(40 * 16); // power law: hubs far above the mean of 16
    expect(zero).toBeGreaterThan(1000); // and many nodes with no in-edges
  });

  it('without scrambling, node 0 is the biggest hub (the A quadrant)', () => {
    const g = rmat({ scale: 12, scramble: false, seed: 1 });
    const deg = g.inDegrees();
    expect(deg[0]).toBe(Math.max(...deg));
  });
});

describe('stochasticBlockModel', () => {
  it('matches the expected edge counts within and between blocks', () => {
    const sizes = [3000, 2000, 1000];
    const p = [
      [0.004, 0.0005, 0.0002],
      [0.0005, 0.006, 0.0003],
      [0.0002, 0.0003, 0.01],
    ];
    const { graph, blocks } = stochasticBlockModel({ sizes, p, seed: 3 });
    expect(graph.numNodes).toBe(6000);
    const { edgeIndex } = graph.toEdgeIndex();
    const e = graph.numEdges;
    const counts = [0, 1, 2].map(() => [0, 0, 0]);
    const pairs = new Set<number>();
    let loops = 0;
    for (let i = 0; i < e; i++) {
      const u = edgeIndex[i];
      const v = edgeIndex[e + i];
      if (u === v) loops++;
      pairs.add(u * 6000 + v);
      counts[blocks[u]][blocks[v]]++;
    }
    expect(loops).toBe(0);
    expect(pairs.size).toBe(e); // no duplicates
    let unmatched = 0;
    for (let i = 0; i < e; i++) if (!pairs.has(edgeIndex[e + i] * 6000 + edgeIndex[i])) unmatched++;
    expect(unmatched).toBe(0); // symmetric
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const possible = i === j ? sizes[i] * (sizes[i] - 1) : sizes[i] * sizes[j];
        const mean = possible * p[i][j];
        const sd = Math.sqrt(mean * (i === j ? 2 : 1)); // undirected pairs count twice within a block
        expect(Math.abs(counts[i][j] - mean), `block ${i},${j}`).toBeLessThan(5 * sd + 2);
      }
    }
    const again = stochasticBlockModel({ sizes, p, seed: 3 });
    expect(Array.from(again.graph.indices)).toEqual(Array.from(graph.indices));
  });

  it('directed models with self loops cover every pair when p = 1', () => {
    const { graph } = stochasticBlockModel({ sizes: [3, 2], p: [[1, 0], [1, 1]], directed: true, selfLoops: true, seed: 1 });
    expect(graph.numEdges).toBe(9 + 6 + 4);
    const und = stochasticBlockModel({ sizes: [4], p: [[1]], seed: 1 }).graph;
    expect(und.numEdges).toBe(12);
  });
});

describe('uniformRandomGraph', () => {
  it('has the requested size and spreads degrees evenly', () => {
    const g = uniformRandomGraph({ numNodes: 10000, numEdges: 160000, seed: 2 });
    expect(g.numEdges).toBe(160000);
    expect(Math.max(...g.inDegrees())).toBeLessThan(60);
  });
});
