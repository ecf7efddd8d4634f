import type pg from 'pg';
import { ASK_GROUP_ROLE } from '../../../src/db/api-roles.js';

/** How long one reading of the privileges is reused (asks in a burst share it). */
const TTL_MS = 2_000;

/**
 * The tables an ask may read: those of the exposed schemas on which the ask group holds SELECT.
 * The data subgraph grants it when it secures a table, so a new table becomes askable together
 * with its tenant policy, never before. Read from the catalog, kept for a moment.
 */
export class ReadableTables {
  #cached: { at: number; tables: Promise<ReadonlySet<string>> } | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schemas: readonly string[],
  ) {}

  get(): Promise<ReadonlySet<string>> {
    const now = Date.now();
    if (this.#cached && now - this.#cached.at < TTL_MS) return this.#cached.tables;
    const tables = this.#read();
    this.#cached = { at: now, tables };
    tables.catch(() => {
      if (this.#cached?.tables === tables) this.#cached = null;
    });
    return tables;
  }

  async #read(): Promise<ReadonlySet<string>> {
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT n.nspname || '.' || c.relname AS name
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
         AND pg_catalog.has_table_privilege($2, c.oid, 'SELECT')`,
      [this.schemas, ASK_GROUP_ROLE],
    );
    return new Set(rows.map((r) => r.name));
  }
}
