/**
 * columnAffine: out[r, c] = x[r, c] · scale[c] + shift[c], one fused multiply-add (one rounding).
 * This is BatchNorm in eval mode once its running statistics are folded in:
 *   scale = weight / sqrt(running_var + eps),  shift = bias − running_mean · scale
 * (the layer folds them in TypeScript, once). Either factor may be null: a null scale is 1 (out =
 * x + shift), a null shift is 0 (out = x · scale). Works over the last dimension of any rank.
 */
import { addon } from '../backend';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync } from './common';
import { checkColumnVector, checkHasRows, checkedOutput } from './row-args';

export interface ColumnAffineOptions {
  /** Output of x's shape; may be x itself (in place). */
  out?: Tensor<'float32'>;
}

interface Prepared {
  x: Float32Array;
  scale: Float32Array | null;
  shift: Float32Array | null;
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
  // scale and shift are read for every row, so they must stay apart from out; x may be out.
  const columns = [st?.data, tt?.data].filter((v): v is Float32Array => v !== undefined);
  const out = checkedOutput(opts.out, xt.shape, columns, [xt.data]);
  return { x: xt.data, scale: st?.data ?? null, shift: tt?.data ?? null, out, width };
}

/** x · scale + shift per column, on the calling thread (and the native pool). */
export function columnAffineSync(
  x: Tensor<'float32'>,
  scale: Tensor<'float32'> | null,
  shift: Tensor<'float32'> | null,
  options?: ColumnAffineOptions,
): Tensor<'float32'> {
  const p = prepare(x, scale, shift, options, 'columnAffineSync');
  callSync(() => addon().columnAffineSync(p.x, p.scale, p.shift, p.out.data, p.width));
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
  return callAsync(site, () => addon().columnAffineAsync(p.x, p.scale, p.shift, p.out.data, p.width), p.out);
}
