/** backendInfo, thread and SIMD settings, environment variables, and the loader's failure message. */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { backendInfo, getNumThreads, measureMemoryBandwidth, setNumThreads, setSimdLevel } from '../lib/index';

const root = path.resolve(__dirname, '..');

function runNode(script: string, env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('backend', () => {
  it('reports the addon path, SIMD level, threads and build flags', () => {
    const info = backendInfo();
    expect(info.backend).toBe('cpu');
    expect(fs.existsSync(info.binaryPath)).toBe(true);
    expect(info.version).toBe(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version);
    expect(['scalar', 'avx2', 'avx512']).toContain(info.simd);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.physicalCores).toBeGreaterThanOrEqual(1);
    // The CUDA build (build-cuda/, preferred when present) is made by cmake-js, the CPU build by node-gyp.
    expect(info.buildFlags).toMatch(info.cuda.build === 'cuda' ? /cmake-js/ : /node-gyp/);
    expect(info.cuda.available).toBe(false);
  });

  it('setNumThreads and setSimdLevel change what the kernels use and clamp to the CPU', () => {
    const before = getNumThreads();
    expect(setNumThreads(3)).toBe(3);
    expect(backendInfo().threads).toBe(3);
    setNumThreads(before);
    const detected = backendInfo().simdDetected;
    expect(setSimdLevel('scalar')).toBe('scalar');
    expect(backendInfo().simd).toBe('scalar');
    expect(setSimdLevel('avx512')).toBe(detected === 'avx512' ? 'avx512' : detected);
    setSimdLevel(detected);
  });

  it('GNN_KERNELS_NUM_THREADS and GNN_KERNELS_SIMD are honoured; bad values warn and are ignored', () => {
    const script = "const g = require('./dist/cjs/index.js'); const i = g.backendInfo(); console.log(i.threads + ' ' + i.simd);";
    expect(runNode(script, { GNN_KERNELS_NUM_THREADS: '5', GNN_KERNELS_SIMD: 'scalar' }).trim()).toBe('5 scalar');
    const bad = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, GNN_KERNELS_NUM_THREADS: 'lots' } });
    expect(bad.status).toBe(0);
    expect(bad.stderr).toMatch(/GNN_KERNELS_NUM_THREADS=lots is not an integer/);
  });

  it('a package without a built addon fails with ERR_GNN_NATIVE_LOAD and says what to do', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnn-noaddon-'));
    try {
      fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
      const script = `try { require('./dist/cjs/index.js').backendInfo(); } catch (e) { console.log(JSON.stringify({ code: e.code, name: e.name, message: e.message })); }`;
      const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, GNN_KERNELS_NATIVE_PATH: '' } }));
      expect(out.code).toBe('ERR_GNN_NATIVE_LOAD');
      expect(out.name).toBe('GnnError');
      expect(out.message).toMatch(/build\/Release\/gnn_kernels\.node: ENOENT/);
      expect(out.message).toMatch(/npm rebuild gnn-kernels/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a build of another version is refused as stale', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnn-stale-'));
    try {
      fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, version: '9.9.9' }));
      fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
      fs.copyFileSync(backendInfo().binaryPath, path.join(dir, 'build', 'Release', 'gnn_kernels.node'));
      const script = `try { require('./dist/cjs/index.js').backendInfo(); } catch (e) { console.log(e.code + ' ' + e.message); }`;
      const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
      expect(out).toMatch(/ERR_GNN_NATIVE_LOAD/);
      expect(out).toContain(`stale build (addon ${pkg.version}, package 9.9.9)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('measures memory bandwidth', () => {
    const bw = measureMemoryBandwidth({ bytes: 8 * 1024 * 1024, threads: 1, repeats: 2 });
    expect(bw.copy).toBeGreaterThan(0.1);
    expect(bw.triad).toBeGreaterThan(0.1);
    expect(bw.threads).toBe(1);
  });
});
