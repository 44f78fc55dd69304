/**
 * Layer naming shared by quantize() and prune.magnitude(): layers by dotted name, which
 * parameters are linear weights, the skip list.
 * @internal
 */
import { invalidArgValue } from '../errors';
import type { Tensor } from '../tensor';
import type { Module } from './module';

/** Every module by its dotted name ('' for the root). @internal */
export function namedModules(root: Module): Map<string, Module> {
  const out = new Map<string, Module>([['', root]]);
  const walk = (m: Module, prefix: string): void => {
    for (const [name, child] of m.children()) {
      const full = prefix === '' ? name : `${prefix}.${name}`;
      out.set(full, child);
      walk(child, full);
    }
  };
  walk(root, '');
  return out;
}

/** True for parameters quantized as linear weights. @internal */
export function isLinearWeight(name: string, t: Tensor): boolean {
  return t.rank === 2 && (name === 'weight' || name.endsWith('.weight')) && !(name === 'lin_edge.weight' || name.endsWith('.lin_edge.weight'));
}

/** The skip list resolved to modules; unknown names are an error (a typo would silently quantize). @internal */
export function skippedModules(root: Module, skip: readonly string[]): Set<Module> {
  const modules = namedModules(root);
  const out = new Set<Module>();
  for (const name of skip) {
    const m = modules.get(name);
    if (m === undefined || name === '') {
      const known = [...modules.keys()].filter((k) => k !== '');
      throw invalidArgValue('skip', `layer names of the model (${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''})`, name);
    }
    out.add(m);
  }
  return out;
}

/** True when parameter `name` belongs to a skipped layer. @internal */
export function underSkipped(name: string, skip: readonly string[]): boolean {
  return skip.some((s) => name.startsWith(`${s}.`));
}

