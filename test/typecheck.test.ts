import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../src/paths.js';

/**
 * vitest strips types without checking them: `npm run typecheck` is what says the code, the tests
 * and the web console type-check under `strict`. Run here so that a test file calling something
 * with the wrong shape fails the suite rather than passing by accident.
 */
describe('types', () => {
  it.each(['tsconfig.json', 'test/tsconfig.json', 'gateway/console/web/tsconfig.json'])('%s type-checks', (config) => {
    const result = spawnSync(process.execPath, [path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config, '--noEmit'], { cwd: projectRoot, encoding: 'utf8', timeout: 240_000 });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
