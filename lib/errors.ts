/**
 * Errors thrown by gnn-kernels. Argument problems are Node-style `TypeError` / `RangeError` with
 * `code` set to Node's own codes; everything else is a {@link GnnError} with a stable `ERR_GNN_*`
 * code. Messages name the argument, what was expected and what was received.
 */

/** Codes carried by {@link GnnError}. */
export type GnnErrorCode =
  | 'ERR_GNN_INVALID_GRAPH'
  | 'ERR_GNN_SHAPE_MISMATCH'
  | 'ERR_GNN_MODEL_FILE'
  | 'ERR_GNN_NATIVE_LOAD'
  | 'ERR_GNN_BACKEND_UNAVAILABLE'
  | 'ERR_GNN_DEVICE'
  | 'ERR_GNN_CUDA'
  | 'ERR_GNN_OUT_OF_MEMORY'
  | 'ERR_GNN_ABORTED'
  /** A model registry's state forbids the operation: unknown version, nothing to roll back to, lock not acquired. */
  | 'ERR_GNN_REGISTRY'
  /** A Predictor's queue is full: the request was refused at once (retry later; HTTP 503). */
  | 'ERR_GNN_OVERLOADED'
  | 'ERR_GNN_INTERNAL';

/** Node's codes for argument errors. */
export type ArgErrorCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';

/** Every error this package throws has one of these codes. */
export type ErrorCode = GnnErrorCode | ArgErrorCode;

export class GnnError extends Error {
  readonly code: GnnErrorCode;

  constructor(code: GnnErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return 'GnnError';
  }
}

/** A TypeError or RangeError carrying a Node-style code. */
export type CodedError = (TypeError | RangeError) & { code: ArgErrorCode };

function coded<E extends Error>(error: E, code: ArgErrorCode): E & { code: ArgErrorCode } {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return error as E & { code: ArgErrorCode };
}

/** `name: expected <expected>, got <describe(actual)>` as a TypeError ERR_INVALID_ARG_TYPE. */
export function invalidArgType(name: string, expected: string, actual: unknown): CodedError {
  return coded(new TypeError(`${name}: expected ${expected}, got ${describe(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

/** `name: expected <expected>, got <describe(actual)>` as a TypeError ERR_INVALID_ARG_VALUE. */
export function invalidArgValue(name: string, expected: string, actual: unknown): CodedError {
  return coded(new TypeError(`${name}: expected ${expected}, got ${describe(actual)}`), 'ERR_INVALID_ARG_VALUE');
}

/** `name: expected <expected>, got <describe(actual)>` as a RangeError ERR_OUT_OF_RANGE. */
export function outOfRange(name: string, expected: string, actual: unknown): CodedError {
  return coded(new RangeError(`${name}: expected ${expected}, got ${describe(actual)}`), 'ERR_OUT_OF_RANGE');
}

/** A value already described in words, for messages where the "actual" is not a JS value. */
export class Described {
  constructor(readonly text: string) {}
}

/** Wraps a description so describe() prints it verbatim. */
export function described(text: string): Described {
  return new Described(text);
}

/** A short description of a value for error messages: "a Float64Array of length 6", "the number 2.5". */
export function describe(value: unknown): string {
  if (value instanceof Described) return value.text;
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    const article = /^[AEIOU]/.test(name) ? 'an' : 'a';
    const length = (value as { length?: number }).length ?? value.byteLength;
    return `${article} ${name} of length ${length}`;
  }
  switch (typeof value) {
    case 'number':
      return `the number ${Object.is(value, -0) ? '-0' : String(value)}`;
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'boolean':
      return `the boolean ${String(value)}`;
    case 'bigint':
      return `the bigint ${String(value)}n`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      break;
  }
  if (Array.isArray(value)) return `an Array of length ${value.length}`;
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  return ctor && ctor !== 'Object' ? `an instance of ${ctor}` : 'an object';
}

/**
 * Turns an error thrown by the addon into this package's error type: codes starting with ERR_GNN_
 * become GnnError, Node codes keep their TypeError / RangeError. When `site` is given (an Error
 * created where the user called us), the returned error carries the user's stack instead of the
 * native one: async failures point at user code.
 */
export function fromNative(error: unknown, site?: Error): Error {
  if (!(error instanceof Error)) return new GnnError('ERR_GNN_INTERNAL', `native error: ${String(error)}`);
  const code = (error as { code?: unknown }).code;
  let result: Error = error;
  if (typeof code === 'string' && code.startsWith('ERR_GNN_') && !(error instanceof GnnError)) {
    result = new GnnError(code as GnnErrorCode, error.message);
  }
  if (site?.stack !== undefined) {
    const frames = site.stack.split('\n').slice(1).join('\n');
    result.stack = `${result.name}: ${result.message}\n${frames}`;
  }
  return result;
}
