/**
 * concat along the last dimension (features): [N, F1], [N, F2], … → [N, F1 + F2 + …]. Any rank
 * of at least 1 works as long as every tensor has the same leading dimensions (e.g. [N, H, C1]
 * and [N, H, C2] → [N, H, C1 + C2]). Used for GAT's concatenated heads, jumping knowledge and
 * DGL ChebConv's stacked inputs.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { GnnError, invalidArgType, invalidArgValue } from '../errors';
import type { CudaConcatArgs } from '../native-cuda-types';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync } from './common';
import { buf, cudaAsync, cudaSync, opDevice } from './device-dispatch';
import { checkHasRows, checkedOutput, numelOf, shapeText } from './row-args';

export interface ConcatOptions {
  /** Output [..., ΣF]; must not overlap any input. */
  out?: Tensor<'float32'>;
}

interface Prepared {
  device: Device;
  parts: Array<Tensor<'float32'>>;
  rows: number;
  out: Tensor<'float32'>;
}

function prepare(tensors: ReadonlyArray<Tensor<'float32'>>, options: ConcatOptions | undefined, where: string): Prepared {
  const opts = checkOptions(options, where, ['out']);
  if (!Array.isArray(tensors)) throw invalidArgType('tensors', 'an Array of float32 Tensors', tensors);
  if (tensors.length === 0) throw invalidArgValue('tensors', 'at least one Tensor', tensors);
  const ts = tensors.map((t, i) => checkTensor(`tensors[${i}]`, t, 'float32'));
  ts.forEach((t, i) => checkHasRows(`tensors[${i}]`, t));
  const device = opDevice(where, ...ts.map((t, i) => [`tensors[${i}]`, t] as const));
  const lead = ts[0].shape.slice(0, -1);
  let width = 0;
  ts.forEach((t, i) => {
    const tl = t.shape.slice(0, -1);
    if (tl.length !== lead.length || tl.some((d, k) => d !== lead[k])) {
      throw new GnnError(
        'ERR_GNN_SHAPE_MISMATCH',
        `tensors[${i}]: expected shape [${[...lead, 'F'].join(', ')}] like tensors[0], got ${shapeText(t.shape)}`,
      );
    }
    width += t.shape[t.rank - 1];
  });
  const out = checkedOutput(opts.out, [...lead, width], ts, [], 'out', device);
  return { device, parts: ts, rows: numelOf(lead), out };
}

function cudaArgs(p: Prepared): CudaConcatArgs {
  return [p.parts.map((t, i) => [buf(`tensors[${i}]`, t), t.shape[t.rank - 1]]), p.rows, buf('out', p.out)];
}

/** Concatenates along the last dimension, on the calling thread (and the native pool). */
export function concatSync(tensors: ReadonlyArray<Tensor<'float32'>>, options?: ConcatOptions): Tensor<'float32'> {
  const p = prepare(tensors, options, 'concatSync');
  if (p.device !== 'cpu') return cudaSync(p.device, (cuda) => cuda.concatSync(...cudaArgs(p)), p.out);
  callSync(() => addon().concatSync(p.parts.map((t) => t.data), p.rows, p.out.data));
  return p.out;
}

/** Concatenates along the last dimension, off the event loop. */
export function concat(tensors: ReadonlyArray<Tensor<'float32'>>, options?: ConcatOptions): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(tensors, options, 'concat');
  } catch (error) {
    return Promise.reject(error);
  }
  if (p.device !== 'cpu') return cudaAsync(site, p.device, (cuda) => cuda.concatAsync(...cudaArgs(p)), p.out);
  return callAsync(site, () => addon().concatAsync(p.parts.map((t) => t.data), p.rows, p.out.data), p.out);
}
