import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whether running from `dist/src` (built) or `src` (vitest). */
const here = path.dirname(fileURLToPath(import.meta.url));
export const projectRoot = path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '../..') : path.resolve(here, '..');
export const schemaDir = path.join(projectRoot, 'schema');
export const distDir = path.join(projectRoot, 'dist');
