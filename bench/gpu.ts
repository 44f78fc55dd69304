/**
 * `npm run bench:gpu`: every CUDA kernel on cuda:0, as a markdown table for BENCHMARKS.md.
 *
 * Timing: spmm through the addon's spmmMs (CUDA events around `repeats` launches on one stream,
 * after warm-up; median); cuSPARSE SpMM (CSR) the same way through cusparseSpmmMs when the build
 * links cuSPARSE. Every other op: the Sync call and a device synchronize, timed on the host over
 * `repeats` runs after warm-up; median (so it includes the launch, a few µs).
 *
 * Bytes: the compulsory byte model counts what an op must move at least once: its graph arrays
 * (indptr (N+1)·4, indices E·4, edge ids or weights E·4 where read), every input read once and every
 * output written once. For spmm the gather model is given too: x[u] read once per edge (E·F·4
 * instead of Nsrc·F·4), what a kernel moves when no row of x stays in cache. GB/s = bytes / time;
 * the fraction is of the device-to-device copy bandwidth measured here (copyBandwidth: bytes read
 * plus written). Dense linear: FLOP model 2·n·k·m, against the best of a 4096³ GEMM measured here
 * (the attainable FP32 roof; cuBLAS when linked, else our tiled kernel).
 *
 * Without a CUDA device it says why and exits 0. Environment: BENCH_SCALE (R-MAT scale, default
 * 20), BENCH_REPEATS (default 20).
 */
import { Graph, Tensor, backendInfo, ops, randomValues, rmat } from '../lib/index';
import { cudaImplementation } from '../lib/device';
import { deviceGraph } from '../lib/graph';
import type { DeviceBuffer, NativeCuda } from '../lib/native-cuda-types';
import { deviceBuffer } from '../lib/tensor';
import { environment, fmt } from './harness';

const SCALE = Number(process.env.BENCH_SCALE ?? 20);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 20);
const WARMUP = 3;

interface Row {
  kernel: string;
  shape: string;
  ms: number;
  bytes: number;
  model: string;
  gatherBytes?: number;
}

const rows: Row[] = [];

function median(a: number[]): number {
  const s = [...a].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)];
}

/** Median ms of fn (a Sync op call) plus a device synchronize, after warm-up. */
function timeSync(cuda: NativeCuda, fn: () => unknown): number {
  for (let i = 0; i < WARMUP; i++) fn();
  cuda.synchronize(0);
  const samples: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    cuda.synchronize(0);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(samples);
}

function rand(shape: number[], seed: number, low = -1, high = 1): Tensor<'float32'> {
  return Tensor.from(randomValues(shape.reduce((a, b) => a * b, 1), seed, { low, high }), shape).to('cuda');
}

const buf = (t: Tensor): DeviceBuffer => deviceBuffer('bench', t);
const graphBytes = (g: Graph, perEdge: number): number => (g.numNodes + 1) * 4 + g.numEdges * 4 * perEdge;

function main(): void {
  const cuda = cudaImplementation();
  const probe = cuda?.probe();
  if (cuda === undefined || probe === undefined || !probe.available) {
    const reason = probe?.reason ?? (backendInfo().cuda as { reason?: string }).reason ?? 'no CUDA addon';
    console.log(`bench:gpu: no CUDA device, nothing to measure (${reason}).`);
    return;
  }
  const dev = probe.devices[0];
  const env = environment();
  const copyGBs = cuda.copyBandwidth(0, 2 ** 30, 10);
  console.log(
    `Device: ${dev.name} (compute capability ${dev.computeCapability}, ${dev.multiprocessors} SMs, ${fmt(dev.totalMemory / 2 ** 30)} GiB); CUDA runtime ${probe.runtimeVersion}, driver ${probe.driverVersion}; built for ${probe.architectures}; cuBLAS ${probe.cublas ? 'yes' : 'no'}, cuSPARSE ${probe.cusparse ? 'yes' : 'no'}.`,
  );
  console.log(`Host: ${String(env.cpu)}; Node ${String(env.node)}; ${String(env.date).slice(0, 10)}; commit ${String(env.gitSha)}. Command: npm run bench:gpu (BENCH_SCALE=${SCALE}, BENCH_REPEATS=${REPEATS}).`);
  console.log(`Measured device copy bandwidth: ${fmt(copyGBs)} GB/s (read + written).`);

  const host = rmat({ scale: SCALE, edgeFactor: 16, seed: 1 });
  const g = host.withEdgeWeight(randomValues(host.numEdges, 2, { low: 0.1, high: 1 })).to('cuda');
  const n = g.numNodes;
  const e = g.numEdges;
  const dg = deviceGraph(g);
  const info = cuda.graphInfo(dg);
  console.log(`Graph: R-MAT scale ${SCALE}: ${n} nodes, ${e} edges, largest in-degree ${info.maxRowNnz}, ${info.hubRows} hub rows.`);
  console.log('');

  // ---- spmm (events inside the addon) and cuSPARSE ----
  let ours128 = NaN;
  let cusparse128 = NaN;
  for (const f of [32, 128]) {
    const x = rand([n, f], 3);
    const out = Tensor.zeros([n, f], 'float32', { device: 'cuda' });
    for (const [mode, label, perEdge] of [[0, 'sum', 1], [1, 'sum, graph weights', 2]] as const) {
      const ms = cuda.spmmMs(dg, buf(x), f, mode, null, 1, buf(out), 0, REPEATS);
      const fixed = graphBytes(g, perEdge) + n * f * 4;
      rows.push({ kernel: `spmm ${label}`, shape: `F=${f}`, ms, bytes: fixed + n * f * 4, gatherBytes: fixed + e * f * 4, model: 'graph + x once + out' });
      if (f === 128 && mode === 1) ours128 = ms;
      if (probe.cusparse) {
        const cms = cuda.cusparseSpmmMs(dg, buf(x), f, mode === 1, buf(out), REPEATS);
        rows.push({ kernel: `cuSPARSE SpMM (CSR) ${label}`, shape: `F=${f}`, ms: cms, bytes: fixed + n * f * 4, gatherBytes: fixed + e * f * 4, model: 'graph + x once + out' });
        if (f === 128 && mode === 1) cusparse128 = cms;
      }
    }
    x.dispose();
    out.dispose();
  }

  // ---- graph ops ----
  const heads = 8;
  const hf = 128;
  const xh = rand([n, hf], 4);
  const aSrc = rand([n, heads], 5, -2, 2);
  const aDst = rand([n, heads], 6, -2, 2);
  const scores = Tensor.zeros([e, heads], 'float32', { device: 'cuda' });
  const outH = Tensor.zeros([n, hf], 'float32', { device: 'cuda' });
  const fusedMs = timeSync(cuda, () => ops.gatAggregateSync(g, xh, aSrc, aDst, { out: outH }));
  rows.push({ kernel: 'gatAggregate (fused)', shape: `H=${heads}, F=${hf / heads}`, ms: fusedMs, bytes: graphBytes(g, 1) + n * hf * 8 + n * heads * 8, model: 'graph + x + aSrc + aDst + out' });
  const unfusedMs = timeSync(cuda, () => {
    ops.sddmmSync(g, aSrc, aDst, { op: 'add', out: scores });
    ops.activationSync(scores, 'leaky_relu', { alpha: 0.2, out: scores });
    ops.edgeSoftmaxSync(g, scores, { out: scores });
    ops.spmmSync(g, xh, { weights: scores, out: outH });
  });
  rows.push({ kernel: 'unfused chain (sddmm add, leaky relu, edgeSoftmax, spmm [E, H])', shape: `H=${heads}, F=${hf / heads}`, ms: unfusedMs, bytes: graphBytes(g, 1) + n * hf * 8 + n * heads * 8, model: 'as fused (its E·H temporaries not counted)' });
  rows.push({ kernel: 'sddmm add', shape: `H=${heads}`, ms: timeSync(cuda, () => ops.sddmmSync(g, aSrc, aDst, { op: 'add', out: scores })), bytes: graphBytes(g, 1) + n * heads * 8 + e * heads * 4, model: 'graph + u + v + out' });
  const dotOut = Tensor.zeros([e, heads], 'float32', { device: 'cuda' });
  rows.push({ kernel: 'sddmm dot', shape: `H=${heads}, F=${hf / heads}`, ms: timeSync(cuda, () => ops.sddmmSync(g, xh, xh, { heads, out: dotOut })), bytes: graphBytes(g, 1) + n * hf * 8 + e * heads * 4, model: 'graph + u + v + out' });
  rows.push({ kernel: 'edgeSoftmax', shape: `H=${heads}`, ms: timeSync(cuda, () => ops.edgeSoftmaxSync(g, scores, { out: scores })), bytes: graphBytes(g, 1) + e * heads * 8, model: 'graph + scores + out' });
  const att = rand([1, heads, hf / heads], 7);
  rows.push({ kernel: 'gatv2Scores', shape: `H=${heads}, F=${hf / heads}`, ms: timeSync(cuda, () => ops.gatv2ScoresSync(g, xh, xh, att, { out: dotOut })), bytes: graphBytes(g, 1) + n * hf * 8 + e * heads * 4, model: 'graph + xl + xr + out' });
  const q = ops.quantizeSync(xh);
  rows.push({ kernel: 'spmmInt8 sum, graph weights', shape: `F=${hf}`, ms: timeSync(cuda, () => ops.spmmInt8Sync(g, q, { weights: 'graph', out: outH })), bytes: graphBytes(g, 2) + n * hf + n * 4 + n * hf * 4, model: 'graph + codes + scales + out' });
  rows.push({ kernel: 'quantize int8 per row', shape: `${n}x${hf}`, ms: timeSync(cuda, () => ops.quantizeSync(xh, { out: q })), bytes: n * hf * 5 + n * 4, model: 'x + codes + scales' });

  // ---- elementwise and row ops ----
  const b = rand([n, hf], 8);
  const row = rand([hf], 9);
  const rs = rand([n], 10);
  const rowBytes = n * hf * 8;
  const elementwise: Array<[string, () => unknown, number]> = [
    ['activation relu', () => ops.activationSync(xh, 'relu', { out: outH }), rowBytes],
    ['activation gelu', () => ops.activationSync(xh, 'gelu', { out: outH }), rowBytes],
    ['add', () => ops.addSync(xh, b, { out: outH }), n * hf * 12],
    ['add row (bias)', () => ops.addSync(xh, row, { out: outH }), rowBytes],
    ['scale per row', () => ops.scaleSync(xh, rs, { out: outH }), rowBytes + n * 4],
    ['columnAffine', () => ops.columnAffineSync(xh, row, row, { out: outH }), rowBytes],
    ['softmax', () => ops.softmaxSync(xh, { out: outH }), rowBytes],
    ['layerNorm', () => ops.layerNormSync(xh, { weight: row, bias: row, out: outH }), rowBytes],
    ['graphLayerNorm (one graph)', () => ops.graphLayerNormSync(xh, { out: outH }), rowBytes],
  ];
  for (const [name, fn, bytes] of elementwise) rows.push({ kernel: name, shape: `${n}x${hf}`, ms: timeSync(cuda, fn), bytes, model: 'inputs + out' });
  const half = rand([n, hf / 2], 11);
  rows.push({ kernel: 'concat', shape: `2 x ${n}x${hf / 2}`, ms: timeSync(cuda, () => ops.concatSync([half, half], { out: outH })), bytes: rowBytes, model: 'parts + out' });
  const index = Tensor.from(Int32Array.from({ length: n }, (_, i) => (i * 2654435761) % n)).to('cuda');
  rows.push({ kernel: 'indexSelect', shape: `${n} rows of ${hf}`, ms: timeSync(cuda, () => ops.indexSelectSync(xh, index, { out: outH })), bytes: n * 4 + rowBytes, model: 'index + rows + out' });
  rows.push({ kernel: 'indexAdd', shape: `${n} rows of ${hf}`, ms: timeSync(cuda, () => ops.indexAddSync(outH, index, xh)), bytes: n * 4 + n * hf * 12, model: 'index + src + target read and written' });

  // ---- dense ----
  const flops: Array<{ kernel: string; shape: string; ms: number; flop: number }> = [];
  const gemm = (m: number, k: number, nn: number, library: boolean): number => {
    const x = rand([m, k], 12);
    const w = rand([nn, k], 13);
    const out = Tensor.zeros([m, nn], 'float32', { device: 'cuda' });
    const ms = timeSync(cuda, () => cuda.linearSync(buf(x), m, k, buf(w), nn, null, buf(out), 0, 0, library));
    x.dispose();
    w.dispose();
    out.dispose();
    return ms;
  };
  const roofMs = gemm(4096, 4096, 4096, probe.cublas);
  const roof = (2 * 4096 ** 3) / (roofMs * 1e6);
  for (const [m, k, nn] of [[n, 128, 128], [n, 128, 16], [2708, 1433, 16], [4096, 4096, 4096]]) {
    for (const library of probe.cublas ? [true, false] : [false]) {
      flops.push({ kernel: `linear (${library ? 'cuBLAS' : 'tiled kernel'})`, shape: `${m}x${k} · ${k}x${nn}`, ms: gemm(m, k, nn, library), flop: 2 * m * k * nn });
    }
  }
  const qw = ops.quantizeWeight(Tensor.from(randomValues(128 * 128, 14), [128, 128]));
  const qms = timeSync(cuda, () => ops.quantizedLinearSync(xh, qw, { out: outH }));
  flops.push({ kernel: 'quantizedLinear (dp4a, x quantized per row first)', shape: `${n}x128 · 128x128`, ms: qms, flop: 2 * n * 128 * 128 });

  console.log('| kernel | shape | median ms | compulsory bytes | GB/s | of copy BW | gather-model GB/s |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const gbs = r.bytes / (r.ms * 1e6);
    const gather = r.gatherBytes === undefined ? '–' : fmt(r.gatherBytes / (r.ms * 1e6));
    console.log(`| ${r.kernel} | ${r.shape} | ${fmt(r.ms, 3)} | ${fmt(r.bytes / 2 ** 20)} MiB (${r.model}) | ${fmt(gbs)} | ${fmt((100 * gbs) / copyGBs, 1)}% | ${gather} |`);
  }
  console.log('');
  console.log(`| dense kernel | shape | median ms | GFLOP/s | of the measured roof (${fmt(roof)} GFLOP/s, 4096³) |`);
  console.log('|---|---|---:|---:|---:|');
  for (const r of flops) {
    const gf = r.flop / (r.ms * 1e6);
    console.log(`| ${r.kernel} | ${r.shape} | ${fmt(r.ms, 3)} | ${fmt(gf)} | ${fmt((100 * gf) / roof, 1)}% |`);
  }
  console.log('');
  const spmm128 = rows.find((r) => r.kernel === 'spmm sum, graph weights' && r.shape === 'F=128') as Row;
  const frac = spmm128.bytes / (spmm128.ms * 1e6) / copyGBs;
  console.log(`Targets: spmm sum F=128 (graph weights) at ${fmt(100 * frac, 1)}% of copy bandwidth (target >= 60%)` + (Number.isFinite(cusparse128) ? `, ${fmt(cusparse128 / ours128)}x cuSPARSE (target >= 1.2x)` : ', cuSPARSE not linked') + `; fused GAT ${fmt(unfusedMs / fusedMs)}x the unfused chain (target >= 2x).`);
}

main();
