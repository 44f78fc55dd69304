/**
 * sddmm: one value per edge from its two endpoints, in the caller's edge order.
 *   dot:           s[e, h] = <u[src]_h, v[dst]_h> over each head's F columns
 *   add, sub, mul: s[e, c] = u[src, c] op v[dst, c] (the GAT form with per-node, per-head scalars);
 *                  a narrower operand broadcasts per head: its column h serves the wider one's head h.
 */
import { addon } from '../backend';
import type { Device } from '../device';
import { GnnError, invalidArgValue } from '../errors';
import { Graph, deviceGraph, graphHandle } from '../graph';
import type { CudaSddmmArgs } from '../native-cuda-types';
import type { NativeSddmmArgs } from '../native-types';
import { Tensor, checkTensor } from '../tensor';
import { checkInteger, checkOptions } from '../validate';
import { callAsync, callSync, outputTensor } from './common';
import { buf, cudaAsync, cudaSync, opDevice } from './device-dispatch';

export type SddmmOp = 'dot' | 'add' | 'sub' | 'mul';

const OP_CODES: Readonly<Record<SddmmOp, 0 | 1 | 2 | 3>> = { dot: 0, add: 1, sub: 2, mul: 3 };

export interface SddmmOptions {
  /** Default 'dot'. */
  op?: SddmmOp;
  /** dot with 2-D u and v: the number of heads their columns split into (default 1). */
  heads?: number;
  /** Output [E, H] (dot) or [E, D] (add/sub/mul), in the caller's edge order. */
  out?: Tensor<'float32'>;
}

interface Prepared {
  device: Device;
  graph: Graph;
  u: Tensor<'float32'>;
  uWidth: number;
  v: Tensor<'float32'>;
  vWidth: number;
  heads: number;
  op: 0 | 1 | 2 | 3;
  out: Tensor<'float32'>;
  outWidth: number;
}

/** [rows, width, heads-from-shape] of a [N], [N, D] or [N, H, F] tensor. */
function layout(name: string, t: Tensor<'float32'>): { rows: number; width: number; heads: number | null } {
  if (t.rank === 1) return { rows: t.shape[0], width: 1, heads: null };
  if (t.rank === 2) return { rows: t.shape[0], width: t.shape[1], heads: null };
  if (t.rank === 3) return { rows: t.shape[0], width: t.shape[1] * t.shape[2], heads: t.shape[1] };
  throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `${name}: expected rank 1, 2 or 3, got shape [${t.shape.join(', ')}]`);
}

function prepare(graph: Graph, u: Tensor<'float32'>, v: Tensor<'float32'>, options: SddmmOptions | undefined, where: string): Prepared {
  const opts = checkOptions(options, where, ['op', 'heads', 'out']);
  graphHandle(graph);
  const ut = checkTensor('u', u, 'float32');
  const vt = checkTensor('v', v, 'float32');
  const device = opDevice(where, ['graph', graph], ['u', ut], ['v', vt]);
  const op = opts.op ?? 'dot';
  if (typeof op !== 'string' || !Object.prototype.hasOwnProperty.call(OP_CODES, op)) {
    throw invalidArgValue('op', "'dot', 'add', 'sub' or 'mul'", op);
  }
  const lu = layout('u', ut);
  const lv = layout('v', vt);
  if (lu.rows !== graph.numSrcNodes) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `u: expected ${graph.numSrcNodes} rows (one per source node), got shape [${ut.shape.join(', ')}]`);
  }
  if (lv.rows !== graph.numNodes) {
    throw new GnnError('ERR_GNN_SHAPE_MISMATCH', `v: expected ${graph.numNodes} rows (one per node), got shape [${vt.shape.join(', ')}]`);
  }
  let heads = 1;
  let outShape: number[];
  let outWidth: number;
  if (op === 'dot') {
    if (opts.heads !== undefined) heads = checkInteger('heads', opts.heads, 1, 1 << 20);
    else heads = lu.heads ?? lv.heads ?? 1;
    if (lu.width !== lv.width || lu.width % heads !== 0 || (lu.heads !== null && lu.heads !== heads) || (lv.heads !== null && lv.heads !== heads)) {
      throw new GnnError(
        'ERR_GNN_SHAPE_MISMATCH',
        `u, v: expected equal widths split into ${heads} heads for a dot product, got shapes [${ut.shape.join(', ')}] and [${vt.shape.join(', ')}]`,
      );
    }
    outShape = [graph.numEdges, heads];
    outWidth = heads;
  } else {
    if (opts.heads !== undefined) throw invalidArgValue('heads', "no 'heads' option for add, sub and mul (the widths say it)", opts.heads);
    const d = Math.max(lu.width, lv.width);
    if (d % lu.width !== 0 || d % lv.width !== 0) {
      throw new GnnError(
        'ERR_GNN_SHAPE_MISMATCH',
        `u, v: expected widths where the wider is a multiple of the narrower, got shapes [${ut.shape.join(', ')}] and [${vt.shape.join(', ')}]`,
      );
    }
    outWidth = d;
    outShape = ut.rank === 1 && vt.rank === 1 ? [graph.numEdges] : [graph.numEdges, d];
  }
  const out = outputTensor(opts.out, outShape, [ut, vt], device);
  return { device, graph, u: ut, uWidth: lu.width, v: vt, vWidth: lv.width, heads, op: OP_CODES[op as SddmmOp], out, outWidth };
}

function cpuArgs(p: Prepared): NativeSddmmArgs {
  return [graphHandle(p.graph), p.u.data, p.uWidth, p.v.data, p.vWidth, p.heads, p.op, p.out.data, p.outWidth];
}

function cudaArgs(p: Prepared): CudaSddmmArgs {
  return [deviceGraph(p.graph), buf('u', p.u), p.uWidth, buf('v', p.v), p.vWidth, p.heads, p.op, buf('out', p.out), p.outWidth];
}

/** SDDMM on the calling thread. */
export function sddmmSync(graph: Graph, u: Tensor<'float32'>, v: Tensor<'float32'>, options?: SddmmOptions): Tensor<'float32'> {
  const p = prepare(graph, u, v, options, 'sddmmSync');
  if (p.device !== 'cpu') return cudaSync(p.device, (cuda) => cuda.sddmmSync(...cudaArgs(p)), p.out);
  callSync(() => addon().sddmmSync(...cpuArgs(p)));
  return p.out;
}

/** SDDMM off the event loop. */
export function sddmm(graph: Graph, u: Tensor<'float32'>, v: Tensor<'float32'>, options?: SddmmOptions): Promise<Tensor<'float32'>> {
  const site = new Error();
  let p: Prepared;
  try {
    p = prepare(graph, u, v, options, 'sddmm');
  } catch (error) {
    return Promise.reject(error);
  }
  if (p.device !== 'cpu') return cudaAsync(site, p.device, (cuda) => cuda.sddmmAsync(...cudaArgs(p)), p.out);
  return callAsync(site, () => addon().sddmmAsync(...cpuArgs(p)), p.out);
}

