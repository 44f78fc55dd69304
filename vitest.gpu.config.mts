import { defineConfig } from 'vitest/config';

// `npm run test:gpu`: the GPU suite (test-gpu/), every op and layer on cuda:0 against the CPU
// backend. Not part of `npm test` (vitest.config.mts includes test/ only); on a machine without a
// CUDA device every file prints why and skips.
export default defineConfig({
  test: {
    include: ['test-gpu/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // One device: files run one after another so their timings and memory do not interfere.
    fileParallelism: false,
  },
});
