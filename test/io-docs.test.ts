/**
 * Every ```js example in docs-drafts/io.md runs as written against the built package, as
 * readme.test.ts does for README.md. Once the draft is merged into the README (and removed),
 * readme.test.ts runs the examples and this file has nothing to do.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const draft = path.join(root, 'docs-drafts', 'io.md');
const blocks = fs.existsSync(draft) ? [...fs.readFileSync(draft, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]) : [];

describe.skipIf(blocks.length === 0)('docs-drafts/io.md examples', () => {
  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs`, () => {
      const script = `(async () => {\n${code}\n})().catch((e) => { console.error(e); process.exit(1); });`;
      const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(typeof out).toBe('string');
    });
  });
});
