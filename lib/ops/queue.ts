/**
 * Limits how many native jobs are in flight at once. libuv has four threads by default, shared
 * with fs, dns, zlib and crypto, and each of our jobs already uses every core through the native
 * pool; so a few in flight is enough and the rest wait here, in order.
 */
import { outOfRange } from '../errors';

let limit = 2;
let active = 0;
const waiting: Array<() => void> = [];

function next(): void {
  while (active < limit && waiting.length > 0) {
    const start = waiting.shift() as () => void;
    start();
  }
}

/** Runs `job` when a slot is free; resolves or rejects with it. @internal */
export function enqueue<T>(job: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const start = (): void => {
      active++;
      let promise: Promise<T>;
      try {
        promise = job();
      } catch (error) {
        promise = Promise.reject(error);
      }
      promise.then(resolve, reject).finally(() => {
        active--;
        next();
      });
    };
    waiting.push(start);
    next();
  });
}

/** Sets how many async native jobs may run at once (default 2). Returns the new value. */
export function setConcurrency(n: number): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1024) {
    throw outOfRange('n', 'an integer in [1, 1024]', n);
  }
  limit = n;
  next();
  return limit;
}

/** Current limit and counts of running and waiting async jobs. */
export function queueStats(): { concurrency: number; active: number; queued: number } {
  return { concurrency: limit, active, queued: waiting.length };
}
