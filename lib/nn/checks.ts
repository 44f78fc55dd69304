/** Constructor-option checks shared by the layers. @internal */
import { invalidArgType, invalidArgValue } from '../errors';
import { checkInteger } from '../validate';

export type Semantics = 'pyg' | 'dgl';

export function channels(name: string, v: unknown): number {
  return checkInteger(name, v, 1, 2 ** 31 - 1);
}

export function bool(name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw invalidArgType(name, 'a boolean', v);
  return v;
}

export function num(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgType(name, 'a finite number', v);
  return v;
}

export function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw invalidArgValue(name, allowed.map((a) => `'${a}'`).join(', '), v);
  }
  return v as T;
}

export function semantics(v: unknown): Semantics {
  return oneOf('semantics', v, ['pyg', 'dgl'] as const, 'pyg');
}
