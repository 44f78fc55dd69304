/**
 * concat along the last dimension (features): [N, F1], [N, F2], … → [N, F1 + F2 + …]. Any rank
 * of at least 1 works as long as every tensor has the same leading dimensions (e.g. [N, H, C1]
 * and [N, H, C2] → [N, H, C1 + C2]). Used for GAT's concatenated heads, jumping knowledge and
 * DGL ChebConv's stacked inputs.
 */
import { addon } from '../backend';
import { GnnError, invalidArgType, invalidArgValue } from '../errors';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync } from './common';
import { checkHasRows, checkedOutput, numelOf, shapeText } from './row-args';

export interface ConcatOptions {
  /** Output [..., ΣF]; must not overlap any input. */
  out?: Tensor<'float32'>;
}

interface Prepared {
  parts: Float32Array[];
  rows: number;
  out: Tensor<'float32'>;
}

function prepare(tensors: ReadonlyArray<Tensor<'float32'>>, options: ConcatOptions | undefined, where: string): Prepared {
  const opts = checkOptions(options, where, ['out']);
  if (!Array.isArray(tensors)) throw invalidArgType('tensors', 'an Array of float32 Tensors', tensors);
  if (tensors.length === 0) throw invalidArgValue('tensors', 'at least one Tensor', tensors);
  const ts = tensors.map((t, i) => checkTensor(`tensors[${i}]`, t, 'float32'));
  ts.forEach((t, i) => checkHasRows(`tensors[${i}]`, t));
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
  const parts = ts.map((t) => t.data);
  const out = checkedOutput(opts.out, [...lead, width], parts);
  return { parts, rows: numelOf(lead), out };
}

/** Concatenates along the last dimension, on the calling thread (and the native pool). */
export function concatSync(tensors: ReadonlyArray<Tensor<'float32'>>, options?: ConcatOptions): Tensor<'float32'> {
  const p = prepare(tensors, options, 'concatSync');
  callSync(() => addon().concatSync(p.parts, p.rows, p.out.data));
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
  return callAsync(site, () => addon().concatAsync(p.parts, p.rows, p.out.data), p.out);
}
