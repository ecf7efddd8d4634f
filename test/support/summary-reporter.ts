import type { Reporter, TestModule } from 'vitest/node';

/** Prints the plain closing line CI reads: "mode CITUS: N passed, N failed, N skipped". */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (module.state() === 'failed' && module.children.size === 0) failed++;
    }
    const mode = process.env.DISTRAG_TEST_STACK_MODE;
    process.stdout.write(`\n${mode ? `mode ${mode}: ` : ''}${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
