import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whether running from `dist/src` (built) or `src` (vitest). */
const here = path.dirname(fileURLToPath(import.meta.url));
export const projectRoot = path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '../..') : path.resolve(here, '..');
export const schemaDir = path.join(projectRoot, 'schema');
export const distDir = path.join(projectRoot, 'dist');
/** The web console, built by `npm run build` (vite) and served by the gateway at /console. */
export const consoleDir = path.join(distDir, 'console');
/** What `npx distrag bench` and `eval` write, shown by the console's Benchmarks panel. */
export const benchResultsDir = path.join(projectRoot, 'bench', 'results');
