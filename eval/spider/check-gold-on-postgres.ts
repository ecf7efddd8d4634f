import type pg from 'pg';
import { openSpiderSqlite } from './open-spider-sqlite.js';
import { runReadOnly } from './run-read-only.js';
import { sameResult } from './same-result.js';
import { loadedDatabase, type SpiderCatalog } from './spider-catalog.js';
import type { SpiderDataset } from './spider-dataset.js';
import { spiderGoldToPostgres } from './spider-gold-to-postgres.js';
import { hasTopLevelOrderBy } from './top-level-order.js';

export interface GoldCounts {
  questions: number;
  /** Translated gold queries PostgreSQL ran without error. */
  ran: number;
  /** Of those, how many returned the same result as the original on SQLite. */
  agree: number;
}

export interface GoldMismatch {
  db: string;
  query: string;
  postgres: string;
  /** PostgreSQL's error, or null when it ran and returned other rows than SQLite. */
  error: string | null;
}

export interface GoldCheck extends GoldCounts {
  byDatabase: Record<string, GoldCounts>;
  mismatches: GoldMismatch[];
}

/**
 * Runs every gold query of the catalog's databases twice — as written on SQLite (sql.js), and
 * through `spiderGoldToPostgres` on the loaded PostgreSQL schema — and compares the results with
 * `sameResult` (in order when the query sorts at its top level).
 */
export async function checkGoldOnPostgres(options: { client: pg.ClientBase; catalog: SpiderCatalog; dataset: SpiderDataset; timeoutMs?: number }): Promise<GoldCheck> {
  const sqlite = await openSpiderSqlite(options.dataset.dir);
  const check: GoldCheck = { questions: 0, ran: 0, agree: 0, byDatabase: {}, mismatches: [] };
  try {
    for (const q of options.dataset.questions) {
      if (options.catalog.databases[q.db_id] === undefined) continue;
      const counts = (check.byDatabase[q.db_id] ??= { questions: 0, ran: 0, agree: 0 });
      counts.questions += 1;
      check.questions += 1;
      const postgres = spiderGoldToPostgres(q.query);
      const outcome = await runReadOnly(options.client, loadedDatabase(options.catalog, q.db_id).schema, postgres, options.timeoutMs ?? 10_000);
      if (!outcome.ok) {
        check.mismatches.push({ db: q.db_id, query: q.query, postgres, error: outcome.error });
        continue;
      }
      counts.ran += 1;
      check.ran += 1;
      if (sameResult(outcome.rows, sqlite.query(q.db_id, q.query), await hasTopLevelOrderBy(postgres))) {
        counts.agree += 1;
        check.agree += 1;
      } else {
        check.mismatches.push({ db: q.db_id, query: q.query, postgres, error: null });
      }
    }
  } finally {
    sqlite.close();
  }
  return check;
}
