/**
 * Graphs derived from a graph by a layer (GCN normalisation with self loops, GAT's loops, DGL's
 * degree weights) are cached per graph and per recipe: a Graph is immutable, so what is derived
 * from it stays valid for the graph's life and is collected with it. This is what PyG's `cached`
 * option does by hand, for every layer and every graph.
 * @internal
 */
import type { Graph } from '../graph';

const cache = new WeakMap<Graph, Map<string, unknown>>();

export function derived<T>(graph: Graph, key: string, build: () => T): T {
  let entries = cache.get(graph);
  if (entries === undefined) {
    entries = new Map();
    cache.set(graph, entries);
  }
  if (!entries.has(key)) entries.set(key, build());
  return entries.get(key) as T;
}
