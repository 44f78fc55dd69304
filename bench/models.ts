/**
 * `npm run bench:models`: latency of whole 2-layer models, median and p99 over repeats after
 * warm-up, forwardSync and forward (async, one request at a time), at 1 and 2 threads.
 * - Cora / CiteSeer: the PyG-trained reference models in data/models, on their exact inputs, with
 *   the bag-of-words features dense and as a CsrMatrix (the first layer then runs as an SpMM).
 * - R-MAT scale 18 (degree 16): GCN, GAT (8 heads x 16), SAGE (mean) and GIN with 128 input and
 *   128 hidden features, 16 outputs, random weights.
 * Options (env): BENCH_THREADS=1,2 BENCH_REPEATS=200 (small graphs) BENCH_REPEATS_LARGE=15
 * BENCH_SCALE=18 BENCH_ONLY=cora,citeseer,rmat.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { CsrMatrix, Tensor, getNumThreads, loadModelSync, loadPlanetoid, nn, randomValues, rmat, setNumThreads } from '../lib/index';
import type { Features, Graph, nn as NN } from '../lib/index';
type Module = NN.Module;
import { environment, fmt, readF32Gz } from './harness';

const list = (v: string | undefined, d: string): string[] => (v ?? d).split(',').filter((s) => s !== '');
const THREADS = list(process.env.BENCH_THREADS, '1,2').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 200);
const REPEATS_LARGE = Number(process.env.BENCH_REPEATS_LARGE ?? 15);
const SCALE = Number(process.env.BENCH_SCALE ?? 18);
const ONLY = new Set(list(process.env.BENCH_ONLY, 'cora,citeseer,rmat'));
const DATA = path.resolve(__dirname, '..', '..', 'data');

interface Stats {
  median: number;
  p99: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p99: s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)] };
}

async function measure(model: Module, graph: Graph, x: Features, repeats: number): Promise<{ sync: Stats; async: Stats }> {
  const warm = Math.max(3, Math.min(20, repeats / 10));
  for (let i = 0; i < warm; i++) model.forwardSync(graph, x);
  const syncT: number[] = [];
  const asyncT: number[] = [];
  for (let r = 0; r < repeats; r++) {
    // Interleaved, so load bursts on a shared host hit both.
    let t0 = process.hrtime.bigint();
    model.forwardSync(graph, x);
    syncT.push(Number(process.hrtime.bigint() - t0) / 1e6);
    t0 = process.hrtime.bigint();
    await model.forward(graph, x);
    asyncT.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { sync: stats(syncT), async: stats(asyncT) };
}

interface Row {
  graph: string;
  model: string;
  input: string;
  threads: number;
  sync: Stats;
  async: Stats;
  repeats: number;
}

function randomModel(kind: string, fin: number, hidden: number, out: number): Module {
  let m: Module;
  switch (kind) {
    case 'GCN':
      m = new nn.Sequential([['conv1', new nn.GCNConv({ inChannels: fin, outChannels: hidden })], ['act', new nn.ReLU()], ['conv2', new nn.GCNConv({ inChannels: hidden, outChannels: out })]]);
      break;
    case 'GAT':
      m = new nn.Sequential([
        ['conv1', new nn.GATConv({ inChannels: fin, outChannels: hidden / 8, heads: 8 })],
        ['act', new nn.ELU()],
        ['conv2', new nn.GATConv({ inChannels: hidden, outChannels: out, heads: 1, concat: false })],
      ]);
      break;
    case 'SAGE':
      m = new nn.Sequential([['conv1', new nn.SAGEConv({ inChannels: fin, outChannels: hidden })], ['act', new nn.ReLU()], ['conv2', new nn.SAGEConv({ inChannels: hidden, outChannels: out })]]);
      break;
    default: {
      const mlp = (a: number, b: number) => new nn.Sequential([new nn.Linear({ inChannels: a, outChannels: b }), new nn.ReLU(), new nn.Linear({ inChannels: b, outChannels: b })]);
      m = new nn.Sequential([['conv1', new nn.GINConv({ nn: mlp(fin, hidden), trainEps: true })], ['act', new nn.ReLU()], ['conv2', new nn.GINConv({ nn: mlp(hidden, out), trainEps: true })]]);
    }
  }
  return m.resetParameters({ seed: 1 });
}

async function main(): Promise<void> {
  const env = environment();
  const before = getNumThreads();
  console.error(`# ${String(env.cpu)}, ${String(env.simd)}, node ${String(env.node)}`);
  const rows: Row[] = [];
  const cases: Array<{ graph: string; g: Graph; model: string; m: Module; inputs: Array<[string, Features]>; repeats: number }> = [];
  for (const [ds, models, input] of [
    ['cora', ['gcn_cora', 'gat_cora', 'sage_cora', 'gin_cora'], 'cora_normalized'],
    ['citeseer', ['gcn_citeseer'], 'citeseer_normalized'],
  ] as const) {
    if (!ONLY.has(ds)) continue;
    const d = loadPlanetoid(path.join(DATA, ds));
    for (const id of models) {
      const x = readF32Gz(path.join(DATA, 'models', 'inputs', `${id === 'gin_cora' ? 'cora_raw' : input}.f32.gz`));
      const dense = Tensor.from(x, [d.graph.numNodes, x.length / d.graph.numNodes]);
      const sparse = CsrMatrix.fromDense(dense);
      const inputs: Array<[string, Features]> = [['dense', dense], [`CSR (${fmt(100 * sparse.density, 1)}% nnz)`, sparse]];
      cases.push({ graph: ds, g: d.graph, model: id.split('_')[0].toUpperCase(), m: loadModelSync(path.join(DATA, 'models', id)), inputs, repeats: REPEATS });
      if (ds === 'citeseer') {
        // No PyG-trained GAT / SAGE / GIN for CiteSeer: the same architectures as Cora's, random weights.
        const fin = dense.shape[1];
        for (const kind of ['GAT', 'SAGE', 'GIN']) cases.push({ graph: ds, g: d.graph, model: `${kind} (random weights)`, m: randomModel(kind, fin, 64, d.numClasses), inputs, repeats: REPEATS });
      }
    }
  }
  if (ONLY.has('rmat')) {
    const g = rmat({ scale: SCALE, edgeFactor: 16, seed: 1 });
    const x = Tensor.from(randomValues(g.numNodes * 128, 7), [g.numNodes, 128]);
    for (const kind of ['GCN', 'GAT', 'SAGE', 'GIN']) cases.push({ graph: `rmat-${SCALE}`, g, model: kind, m: randomModel(kind, 128, 128, 16), inputs: [['dense', x]], repeats: REPEATS_LARGE });
  }
  for (const c of cases) {
    for (const [input, x] of c.inputs) {
      for (const threads of THREADS) {
        setNumThreads(threads);
        const r = await measure(c.m, c.g, x, c.repeats);
        rows.push({ graph: c.graph, model: c.model, input, threads, sync: r.sync, async: r.async, repeats: c.repeats });
        console.error(`${c.graph} ${c.model} ${input} t=${threads}: sync ${fmt(r.sync.median, 3)} / p99 ${fmt(r.sync.p99, 3)} ms; async ${fmt(r.async.median, 3)} / p99 ${fmt(r.async.p99, 3)} ms`);
      }
    }
  }
  setNumThreads(before);
  const lines = [
    `Machine: ${String(env.cpu)}, ${String(env.physicalCores)} cores; SIMD ${String(env.simd)}; Node ${String(env.node)}; ${String(env.date).slice(0, 10)}; commit ${String(env.gitSha)}.`,
    '',
    '| graph | model | input | threads | sync median (ms) | sync p99 | async median | async p99 | repeats |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.graph} | ${r.model} | ${r.input} | ${r.threads} | ${fmt(r.sync.median, 3)} | ${fmt(r.sync.p99, 3)} | ${fmt(r.async.median, 3)} | ${fmt(r.async.p99, 3)} | ${r.repeats} |`),
  ];
  console.log(lines.join('\n'));
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `models-${String(env.host)}-${String(env.date).replace(/[:.]/g, '-')}.json`), JSON.stringify({ env, rows }, null, 2));
}

void main();
