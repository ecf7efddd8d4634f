import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { SpiderCatalog } from '../eval/spider/spider-catalog.js';
import type { SpiderDataset } from '../eval/spider/spider-dataset.js';
import { spiderGoldToPostgres } from '../eval/spider/spider-gold-to-postgres.js';
import { renderText2SqlEval } from '../eval/text2sql/render-text2sql-eval.js';
import { runText2SqlEval } from '../eval/text2sql/run-text2sql-eval.js';
import type { Text2SqlPredict } from '../eval/text2sql/text2sql-result.js';
import { withAdmin } from './support/database.js';
import { useSpiderInPostgres } from './support/spider-in-postgres.js';
import { runCli } from './support/run-cli.js';

/** `runText2SqlEval` scored against a scripted predictor whose right and wrong answers are known in advance. */

// Every gold query of these two runs on PostgreSQL with SQLite's result (spider-postgres.test.ts).
const DATABASES = ['singer', 'poker_player'];
let dataset: SpiderDataset;
let catalog: SpiderCatalog;

const spider = useSpiderInPostgres('t2s', DATABASES);
const PREFIX = spider.prefix;
beforeAll(() => {
  dataset = spider.dataset();
  catalog = spider.catalog();
});

type Script = 'gold' | 'wrong' | 'garbage' | 'none' | 'throws' | 'write' | 'slow';

/** What the scripted predictor does for the i-th question asked (in dataset order). */
function scriptFor(i: number): Script {
  if (i === 0) return 'write';
  if (i === 1) return 'slow';
  if (i === 2) return 'throws';
  if (i % 10 === 3) return 'wrong';
  if (i % 10 === 7) return 'garbage';
  if (i % 10 === 9) return 'none';
  return 'gold';
}

describe('runText2SqlEval', () => {
  it('scores exactly what the script implies, per database and overall', async () => {
    const questions = dataset.questions.filter((q) => DATABASES.includes(q.db_id));
    const asked: string[] = [];
    const predict: Text2SqlPredict = async (q) => {
      const i = questions.findIndex((x) => x.question === q.question && x.db_id === q.db);
      asked.push(q.schema);
      const gold = questions[i]!.query;
      switch (scriptFor(i)) {
        case 'gold':
          return { sql: spiderGoldToPostgres(gold) };
        case 'wrong':
          return { sql: "SELECT 'not the answer' AS x" };
        case 'garbage':
          return { sql: 'SELEC name FROMM singer' };
        case 'none':
          return { sql: null, error: 'model gave up' };
        case 'throws':
          throw new Error('provider down');
        case 'write':
          return { sql: `DELETE FROM ${q.db}` };
        case 'slow':
          return { sql: 'SELECT pg_sleep(5)' };
      }
    };
    const result = await runText2SqlEval({ catalog, databaseUrl: inject('stack').info.urls.postgres, dataset, predict, concurrency: 3, timeoutMs: 300 });

    const scripts = questions.map((_, i) => scriptFor(i));
    const count = (...kinds: Script[]) => scripts.filter((s) => kinds.includes(s)).length;
    expect(result.overall).toEqual({
      questions: questions.length,
      correct: count('gold'),
      wrong: count('wrong'),
      errors: count('garbage', 'write', 'slow'),
      noSql: count('none', 'throws'),
      accuracy: count('gold') / questions.length,
    });
    for (const db of DATABASES) {
      const mine = scripts.filter((_, i) => questions[i]!.db_id === db);
      expect(result.byDatabase[db]).toMatchObject({ questions: mine.length, correct: mine.filter((s) => s === 'gold').length });
    }
    expect(new Set(asked)).toEqual(new Set(DATABASES.map((db) => `${PREFIX}${db}`)));
    const outcome = (i: number) => result.outcomes[i]!;
    // Each database has a table named after it: the first question's DELETE targets real rows.
    const first = questions[0]!.db_id;
    expect(outcome(0)).toMatchObject({ verdict: 'error', predicted: `DELETE FROM ${first}` });
    expect(outcome(0).detail).toMatch(/read-only transaction|permission denied/);
    expect(outcome(1).detail).toMatch(/statement timeout/);
    expect(outcome(2)).toMatchObject({ verdict: 'no-sql', detail: 'provider down' });
    // The DELETE did nothing.
    const rows = await withAdmin(async (client) => (await client.query(`SELECT count(*)::int AS n FROM ${PREFIX}${first}.${first}`)).rows[0].n);
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBe(catalog.databases[first]!.tables.find((t) => t.name === first)!.rows);
    expect(renderText2SqlEval(result)).toContain(`| **all** | ${questions.length} | ${count('gold')} |`);
  });

  it('spreads --limit over the dataset and leaves no eval role behind', async () => {
    const predict: Text2SqlPredict = async () => ({ sql: 'SELECT 1' });
    const result = await runText2SqlEval({ catalog, databaseUrl: inject('stack').info.urls.postgres, dataset, predict, limit: 10 });
    expect(result.overall.questions).toBe(10);
    expect(Object.keys(result.byDatabase).sort()).toEqual([...DATABASES].sort());
    const roles = await withAdmin(async (client) => (await client.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'distrag_eval_reader_%'")).rows[0].n);
    expect(roles).toBe(0);
  });
});

describe('distrag eval text2sql', () => {
  it('says it needs an LLM provider and exits non-zero without one', () => {
    const result = runCli(['eval', 'text2sql', '--limit', '5'], { GEMINI_API_KEY: '', DISTRAG_LLM_BASE_URL: '' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toMatch(/^distrag eval text2sql: needs an LLM provider to generate SQL; set GEMINI_API_KEY, or DISTRAG_LLM_BASE_URL/);
  });
});
