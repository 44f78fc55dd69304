/**
 * gatv2Scores: GATv2's attention logits (PyG GATv2Conv, DGL GATv2Conv), one per edge and head in
 * the caller's edge order:
 *   s[e, h] = Σ_f att[h, f] · leakyRelu(xl[src(e), h, f] + xr[dst(e), h, f], negativeSlope)
 * with xl = lin_l(x) (sources), xr = lin_r(x) (destinations), both [N, H·F] or [N, H, F], and att
 * PyG's `att` [1, H, F] (also [H, F] or [H·F]). Feed the result to edgeSoftmax and spmm (or
 * gatAggregate's weighted sum) to finish the layer.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { GnnError, invalidArgType, outOfRange } from '../errors';
import { Graph, deviceGraph, graphHandle } from '../graph';
import type { CudaGatv2Args } from '../native-cuda-types';
import type { NativeGatv2Args } from '../native-types';
import { Tensor, checkTensor } from '../tensor';
import { checkInteger, checkOptions } from '../validate';
import { callAsync, callSync, outputTensor } from './common';
import { buf, cudaAsync, cudaSync, opDevice } from './device-dispatch';
import { shapeText } from './row-args';

export interface Gatv2ScoresOptions {
  /** Slope of leaky_relu for negative inputs (default 0.2, as PyG and DGL). */
  negativeSlope?: number;
  /** Number of heads H; default: from att [1, H, F] / [H, F] or a [N, H, F] xl, else 1. */
  heads?: number;
  /** Output [E, H], in the caller's edge order. */
  out?: Tensor<'float32'>;
}

interface Prepared {
  device: Device;
  graph: Graph;
  xl: Tensor<'float32'>;
  xr: Tensor<'float32'>;
  att: Tensor<'float32'>;
  heads: number;
  headWidth: number;
  slope: number;
  out: Tensor<'float32'>;
}

/** The head count a tensor's shape states, if any. */
function shapeHeads(t: Tensor<'float32'>, rankWithHeads: number, axis: number): number | null {
  return t.rank === rankWithHeads ? t.shape[axis] : null;
}

function prepare(
  graph: Graph,
  xl: Tensor<'float32'>,
  xr: Tensor<'float32'>,
  att: Tensor<'float32'>,
  options: Gatv2ScoresOptions | undefined,
  where: string,
): Prepared {
  const opts = checkOptions(options, where, ['negativeSlope', 'heads', 'out']);
  graphHandle(graph);
  const lt = checkTensor('xl', xl, 'float32', [2, 3]);
  const rt = checkTensor('xr', xr, 'float32', [2, 3]);
  const at = checkTensor('att', att, 'float32', [1, 2, 3]);
  const device = opDevice(where, ['graph', graph], ['xl', lt], ['xr', rt], ['att', at]);
  if (at.rank === 3 && at.shape[0] !== 1) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `att: expected [1, H, F], [H, F] or [H·F], got ${shapeText(at.shape)}`);
  }
  const width = at.numel;
  const stated = [
    ['att', at.rank === 3 ? at.shape[1] : shapeHeads(at, 2, 0)],
    ['xl', shapeHeads(lt, 3, 1)],
    ['xr', shapeHeads(rt, 3, 1)],
  ] as const;
  let heads: number;
  if (opts.heads !== undefined) heads = checkInteger('heads', opts.heads, 1, 1 << 20);
  else heads = stated.find(([, h]) => h !== null)?.[1] ?? 1;
  for (const [name, h] of stated) {
    if (h !== null && h !== heads) {
      const t = name === 'att' ? at : name === 'xl' ? lt : rt;
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected ${heads} heads, got shape ${shapeText(t.shape)}`);
    }
  }
  if (width % heads !== 0) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `att: expected ${heads} heads of equal width, got ${shapeText(at.shape)} (${width} elements)`);
  }
  const check = (name: string, t: Tensor<'float32'>, rows: number, what: string): void => {
    const w = t.rank === 3 ? t.shape[1] * t.shape[2] : t.shape[1];
    if (t.shape[0] !== rows || w !== width) {
      throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected [${rows}, ${width}] (${what}, H·F like att), got ${shapeText(t.shape)}`);
    }
  };
  check('xl', lt, graph.numSrcNodes, 'one row per source node');
  check('xr', rt, graph.numNodes, 'one row per destination node');
  const slope = opts.negativeSlope ?? 0.2;
  if (typeof slope !== 'number') throw invalidArgType('negativeSlope', 'a number', slope);
  if (!Number.isFinite(Math.fround(slope))) throw outOfRange('negativeSlope', 'a number finite in float32', slope);
  const out = outputTensor(opts.out, [graph.numEdges, heads], [lt, rt, at], device);
  return { device, graph, xl: lt, xr: rt, att: at, heads, headWidth: width / heads, slope, out };
}

function args(p: Prepared): NativeGatv2Args {
  return [graphHandle(p.graph), p.xl.data, p.xr.data, p.att.data, p.heads, p.headWidth, p.slope, p.out.data];
}

function cudaArgs(p: Prepared): CudaGatv2Args {
  return [deviceGraph(p.graph), buf('xl', p.xl), buf('xr', p.xr), buf('att', p.att), p.heads, p.headWidth, p.slope, buf('out', p.out)];
}

/** GATv2 attention logits [E, H] on the calling thread (and the native pool). */
export function gatv2ScoresSync(
  graph: Graph,
  xl: Tensor<'float32'>,
  xr: Tensor<'float32'>,
  att: Tensor<'float32'>,
  options?: Gatv2ScoresOptions,
): Tensor<'float32'> {
  const p = prepare(graph, xl, xr, att, options, 'gatv2ScoresSync');
  if (p.device !== 'cpu') return cudaSync(p.device, (cuda) => cuda.gatv2ScoresSync(...cudaArgs(p)), p.out);
  callSync(() => addon().gatv2ScoresSync(...args(p)));
  return p.out;
}

/** GATv2 attention logits [E, H] off the event loop. Inputs must not be modified until the promise settles. */
export function gatv2Scores(
  graph: Graph,
  xl: Tensor<'float32'>,
  xr: Tensor<'float32'>,
  att: Tensor<'float32'>,
  options?: Gatv2ScoresOptions,
): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(graph, xl, xr, att, options, 'gatv2Scores');
  } catch (error) {
    return Promise.reject(error);
  }
  if (p.device !== 'cpu') return cudaAsync(site, p.device, (cuda) => cuda.gatv2ScoresAsync(...cudaArgs(p)), p.out);
  return callAsync(site, () => addon().gatv2ScoresAsync(...args(p)), p.out);
}
