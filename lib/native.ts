/**
 * The one module that loads a `.node` file. Loading is lazy (first use) and tries, in order:
 * `GNN_KERNELS_NATIVE_PATH`, then `build/Release` and `build/Debug` of the package. Every failure is
 * kept; if nothing loads, one GnnError (ERR_GNN_NATIVE_LOAD) lists what was tried and what to do.
 * A build whose embedded version differs from package.json is refused as stale.
 * @internal
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { GnnError } from './errors';
import type { NativeAddon } from './native-types';

interface Loaded {
  addon: NativeAddon;
  path: string;
}

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
  hints.push('  - bundlers must leave gnn-kernels external, or set GNN_KERNELS_NATIVE_PATH to the .node file');
  return hints.join('\n');
}

export function loadNative(): Loaded {
  if (loaded !== undefined) return loaded;
  const candidates: string[] = [];
  const override = process.env.GNN_KERNELS_NATIVE_PATH;
  if (override !== undefined && override !== '') candidates.push(path.resolve(override));
  candidates.push(path.join(packageRoot, 'build', 'Release', 'gnn_kernels.node'));
  candidates.push(path.join(packageRoot, 'build', 'Debug', 'gnn_kernels.node'));
  const failures: string[] = [];
  for (const file of candidates) {
    if (!fs.existsSync(file)) {
      failures.push(`${file}: ENOENT (not built)`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const addon = require(file) as NativeAddon;
      const version = addon.backendInfo().version;
      if (version !== packageVersion) {
        failures.push(`${file}: stale build (addon ${version}, package ${packageVersion})`);
        continue;
      }
      loaded = { addon, path: file };
      return loaded;
    } catch (error) {
      const e = error as { code?: string; message?: string };
      failures.push(`${file}: ${e.code ?? 'Error'}: ${e.message ?? String(error)}`);
    }
  }
  throw new GnnError('ERR_GNN_NATIVE_LOAD', help(failures));
}

/** The raw addon, loaded on first use. */
export function native(): NativeAddon {
  return (loaded ?? loadNative()).addon;
}
