/**
 * scale: out = s·x, with s a number or one factor per row (a float32 Tensor [N] or [N, 1] for x
 * of N rows): per-node normalisation such as DGL GraphConv's deg^-1/2 on either side of the
 * aggregation, or a mean over heads after a sum. A per-feature factor is not a layer need and is
 * not offered; a per-feature *bias* is ops.add with a row vector.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { GnnError, invalidArgType } from '../errors';
import type { CudaScaleArgs } from '../native-cuda-types';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync } from './common';
import { buf, cudaAsync, cudaSync, opDevice, optBuf } from './device-dispatch';
import { checkFactor, checkedOutput, shapeText } from './row-args';

export interface ScaleOptions {
  /** Output of x's shape; may be x itself (in place). */
  out?: Tensor<'float32'>;
}

interface Prepared {
  device: Device;
  x: Tensor<'float32'>;
  rowScale: Tensor<'float32'> | null;
  s: number;
  out: Tensor<'float32'>;
  rows: number;
}

function prepare(x: Tensor<'float32'>, s: number | Tensor<'float32'>, options: ScaleOptions | undefined, where: string): Prepared {
  const opts = checkOptions(options, where, ['out']);
  const xt = checkTensor('x', x, 'float32');
  const rows = xt.rank === 0 ? 1 : xt.shape[0];
  let rowScale: Tensor<'float32'> | null = null;
  let factor = 1;
  if (s instanceof Tensor) {
    const st = checkTensor('s', s, 'float32');
    const perRow = xt.rank >= 1 && st.shape[0] === rows && (st.rank === 1 || (st.rank === 2 && st.shape[1] === 1));
    if (!perRow) {
      throw new GnnError(
        'ERR_GNN_SHAPE_MISMATCH',
        `s: expected a number or one factor per row of x, shape [${rows}] or [${rows}, 1], got ${shapeText(st.shape)}`,
      );
    }
    rowScale = st;
  } else if (typeof s === 'number') {
    factor = checkFactor('s', s, 1);
  } else {
    throw invalidArgType('s', 'a number or a float32 Tensor', s);
  }
  // Per-row factors are read row by row while rows are written, so they must not share out's memory.
  const device = opDevice(where, ['x', xt], ['s', rowScale]);
  const out = checkedOutput(opts.out, xt.shape, rowScale === null ? [] : [rowScale], [xt], 'out', device);
  return { device, x: xt, rowScale, s: factor, out, rows };
}

function cudaArgs(p: Prepared): CudaScaleArgs {
  const width = p.rows === 0 ? 0 : p.x.numel / p.rows;
  return [buf('x', p.x), optBuf('s', p.rowScale), p.s, buf('out', p.out), p.rows, width];
}

/** s·x on the calling thread (and the native pool). */
export function scaleSync(x: Tensor<'float32'>, s: number | Tensor<'float32'>, options?: ScaleOptions): Tensor<'float32'> {
  const p = prepare(x, s, options, 'scaleSync');
  if (p.device !== 'cpu') return cudaSync(p.device, (cuda) => cuda.scaleSync(...cudaArgs(p)), p.out);
  callSync(() => addon().scaleSync(p.x.data, p.rowScale?.data ?? null, p.s, p.out.data, p.rows));
  return p.out;
}

/** s·x off the event loop. Inputs must not be modified until the promise settles. */
export function scale(x: Tensor<'float32'>, s: number | Tensor<'float32'>, options?: ScaleOptions): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(x, s, options, 'scale');
  } catch (error) {
    return Promise.reject(error);
  }
  if (p.device !== 'cpu') return cudaAsync(site, p.device, (cuda) => cuda.scaleAsync(...cudaArgs(p)), p.out);
  return callAsync(site, () => addon().scaleAsync(p.x.data, p.rowScale?.data ?? null, p.s, p.out.data, p.rows), p.out);
}
