#!/usr/bin/env node
// npm install hook: builds the CPU addon with node-gyp unless an up-to-date build is already there
// (`--force` rebuilds). Needs only Python 3, make and a C++17 compiler. Offline-safe: when Node's
// own headers are installed next to the node binary, node-gyp is pointed at them instead of
// downloading. On failure it says what is missing and exits non-zero.
//
// GNN_CUDA=off (default) | auto | on: with auto or on, the CUDA addon is built as well
// (scripts/build-cuda.cjs, into build-cuda/); auto warns and carries on when it cannot be built
// (no nvcc, a compile error), on fails the install. The CPU addon never needs CUDA.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const force = process.argv.includes('--force');
const addonPath = path.join(root, 'build', 'Release', 'gnn_kernels.node');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function upToDate() {
  if (!fs.existsSync(addonPath)) return false;
  try {
    const addon = require(addonPath);
    if (addon.backendInfo().version !== pkg.version) return false;
  } catch {
    return false;
  }
  // Rebuild when any native source is newer than the binary (cuda/ too: launch_plan.cc and the
  // .cuh headers the plan binding includes are part of the CPU build).
  const built = fs.statSync(addonPath).mtimeMs;
  const stack = [path.join(root, 'native'), path.join(root, 'cuda'), path.join(root, 'binding.gyp')];
  while (stack.length > 0) {
    const p = stack.pop();
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const f of fs.readdirSync(p)) stack.push(path.join(p, f));
    else if (st.mtimeMs > built) return false;
  }
  return true;
}

function nodeGypCommand() {
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    // not installed as a dependency: npm's bundled copy, or one on PATH
  }
  if (process.env.npm_config_node_gyp) return [process.execPath, process.env.npm_config_node_gyp];
  return ['node-gyp'];
}

function localHeaders() {
  if (process.env.npm_config_nodedir) return null;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const header = path.join(prefix, 'include', 'node', 'node_api.h');
  return fs.existsSync(header) ? prefix : null;
}

function cudaMode() {
  const value = (process.env.GNN_CUDA ?? '').trim().toLowerCase();
  if (value === '' || value === 'off' || value === '0' || value === 'false') return 'off';
  if (value === 'auto' || value === 'on') return value;
  console.error(`gnn-kernels: GNN_CUDA=${process.env.GNN_CUDA} is not one of off, auto, on`);
  process.exit(1);
}

// The CUDA addon, after the CPU one: GNN_CUDA=auto tolerates failure, on does not.
function buildCuda(mode) {
  if (mode === 'off') return;
  const script = path.join(root, 'scripts', 'build-cuda.cjs');
  let status = 1;
  if (fs.existsSync(script) && fs.existsSync(path.join(root, 'CMakeLists.txt'))) {
    status = spawnSync(process.execPath, [script], { cwd: root, stdio: 'inherit', env: process.env }).status ?? 1;
  } else {
    console.error('gnn-kernels: this copy of the package has no CUDA sources (CMakeLists.txt, scripts/build-cuda.cjs)');
  }
  if (status === 0) return;
  if (mode === 'on') {
    console.error('gnn-kernels: GNN_CUDA=on and the CUDA addon could not be built (see above)');
    process.exit(status);
  }
  console.warn('gnn-kernels: GNN_CUDA=auto: no CUDA addon (see above); the CPU addon is installed and will be used');
}

const mode = cudaMode();
if (!force && upToDate()) {
  console.log('gnn-kernels: native addon is up to date');
  buildCuda(mode);
  process.exit(0);
}

const [cmd, ...pre] = nodeGypCommand();
const args = [...pre, 'rebuild', '--jobs=max', '--loglevel=warn'];
const headers = localHeaders();
if (headers) args.push(`--nodedir=${headers}`);
console.log(`gnn-kernels: building the native addon (${[cmd, ...args].map((a) => path.basename(a)).join(' ')})`);
const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
if (result.status !== 0) {
  console.error(
    [
      '',
      'gnn-kernels: building the native addon failed.',
      'It needs Python 3, make and a C++17 compiler (g++ >= 9 or clang >= 10); on Debian/Ubuntu:',
      '  apt-get install python3 make g++',
      'Then run `npm rebuild gnn-kernels`. The output above shows the compiler error.',
    ].join('\n'),
  );
  process.exit(result.status ?? 1);
}
buildCuda(mode);
