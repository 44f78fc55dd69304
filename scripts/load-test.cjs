'use strict';
/**
 * Load test for the example HTTP service: starts examples/http-service.js on loopback with a fresh
 * registry (or drives a running one with --url), sends a bounded number of GET /predict requests
 * with bounded concurrency over keep-alive connections, and prints latency percentiles, throughput
 * and the versions that answered. With --promote-at it promotes v2 part-way through, to watch a
 * hot swap under load (every request must still succeed).
 *
 *   node scripts/load-test.cjs [--requests 2000] [--concurrency 16] [--nodes 4] [--seed 1]
 *                              [--promote-at 0.5] [--mode full|auto] [--url http://127.0.0.1:8080]
 *
 * Exit status 1 when any request failed (503 overload refusals included: lower --concurrency or
 * raise the service's maxQueue). Numbers are measurements of this machine, not pass/fail.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

function options(argv) {
  const known = { requests: 2000, concurrency: 16, nodes: 4, seed: 1, 'promote-at': null, mode: null, url: null };
  const out = { ...known };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in known) || argv[i + 1] === undefined) throw new Error(`unknown or incomplete option ${argv[i]} (options: ${Object.keys(known).map((k) => `--${k}`).join(', ')})`);
    out[key] = key === 'url' || key === 'mode' ? argv[i + 1] : Number(argv[i + 1]);
  }
  const bounded = (key, min, max) => {
    if (!Number.isInteger(out[key]) || out[key] < min || out[key] > max) throw new Error(`--${key}: expected an integer in [${min}, ${max}], got ${out[key]}`);
  };
  bounded('requests', 1, 1_000_000);
  bounded('concurrency', 1, 1024);
  bounded('nodes', 1, 1000);
  bounded('seed', 0, 2 ** 31 - 1);
  if (out.mode !== null && !['auto', 'nodes', 'full'].includes(out.mode)) throw new Error(`--mode: expected auto, nodes or full, got ${out.mode}`);
  if (out.mode !== null && out.url !== null) throw new Error('--mode applies to the service this script starts, not to one given by --url');
  const at = out['promote-at'];
  if (at !== null && !(at > 0 && at < 1)) throw new Error(`--promote-at: expected a fraction in (0, 1), got ${at}`);
  return out;
}

/** A small seeded generator (mulberry32): the same requests for the same seed. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function request(agent, url, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Starts the example service on an ephemeral loopback port with a fresh registry. */
function startService(mode) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnn-load-test-'));
  const args = [path.join(__dirname, '..', 'examples', 'http-service.js'), '--registry', path.join(dir, 'registry'), '--port', '0'];
  if (mode !== null) args.push('--mode', mode);
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m !== null) {
        child.stdout.resume();
        resolve({
          url: m[1],
          stop: async () => {
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGTERM');
            await exited;
            fs.rmSync(dir, { recursive: true, force: true });
          },
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`the service exited (${code}) before listening:\n${out}`)));
  });
}

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

async function main() {
  const opts = options(process.argv.slice(2));
  const service = opts.url === null ? await startService(opts.mode) : { url: opts.url.replace(/\/$/, ''), stop: async () => {} };
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  try {
    const health = await request(agent, `${service.url}/healthz`);
    if (health.status !== 200) throw new Error(`${service.url}/healthz answered ${health.status}: ${health.body}`);
    const { numNodes, version, path: servedBy } = JSON.parse(health.body);
    console.log(`load test: ${opts.requests} requests of ${opts.nodes} nodes, ${opts.concurrency} at a time, against ${service.url} (serving ${version} by ${servedBy} path, ${numNodes} nodes)`);

    const rand = random(opts.seed);
    const paths = Array.from({ length: opts.requests }, () => `/predict?nodes=${Array.from({ length: opts.nodes }, () => Math.floor(rand() * numNodes)).join(',')}`);
    const promoteAt = opts['promote-at'] === null ? -1 : Math.floor(opts['promote-at'] * opts.requests);
    const latencies = new Float64Array(opts.requests);
    const statuses = new Map();
    const versions = new Map();
    let next = 0;
    let promotion = null;

    const t0 = process.hrtime.bigint();
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= opts.requests) return;
        if (i === promoteAt) promotion = request(agent, `${service.url}/promote?version=v2`, 'POST');
        const start = process.hrtime.bigint();
        let status;
        try {
          const res = await request(agent, `${service.url}${paths[i]}`);
          status = res.status;
          if (status === 200) {
            const v = JSON.parse(res.body).version;
            versions.set(v, (versions.get(v) || 0) + 1);
          }
        } catch (error) {
          status = error.code || 'network error';
        }
        latencies[i] = Number(process.hrtime.bigint() - start) / 1e6;
        statuses.set(status, (statuses.get(status) || 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (promotion !== null) {
      const res = await promotion;
      console.log(`promotion at request ${promoteAt}: ${res.status} ${res.body.trim()}`);
    }

    const sorted = Array.from(latencies).sort((a, b) => a - b);
    const ms = (v) => `${v.toFixed(2)} ms`;
    console.log(`throughput  ${(opts.requests / seconds).toFixed(0)} requests/s (${seconds.toFixed(2)} s)`);
    console.log(`latency     p50 ${ms(percentile(sorted, 0.5))}  p90 ${ms(percentile(sorted, 0.9))}  p99 ${ms(percentile(sorted, 0.99))}  max ${ms(sorted[sorted.length - 1])}`);
    console.log(`statuses    ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(', ')}`);
    console.log(`versions    ${[...versions].map(([v, n]) => `${v}: ${n}`).join(', ')}`);
    const metrics = await request(agent, `${service.url}/metrics`);
    const count = /^gnn_predictor_request_duration_seconds_count (\S+)$/m.exec(metrics.body);
    const sum = /^gnn_predictor_request_duration_seconds_sum (\S+)$/m.exec(metrics.body);
    if (count !== null && sum !== null) {
      console.log(`server      ${count[1]} requests timed, mean ${ms((1000 * Number(sum[1])) / Number(count[1]))} inside the service (queue wait included)`);
    }
    const failed = opts.requests - (statuses.get(200) || 0);
    if (failed > 0) {
      console.error(`${failed} requests failed`);
      process.exitCode = 1;
    }
  } finally {
    agent.destroy();
    await service.stop();
  }
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
