import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The SINGLE-mode smoke runs on its own, after the suite (`npm run test:smoke-single`, .ci/run).
    exclude: ['test/smoke/**', 'node_modules/**'],
    globalSetup: ['test/support/global-stack.ts'],
    // Files share one machine's two cores and start real servers: run them one at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
