#!/usr/bin/env node
// Entry point of `npx distrag`: runs the compiled CLI (built by `npm install` / `npm ci`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('distrag: the project is not built; run `npm install` (or `npm run build`) in the repository first');
  process.exit(1);
}
const { runCli } = await import(main.href);
process.exitCode = await runCli(process.argv.slice(2));
