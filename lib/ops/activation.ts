/**
 * Activation functions as ops of their own (the same code the fused kernels apply to their
 * outputs): relu, leaky_relu, elu, gelu (torch's exact erf form), sigmoid, tanh, and 'none'.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { invalidArgType, invalidArgValue } from '../errors';
import type { CudaActivationArgs } from '../native-cuda-types';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync, outputTensor } from './common';
import { buf, cudaAsync, cudaSync } from './device-dispatch';

export type ActivationName = 'none' | 'relu' | 'leaky_relu' | 'elu' | 'gelu' | 'sigmoid' | 'tanh';

/** Codes shared with native/kernels/activation.h. */
export const ACTIVATION_CODES: Readonly<Record<ActivationName, number>> = {
  none: 0,
  relu: 1,
  leaky_relu: 2,
  elu: 3,
  gelu: 4,
  sigmoid: 5,
  tanh: 6,
};

export interface ActivationOptions {
  /** leaky_relu's negative slope (default 0.01, as torch) or elu's alpha (default 1). */
  alpha?: number;
  /** Output tensor of x's shape; may be x itself (in place). */
  out?: Tensor<'float32'>;
}

/** Validates an activation name and its alpha; returns the native code and alpha. @internal */
export function activationCode(name: unknown, alpha: unknown, where = 'activation'): { code: number; alpha: number } {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(ACTIVATION_CODES, name)) {
    throw invalidArgValue(where, `one of ${Object.keys(ACTIVATION_CODES).map((k) => `'${k}'`).join(', ')}`, name);
  }
  if (alpha !== undefined && (typeof alpha !== 'number' || !Number.isFinite(alpha))) {
    throw invalidArgType('alpha', 'a finite number', alpha);
  }
  const a = alpha ?? (name === 'leaky_relu' ? 0.01 : 1);
  return { code: ACTIVATION_CODES[name as ActivationName], alpha: a };
}

interface Prepared {
  device: Device;
  x: Tensor<'float32'>;
  out: Tensor<'float32'>;
  code: number;
  alpha: number;
}

function prepare(x: Tensor<'float32'>, name: ActivationName, options: ActivationOptions | undefined, where: string): Prepared {
  const opts = checkOptions(options, where, ['alpha', 'out']);
  const xt = checkTensor('x', x, 'float32');
  const device = xt.device;
  const { code, alpha } = activationCode(name, opts.alpha);
  // In place is allowed: elementwise, each element is read before it is written.
  const out = opts.out === xt ? xt : outputTensor(opts.out, xt.shape, [xt], device);
  return { device, x: xt, out, code, alpha };
}

function cudaArgs(p: Prepared): CudaActivationArgs {
  return [buf('x', p.x), buf('out', p.out), p.x.numel, p.code, p.alpha];
}

/** Applies an activation elementwise, on the calling thread. */
export function activationSync(x: Tensor<'float32'>, name: ActivationName, options?: ActivationOptions): Tensor<'float32'> {
  const p = prepare(x, name, options, 'activationSync');
  if (p.device !== 'cpu') return cudaSync(p.device, (cuda) => cuda.activationSync(...cudaArgs(p)), p.out);
  callSync(() => addon().activationSync(p.x.data, p.out.data, p.code, p.alpha));
  return p.out;
}

/** Applies an activation elementwise, off the event loop. */
export function activation(x: Tensor<'float32'>, name: ActivationName, options?: ActivationOptions): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(x, name, options, 'activation');
  } catch (error) {
    return Promise.reject(error);
  }
  if (p.device !== 'cpu') return cudaAsync(site, p.device, (cuda) => cuda.activationAsync(...cudaArgs(p)), p.out);
  return callAsync(site, () => addon().activationAsync(p.x.data, p.out.data, p.code, p.alpha), p.out);
}
