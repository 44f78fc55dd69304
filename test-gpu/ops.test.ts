/**
 * Every op on the real GPU against the CPU backend, on fresh random inputs (helpers.ts: SEED) over
 * graphs with isolated nodes, self loops, duplicate edges and hub rows longer than the GPU's hub
 * threshold (checked), with outputs poisoned (NaN bytes) before each run. Bounds, per op, with
 * u = 2^-24 and the error model of helpers.ts:
 *   copies, max/min, add, scale, columnAffine, concat, index ops, quantize, dequantize,
 *   sddmm add/sub/mul, relu/leaky_relu/none ............... the same bits
 *   spmm sum (k in-edges) ............................... 2(k+2)·u·Σ|w·x|          (mean: /k, k+3)
 *   spmmInt8 sum ........................................ 2(k+3)·u·Σ|w·s·q|
 *   sddmm dot (F per head) ............................... 2(F+2)·u·Σ|u·v|
 *   edgeSoftmax, softmax (k terms, spread D = max|s − m|) . 2((k+16) + 2D)·u·α          (relative)
 *   logSoftmax ........................................... 2u·(|x − m| + |log Σ| + (k+16) + 2D)
 *   gatAggregate ......................................... Σ α|x| · (4((k+16) + 2D) + 2(k+2))·u
 *   gatv2Scores (F per head) .............................. 2(F+4)·u·Σ|att·leaky(xl + xr)|
 *   elu, gelu, sigmoid, tanh (libm differences) ........... 16u·(|y| + |x| + 1)
 *   layerNorm (w columns; r = 1/√(var+eps), dev = max|x − μ|) 4(w+8)·u·r·|weight|·dev + 2u·(|y| + |bias|)
 *   graphLayerNorm ........................................ as layerNorm over the graph's n·w values
 *   linear (K) ............................................. 2(K+2)·u·Σ|x·w| + 2u·(|bias| + |y|)
 *   quantizedLinear ......................................... 8u·(|y − bias| + 2|bias|) (integer sums exact)
 *   indexAdd (k duplicates) ................................ 2(k+2)·u·(|target| + Σ|α·src|)
 * And the GPU is deterministic: the same call twice, and its async form, give the same bits.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { Graph, QuantizedTensor, Tensor, ops, rmat } from '../lib/index';
import type { Reduce } from '../lib/index';
import { cudaNative } from '../lib/device';
import { deviceGraph } from '../lib/graph';
import { deviceBuffer } from '../lib/tensor';
import { awkwardGraph, edgeIndexOf, randomArray } from '../test/fixtures/graphs';
import { SEED, U, announce, bytes, expectSameBytes, expectWithin, gpu, host, poisoned } from './helpers';

announce('ops');
const describeGpu = describe.skipIf(!gpu);

let seed = SEED;
const rand = (shape: number[], low = -2, high = 2): Tensor<'float32'> =>
  Tensor.from(randomArray(shape.reduce((a, b) => a * b, 1), seed++, low, high), shape);

interface Csr {
  n: number;
  ptr: Int32Array;
  idx: Int32Array;
  eid: Int32Array;
  w: Float32Array | null;
  src: Int32Array;
  dst: Int32Array;
}
function csrOf(g: Graph): Csr {
  const ptr = Int32Array.from(g.indptr as ArrayLike<number | bigint>, Number);
  const { edgeIndex } = g.toEdgeIndex();
  const e = g.numEdges;
  return { n: g.numNodes, ptr, idx: g.indices, eid: g.edgeIds, w: g.edgeWeight, src: edgeIndex.subarray(0, e), dst: edgeIndex.subarray(e) };
}

/** Σ|w·x| per output element of spmm, and the bound of the sum or mean. */
function spmmBound(c: Csr, x: Float32Array, width: number, weight: (p: number, col: number) => number, mean: boolean): Float64Array {
  const out = new Float64Array(c.n * width);
  for (let v = 0; v < c.n; v++) {
    const k = c.ptr[v + 1] - c.ptr[v];
    for (let col = 0; col < width; col++) {
      let s = 0;
      for (let p = c.ptr[v]; p < c.ptr[v + 1]; p++) s += Math.abs(weight(p, col) * x[c.idx[p] * width + col]);
      out[v * width + col] = mean ? (k === 0 ? 0 : (2 * (k + 3) * U * s) / k) : 2 * (k + 2) * U * s;
    }
  }
  return out;
}

/** Per destination and head: the float64 softmax of the given per-edge scores, its spread D and in-degree. */
function softmax64(c: Csr, score: (e: number, h: number) => number, heads: number) {
  const alpha = new Float64Array(c.eid.length * heads);
  const spread = new Float64Array(c.n * heads);
  for (let v = 0; v < c.n; v++) {
    for (let h = 0; h < heads; h++) {
      let m = -Infinity;
      for (let p = c.ptr[v]; p < c.ptr[v + 1]; p++) m = Math.max(m, score(c.eid[p], h));
      // No in-edges, or every score -inf: zeros (edgeSoftmax's convention), nothing to bound.
      if (m === -Infinity) continue;
      let sum = 0;
      let d = 0;
      for (let p = c.ptr[v]; p < c.ptr[v + 1]; p++) {
        const s = score(c.eid[p], h);
        if (Number.isFinite(s)) d = Math.max(d, Math.abs(s - m));
        sum += Math.exp(s - m);
      }
      for (let p = c.ptr[v]; p < c.ptr[v + 1]; p++) alpha[c.eid[p] * heads + h] = Math.exp(score(c.eid[p], h) - m) / sum;
      spread[v * heads + h] = d;
    }
  }
  return { alpha, spread };
}

const leaky = (x: number, slope: number): number => (x >= 0 ? x : slope * x);

let graphs: Array<{ name: string; g: Graph; c: Csr }> = [];

beforeAll(() => {
  if (!gpu) return;
  const a = awkwardGraph(SEED % 1000, { numNodes: 4000, hubDegree: 12000, avgDegree: 8 });
  const awkward = Graph.fromEdgeIndex(edgeIndexOf(a), a.numNodes, { edgeWeight: randomArray(a.src.length, seed++, 0.1, 2) });
  const r = rmat({ scale: 13, seed: SEED % 1000 });
  const power = r.withEdgeWeight(randomArray(r.numEdges, seed++, 0.1, 2));
  graphs = [
    { name: 'awkward (isolated, loops, duplicates, 12000-edge hub)', g: awkward, c: csrOf(awkward) },
    { name: 'R-MAT scale 13', g: power, c: csrOf(power) },
  ];
});

describeGpu('graph ops on cuda:0 vs the CPU', () => {
  it('the test graphs have hub rows (split across warps on the GPU)', () => {
    const info = cudaNative(0).graphInfo(deviceGraph(graphs[0].g.to('cuda')));
    expect(info.hubRows, `hub rows of ${graphs[0].name} (max in-degree ${info.maxRowNnz})`).toBeGreaterThan(0);
  });

  for (const width of [1, 7, 32, 33, 64, 129, 257]) {
    for (const reduce of ['sum', 'mean', 'max', 'min'] as Reduce[]) {
      it(`spmm F=${width} ${reduce}, unweighted, graph weights and [E, 2] weights`, () => {
        for (const { name, g, c } of graphs) {
          const x = rand([g.numSrcNodes, width]);
          const gd = g.to('cuda');
          const xd = x.to('cuda');
          const forms: Array<['graph' | Tensor<'float32'> | undefined, (p: number, col: number) => number]> = [
            [undefined, () => 1],
            ['graph', (p) => (c.w as Float32Array)[p]],
          ];
          if (width % 2 === 0) {
            const w2 = rand([g.numEdges, 2], 0.1, 2);
            forms.push([w2, (p, col) => w2.data[c.eid[p] * 2 + Math.floor(col / (width / 2))]]);
          }
          for (const [weights, weight] of forms) {
            const label = `${name} F=${width} ${reduce} ${weights === undefined ? 'plain' : weights === 'graph' ? 'graph weights' : '[E, 2]'}`;
            const want = ops.spmmSync(g, x, { reduce, weights });
            const dw = weights instanceof Tensor ? weights.to('cuda') : weights;
            const got = ops.spmmSync(gd, xd, { reduce, weights: dw, out: poisoned([g.numNodes, width]) });
            const bound = reduce === 'sum' || reduce === 'mean' ? spmmBound(c, x.data, width, weight, reduce === 'mean') : 0;
            expectWithin(host(got), want.data, bound, label);
            expectSameBytes(ops.spmmSync(gd, xd, { reduce, weights: dw }), got, `${label}: deterministic`);
          }
        }
      });
    }
  }

  it('spmm async gives the sync bits', async () => {
    const { g } = graphs[1];
    const x = rand([g.numNodes, 64]).to('cuda');
    const sync = ops.spmmSync(g.to('cuda'), x, { weights: 'graph' });
    expectSameBytes(await ops.spmm(g.to('cuda'), x, { weights: 'graph', out: poisoned([g.numNodes, 64]) }), sync, 'spmm async');
  });

  for (const reduce of ['sum', 'max'] as Reduce[]) {
    it(`spmmInt8 ${reduce} per row and per tensor`, () => {
      for (const { name, g, c } of graphs) {
        for (const granularity of ['row', 'tensor'] as const) {
          const q = ops.quantizeSync(rand([g.numNodes, 33]), { granularity });
          const want = ops.spmmInt8Sync(g, q, { reduce, weights: 'graph' });
          const got = ops.spmmInt8Sync(g.to('cuda'), q.to('cuda'), { reduce, weights: 'graph', out: poisoned([g.numNodes, 33]) });
          const codes = q.data.data as Int8Array;
          const scale = (u: number): number => q.scale[q.scale.length === 1 ? 0 : u];
          const bound = new Float64Array(g.numNodes * 33);
          if (reduce === 'sum') {
            for (let v = 0; v < c.n; v++) {
              const k = c.ptr[v + 1] - c.ptr[v];
              for (let col = 0; col < 33; col++) {
                let s = 0;
                for (let p = c.ptr[v]; p < c.ptr[v + 1]; p++) s += Math.abs((c.w as Float32Array)[p] * scale(c.idx[p]) * codes[c.idx[p] * 33 + col]);
                bound[v * 33 + col] = 2 * (k + 3) * U * s;
              }
            }
          }
          expectWithin(host(got), want.data, reduce === 'sum' ? bound : 0, `${name} spmmInt8 ${reduce} ${granularity}`);
        }
      }
    });
  }

  it('sddmm dot (1 and 4 heads) within 2(F+2)u·Σ|u·v|; add, sub, mul bitwise', () => {
    for (const { name, g, c } of graphs) {
      for (const heads of [1, 4]) {
        const F = 16;
        const u = rand([g.numNodes, heads * F]);
        const v = rand([g.numNodes, heads * F]);
        const want = ops.sddmmSync(g, u, v, { heads });
        const got = ops.sddmmSync(g.to('cuda'), u.to('cuda'), v.to('cuda'), { heads, out: poisoned([g.numEdges, heads]) });
        const bound = new Float64Array(g.numEdges * heads);
        for (let e = 0; e < g.numEdges; e++) {
          for (let h = 0; h < heads; h++) {
            let s = 0;
            for (let f = 0; f < F; f++) s += Math.abs(u.data[c.src[e] * heads * F + h * F + f] * v.data[c.dst[e] * heads * F + h * F + f]);
            bound[e * heads + h] = 2 * (F + 2) * U * s;
          }
        }
        expectWithin(host(got), want.data, bound, `${name} sddmm dot ${heads} heads`);
      }
      for (const op of ['add', 'sub', 'mul'] as const) {
        const u = rand([g.numNodes, 3]);
        const v = rand([g.numNodes, 12]);
        const got = ops.sddmmSync(g.to('cuda'), u.to('cuda'), v.to('cuda'), { op, out: poisoned([g.numEdges, 12]) });
        expectWithin(host(got), ops.sddmmSync(g, u, v, { op }).data, 0, `${name} sddmm ${op}`);
      }
    }
  });

  it('edgeSoftmax (with -inf scores) within its relative bound, in place too', async () => {
    for (const { name, g, c } of graphs) {
      const heads = 3;
      const s = rand([g.numEdges, heads], -10, 10);
      for (let i = 0; i < s.numel; i += 97) s.data[i] = Number.NEGATIVE_INFINITY;
      const want = ops.edgeSoftmaxSync(g, s);
      const { alpha, spread } = softmax64(c, (e, h) => s.data[e * heads + h], heads);
      const bound = new Float64Array(g.numEdges * heads);
      for (let v = 0; v < c.n; v++) {
        const k = c.ptr[v + 1] - c.ptr[v];
        for (let p = c.ptr[v]; p < c.ptr[v + 1]; p++) {
          for (let h = 0; h < heads; h++) bound[c.eid[p] * heads + h] = 2 * (k + 16 + 2 * spread[v * heads + h]) * U * alpha[c.eid[p] * heads + h];
        }
      }
      const got = ops.edgeSoftmaxSync(g.to('cuda'), s.to('cuda'), { out: poisoned([g.numEdges, heads]) });
      expectWithin(host(got), want.data, bound, `${name} edgeSoftmax`);
      const inPlace = s.to('cuda');
      expectSameBytes(ops.edgeSoftmaxSync(g.to('cuda'), inPlace, { out: inPlace }), got, `${name} edgeSoftmax in place`);
      expectSameBytes(await ops.edgeSoftmax(g.to('cuda'), s.to('cuda')), got, `${name} edgeSoftmax async`);
    }
  });

  it('gatAggregate (2 heads, edge term, attention) within its bound; async the same bits', async () => {
    for (const { name, g, c } of graphs) {
      const heads = 2;
      const F = 24;
      const x = rand([g.numNodes, heads * F]);
      const aSrc = rand([g.numNodes, heads]);
      const aDst = rand([g.numNodes, heads]);
      const edgeTerm = rand([g.numEdges, heads]);
      const slope = 0.2;
      const want = ops.gatAggregateSync(g, x, aSrc, aDst, { edgeTerm, returnAttention: true });
      const score = (e: number, h: number): number => leaky(aSrc.data[c.src[e] * heads + h] + aDst.data[c.dst[e] * heads + h] + edgeTerm.data[e * heads + h], slope);
      const { alpha, spread } = softmax64(c, score, heads);
      const bound = new Float64Array(g.numNodes * heads * F);
      const alphaBound = new Float64Array(g.numEdges * heads);
      for (let v = 0; v < c.n; v++) {
        const k = c.ptr[v + 1] - c.ptr[v];
        for (let h = 0; h < heads; h++) {
          const rel = (k + 16 + 2 * spread[v * heads + h]) * U;
          for (let p = c.ptr[v]; p < c.ptr[v + 1]; p++) alphaBound[c.eid[p] * heads + h] = 2 * rel * alpha[c.eid[p] * heads + h];
          for (let f = 0; f < F; f++) {
            let s = 0;
            for (let p = c.ptr[v]; p < c.ptr[v + 1]; p++) s += alpha[c.eid[p] * heads + h] * Math.abs(x.data[c.idx[p] * heads * F + h * F + f]);
            bound[v * heads * F + h * F + f] = (4 * rel + 2 * (k + 2) * U) * s;
          }
        }
      }
      const dev = [g.to('cuda'), x.to('cuda'), aSrc.to('cuda'), aDst.to('cuda')] as const;
      const got = ops.gatAggregateSync(...dev, { edgeTerm: edgeTerm.to('cuda'), returnAttention: true, out: poisoned([g.numNodes, heads * F]) });
      expectWithin(host(got.out), want.out.data, bound, `${name} gatAggregate out`);
      expectWithin(host(got.attention), want.attention.data, alphaBound, `${name} gatAggregate attention`);
      const again = await ops.gatAggregate(...dev, { edgeTerm: edgeTerm.to('cuda') });
      expectSameBytes(again, got.out, `${name} gatAggregate async`);
    }
  });

  it('gatv2Scores within 2(F+4)u·Σ|att·leaky(xl + xr)|', () => {
    for (const { name, g, c } of graphs) {
      const heads = 3;
      const F = 8;
      const xl = rand([g.numNodes, heads * F]);
      const xr = rand([g.numNodes, heads * F]);
      const att = rand([1, heads, F]);
      const want = ops.gatv2ScoresSync(g, xl, xr, att);
      const got = ops.gatv2ScoresSync(g.to('cuda'), xl.to('cuda'), xr.to('cuda'), att.to('cuda'), { out: poisoned([g.numEdges, heads]) });
      const bound = new Float64Array(g.numEdges * heads);
      for (let e = 0; e < g.numEdges; e++) {
        for (let h = 0; h < heads; h++) {
          let s = 0;
          for (let f = 0; f < F; f++) s += Math.abs(att.data[h * F + f] * leaky(xl.data[c.src[e] * heads * F + h * F + f] + xr.data[c.dst[e] * heads * F + h * F + f], 0.2));
          bound[e * heads + h] = 2 * (F + 4) * U * s;
        }
      }
      expectWithin(host(got), want.data, bound, `${name} gatv2Scores`);
    }
  });
});

describeGpu('dense and row ops on cuda:0 vs the CPU', () => {
  const N = 3001;

  it('activations: none, relu, leaky_relu bitwise; elu, gelu, sigmoid, tanh within 16u·(|y| + |x| + 1)', async () => {
    const x = rand([N, 37], -12, 12);
    x.data[5] = Number.NaN;
    x.data[6] = Number.POSITIVE_INFINITY;
    x.data[7] = Number.NEGATIVE_INFINITY;
    for (const name of ['none', 'relu', 'leaky_relu', 'elu', 'gelu', 'sigmoid', 'tanh'] as const) {
      const want = ops.activationSync(x, name);
      const got = ops.activationSync(x.to('cuda'), name, { out: poisoned([N, 37]) });
      const exact = name === 'none' || name === 'relu' || name === 'leaky_relu';
      const bound = exact ? 0 : Float64Array.from(want.data, (y, i) => 16 * U * (Math.abs(y) + Math.abs(x.data[i]) + 1));
      expectWithin(host(got), want.data, bound, `activation ${name}`);
      expectSameBytes(await ops.activation(x.to('cuda'), name), got, `activation ${name} async`);
    }
  });

  it('add (full and broadcast), scale, columnAffine, concat: bitwise', () => {
    const a = rand([N, 19]);
    const b = rand([N, 19]);
    const row = rand([19]);
    const s = rand([N]);
    const [ad, bd, rd, sd] = [a, b, row, s].map((t) => t.to('cuda'));
    expectWithin(host(ops.addSync(ad, bd, { alpha: 0.7, beta: -1.3, out: poisoned([N, 19]) })), ops.addSync(a, b, { alpha: 0.7, beta: -1.3 }).data, 0, 'add');
    expectWithin(host(ops.addSync(ad, rd, { alpha: 2, out: poisoned([N, 19]) })), ops.addSync(a, row, { alpha: 2 }).data, 0, 'add row');
    expectWithin(host(ops.scaleSync(ad, 0.3, { out: poisoned([N, 19]) })), ops.scaleSync(a, 0.3).data, 0, 'scale');
    expectWithin(host(ops.scaleSync(ad, sd, { out: poisoned([N, 19]) })), ops.scaleSync(a, s).data, 0, 'scale per row');
    expectWithin(host(ops.columnAffineSync(ad, rd, rd, { out: poisoned([N, 19]) })), ops.columnAffineSync(a, row, row).data, 0, 'columnAffine');
    expectWithin(host(ops.columnAffineSync(ad, null, rd, { out: poisoned([N, 19]) })), ops.columnAffineSync(a, null, row).data, 0, 'columnAffine shift');
    expectWithin(host(ops.concatSync([ad, bd, ad], { out: poisoned([N, 57]) })), ops.concatSync([a, b, a]).data, 0, 'concat');
  });

  it('softmax and logSoftmax within their bounds', () => {
    for (const width of [1, 10, 33, 300]) {
      const x = rand([517, width], -40, 40);
      const want = ops.softmaxSync(x);
      const wantLog = ops.logSoftmaxSync(x);
      const bound = new Float64Array(x.numel);
      const logBound = new Float64Array(x.numel);
      for (let r = 0; r < 517; r++) {
        let m = -Infinity;
        for (let j = 0; j < width; j++) m = Math.max(m, x.data[r * width + j]);
        let sum = 0;
        let d = 0;
        for (let j = 0; j < width; j++) {
          sum += Math.exp(x.data[r * width + j] - m);
          d = Math.max(d, m - x.data[r * width + j]);
        }
        const rel = (width + 16 + 2 * d) * U;
        for (let j = 0; j < width; j++) {
          const i = r * width + j;
          bound[i] = (2 * rel * Math.exp(x.data[i] - m)) / sum;
          logBound[i] = 2 * U * (Math.abs(x.data[i] - m) + Math.abs(Math.log(sum))) + 2 * rel;
        }
      }
      expectWithin(host(ops.softmaxSync(x.to('cuda'), { out: poisoned([517, width]) })), want.data, bound, `softmax w=${width}`);
      expectWithin(host(ops.logSoftmaxSync(x.to('cuda'), { out: poisoned([517, width]) })), wantLog.data, logBound, `logSoftmax w=${width}`);
    }
  });

  it('indexSelect and indexCopy bitwise; indexAdd within 2(k+2)u·(|target| + Σ|α·src|); bad indices throw', () => {
    const x = rand([N, 13]);
    const index = Int32Array.from({ length: 5000 }, (_, i) => (i * 7919 + seed) % N);
    const dup = Int32Array.from(index, (v) => v % 97);
    expectWithin(host(ops.indexSelectSync(x.to('cuda'), index, { out: poisoned([5000, 13]) })), ops.indexSelectSync(x, index).data, 0, 'indexSelect');
    const src = rand([5000, 13]);
    const copied = ops.indexCopySync(x.clone(), dup, src);
    expectWithin(host(ops.indexCopySync(x.to('cuda'), Tensor.from(dup).to('cuda'), src.to('cuda'))), copied.data, 0, 'indexCopy (last wins)');
    const added = ops.indexAddSync(x.clone(), dup, src, { alpha: -0.5 });
    const bound = Float64Array.from(x.data, (t) => Math.abs(t));
    const counts = new Int32Array(N);
    for (let i = 0; i < dup.length; i++) {
      counts[dup[i]]++;
      for (let j = 0; j < 13; j++) bound[dup[i] * 13 + j] += Math.abs(0.5 * src.data[i * 13 + j]);
    }
    for (let r = 0; r < N; r++) for (let j = 0; j < 13; j++) bound[r * 13 + j] *= 2 * (counts[r] + 2) * U;
    expectWithin(host(ops.indexAddSync(x.to('cuda'), dup, src.to('cuda'), { alpha: -0.5 })), added.data, bound, 'indexAdd');
    expect(() => ops.indexSelectSync(x.to('cuda'), Int32Array.of(0, N))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('layerNorm and graphLayerNorm within their bounds (rows with a large mean too)', () => {
    const w = 45;
    const x = rand([N, w]);
    for (let j = 0; j < w; j++) x.data[7 * w + j] = 1e3 + x.data[7 * w + j] * 1e-2;
    const weight = rand([w]);
    const bias = rand([w]);
    const want = ops.layerNormSync(x, { weight, bias });
    const bound = new Float64Array(x.numel);
    for (let r = 0; r < N; r++) {
      let mu = 0;
      for (let j = 0; j < w; j++) mu += x.data[r * w + j];
      mu /= w;
      let variance = 0;
      let dev = 0;
      for (let j = 0; j < w; j++) {
        variance += (x.data[r * w + j] - mu) ** 2;
        dev = Math.max(dev, Math.abs(x.data[r * w + j] - mu));
      }
      const rstd = 1 / Math.sqrt(variance / w + 1e-5);
      for (let j = 0; j < w; j++) bound[r * w + j] = 4 * (w + 8) * U * rstd * Math.abs(weight.data[j]) * dev + 2 * U * (Math.abs(want.data[r * w + j]) + Math.abs(bias.data[j]));
    }
    const got = ops.layerNormSync(x.to('cuda'), { weight: weight.to('cuda'), bias: bias.to('cuda'), out: poisoned([N, w]) });
    expectWithin(host(got), want.data, bound, 'layerNorm');

    const batch = Int32Array.from({ length: N }, (_, i) => Math.floor((i * 5) / N));
    for (const b of [batch, null]) {
      const wantG = ops.graphLayerNormSync(x, { batch: b, weight, bias });
      const boundG = new Float64Array(x.numel);
      for (let gid = 0; gid < (b === null ? 1 : 5); gid++) {
        const rows = Array.from({ length: N }, (_, i) => i).filter((i) => (b === null ? 0 : b[i]) === gid);
        let mu = 0;
        for (const r of rows) for (let j = 0; j < w; j++) mu += x.data[r * w + j];
        mu /= rows.length * w;
        let variance = 0;
        let dev = 0;
        for (const r of rows) {
          for (let j = 0; j < w; j++) {
            variance += (x.data[r * w + j] - mu) ** 2;
            dev = Math.max(dev, Math.abs(x.data[r * w + j] - mu));
          }
        }
        const rstd = 1 / Math.sqrt(variance / (rows.length * w) + 1e-5);
        const k = rows.length * w;
        for (const r of rows) for (let j = 0; j < w; j++) boundG[r * w + j] = 4 * (k + 8) * U * rstd * Math.abs(weight.data[j]) * dev + 2 * U * (Math.abs(wantG.data[r * w + j]) + Math.abs(bias.data[j]));
      }
      const gotG = ops.graphLayerNormSync(x.to('cuda'), { batch: b, weight: weight.to('cuda'), bias: bias.to('cuda'), out: poisoned([N, w]) });
      expectWithin(host(gotG), wantG.data, boundG, `graphLayerNorm ${b === null ? 'one graph' : 'batched'}`);
    }
  });

  it('linear (cuBLAS or the tiled kernel, and the tiled kernel forced) within 2(K+2)u·Σ|x·w| + 2u(|bias| + |y|)', async () => {
    for (const [n, k, m] of [[N, 1433, 16], [513, 64, 64], [7, 129, 257], [1, 5, 3]]) {
      const x = rand([n, k]);
      const w = rand([m, k]);
      const bias = rand([m]);
      for (const activation of ['none', 'relu'] as const) {
        const want = ops.linearSync(x, w, { bias, activation });
        const bound = new Float64Array(n * m);
        for (let r = 0; r < n; r++) {
          for (let c = 0; c < m; c++) {
            let s = 0;
            for (let j = 0; j < k; j++) s += Math.abs(x.data[r * k + j] * w.data[c * k + j]);
            bound[r * m + c] = 2 * (k + 2) * U * s + 2 * U * (Math.abs(bias.data[c]) + Math.abs(want.data[r * m + c]));
          }
        }
        const [xd, wd, bd] = [x.to('cuda'), w.to('cuda'), bias.to('cuda')];
        const got = ops.linearSync(xd, wd, { bias: bd, activation, out: poisoned([n, m]) });
        expectWithin(host(got), want.data, bound, `linear ${n}x${k}x${m} ${activation}`);
        expectSameBytes(await ops.linear(xd, wd, { bias: bd, activation }), got, `linear ${n}x${k}x${m} async`);
        const own = poisoned([n, m]);
        const cuda = cudaNative(0);
        cuda.linearSync(deviceBuffer('x', xd), n, k, deviceBuffer('w', wd), m, deviceBuffer('b', bd), deviceBuffer('out', own), activation === 'relu' ? 1 : 0, 0, false);
        expectWithin(host(own), want.data, bound, `linear ${n}x${k}x${m} ${activation}, our kernel`);
      }
    }
  });

  it('quantize and dequantize bitwise (int8, uint8, per row, per tensor, static)', () => {
    const x = rand([N, 50], -3, 7);
    const variants = [
      { dtype: 'int8' as const },
      { dtype: 'uint8' as const },
      { dtype: 'int8' as const, granularity: 'tensor' as const },
      { dtype: 'uint8' as const, granularity: 'tensor' as const },
      { dtype: 'uint8' as const, scale: 0.04, zeroPoint: 77 },
      { dtype: 'int8' as const, scale: 0.03 },
    ];
    for (const v of variants) {
      const want = ops.quantizeSync(x, v);
      const got = ops.quantizeSync(x.to('cuda'), v);
      const label = `quantize ${JSON.stringify(v)}`;
      expectSameBytes(got.data, want.data, `${label} codes`);
      expectSameBytes(got.scaleTensor, want.scaleTensor, `${label} scales`);
      if (want.zeroPointTensor !== null) expectSameBytes(got.zeroPointTensor as Tensor, want.zeroPointTensor, `${label} zero points`);
      expectWithin(host(ops.dequantizeSync(got, { out: poisoned([N, 50]) })), ops.dequantizeSync(want).data, 0, `de${label}`);
    }
    expect(() => ops.quantizeSync(Tensor.from(Float32Array.of(1, Number.NaN), [1, 2]).to('cuda'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it('quantizedLinear (dp4a) within 8u·(|y − bias| + 2|bias|): dynamic, static, uint8 codes, int8 output', () => {
    const x = rand([N, 200]);
    const weight = ops.quantizeWeight(rand([96, 200]));
    const bias = rand([96]);
    const bd = bias.to('cuda');
    const bound = (y: Float32Array): Float64Array => Float64Array.from(y, (v, i) => 8 * U * (Math.abs(v - bias.data[i % 96]) + 2 * Math.abs(bias.data[i % 96])));
    const dynamic = ops.quantizedLinearSync(x, weight, { bias });
    expectWithin(host(ops.quantizedLinearSync(x.to('cuda'), weight, { bias: bd, out: poisoned([N, 96]) })), dynamic.data, bound(dynamic.data), 'quantizedLinear dynamic');
    const input = { scale: 0.02, zeroPoint: 100 };
    const statics = ops.quantizedLinearSync(x, weight, { bias, input });
    expectWithin(host(ops.quantizedLinearSync(x.to('cuda'), weight, { bias: bd, input })), statics.data, bound(statics.data), 'quantizedLinear static');
    const codes = ops.quantizeSync(x, { dtype: 'uint8' });
    const fromCodes = ops.quantizedLinearSync(codes, weight, { bias, activation: 'relu' });
    expectWithin(host(ops.quantizedLinearSync(codes.to('cuda'), weight, { bias: bd, activation: 'relu' })), fromCodes.data, bound(fromCodes.data), 'quantizedLinear uint8 codes');
    // int8 output: a code may move by one where the float result sits on a rounding boundary.
    const q8 = ops.quantizedLinearSync(x, weight, { bias, output: 'int8' }) as QuantizedTensor;
    const g8 = ops.quantizedLinearSync(x.to('cuda'), weight, { bias: bd, output: 'int8' }) as QuantizedTensor;
    const a = new Int8Array(bytes(g8.data).buffer);
    const b = q8.data.data as Int8Array;
    let moved = 0;
    for (let i = 0; i < b.length; i++) {
      expect(Math.abs(a[i] - b[i]), `int8 output code ${i}`).toBeLessThanOrEqual(1);
      if (a[i] !== b[i]) moved++;
    }
    expect(moved / b.length).toBeLessThan(1e-3);
  });
});
