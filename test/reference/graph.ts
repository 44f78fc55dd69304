/**
 * Edge-list references for graph construction and PyG's graph utilities, written directly from
 * PyG's definitions (utils/loop.py, utils/undirected.py, nn/conv/gcn_conv.py gcn_norm), on edges in
 * the caller's order. Float arithmetic mirrors PyG's float32 (Math.fround after every operation).
 */

export interface Edges {
  src: Int32Array;
  dst: Int32Array;
  weight: Float32Array | null;
}

/** Stable CSR by destination: what fromEdgeIndex must build. */
export function csrReference(src: Int32Array, dst: Int32Array, numNodes: number) {
  const indptr = new Int32Array(numNodes + 1);
  for (const v of dst) indptr[v + 1]++;
  for (let v = 0; v < numNodes; v++) indptr[v + 1] += indptr[v];
  const cursor = indptr.slice(0, numNodes);
  const indices = new Int32Array(src.length);
  const edgeIds = new Int32Array(src.length);
  for (let e = 0; e < src.length; e++) {
    const p = cursor[dst[e]]++;
    indices[p] = src[e];
    edgeIds[p] = e;
  }
  return { indptr, indices, edgeIds };
}

/** remove_self_loops: keep u != v, in order. */
export function removeSelfLoopsRef(g: Edges): Edges {
  const keep: number[] = [];
  for (let e = 0; e < g.src.length; e++) if (g.src[e] !== g.dst[e]) keep.push(e);
  return {
    src: Int32Array.from(keep, (e) => g.src[e]),
    dst: Int32Array.from(keep, (e) => g.dst[e]),
    weight: g.weight === null ? null : Float32Array.from(keep, (e) => (g.weight as Float32Array)[e]),
  };
}

/**
 * add_remaining_self_loops(edge_index, edge_attr, fill_value, N): non-loop edges in order, then
 * loops 0..N-1; a loop keeps the weight of the node's last existing loop, else fill_value.
 */
export function addRemainingSelfLoopsRef(g: Edges, numNodes: number, fill: number): Edges {
  const kept = removeSelfLoopsRef(g);
  const loopWeight = new Float32Array(numNodes).fill(fill);
  if (g.weight !== null) {
    for (let e = 0; e < g.src.length; e++) if (g.src[e] === g.dst[e]) loopWeight[g.src[e]] = g.weight[e];
  }
  const m = kept.src.length;
  const src = new Int32Array(m + numNodes);
  const dst = new Int32Array(m + numNodes);
  src.set(kept.src);
  dst.set(kept.dst);
  for (let v = 0; v < numNodes; v++) {
    src[m + v] = v;
    dst[m + v] = v;
  }
  let weight: Float32Array | null = null;
  if (g.weight !== null) {
    weight = new Float32Array(m + numNodes);
    weight.set(kept.weight as Float32Array);
    weight.set(loopWeight, m);
  }
  return { src, dst, weight };
}

/** gcn_norm with explicit weights (ones when absent), float32 arithmetic as PyG. */
export function gcnNormRef(g: Edges, numNodes: number, addLoops: boolean, improved: boolean): Edges {
  let h: Edges = { ...g, weight: g.weight ?? new Float32Array(g.src.length).fill(1) };
  if (addLoops) h = addRemainingSelfLoopsRef(h, numNodes, improved ? 2 : 1);
  const w = h.weight as Float32Array;
  const deg = new Float32Array(numNodes);
  for (let e = 0; e < h.src.length; e++) deg[h.dst[e]] = Math.fround(deg[h.dst[e]] + w[e]);
  const dis = Float32Array.from(deg, (d) => {
    const r = Math.fround(1 / Math.fround(Math.sqrt(d)));
    return r === Infinity ? 0 : r;
  });
  const out = Float32Array.from(h.src, (u, e) => Math.fround(Math.fround(dis[u] * w[e]) * dis[h.dst[e]]));
  return { src: h.src, dst: h.dst, weight: out };
}

/** to_undirected(reduce): both directions, coalesced, sorted by (source, target). */
export function toUndirectedRef(g: Edges, numNodes: number, reduce: 'sum' | 'mean' | 'max' | 'min'): Edges {
  const map = new Map<number, number[]>();
  const add = (u: number, v: number, w: number): void => {
    const key = u * numNodes + v;
    const list = map.get(key);
    if (list === undefined) map.set(key, [w]);
    else list.push(w);
  };
  for (let e = 0; e < g.src.length; e++) {
    const w = g.weight === null ? 1 : g.weight[e];
    add(g.src[e], g.dst[e], w);
    add(g.dst[e], g.src[e], w);
  }
  const keys = [...map.keys()].sort((a, b) => a - b);
  const src = Int32Array.from(keys, (k) => Math.floor(k / numNodes));
  const dst = Int32Array.from(keys, (k) => k % numNodes);
  let weight: Float32Array | null = null;
  if (g.weight !== null) {
    weight = Float32Array.from(keys, (k) => {
      const ws = map.get(k) as number[];
      if (reduce === 'max') return Math.max(...ws);
      if (reduce === 'min') return Math.min(...ws);
      const s = ws.reduce((a, b) => Math.fround(a + b), 0);
      return reduce === 'mean' ? Math.fround(s / ws.length) : s;
    });
  }
  return { src, dst, weight };
}
