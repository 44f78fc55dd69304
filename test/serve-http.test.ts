/**
 * The example service (examples/http-service.js) end to end, as a separate process on an
 * ephemeral loopback port, against the built package: it bootstraps a registry with the shipped
 * Cora models, answers /predict with the served model's exact rows, promotes and rolls back
 * without a restart (and undoes a promotion whose model cannot serve), maps errors to HTTP
 * statuses, exposes /metrics, and exits cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CsrMatrix, Registry, Tensor, io, loadModelSync, nn } from '../lib/index';
import { expectBitwiseEqual } from './helpers/compare';
import { removeTemp, tempDir } from './helpers/serve';

const root = path.resolve(__dirname, '..');
let dir: string;
let child: ChildProcess;
let url: string;
let output = '';

/** The example's features: Cora with each row divided by its sum. */
let inputs: { graph: ReturnType<typeof io.loadPlanetoid>['graph']; x: CsrMatrix } | null = null;
function coraInputs(): { graph: ReturnType<typeof io.loadPlanetoid>['graph']; x: CsrMatrix } {
  if (inputs !== null) return inputs;
  const cora = io.loadPlanetoid(path.join(root, 'data', 'cora'));
  const [n, f] = (cora.x as Tensor<'float32'>).shape;
  const x = new Float32Array((cora.x as Tensor<'float32'>).data);
  for (let r = 0; r < n; r++) {
    let sum = 0;
    for (let c = 0; c < f; c++) sum += x[r * f + c];
    if (sum >= 1) for (let c = 0; c < f; c++) x[r * f + c] /= sum;
  }
  inputs = { graph: cora.graph, x: CsrMatrix.fromDense(Tensor.from(x, [n, f])) };
  return inputs;
}

beforeAll(async () => {
  expect(fs.existsSync(path.join(root, 'dist', 'cjs', 'index.js')), 'dist missing: run npm run build:ts').toBe(true);
  dir = tempDir('http');
  child = spawn(process.execPath, [path.join(root, 'examples', 'http-service.js'), '--registry', path.join(dir, 'registry'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m !== null) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the service exited (${code}) before listening:\n${output}`)));
  });
});

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  removeTemp(dir);
});

async function get(p: string, method = 'GET'): Promise<{ status: number; type: string | null; body: any }> {
  const res = await fetch(`${url}${p}`, { method });
  const type = res.headers.get('content-type');
  const text = await res.text();
  return { status: res.status, type, body: type?.startsWith('application/json') ? JSON.parse(text) : text };
}

function expectRows(predictions: Array<{ node: number; class: number; logits: number[] }>, modelDir: string, nodes: number[]): void {
  const { graph, x } = coraInputs();
  const full = loadModelSync(path.join(root, 'data', 'models', modelDir)).forwardSync(graph, x);
  const c = full.shape[1];
  expect(predictions.map((p) => p.node)).toEqual(nodes);
  nodes.forEach((n, i) => {
    const want = full.data.subarray(n * c, (n + 1) * c);
    expectBitwiseEqual(Float32Array.from(predictions[i].logits), want, `${modelDir} node ${n}`);
    expect(predictions[i].class).toBe(want.indexOf(Math.max(...want)));
  });
}

describe('examples/http-service.js', () => {
  it('serves v1 (the GCN) after bootstrapping the registry', async () => {
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', version: 'v1', path: 'full', numNodes: 2708 });
    const r = await get('/predict?nodes=0,1,2707,1');
    expect(r.status).toBe(200);
    expect(r.body.version).toBe('v1');
    expectRows(r.body.predictions, 'gcn_cora', [0, 1, 2707, 1]);
    const versions = await get('/versions');
    expect(versions.body.active).toBe('v1');
    expect(versions.body.versions.map((v: { version: string; metrics: { testAccuracy: number } }) => [v.version, v.metrics.testAccuracy])).toEqual([
      ['v1', 0.806],
      ['v2', 0.811],
    ]);
  });

  it('refuses bad requests with 400, 404, 405 and 409 and a coded JSON error', async () => {
    const cases: Array<[string, string, number, string]> = [
      ['/predict?nodes=abc', 'GET', 400, 'ERR_INVALID_ARG_VALUE'],
      ['/predict', 'GET', 400, 'ERR_INVALID_ARG_VALUE'],
      ['/predict?nodes=2708', 'GET', 400, 'ERR_OUT_OF_RANGE'],
      [`/predict?nodes=${Array(1001).fill(0).join(',')}`, 'GET', 400, 'ERR_OUT_OF_RANGE'],
      ['/promote?version=nope', 'POST', 409, 'ERR_GNN_REGISTRY'],
      ['/promote', 'POST', 400, 'ERR_INVALID_ARG_VALUE'],
      ['/nothing', 'GET', 404, 'NOT_FOUND'],
      ['/predict?nodes=1', 'DELETE', 405, 'METHOD_NOT_ALLOWED'],
    ];
    for (const [p, method, status, code] of cases) {
      const r = await get(p, method);
      expect([p, r.status, r.body.error?.code]).toEqual([p, status, code]);
      expect(typeof r.body.error.message).toBe('string');
    }
  });

  it('promotes v2 and rolls back without a restart', async () => {
    const promoted = await get('/promote?version=v2', 'POST');
    expect(promoted.body).toEqual({ active: 'v2', serving: 'v2' });
    const r = await get('/predict?nodes=5,6');
    expect(r.body.version).toBe('v2');
    expectRows(r.body.predictions, 'sage_cora', [5, 6]);
    const back = await get('/rollback', 'POST');
    expect(back.body).toEqual({ active: 'v1', serving: 'v1' });
    expect((await get('/predict?nodes=5')).body.version).toBe('v1');
    const refused = await get('/rollback', 'POST');
    expect([refused.status, refused.body.error.code]).toEqual([409, 'ERR_GNN_REGISTRY']);
  });

  it('rolls back a promoted version that cannot serve (registered by another process)', async () => {
    const registry = Registry.open(path.join(dir, 'registry'));
    await registry.register(new nn.Sequential([new nn.GCNConv({ inChannels: 5, outChannels: 7 })]), { version: 'broken' });
    const r = await get('/promote?version=broken', 'POST');
    expect([r.status, r.body.error.code]).toEqual([409, 'ERR_GNN_SHAPE_MISMATCH']);
    expect(r.body.error.message).toMatch(/^broken was promoted but cannot serve, rolled back to v1: /);
    expect(registry.active()).toBe('v1');
    expect(registry.history().slice(-2).map((e) => [e.action, e.version])).toEqual([
      ['promote', 'broken'],
      ['rollback', 'v1'],
    ]);
    expect((await get('/predict?nodes=5')).body.version).toBe('v1');
  });

  it('exposes Prometheus metrics', async () => {
    const m = await get('/metrics');
    expect(m.status).toBe(200);
    expect(m.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(m.body).toMatch(/^# HELP gnn_predictor_requests_total /m);
    expect(m.body).toMatch(/^gnn_predictor_model_info\{version="v1",path="full"\} 1$/m);
    expect(m.body).toMatch(/^gnn_predictor_model_swaps_total 2$/m);
    expect(m.body).toMatch(/^gnn_predictor_reload_errors_total 1$/m);
    expect(m.body).toMatch(/^gnn_predictor_errors_total\{code="ERR_OUT_OF_RANGE"\} 1$/m); // 2708; the 1001-node request never reached predict
    const requests = Number(/^gnn_predictor_requests_total (\d+)$/m.exec(m.body)?.[1]);
    expect(requests).toBe(5); // the five /predict calls that reached predict()
  });

  it('exits cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
