/** The built package serves both require and import, from one copy of its state (checked in a real Node process). */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');

describe('package exports', () => {
  it('require and import give the same classes (no dual-package hazard)', () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const cjs = require('gnn-kernels');
      const esm = await import('gnn-kernels');
      const g = esm.Graph.fromEdgeIndex(new Int32Array([0, 1, 1, 0]), 2);
      const out = cjs.spmmSync(g, cjs.Tensor.from(new Float32Array([5, 7])));
      console.log(JSON.stringify({
        sameGraph: esm.Graph === cjs.Graph,
        sameOps: esm.ops.spmmSync === cjs.ops.spmmSync,
        keys: Object.keys(esm).filter((k) => k !== 'default').sort().join() === Object.keys(cjs).sort().join(),
        out: Array.from(out.data),
      }));
    `;
    // Package self-reference: inside the package, `gnn-kernels` resolves through package.json exports.
    const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(stdout)).toEqual({ sameGraph: true, sameOps: true, keys: true, out: [7, 5] });
  });

  it('ships type declarations for both entry points', () => {
    expect(fs.existsSync(path.join(root, 'dist', 'cjs', 'index.d.ts'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'dist', 'esm', 'index.d.mts'))).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.exports['.'].import.default).toBe('./dist/esm/index.mjs');
    expect(pkg.exports['.'].require.default).toBe('./dist/cjs/index.js');
  });
});
