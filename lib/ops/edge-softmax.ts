/**
 * edgeSoftmax: per destination node and head, a numerically stable softmax over its incoming edges'
 * scores ([E] or [E, H], caller's edge order). -Infinity scores get weight 0; a node whose scores
 * are all -Infinity gets zeros (PyG and DGL would give NaN there); NaN propagates to its node and
 * head. PyG's 1e-16 in the denominator is invisible in float32 and not added.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { GnnError } from '../errors';
import { Graph, deviceGraph, graphHandle } from '../graph';
import type { CudaEdgeSoftmaxArgs } from '../native-cuda-types';
import { Tensor, checkTensor } from '../tensor';
import { checkOptions } from '../validate';
import { callAsync, callSync, outputTensor } from './common';
import { buf, cudaAsync, cudaSync, opDevice } from './device-dispatch';

export interface EdgeSoftmaxOptions {
  /** Output of the scores' shape; may be the scores tensor itself (in place). */
  out?: Tensor<'float32'>;
}

interface Prepared {
  device: Device;
  graph: Graph;
  scores: Tensor<'float32'>;
  heads: number;
  out: Tensor<'float32'>;
}

function prepare(graph: Graph, scores: Tensor<'float32'>, options: EdgeSoftmaxOptions | undefined, where: string): Prepared {
  const opts = checkOptions(options, where, ['out']);
  graphHandle(graph);
  const st = checkTensor('scores', scores, 'float32', [1, 2]);
  const device = opDevice(where, ['graph', graph], ['scores', st]);
  if (st.shape[0] !== graph.numEdges) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `scores: expected ${graph.numEdges} rows (one per edge), got shape [${st.shape.join(', ')}]`);
  }
  const heads = st.rank === 2 ? st.shape[1] : 1;
  if (heads < 1) throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `scores: expected at least one head, got shape [${st.shape.join(', ')}]`);
  const out = opts.out === st ? st : outputTensor(opts.out, st.shape, [st], device);
  return { device, graph, scores: st, heads, out };
}

function cudaArgs(p: Prepared): CudaEdgeSoftmaxArgs {
  return [deviceGraph(p.graph), buf('scores', p.scores), buf('out', p.out), p.heads];
}

/** Edge softmax on the calling thread. */
export function edgeSoftmaxSync(graph: Graph, scores: Tensor<'float32'>, options?: EdgeSoftmaxOptions): Tensor<'float32'> {
  const p = prepare(graph, scores, options, 'edgeSoftmaxSync');
  if (p.device !== 'cpu') return cudaSync(p.device, (cuda) => cuda.edgeSoftmaxSync(...cudaArgs(p)), p.out);
  callSync(() => addon().edgeSoftmaxSync(graphHandle(p.graph), p.scores.data, p.heads, p.out.data));
  return p.out;
}

/** Edge softmax off the event loop. */
export function edgeSoftmax(graph: Graph, scores: Tensor<'float32'>, options?: EdgeSoftmaxOptions): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(graph, scores, options, 'edgeSoftmax');
  } catch (error) {
    return Promise.reject(error);
  }
  if (p.device !== 'cpu') return cudaAsync(site, p.device, (cuda) => cuda.edgeSoftmaxAsync(...cudaArgs(p)), p.out);
  return callAsync(site, () => addon().edgeSoftmaxAsync(graphHandle(p.graph), p.scores.data, p.heads, p.out.data), p.out);
}
