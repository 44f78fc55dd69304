#!/usr/bin/env node
// npm run build:cuda: builds the CUDA-enabled addon (CPU kernels + CUDA kernels) with cmake-js from
// CMakeLists.txt into build-cuda/Release/gnn_kernels.node, which the loader prefers over the CPU
// build (unless GNN_KERNELS_BACKEND=cpu). Incremental: CMake rebuilds what changed; `--force`
// starts from an empty build-cuda/.
//
// CUDAARCHS selects the GPU architectures (default "80;90"; each gets machine code, the highest
// also PTX for newer devices). Needs nvcc (the CUDA toolkit), CMake >= 3.19 and cmake-js. Exits
// non-zero, saying what is missing, when the build cannot run or fails.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'build-cuda');
const addonPath = path.join(outDir, 'Release', 'gnn_kernels.node');
const DEFAULT_ARCHS = '80;90';

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** nvcc from CUDACXX, PATH, CUDA_HOME / CUDA_PATH, or /usr/local/cuda; null when there is none. */
function findNvcc() {
  const candidates = [];
  if (process.env.CUDACXX) candidates.push(process.env.CUDACXX);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '') candidates.push(path.join(dir, 'nvcc'));
  }
  for (const home of [process.env.CUDA_HOME, process.env.CUDA_PATH]) {
    if (home) candidates.push(path.join(home, 'bin', 'nvcc'));
  }
  candidates.push('/usr/local/cuda/bin/nvcc');
  return candidates.find(isExecutable) ?? null;
}

function fail(lines) {
  console.error(['', ...lines].join('\n'));
  process.exit(1);
}

function cmakeJsCommand() {
  try {
    return [process.execPath, require.resolve('cmake-js/bin/cmake-js')];
  } catch {
    return null;
  }
}

function run(cmd, args, env) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  return result.status === 0;
}

const nvcc = findNvcc();
if (nvcc === null) {
  fail([
    'gnn-kernels: cannot build the CUDA addon: nvcc (the CUDA compiler) was not found',
    '(looked at CUDACXX, PATH, CUDA_HOME/bin, CUDA_PATH/bin and /usr/local/cuda/bin).',
    'Install the CUDA toolkit (12.x or 13.x), or point CUDACXX at nvcc, then run `npm run build:cuda` again.',
    'The CPU build needs none of this: `npm rebuild gnn-kernels`.',
  ]);
}
const cmake = spawnSync('cmake', ['--version'], { encoding: 'utf8' });
if (cmake.status !== 0) {
  fail(['gnn-kernels: cannot build the CUDA addon: cmake (>= 3.19) was not found on PATH (apt-get install cmake).']);
}
const cmakeJs = cmakeJsCommand();
if (cmakeJs === null) {
  fail(['gnn-kernels: cannot build the CUDA addon: cmake-js is not installed (npm install --no-save cmake-js).']);
}

const archs = process.env.CUDAARCHS && process.env.CUDAARCHS.trim() !== '' ? process.env.CUDAARCHS.trim() : DEFAULT_ARCHS;
if (!/^[0-9a-z;-]+$/i.test(archs)) {
  fail([`gnn-kernels: CUDAARCHS=${archs} is not a list like "80;90" or "86-real;90"`]);
}
if (process.argv.includes('--force')) fs.rmSync(outDir, { recursive: true, force: true });

const env = { ...process.env, CUDACXX: nvcc };
const jobs = String(typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
const common = ['--out', outDir, '--log-level', 'warn'];
const started = Date.now();
console.log(`gnn-kernels: building the CUDA addon (nvcc ${nvcc}, CUDAARCHS=${archs}, ${jobs} jobs)`);
// configure every time (cheap once cached): a changed CUDAARCHS takes effect without a clean build.
const ok =
  run(cmakeJs[0], [...cmakeJs.slice(1), 'configure', ...common, `--CDGNN_CUDA_ARCHS=${archs}`], env) &&
  run(cmakeJs[0], [...cmakeJs.slice(1), 'build', ...common, '--parallel', jobs], env);
const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (!ok || !fs.existsSync(addonPath)) {
  fail([
    `gnn-kernels: building the CUDA addon failed after ${seconds} s; the output above shows the error.`,
    'The CPU addon (build/Release) is unaffected and is what the package loads meanwhile.',
  ]);
}
console.log(`gnn-kernels: CUDA addon built in ${seconds} s: ${path.relative(root, addonPath)} (CUDAARCHS=${archs})`);
