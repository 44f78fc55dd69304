/**
 * Argument checks shared by the public API. Each throws the Node-style error the design asks for.
 * @internal
 */
import { describe, described, invalidArgType, invalidArgValue, outOfRange } from './errors';

/** Rejects anything but a plain options object (or undefined) and any key not in `allowed`. */
export function checkOptions<T extends object>(
  options: T | undefined,
  where: string,
  allowed: readonly string[],
): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgType(`${where} options`, 'an object', options);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw invalidArgValue(
        `${where} options`,
        allowed.length > 0 ? `only the keys ${allowed.join(', ')}` : 'no keys',
        described(`the key ${describe(key).replace(/^the string /, '')}`),
      );
    }
  }
  return options;
}

/** An integer in [min, max]; fractional, NaN and infinite numbers are ERR_OUT_OF_RANGE. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'a number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

/** True when the typed array's buffer has been transferred or detached. */
export function isDetached(view: ArrayBufferView): boolean {
  if (view.byteLength !== 0) return false;
  try {
    new Uint8Array(view.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/** Throws ERR_INVALID_ARG_VALUE when the view's buffer is detached. */
export function checkNotDetached(name: string, view: ArrayBufferView): void {
  if (isDetached(view)) {
    throw invalidArgValue(name, 'a usable buffer', described('a detached ArrayBuffer'));
  }
}
