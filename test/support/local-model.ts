import os from 'node:os';
import path from 'node:path';
import { installLocalModel } from '../../src/embed/install-local-model.js';

/**
 * The local embedding model for tests that run it: installed by `installLocalModel` into one
 * temp directory, downloaded on the first run and reused while intact.
 */
export async function installedTestModel(): Promise<string> {
  const root = path.join(os.tmpdir(), 'distrag-test-embed-model');
  await installLocalModel({ root, lookup: process.env });
  return root;
}
