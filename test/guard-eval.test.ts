import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { EvalSqlGuard } from '../eval/guard/guard-eval-result.js';
import { DEMO_READABLE_TABLES, DEMO_SEARCH_PATH, HOSTILE_SQL } from '../eval/guard/hostile-corpus.js';
import { renderGuardEval } from '../eval/guard/render-guard-eval.js';
import { runGuardEval } from '../eval/guard/run-guard-eval.js';
import { qualifiedTables, type SpiderCatalog } from '../eval/spider/spider-catalog.js';
import type { SpiderDataset } from '../eval/spider/spider-dataset.js';
import { guardSql } from '../subgraphs/rag/guard/guard-sql.js';
import { useSpiderInPostgres } from './support/spider-in-postgres.js';
import { runCli } from './support/run-cli.js';

/** `runGuardEval`: false rejections on gold SQL, and hostile statements the guard passes run against a canary. */

const DATABASES = ['singer', 'concert_singer'];
let dataset: SpiderDataset;
let catalog: SpiderCatalog;

const spider = useSpiderInPostgres('guard', DATABASES);
const PREFIX = spider.prefix;
beforeAll(() => {
  dataset = spider.dataset();
  catalog = spider.catalog();
});

describe('runGuardEval', () => {
  it('counts what a guard refuses, and runs what it passes as an unprivileged role', async () => {
    // A stand-in guard: refuses what names "drop" or "concert", passes the rest (however hostile).
    const guard: EvalSqlGuard = async (sql, scope) => {
      if (/drop/i.test(sql)) return { safe: false, rule: 'no-drop', reason: 'drops' };
      if (/concert/i.test(sql)) return { safe: false, rule: 'no-concert', reason: `not in ${scope.searchPath.join(',')}` };
      return { safe: true, tables: [] };
    };
    const hostile = [
      { id: 'drop', category: 'ddl', sql: 'DROP TABLE singer' },
      { id: 'read', category: 'read', sql: 'SELECT count(*) FROM singer' },
      { id: 'stacked', category: 'read', sql: 'SELECT 1; SELECT 2' },
      { id: 'delete', category: 'dml', sql: 'DELETE FROM singer' },
      { id: 'sleep', category: 'dos', sql: 'SELECT pg_sleep(5)' },
      { id: 'catalog', category: 'read', sql: 'SELECT rolpassword FROM pg_authid' },
    ];
    const result = await runGuardEval({ databaseUrl: inject('stack').info.urls.postgres, catalog, dataset, guard, hostile, timeoutMs: 300 });

    const refusedIn = (db: string) => dataset.questions.filter((q) => q.db_id === db && /drop|concert/i.test(q.query)).length;
    const concertQuestions = dataset.questions.filter((q) => q.db_id === 'concert_singer').length;
    expect(refusedIn('concert_singer')).toBeGreaterThan(0);
    expect(result.gold).toMatchObject({ queries: concertQuestions + 30, refused: refusedIn('concert_singer') + refusedIn('singer') });
    expect(result.gold.byDatabase.concert_singer).toEqual({ queries: concertQuestions, refused: refusedIn('concert_singer') });
    expect(result.gold.refusals[0]).toMatchObject({ db: 'concert_singer', rule: 'no-concert', reason: `not in ${PREFIX}concert_singer` });

    // The first loaded database is the default scope: singer.
    expect(result.hostile).toMatchObject({ cases: 6, refused: 1, passed: 5, executed: 2, canaryChanged: 0 });
    expect(result.hostile.scope.searchPath).toEqual([`${PREFIX}singer`]);
    expect(result.hostile.byCategory.read).toEqual({ cases: 3, refused: 0, passed: 3, executed: 2 });
    const leak = (id: string) => result.hostile.leaks.find((l) => l.id === id)!;
    expect(leak('delete')).toMatchObject({ executed: false });
    expect(leak('delete').error).toMatch(/permission denied/);
    expect(leak('sleep').error).toMatch(/statement timeout/);
    expect(leak('catalog').error).toMatch(/permission denied/);
    expect(renderGuardEval(result)).toContain('**executed**');
  });

  it('runs a passed statement list whole, and a stacked COMMIT does not let a write through the read-only role', async () => {
    const scope = { readableTables: qualifiedTables(catalog.databases.singer!), searchPath: [catalog.databases.singer!.schema] };
    const guard: EvalSqlGuard = async () => ({ safe: true, tables: [] });
    const hostile = [{ id: 'commit-then-delete', category: 'stacked', sql: 'COMMIT; DELETE FROM singer' }];
    const result = await runGuardEval({ databaseUrl: inject('stack').info.urls.postgres, catalog, dataset, guard, hostile, hostileScope: scope });
    expect(result.hostile).toMatchObject({ passed: 1, executed: 0, canaryChanged: 0 });
    expect(result.gold.refused).toBe(0);
  });

  it('with the real guard: no gold query refused, no hostile statement executed', async () => {
    const result = await runGuardEval({
      databaseUrl: inject('stack').info.urls.postgres,
      catalog,
      dataset,
      guard: guardSql,
      hostile: HOSTILE_SQL,
      hostileScope: { readableTables: DEMO_READABLE_TABLES, searchPath: DEMO_SEARCH_PATH },
    });
    expect(result.gold.refusals).toEqual([]);
    expect(result.hostile.cases).toBe(HOSTILE_SQL.length);
    expect(result.hostile.executed).toBe(0);
    expect(result.hostile.canaryChanged).toBe(0);
  });
});

describe('distrag eval guard', () => {
  it('loads Spider into a PostgreSQL of its own and prints both tables', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-guard-eval-'));
    const result = runCli(['eval', 'guard', '--out', out], {});
    fs.rmSync(out, { recursive: true, force: true });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/distrag eval guard: loaded 14 databases in/);
    expect(result.stdout).toMatch(/\| \*\*all\*\* \| 622 \| \d+ \|/);
    expect(result.stdout).toMatch(new RegExp(`\\| \\*\\*all\\*\\* \\| ${HOSTILE_SQL.length} \\| \\d+ \\| \\d+ \\| 0 \\|`));
  });
});
