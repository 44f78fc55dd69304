/**
 * The CUDA build (build-cuda/Release/gnn_kernels.node, made by `npm run build:cuda`; CI makes it
 * wherever nvcc is present) and the loader's choice between it and the CPU build. Each case runs
 * in a child process, since the loader picks one addon per process: the CUDA build loads, says
 * why no GPU is usable (or lists the devices), computes the CPU ops bit for bit as the CPU build
 * does, fails cleanly on device calls without a device, and loads in worker_threads. The loader
 * cases (GNN_KERNELS_BACKEND, a broken CUDA build) need no CUDA build and always run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { expectBitwiseEqual } from './helpers/compare';

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'dist', 'cjs', 'index.js');
const cudaBuild = path.join(root, 'build-cuda', 'Release', 'gnn_kernels.node');
const cpuBuild = path.join(root, 'build', 'Release', 'gnn_kernels.node');
const haveCudaBuild = fs.existsSync(cudaBuild);

/** Runs `script` in a child node with `env` added (undefined removes a variable); parses its JSON. */
function runJson<T>(script: string, env: Record<string, string | undefined>, cwd = root): T {
  const childEnv: Record<string, string | undefined> = { ...process.env };
  delete childEnv.GNN_KERNELS_NATIVE_PATH;
  delete childEnv.GNN_KERNELS_BACKEND;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd,
    encoding: 'utf8',
    env: childEnv as NodeJS.ProcessEnv,
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as T;
}

function f32(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

interface Info {
  backend: string;
  simd: string;
  binaryPath: string;
  buildFlags: string;
  cuda: {
    available: boolean;
    reason: string;
    build: string;
    devices: Array<{ index: number; name: string; computeCapability: string; supported: boolean; totalMemory: number }>;
    runtimeVersion: number;
    driverVersion: number;
    architectures: string;
    cublas: boolean;
    cusparse: boolean;
  };
}

// The same seeded inputs and ops in any build: spmm (weighted mean, max) and linear (bias, relu).
const computeScript = `
const gnn = require(${JSON.stringify(entry)});
const g = gnn.rmat({ scale: 11, seed: 7 });
const f = 37;
const x = gnn.Tensor.from(gnn.randomValues(g.numNodes * f, 3, { distribution: 'normal' }), [g.numNodes, f]);
const w = gnn.randomValues(g.numEdges, 5);
const mean = gnn.ops.spmmSync(g, x, { reduce: 'mean', weights: w });
const max = gnn.ops.spmmSync(g, x, { reduce: 'max' });
const W = gnn.Tensor.from(gnn.randomValues(64 * f, 9, { distribution: 'normal' }), [64, f]);
const b = gnn.Tensor.from(gnn.randomValues(64, 11), [64]);
const lin = gnn.linearSync(x, W, { bias: b, activation: 'relu' });
const b64 = (t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64');
console.log(JSON.stringify({ info: gnn.backendInfo(), mean: b64(mean), max: b64(max), linear: b64(lin) }));
`;

interface Computed {
  info: Info;
  mean: string;
  max: string;
  linear: string;
}

describe('the CUDA build', () => {
  it.skipIf(haveCudaBuild)(
    'skipped: build-cuda/Release/gnn_kernels.node is not built (`GNN_CUDA=on npm run build:cuda`; CI builds it where nvcc is present)',
    () => {},
  );

  describe.runIf(haveCudaBuild)('with build-cuda/Release/gnn_kernels.node', () => {
    it('loads, reports itself, and says why no GPU is used (or lists the devices)', () => {
      expect(fs.existsSync(entry), `${entry} missing: run npm run build:ts`).toBe(true);
      const { info } = runJson<Computed>(computeScript, { GNN_KERNELS_NATIVE_PATH: cudaBuild });
      expect(info.binaryPath).toBe(cudaBuild);
      expect(info.buildFlags).toMatch(/^cmake-js, C\+\+17/);
      expect(info.cuda.build).toBe('cuda');
      expect(info.cuda.architectures).toMatch(/^\d+(;\d+)*$/);
      expect(info.cuda.runtimeVersion).toBeGreaterThanOrEqual(11000);
      if (info.cuda.available) {
        expect(info.backend).toBe('cuda');
        expect(info.cuda.reason).toBe('');
        expect(info.cuda.devices.some((d) => d.supported)).toBe(true);
        for (const d of info.cuda.devices) {
          expect(d.computeCapability).toMatch(/^\d+\.\d+$/);
          expect(d.totalMemory).toBeGreaterThan(0);
        }
      } else {
        expect(info.backend).toBe('cpu');
        // The runtime's own error, by name and code: "... cudaErrorNoDevice (100): no CUDA-capable device ..."
        expect(info.cuda.reason).toMatch(/cudaError\w+ \(\d+\): \S/);
        if (info.cuda.driverVersion === 0) expect(info.cuda.devices).toEqual([]);
      }
    });

    it('exports exactly the functions of NativeCuda (lib/native-cuda-types.ts); the CPU build has none', () => {
      const source = fs.readFileSync(path.join(root, 'lib', 'native-cuda-types.ts'), 'utf8');
      const start = source.indexOf('export interface NativeCuda {');
      const body = source.slice(start, source.indexOf('\n}\n', start));
      const names = [...body.matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]).sort();
      expect(names.length).toBeGreaterThan(50);
      const script = `
const cuda = require(${JSON.stringify(cudaBuild)}).cuda;
const cpu = require(${JSON.stringify(cpuBuild)}).cuda;
console.log(JSON.stringify({ keys: Object.keys(cuda).sort().map((k) => k + ': ' + typeof cuda[k]), cpu: typeof cpu }));`;
      const r = runJson<{ keys: string[]; cpu: string }>(script, {});
      expect(r.keys).toEqual(names.map((n) => `${n}: function`));
      expect(r.cpu).toBe('undefined');
    });

    it('computes the CPU ops bit for bit as the CPU build does (spmm mean / max, linear)', () => {
      const cuda = runJson<Computed>(computeScript, { GNN_KERNELS_NATIVE_PATH: cudaBuild });
      const cpu = runJson<Computed>(computeScript, { GNN_KERNELS_NATIVE_PATH: cpuBuild });
      expect(cuda.info.cuda.build).toBe('cuda');
      expect(cpu.info.cuda.build).toBe('cpu');
      expect(cpu.info.binaryPath).toBe(cpuBuild);
      expect(cuda.info.simd).toBe(cpu.info.simd);
      for (const key of ['mean', 'max', 'linear'] as const) {
        const a = f32(cuda[key]);
        expect(a.length).toBeGreaterThan(1000);
        expect(a.some((v) => v !== 0)).toBe(true);
        expectBitwiseEqual(a, f32(cpu[key]), key);
      }
    });

    it('device calls fail with coded errors, never a crash; argument errors come first', () => {
      const script = `
const a = require(${JSON.stringify(cudaBuild)});
const c = a.cuda;
const err = (f) => { try { f(); return 'no error'; } catch (e) { return (e.code || e.name) + ': ' + e.message; } };
const probe = c.probe();
const out = { probe, same: JSON.stringify(c.probe()) === JSON.stringify(probe), native: a.backendInfo().cuda };
out.wrongKinds = [
  err(() => c.spmmSync(null, null, 4, 0, null, 1, null, 0)),
  err(() => c.free({})),
  err(() => c.bufferInfo(new Float32Array(2))),
  err(() => c.graphFree(42)),
  err(() => c.alloc(-1, 16)),
  err(() => c.alloc(0, 0.5)),
];
out.badGraph = err(() => c.graphUpload(0, Int32Array.of(0, 1, 2), Int32Array.of(0, 5), null, null, 2, 2));
out.badIndptr = err(() => c.graphUpload(0, Int32Array.of(0, 2, 1), Int32Array.of(0, 1), null, null, 2, 2));
out.badEdgeIds = err(() => c.graphUpload(0, Int32Array.of(0, 1, 2), Int32Array.of(0, 1), Int32Array.of(0, 2), null, 2, 2));
out.cusparse = err(() => c.cusparseSpmmMs(null, null, 1, false, null, 1));
if (!probe.available) {
  out.device = [
    err(() => c.alloc(0, 16)),
    err(() => c.alloc(0, 0)),
    err(() => c.memoryInfo(0)),
    err(() => c.synchronize(0)),
    err(() => c.trimPool(0, 0)),
    err(() => c.copyBandwidth(0, 1024, 1)),
    err(() => c.graphUpload(0, Int32Array.of(0, 1, 2), Int32Array.of(1, 0), null, Float32Array.of(1, 2), 2, 2)),
  ];
} else {
  const buf = c.alloc(0, 16);
  c.upload(buf, 4, Float32Array.of(1.5, -2, 3));
  const back = new Float32Array(3);
  c.download(buf, 4, back);
  const other = c.alloc(0, 16);
  c.fill(other, 0, 16, 0);
  c.copy(other, 0, buf, 4, 12);
  const copied = new Float32Array(4);
  c.download(other, 0, copied);
  c.free(buf);
  c.free(buf);
  out.roundTrip = { back: Array.from(back), copied: Array.from(copied), info: c.bufferInfo(buf) };
  out.reuse = err(() => c.download(buf, 0, new Float32Array(1)));
  out.outside = err(() => c.upload(other, 8, new Float32Array(3)));
  c.free(other);
}
console.log(JSON.stringify(out));
`;
      const r = runJson<{
        probe: Info['cuda'] & { available: boolean };
        same: boolean;
        native: boolean;
        wrongKinds: string[];
        badGraph: string;
        badIndptr: string;
        badEdgeIds: string;
        cusparse: string;
        device?: string[];
        roundTrip?: { back: number[]; copied: number[]; info: { device: number; bytes: number; disposed: boolean } };
        reuse?: string;
        outside?: string;
      }>(script, {});
      expect(r.same).toBe(true);
      expect(r.native).toBe(true);
      expect(r.wrongKinds[0]).toBe('ERR_INVALID_ARG_TYPE: graph: expected a DeviceGraph, got null');
      expect(r.wrongKinds[1]).toBe('ERR_INVALID_ARG_TYPE: buffer: expected a DeviceBuffer, got an object');
      expect(r.wrongKinds[2]).toBe('ERR_INVALID_ARG_TYPE: buffer: expected a DeviceBuffer, got a Float32Array of length 2');
      expect(r.wrongKinds[3]).toBe('ERR_INVALID_ARG_TYPE: graph: expected a DeviceGraph, got the number 42');
      expect(r.wrongKinds[4]).toMatch(/^ERR_OUT_OF_RANGE: device: expected an integer in \[0, \d+\], got -1$/);
      expect(r.wrongKinds[5]).toMatch(/^ERR_OUT_OF_RANGE: bytes: expected an integer/);
      // Graphs are validated on the host before anything goes to a device.
      expect(r.badGraph).toMatch(/^ERR_GNN_INVALID_GRAPH: /);
      expect(r.badIndptr).toMatch(/^ERR_GNN_INVALID_GRAPH: /);
      expect(r.badEdgeIds).toBe('ERR_GNN_INVALID_GRAPH: edgeIds[1]: expected an edge id in [0, 2), got 2');
      if (r.probe.cusparse) expect(r.cusparse).toMatch(/^ERR_INVALID_ARG_TYPE: graph/);
      else expect(r.cusparse).toMatch(/^ERR_GNN_BACKEND_UNAVAILABLE: cusparseSpmmMs: this CUDA build has no cuSPARSE/);
      if (!r.probe.available) {
        expect(r.device).toHaveLength(7);
        for (const message of r.device ?? []) {
          // ERR_GNN_CUDA carrying the probe's reason, e.g. "... cudaErrorInsufficientDriver (35): ..."
          expect(message).toMatch(/^ERR_GNN_CUDA: CUDA is not available: .*cudaError\w+ \(\d+\)/);
          expect(message).toContain(r.probe.reason);
        }
      } else {
        expect(r.roundTrip?.back).toEqual([1.5, -2, 3]);
        expect(r.roundTrip?.copied).toEqual([1.5, -2, 3, 0]);
        expect(r.roundTrip?.info).toEqual({ device: 0, bytes: 16, disposed: true });
        expect(r.reuse).toMatch(/^ERR_GNN_DEVICE: buffer: the DeviceBuffer was disposed/);
        expect(r.outside).toMatch(/^ERR_OUT_OF_RANGE: src: expected a range inside the DeviceBuffer of 16 bytes, got 12 bytes at byte offset 8/);
      }
    });

    it('loads and computes in two worker_threads at once', () => {
      const script = `
const { Worker } = require('node:worker_threads');
const body = \`
const { parentPort } = require('node:worker_threads');
const gnn = require(${JSON.stringify(entry)});
const raw = require(${JSON.stringify(cudaBuild)});
const g = gnn.rmat({ scale: 9, seed: 4 });
const x = gnn.Tensor.from(gnn.randomValues(g.numNodes * 8, 2), [g.numNodes, 8]);
const y = gnn.ops.spmmSync(g, x, { reduce: 'sum' });
let alloc = 'no error';
if (!raw.cuda.probe().available) { try { raw.cuda.alloc(0, 16); } catch (e) { alloc = e.code; } }
else { raw.cuda.free(raw.cuda.alloc(0, 16)); }
parentPort.postMessage({ build: gnn.backendInfo().cuda.build, path: gnn.backendInfo().binaryPath, sum: y.data.reduce((a, b) => a + b, 0), alloc });
\`;
const run = () => new Promise((resolve, reject) => {
  const w = new Worker(body, { eval: true });
  w.once('message', resolve);
  w.once('error', reject);
});
Promise.all([run(), run()]).then((r) => console.log(JSON.stringify(r)));
`;
      const results = runJson<Array<{ build: string; path: string; sum: number; alloc: string }>>(script, {
        GNN_KERNELS_NATIVE_PATH: cudaBuild,
      });
      expect(results).toHaveLength(2);
      for (const r of results) {
        expect(r.build).toBe('cuda');
        expect(r.path).toBe(cudaBuild);
        expect(Number.isFinite(r.sum) && r.sum !== 0).toBe(true);
        expect(['ERR_GNN_CUDA', 'no error']).toContain(r.alloc);
      }
      expect(results[0].sum).toBe(results[1].sum);
    });

    it('is the default choice of the loader when present', () => {
      const { info } = runJson<Computed>(computeScript, {});
      expect(info.binaryPath).toBe(cudaBuild);
    });
  });
});

describe('choosing the build (GNN_KERNELS_BACKEND)', () => {
  const infoScript = `
try { const i = require('./dist/cjs/index.js').backendInfo(); console.log(JSON.stringify({ path: i.binaryPath, cuda: i.cuda, backend: i.backend })); }
catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;

  // A package copy with the built dist/ and CPU build, and the given file as its CUDA build.
  function withPackage(cudaFile: Buffer | null, test: (dir: string) => void): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnn-cuda-loader-'));
    try {
      fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
      fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
      fs.copyFileSync(cpuBuild, path.join(dir, 'build', 'Release', 'gnn_kernels.node'));
      if (cudaFile !== null) {
        fs.mkdirSync(path.join(dir, 'build-cuda', 'Release'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'build-cuda', 'Release', 'gnn_kernels.node'), cudaFile);
      }
      test(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  interface LoaderResult {
    path?: string;
    backend?: string;
    cuda?: Info['cuda'];
    code?: string;
    message?: string;
  }

  it('GNN_KERNELS_BACKEND=cpu selects the CPU build and says so', () => {
    const r = runJson<LoaderResult>(infoScript, { GNN_KERNELS_BACKEND: 'cpu' });
    expect(r.path).toBe(cpuBuild);
    expect(r.backend).toBe('cpu');
    expect(r.cuda?.build).toBe('cpu');
    expect(r.cuda?.available).toBe(false);
    expect(r.cuda?.reason).toBe('GNN_KERNELS_BACKEND=cpu selected the CPU build');
    expect(r.cuda?.devices).toEqual([]);
  });

  it('without a CUDA build, the CPU build says how to make one', () => {
    withPackage(null, (dir) => {
      const r = runJson<LoaderResult>(infoScript, {}, dir);
      expect(r.path).toBe(path.join(fs.realpathSync(dir), 'build', 'Release', 'gnn_kernels.node'));
      expect(r.cuda).toMatchObject({ available: false, build: 'cpu', architectures: '', cublas: false, cusparse: false });
      expect(r.cuda?.reason).toBe('this is the CPU build (build the CUDA addon with `GNN_CUDA=on npm run build:cuda`)');
    });
  });

  it('a CUDA build that fails to load is recorded and the CPU build used', () => {
    withPackage(Buffer.from('not an ELF file'), (dir) => {
      const r = runJson<LoaderResult>(infoScript, {}, dir);
      expect(r.path).toBe(path.join(fs.realpathSync(dir), 'build', 'Release', 'gnn_kernels.node'));
      expect(r.cuda?.build).toBe('cpu');
      expect(r.cuda?.reason).toMatch(/^the CUDA build failed to load, so the CPU build is used \(.*build-cuda\/Release\/gnn_kernels\.node: /);
    });
  });

  it('GNN_KERNELS_BACKEND=cuda refuses to fall back, and an unknown value warns', () => {
    withPackage(null, (dir) => {
      const r = runJson<LoaderResult>(infoScript, { GNN_KERNELS_BACKEND: 'cuda' }, dir);
      expect(r.code).toBe('ERR_GNN_NATIVE_LOAD');
      expect(r.message).toMatch(/build-cuda\/Release\/gnn_kernels\.node: ENOENT/);
      expect(r.message).toMatch(/GNN_KERNELS_BACKEND=cuda/);
      expect(r.message).not.toMatch(/build\/Release\/gnn_kernels\.node/);
    });
    const unknown = spawnSync(process.execPath, ['-e', infoScript], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, GNN_KERNELS_BACKEND: 'gpu', GNN_KERNELS_NATIVE_PATH: '' },
    });
    expect(unknown.status).toBe(0);
    expect(unknown.stderr).toMatch(/GNN_KERNELS_BACKEND=gpu is not one of auto, cpu, cuda; using auto/);
    expect(JSON.parse(unknown.stdout).path).toBe(haveCudaBuild ? cudaBuild : cpuBuild);
  });
});
