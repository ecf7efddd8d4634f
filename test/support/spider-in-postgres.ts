import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { loadSpiderIntoPostgres } from '../../eval/spider/load-spider-into-postgres.js';
import type { SpiderCatalog } from '../../eval/spider/spider-catalog.js';
import { defaultSpiderDir, loadSpiderDataset, type SpiderDataset } from '../../eval/spider/spider-dataset.js';
import { withAdmin } from './database.js';

/**
 * Loads Spider databases (all, or `databases`) into the shared stack's PostgreSQL for the file's
 * tests, in schemas under a random prefix starting with `tag`, and drops them afterwards. The
 * getters are valid inside tests (after beforeAll).
 */
export function useSpiderInPostgres(tag: string, databases?: string[]): { dataset: () => SpiderDataset; catalog: () => SpiderCatalog; prefix: string } {
  const prefix = `t_${tag}_${randomBytes(3).toString('hex')}_`;
  let dataset: SpiderDataset | undefined;
  let catalog: SpiderCatalog | undefined;
  beforeAll(async () => {
    dataset = loadSpiderDataset(defaultSpiderDir());
    const loaded = dataset;
    catalog = await withAdmin((client) => loadSpiderIntoPostgres(client, loaded, { databases, schemaPrefix: prefix }));
  });
  afterAll(async () => {
    await withAdmin(async (client) => {
      for (const d of Object.values(catalog?.databases ?? {})) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(d.schema)} CASCADE`);
    });
  });
  return {
    dataset: () => dataset ?? unloaded(),
    catalog: () => catalog ?? unloaded(),
    prefix,
  };
}

function unloaded(): never {
  throw new Error('the Spider databases are read in beforeAll: use them inside tests');
}
