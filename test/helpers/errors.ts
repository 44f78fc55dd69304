/** Assertions on thrown errors, shared by the error tests. */
import { expect } from 'vitest';

import type { GnnError } from '../../lib/index';

export type ErrorClass = typeof TypeError | typeof RangeError | typeof GnnError | typeof Error | ErrorConstructor;

/** `fn` throws an instance of `cls` with `code` (and a message matching `message`). */
export function expectError(fn: () => unknown, code: string, cls: ErrorClass, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(cls);
  expect((caught as { code?: string }).code).toBe(code);
  if (message !== undefined) expect((caught as Error).message).toMatch(message);
}
