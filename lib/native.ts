/**
 * The one module that loads a `.node` file. Loading is lazy (first use) and tries, in order:
 * `GNN_KERNELS_NATIVE_PATH`, then the CUDA build `build-cuda/Release` (unless
 * `GNN_KERNELS_BACKEND=cpu`), then the CPU build's `build/Release` and `build/Debug`. Every failure is
 * kept; a CUDA build that fails to load is recorded and the CPU build used, and if nothing loads one
 * GnnError (ERR_GNN_NATIVE_LOAD) lists what was tried and what to do. A build whose embedded version
 * differs from package.json is refused as stale. Loading touches no CUDA: the CUDA build probes its
 * devices on first use of `cuda.probe()`.
 * @internal
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { GnnError } from './errors';
import type { NativeAddon } from './native-types';

/** Which kind of addon was loaded: the CPU build (node-gyp) or the CUDA build (cmake-js). */
export type NativeBuild = 'cpu' | 'cuda';

interface Loaded {
  addon: NativeAddon;
  path: string;
  build: NativeBuild;
  /** Why the CUDA build is not the one loaded ('' when it is), for backendInfo(). */
  cudaNote: string;
}

/** GNN_KERNELS_BACKEND: 'auto' (default: the CUDA build when there is one), 'cpu' or 'cuda'. */
type BackendChoice = 'auto' | 'cpu' | 'cuda';

let loaded: Loaded | undefined;

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string };
        if (pkg.name === 'gnn-kernels') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start, '..', '..');
    dir = parent;
  }
}

/** The directory holding the package's package.json. */
export const packageRoot: string = findPackageRoot(__dirname);

/** The package version from package.json. */
export const packageVersion: string = (
  JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }
).version;

function help(failures: string[]): string {
  const text = failures.join('\n');
  const hints = [
    'The native addon of gnn-kernels could not be loaded. Tried:',
    ...failures.map((f) => `  - ${f}`),
    'What to do:',
  ];
  if (/stale build/.test(text)) hints.push('  - the build is from another version of the package: run `npm rebuild gnn-kernels`');
  if (/ENOENT|Cannot find module/.test(text)) {
    hints.push('  - the addon was never built (installed with --ignore-scripts?): run `npm rebuild gnn-kernels`');
    hints.push('  - building needs Python 3, make and a C++17 compiler (g++ >= 9 or clang >= 10)');
  }
  if (/GLIBC|CXXABI|GLIBCXX/.test(text)) hints.push('  - the binary needs a newer C++ runtime than this system has: rebuild from source here');
  if (/ERR_DLOPEN_DISABLED|--no-addons/.test(text)) hints.push('  - Node runs with --no-addons; native addons are disabled');
  if (/GNN_KERNELS_BACKEND=cuda/.test(text)) {
    hints.push('  - build the CUDA addon with `GNN_CUDA=on npm run build:cuda`, or unset GNN_KERNELS_BACKEND to allow the CPU build');
  }
  hints.push('  - bundlers must leave gnn-kernels external, or set GNN_KERNELS_NATIVE_PATH to the .node file');
  return hints.join('\n');
}

/** The CUDA build's path in this package. */
export const cudaBuildPath: string = path.join(packageRoot, 'build-cuda', 'Release', 'gnn_kernels.node');

function backendChoice(): BackendChoice {
  const value = process.env.GNN_KERNELS_BACKEND;
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'cpu' || value === 'cuda') return value;
  process.emitWarning(`GNN_KERNELS_BACKEND=${value} is not one of auto, cpu, cuda; using auto`, {
    code: 'GNN_KERNELS_INVALID_ENV',
  });
  return 'auto';
}

interface Candidate {
  file: string;
  /** The CUDA build's own place (its failures explain a CPU fallback). */
  cudaSlot: boolean;
}

export function loadNative(): Loaded {
  if (loaded !== undefined) return loaded;
  const choice = backendChoice();
  const candidates: Candidate[] = [];
  const override = process.env.GNN_KERNELS_NATIVE_PATH;
  if (override !== undefined && override !== '') candidates.push({ file: path.resolve(override), cudaSlot: false });
  if (choice !== 'cpu') candidates.push({ file: cudaBuildPath, cudaSlot: true });
  if (choice !== 'cuda') {
    candidates.push({ file: path.join(packageRoot, 'build', 'Release', 'gnn_kernels.node'), cudaSlot: false });
    candidates.push({ file: path.join(packageRoot, 'build', 'Debug', 'gnn_kernels.node'), cudaSlot: false });
  }
  const failures: string[] = [];
  let cudaNote =
    choice === 'cpu'
      ? 'GNN_KERNELS_BACKEND=cpu selected the CPU build'
      : 'this is the CPU build (build the CUDA addon with `GNN_CUDA=on npm run build:cuda`)';
  for (const { file, cudaSlot } of candidates) {
    if (!fs.existsSync(file)) {
      failures.push(`${file}: ENOENT (not built)`);
      continue;
    }
    let failure: string;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const addon = require(file) as NativeAddon;
      const version = addon.backendInfo().version;
      if (version === packageVersion) {
        const build: NativeBuild = addon.cuda !== undefined ? 'cuda' : 'cpu';
        if (choice === 'cuda' && build !== 'cuda') {
          failures.push(`${file}: the CPU build, and GNN_KERNELS_BACKEND=cuda asks for the CUDA build`);
          continue;
        }
        loaded = { addon, path: file, build, cudaNote: build === 'cuda' ? '' : cudaNote };
        return loaded;
      }
      failure = `${file}: stale build (addon ${version}, package ${packageVersion})`;
    } catch (error) {
      const e = error as { code?: string; message?: string };
      failure = `${file}: ${e.code ?? 'Error'}: ${e.message ?? String(error)}`;
    }
    failures.push(failure);
    if (cudaSlot) cudaNote = `the CUDA build failed to load, so the CPU build is used (${failure})`;
  }
  if (choice === 'cuda') failures.push('GNN_KERNELS_BACKEND=cuda: only the CUDA build (build-cuda/Release) was tried');
  throw new GnnError('ERR_GNN_NATIVE_LOAD', help(failures));
}

/** The raw addon, loaded on first use. */
export function native(): NativeAddon {
  return (loaded ?? loadNative()).addon;
}
