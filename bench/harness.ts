/** Timing and environment capture shared by the benchmarks. */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { gunzipSync } from 'node:zlib';

import { backendInfo } from '../lib/index';

export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
}

/** Median wall time of `fn` over `repeats` runs after `warmup` runs. */
export function time(fn: () => void, repeats: number, warmup = 2): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { medianMs: samples[Math.floor(samples.length / 2)], minMs: samples[0], runs: repeats };
}

export function environment(): Record<string, unknown> {
  let sha = 'unknown';
  try {
    sha = execSync('git rev-parse --short HEAD', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout
  }
  const info = backendInfo();
  return {
    date: new Date().toISOString(),
    host: os.hostname(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    logicalCpus: os.cpus().length,
    physicalCores: info.physicalCores,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    simd: info.simd,
    compiler: info.compiler,
    gitSha: sha,
  };
}

export function fmt(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return '–';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(digits);
}

/** A gzip-compressed raw little-endian float32 array (data/models' logits and inputs). */
export function readF32Gz(file: string): Float32Array {
  const raw = gunzipSync(fs.readFileSync(file));
  const out = new Float32Array(raw.length / 4);
  new Uint8Array(out.buffer).set(raw);
  return out;
}
