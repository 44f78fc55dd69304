/**
 * columnAffine: out[r, c] = x[r, c] · scale[c] + shift[c], one fused multiply-add (one rounding).
 * This is BatchNorm in eval mode once its running statistics are folded in:
 *   scale = weight / sqrt(running_var + eps),  shift = bias − running_mean · scale
 * (the layer folds them in TypeScript, once). Either factor may be null: a null scale is 1 (out =
 * x + shift), a null shift is 0 (out = x · scale). Works over the last dimension of any rank.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import type { CudaColumnAffineArgs } from '../native-cuda-types';
import type { NativeAddon } from '../native-types';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync } from './common';
import { buf, cudaAsync, cudaSync, opDevice, optBuf } from './device-dispatch';
import { checkColumnVector, checkHasRows, checkedOutput } from './row-args';

export interface ColumnAffineOptions {
  /** Output of x's shape; may be x itself (in place). */
  out?: Tensor<'float32'>;
}

interface Prepared {
  device: Device;
  x: Tensor<'float32'>;
  scale: Tensor<'float32'> | null;
  shift: Tensor<'float32'> | null;
  out: Tensor<'float32'>;
  width: number;
}

function prepare(
  x: Tensor<'float32'>,
  scale: Tensor<'float32'> | null,
  shift: Tensor<'float32'> | null,
  options: ColumnAffineOptions | undefined,
  where: string,
): Prepared {
  const opts = checkOptions(options, where, ['out']);
  const xt = checkTensor('x', x, 'float32');
  checkHasRows('x', xt);
  const width = xt.shape[xt.rank - 1];
  const st = checkColumnVector('scale', scale, width);
  const tt = checkColumnVector('shift', shift, width);
  const device = opDevice(where, ['x', xt], ['scale', st], ['shift', tt]);
  // scale and shift are read for every row, so they must stay apart from out; x may be out.
  const columns = [st, tt].filter((v): v is Tensor<'float32'> => v !== null);
  const out = checkedOutput(opts.out, xt.shape, columns, [xt], 'out', device);
  return { device, x: xt, scale: st, shift: tt, out, width };
}

function cpuArgs(p: Prepared): Parameters<NativeAddon['columnAffineSync']> {
  return [p.x.data, p.scale?.data ?? null, p.shift?.data ?? null, p.out.data, p.width];
}

function cudaArgs(p: Prepared): CudaColumnAffineArgs {
  const rows = p.width === 0 ? 0 : p.x.numel / p.width;
  return [buf('x', p.x), optBuf('scale', p.scale), optBuf('shift', p.shift), buf('out', p.out), rows, p.width];
}

/** x · scale + shift per column, on the calling thread (and the native pool). */
export function columnAffineSync(
  x: Tensor<'float32'>,
  scale: Tensor<'float32'> | null,
  shift: Tensor<'float32'> | null,
  options?: ColumnAffineOptions,
): Tensor<'float32'> {
  const p = prepare(x, scale, shift, options, 'columnAffineSync');
  if (p.device !== 'cpu') return cudaSync(p.device, (cuda) => cuda.columnAffineSync(...cudaArgs(p)), p.out);
  callSync(() => addon().columnAffineSync(...cpuArgs(p)));
  return p.out;
}

/** x · scale + shift per column, off the event loop. Inputs must not be modified until the promise settles. */
export function columnAffine(
  x: Tensor<'float32'>,
  scale: Tensor<'float32'> | null,
  shift: Tensor<'float32'> | null,
  options?: ColumnAffineOptions,
): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(x, scale, shift, options, 'columnAffine');
  } catch (error) {
    return Promise.reject(error);
  }
  if (p.device !== 'cpu') return cudaAsync(site, p.device, (cuda) => cuda.columnAffineAsync(...cudaArgs(p)), p.out);
  return callAsync(site, () => addon().columnAffineAsync(...cpuArgs(p)), p.out);
}
