import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldTables } from '../eval/retrieval/gold-tables.js';
import { checkGoldOnPostgres } from '../eval/spider/check-gold-on-postgres.js';
import { loadSpiderIntoPostgres } from '../eval/spider/load-spider-into-postgres.js';
import { defaultSpiderDir, loadSpiderDataset, type SpiderDataset, type SpiderQuestion } from '../eval/spider/spider-dataset.js';
import { spiderGoldToPostgres } from '../eval/spider/spider-gold-to-postgres.js';
import type { Text2SqlResult, Text2SqlVerdict } from '../eval/text2sql/text2sql-result.js';
import { prepareSqlParser } from '../src/cache/sql-analysis.js';
import { withAdmin } from './support/database.js';
import { questionOf, startLlmApiServer, type LlmApiServer } from './support/llm-api-server.js';
import { runCliAsync } from './support/run-cli.js';

/**
 * `distrag eval text2sql` end to end: the CLI as a child process, its SQL written by the ask
 * pipeline (retrieval over one schema index of every database, prompt, LLM, guard, retries)
 * against a local OpenAI-compatible server whose replies are an oracle: the question's gold SQL in
 * PostgreSQL's dialect, a wrong statement, or a DELETE the guard refuses, by a hash of the question
 * (and once a 503, which the client retries).
 */

const LIMIT = 30;
const MODEL = 'qwen2.5-coder:7b';
const RETRIES = 1;
const WRONG_SQL = "SELECT 'not the answer' AS x";

type Script = 'gold' | 'wrong' | 'refused';

/** What the oracle answers a question: fixed by the question's text, about 3 in 5 gold. */
function scriptFor(question: string): Script {
  const n = createHash('sha256').update(question).digest()[0]! % 5;
  return n === 0 ? 'wrong' : n === 1 ? 'refused' : 'gold';
}

/** The `schema.table` names a SQL prompt describes. */
function promptTables(prompt: string): string[] {
  return [...prompt.matchAll(/^- Table (\S+) \(/gm)].map((m) => m[1]!);
}

let dataset: SpiderDataset;
let byQuestion: Map<string, SpiderQuestion>;
let llm: LlmApiServer;
let out: string;
/** The question whose first request the server answered 503 (the client retries it). */
let unavailableOnce: string | null = null;

beforeAll(async () => {
  dataset = loadSpiderDataset(defaultSpiderDir());
  byQuestion = new Map(dataset.questions.map((q) => [q.question, q]));
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-text2sql-pipeline-'));
  llm = await startLlmApiServer({ models: [MODEL] });
  llm.script((call) => {
    const question = questionOf(call);
    const q = question === null ? undefined : byQuestion.get(question);
    if (!call.json || q === undefined) return { status: 400, message: 'the oracle only answers SQL prompts about Spider dev questions' };
    if (unavailableOnce === null) {
      unavailableOnce = q.question;
      return { status: 503 };
    }
    const first = promptTables(call.prompt)[0] ?? q.db_id;
    switch (scriptFor(q.question)) {
      case 'gold':
        return { text: JSON.stringify({ sql: spiderGoldToPostgres(q.query) }) };
      case 'wrong':
        return { text: JSON.stringify({ sql: WRONG_SQL }) };
      case 'refused':
        return { text: JSON.stringify({ sql: `DELETE FROM ${first}` }) };
    }
  });
});

afterAll(async () => {
  await llm?.close();
  if (out) fs.rmSync(out, { recursive: true, force: true });
});

describe('distrag eval text2sql through the ask pipeline', () => {
  it('scores what the oracle implies, prompts hold only the question database\'s tables, refusals are retried', { timeout: 300_000 }, async () => {
    const run = await runCliAsync(['eval', 'text2sql', '--limit', String(LIMIT), '--json', '--out', out], {
      DISTRAG_LLM_BASE_URL: llm.openaiBaseUrl,
      DISTRAG_LLM_MODEL: MODEL,
      DISTRAG_LLM_PROVIDER: '',
      GEMINI_API_KEY: '',
      DISTRAG_RAG_SQL_RETRIES: String(RETRIES),
    });
    expect(run.code, run.stderr).toBe(0);
    // The client's warning about the 503 went to stderr: stdout is the JSON alone.
    expect(run.stderr).toMatch(/LLM request to qwen2\.5-coder:7b failed \(server-error\); retry 1 of 2/);
    const result = JSON.parse(run.stdout) as Text2SqlResult;
    expect(JSON.parse(fs.readFileSync(path.join(out, 'text2sql-eval.json'), 'utf8'))).toEqual(result);
    expect(fs.readFileSync(path.join(out, 'text2sql-eval.md'), 'utf8')).toContain(`| **all** | ${LIMIT} |`);
    expect(result.predictor).toMatchObject({ provider: 'openai-compatible', model: MODEL, sqlRetries: RETRIES });
    expect(result.predictor?.retrieval).toMatch(/MiniLM/);

    // The questions asked: LIMIT of Spider dev's, spread over its databases, each once.
    const asked = result.outcomes.map((o) => byQuestion.get(o.question)!);
    expect(asked.every((q, i) => q !== undefined && q.db_id === result.outcomes[i]!.db && q.query === result.outcomes[i]!.gold)).toBe(true);
    expect(new Set(asked).size).toBe(LIMIT);
    // questions.json is grouped by database: the spread reaches most of them.
    expect(Object.keys(result.byDatabase).length).toBeGreaterThanOrEqual(10);
    const scripts = asked.map((q) => scriptFor(q.question));
    for (const kind of ['gold', 'wrong', 'refused'] as const) expect(scripts.filter((s) => s === kind).length).toBeGreaterThanOrEqual(3);

    // What the oracle's gold answers must score: whether each translated gold query returns
    // SQLite's rows on PostgreSQL, checked here on the shared stack's PostgreSQL.
    const goldAsked = asked.filter((q) => scriptFor(q.question) === 'gold');
    const prefix = `t_t2sp_${randomBytes(3).toString('hex')}_`;
    const check = await withAdmin(async (client) => {
      const catalog = await loadSpiderIntoPostgres(client, dataset, { databases: [...new Set(goldAsked.map((q) => q.db_id))], schemaPrefix: prefix });
      try {
        return await checkGoldOnPostgres({ client, catalog, dataset: { ...dataset, questions: goldAsked } });
      } finally {
        for (const d of Object.values(catalog.databases)) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(d.schema)} CASCADE`);
      }
    });
    expect(check.questions).toBe(goldAsked.length);
    const expected = (q: SpiderQuestion): Text2SqlVerdict => {
      const script = scriptFor(q.question);
      if (script === 'wrong') return 'wrong';
      if (script === 'refused') return 'no-sql';
      const mismatch = check.mismatches.find((m) => m.db === q.db_id && m.query === q.query);
      return mismatch === undefined ? 'correct' : mismatch.error === null ? 'wrong' : 'error';
    };
    expect(result.outcomes.map((o) => [o.question, o.verdict])).toEqual(asked.map((q) => [q.question, expected(q)]));
    const count = (verdict: Text2SqlVerdict) => asked.filter((q) => expected(q) === verdict).length;
    expect(result.overall).toEqual({ questions: LIMIT, correct: check.agree, wrong: count('wrong'), errors: count('error'), noSql: count('no-sql'), accuracy: check.agree / LIMIT });
    expect(count('correct')).toBe(check.agree);

    // What was run: the oracle's SQL (a final semicolon dropped); a refusal says why, after 1 + RETRIES attempts.
    for (const [i, o] of result.outcomes.entries()) {
      const q = asked[i]!;
      if (scriptFor(q.question) === 'gold') expect(o.predicted).toBe(spiderGoldToPostgres(q.query).replace(/\s*;\s*$/, ''));
      if (scriptFor(q.question) === 'wrong') expect(o.predicted).toBe(WRONG_SQL);
      if (scriptFor(q.question) === 'refused') expect(o).toMatchObject({ predicted: null, detail: expect.stringMatching(/^the SQL written for this question was refused: /) });
    }
    const calls = llm.calls.filter((c) => questionOf(c) !== null);
    expect(calls.length).toBe(llm.calls.length);
    expect(unavailableOnce).not.toBeNull();
    for (const q of asked) {
      const mine = calls.filter((c) => questionOf(c) === q.question).slice(q.question === unavailableOnce ? 1 : 0);
      if (scriptFor(q.question) !== 'refused') {
        expect(mine.length, q.question).toBe(1);
        continue;
      }
      expect(mine.length, q.question).toBe(1 + RETRIES);
      expect(mine.at(-1)!.prompt).toMatch(/^Your earlier SQL: DELETE FROM \S+\nIt was refused: .+\nWrite a corrected statement\.$/m);
    }

    // Retrieval: each prompt describes tables of the question's database only (the index holds
    // every database's), the tables its gold query reads among them.
    await prepareSqlParser();
    for (const call of calls) {
      const q = byQuestion.get(questionOf(call)!)!;
      const tables = promptTables(call.prompt);
      expect(tables.length, q.question).toBeGreaterThan(0);
      expect(tables.filter((t) => !t.startsWith(`${q.db_id.toLowerCase()}.`)), q.question).toEqual([]);
      const gold = goldTables(q.db_id, q.query)?.tables ?? [];
      expect(gold.filter((t) => !tables.includes(t)), q.question).toEqual([]);
    }
  });
});
