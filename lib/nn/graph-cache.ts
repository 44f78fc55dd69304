/**
 * Graphs derived from a graph by a layer (GCN normalisation with self loops, GAT's loops, DGL's
 * degree weights) are cached per graph and per recipe: a Graph is immutable, so what is derived
 * from it stays valid for the graph's life and is collected with it. This is what PyG's `cached`
 * option does by hand, for every layer and every graph.
 *
 * What is derived from a CUDA graph is on its device: a derived Graph or Tensor built on the host
 * is moved there once, when it is cached. `graph.dispose()` releases the device copies of what was
 * derived from it and drops the entries (they are derived again on next use).
 * @internal
 */
import { Graph, onGraphDispose } from '../graph';
import { Tensor } from '../tensor';

const cache = new WeakMap<Graph, Map<string, unknown>>();

/** A derived value on `graph`'s device: Graphs and Tensors are moved there; anything else is host data. */
function onDevice<T>(graph: Graph, value: T): T {
  if ((value instanceof Graph || value instanceof Tensor) && value.device !== graph.device) return value.to(graph.device) as T;
  return value;
}

export function derived<T>(graph: Graph, key: string, build: () => T): T {
  let entries = cache.get(graph);
  if (entries === undefined) {
    entries = new Map();
    cache.set(graph, entries);
  }
  if (!entries.has(key)) entries.set(key, onDevice(graph, build()));
  return entries.get(key) as T;
}

function release(value: unknown): void {
  if (value instanceof Graph || value instanceof Tensor) {
    value.dispose();
  } else if (value !== null && typeof value === 'object') {
    // Records of derived things ({ graph, origin }, { graph, edges }): their graphs and tensors.
    for (const v of Object.values(value)) if (v instanceof Graph || v instanceof Tensor) v.dispose();
  }
}

onGraphDispose((graph) => {
  const entries = cache.get(graph);
  if (entries === undefined) return;
  cache.delete(graph);
  for (const value of entries.values()) release(value);
});
