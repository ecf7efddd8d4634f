import path from 'node:path';
import pg from 'pg';
import { MEASURED_CODE } from '../../bench/write-results.js';
import { projectRoot } from '../../src/paths.js';
import { createEvalReader } from '../spider/create-eval-reader.js';
import { loadedDatabase, qualifiedTables, type SpiderCatalog } from '../spider/spider-catalog.js';
import type { SpiderDataset } from '../spider/spider-dataset.js';
import { spiderGoldToPostgres } from '../spider/spider-gold-to-postgres.js';
import { createEvalCanary, type EvalCanary } from './eval-canary.js';
import { GUARD_EVAL_METHOD } from './guard-eval-method.js';
import { GUARD_EVAL_FORMAT, type EvalGuardScope, type EvalSqlGuard, type GoldRefusal, type GuardEvalResult, type HostileCase, type HostileCounts, type HostileLeak } from './guard-eval-result.js';

export interface GuardEvalOptions {
  /** A superuser URL of the PostgreSQL the catalog was loaded into (the eval creates its own role and canary there). */
  databaseUrl: string;
  catalog: SpiderCatalog;
  dataset: SpiderDataset;
  guard: EvalSqlGuard;
  hostile: readonly HostileCase[];
  /**
   * The scope hostile statements are judged and run with: its tables must exist (the corpus's own,
   * e.g. the demo tables). Default: the catalog's first database.
   */
  hostileScope?: { readableTables: readonly string[]; searchPath: readonly string[] };
  /** Statement timeout of a hostile statement the guard passed (default 5 s). */
  timeoutMs?: number;
  report?: (line: string) => void;
}

/**
 * The SQL guard's two error rates. False rejections: every gold query of the catalog's databases
 * (through `spiderGoldToPostgres`) is judged with that database's tables readable and its schema as
 * search path; each refusal is listed with its rule and reason (goal 0). Hostile statements: each
 * is judged with one scope (the corpus's tables, or a loaded database's); whatever the guard passes is then run — simple protocol, a
 * read-write transaction rolled back afterwards, on a fresh connection as a role that may read the
 * scope's tables and write a canary — and counted as executed when PostgreSQL runs it without error
 * (goal 0), with the canary's fingerprint compared before and after.
 */
export async function runGuardEval(options: GuardEvalOptions): Promise<GuardEvalResult> {
  const started = performance.now();
  const gold = await judgeGold(options);
  options.report?.(`gold: ${gold.refused} of ${gold.queries} queries refused`);
  const hostile = await judgeHostile(options);
  options.report?.(`hostile: ${hostile.passed} of ${hostile.cases} passed the guard, ${hostile.executed} executed`);
  return {
    format: GUARD_EVAL_FORMAT,
    eval: 'guard',
    ...MEASURED_CODE,
    date: new Date().toISOString(),
    elapsedSeconds: Math.round((performance.now() - started) / 100) / 10,
    data: path.relative(projectRoot, path.resolve(options.dataset.dir)) || '.',
    gold,
    hostile,
    method: GUARD_EVAL_METHOD,
  };
}

function scopeOf(catalog: SpiderCatalog, db: string): EvalGuardScope {
  const database = loadedDatabase(catalog, db);
  return { readableTables: new Set(qualifiedTables(database)), searchPath: [database.schema] };
}

/** The guard's verdict, a throw counted as a refusal by rule `guard-error`. */
async function verdictOf(guard: EvalSqlGuard, sql: string, scope: EvalGuardScope) {
  try {
    return await guard(sql, scope);
  } catch (error) {
    return { safe: false as const, rule: 'guard-error', reason: (error as Error).message };
  }
}

async function judgeGold(options: GuardEvalOptions): Promise<GuardEvalResult['gold']> {
  const refusals: GoldRefusal[] = [];
  const byDatabase: GuardEvalResult['gold']['byDatabase'] = {};
  let queries = 0;
  for (const q of options.dataset.questions) {
    if (options.catalog.databases[q.db_id] === undefined) continue;
    const counts = (byDatabase[q.db_id] ??= { queries: 0, refused: 0 });
    const sql = spiderGoldToPostgres(q.query);
    const verdict = await verdictOf(options.guard, sql, scopeOf(options.catalog, q.db_id));
    queries += 1;
    counts.queries += 1;
    if (!verdict.safe) {
      counts.refused += 1;
      refusals.push({ db: q.db_id, sql, rule: verdict.rule, reason: verdict.reason });
    }
  }
  return { queries, refused: refusals.length, byDatabase, refusals };
}

async function judgeHostile(options: GuardEvalOptions): Promise<GuardEvalResult['hostile']> {
  const first = Object.keys(options.catalog.databases)[0];
  const given = options.hostileScope;
  if (given === undefined && first === undefined) throw new Error('the guard eval needs a hostile scope or a loaded database');
  const scope: EvalGuardScope = given ? { readableTables: new Set(given.readableTables), searchPath: given.searchPath } : scopeOf(options.catalog, first!);
  const admin = new pg.Client({ connectionString: options.databaseUrl });
  await admin.connect();
  const reader = await createEvalReader(admin, options.databaseUrl, [...scope.readableTables]);
  let canary: EvalCanary | null = null;
  const leaks: HostileLeak[] = [];
  const byCategory: Record<string, HostileCounts> = {};
  const total: HostileCounts = { cases: 0, refused: 0, passed: 0, executed: 0 };
  try {
    canary = await createEvalCanary(admin, reader.role, [...scope.readableTables]);
    for (const c of options.hostile) {
      const counts = (byCategory[c.category] ??= { cases: 0, refused: 0, passed: 0, executed: 0 });
      const verdict = await verdictOf(options.guard, c.sql, scope);
      for (const n of [counts, total]) n.cases += 1;
      if (!verdict.safe) {
        for (const n of [counts, total]) n.refused += 1;
        continue;
      }
      for (const n of [counts, total]) n.passed += 1;
      const leak = await execute(c, reader.url, scope.searchPath, canary, options.timeoutMs ?? 5_000);
      if (leak.executed) for (const n of [counts, total]) n.executed += 1;
      leaks.push(leak);
    }
  } finally {
    await canary?.drop();
    await reader.drop().finally(() => admin.end());
  }
  return { ...total, canaryChanged: leaks.filter((l) => l.canaryChanged).length, scope: { readableTables: [...scope.readableTables].sort(), searchPath: [...scope.searchPath] }, byCategory, leaks };
}

/** Runs a statement the guard passed, as the eval's reader, and tells what it did. */
async function execute(c: HostileCase, url: string, searchPath: readonly string[], canary: EvalCanary, timeoutMs: number): Promise<HostileLeak> {
  const before = await canary.fingerprint();
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  let error: string | null = null;
  try {
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT set_config($1, $2, true), set_config($3, $4, true)', ['search_path', searchPath.map((s) => pg.escapeIdentifier(s)).join(', '), 'statement_timeout', String(timeoutMs)]);
    // The simple protocol, so that a statement list the guard missed runs whole.
    await client.query(c.sql);
  } catch (e) {
    error = (e as Error).message;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
  return { id: c.id, category: c.category, sql: c.sql, executed: error === null, error, canaryChanged: (await canary.fingerprint()) !== before };
}
