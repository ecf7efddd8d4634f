import { defineConfig } from 'vitest/config';

// The SINGLE-mode smoke `.ci/run` runs after the full suite: on a machine with Citus the full
// suite runs in CITUS mode, and this shows the single-node path still comes up end to end.
process.env.DISTRAG_TEST_STACK_MODE = 'SINGLE';

export default defineConfig({
  test: {
    include: ['test/smoke/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 240_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
