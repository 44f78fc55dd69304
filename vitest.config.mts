import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native kernels share one process-wide thread pool; files run in separate workers anyway.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
