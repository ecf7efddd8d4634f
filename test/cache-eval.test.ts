import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import initSqlJs from 'sql.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuardDecision } from '../src/cache/cache-guard.js';
import type { CacheEvalResult } from '../eval/cache/cache-eval-result.js';
import { evaluateCache, type EvalGuard } from '../eval/cache/evaluate-cache.js';
import { buildLiteralSwaps, type LiteralSwap } from '../eval/cache/literal-swaps.js';
import { prepareQuestions } from '../eval/cache/prepare-questions.js';
import { openSqliteColumnValues } from '../eval/spider/sqlite-column-values.js';
import { loadSpiderDataset, type SpiderQuestion } from '../eval/spider/spider-dataset.js';
import { sqlShape } from '../eval/spider/sql-shape.js';
import { sqliteToPostgres } from '../eval/spider/sqlite-to-postgres.js';
import { runCli } from './support/run-cli.js';

/** `distrag eval cache`: pair sets, literal swaps, scores per threshold, on a dataset this file writes. */

const QUESTIONS: SpiderQuestion[] = [
  { db_id: 'shop', question: 'How many customers are there?', query: 'SELECT count(*) FROM customer' },
  { db_id: 'shop', question: 'Count the customers.', query: 'select  count(*)  from Customer' },
  { db_id: 'shop', question: 'What are the names of customers in Paris?', query: 'SELECT name FROM customer WHERE city = "Paris"' },
  { db_id: 'shop', question: 'List the names of customers in Berlin.', query: "SELECT name FROM customer WHERE city = 'Berlin'" },
  { db_id: 'shop', question: 'What is the largest order amount?', query: 'SELECT max(amount) FROM orders' },
  { db_id: 'zoo', question: 'How many animals are older than 5?', query: 'SELECT count(*) FROM animal WHERE age > 5' },
  { db_id: 'zoo', question: 'What species do the animals have?', query: 'SELECT DISTINCT species FROM animal' },
  // SQLite takes a JOIN without ON; PostgreSQL's parser does not.
  { db_id: 'zoo', question: 'Which species pair with a young animal?', query: 'SELECT T1.species FROM animal AS T1 JOIN animal AS T2 WHERE T2.age < 3' },
];

const TABLES = [
  { db_id: 'shop', table_names_original: ['customer', 'orders'], column_names_original: [[-1, '*'], [0, 'id'], [0, 'name'], [0, 'city'], [1, 'id'], [1, 'customer_id'], [1, 'amount']] },
  { db_id: 'zoo', table_names_original: ['animal'], column_names_original: [[-1, '*'], [0, 'id'], [0, 'species'], [0, 'age']] },
];

let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-cache-eval-'));
  fs.writeFileSync(path.join(dir, 'questions.json'), JSON.stringify(QUESTIONS));
  fs.writeFileSync(path.join(dir, 'tables.json'), JSON.stringify(TABLES));
  // Rows for zoo only: shop's swaps come from the constants its gold SQL compares columns with.
  const SQL = await initSqlJs();
  const zoo = new SQL.Database();
  zoo.run("CREATE TABLE animal (id INTEGER, species TEXT, age INTEGER); INSERT INTO animal VALUES (1, 'lynx', 2), (2, 'owl', 5), (3, 'fox', 9), (4, 'elk', NULL)");
  fs.mkdirSync(path.join(dir, 'database', 'zoo'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'database', 'zoo', 'zoo.sqlite'), zoo.export());
  zoo.close();
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function swapsOf(): Promise<LiteralSwap[]> {
  const dataset = loadSpiderDataset(dir);
  const rows = await openSqliteColumnValues(dir);
  try {
    return await buildLiteralSwaps(await prepareQuestions(dataset.questions), dataset.schemas, rows.valuesOf);
  } finally {
    rows.close();
  }
}

describe('cache eval: SQL', () => {
  it('turns SQLite double-quoted strings into PostgreSQL strings, quotes inside escaped', () => {
    expect(sqliteToPostgres('SELECT a FROM t WHERE n = "Robbin CV" AND m = \'x\'')).toBe("SELECT a FROM t WHERE n = 'Robbin CV' AND m = 'x'");
    expect(sqliteToPostgres('SELECT a FROM t WHERE n = "it\'s ""big"""')).toBe("SELECT a FROM t WHERE n = 'it''s \"big\"'");
  });

  it('compares statements by parse tree, constants by value as text, parameters bound', async () => {
    const gold = await sqlShape("SELECT name FROM customer WHERE city = 'Berlin' AND age > 20");
    expect(gold).not.toBeNull();
    expect(await sqlShape("select  NAME from Customer where city = $1 and age > $2", { params: ['Berlin', '20'] })).toBe(gold);
    expect(await sqlShape("SELECT name FROM customer WHERE city = 'berlin' AND age > 20")).not.toBe(gold);
    expect(await sqlShape("SELECT name FROM customer WHERE city = 'Berlin' AND age >= 20")).not.toBe(gold);
    expect(await sqlShape('SELECT FROM WHERE')).toBeNull();
  });
});

describe('cache eval: literal swaps', () => {
  it('replaces a value named in question and SQL by another of its column: from the rows, else from the dataset', async () => {
    const swaps = await swapsOf();
    expect(swaps.map((s) => ({ incoming: s.incoming, expectedSql: s.expectedSql, column: s.column }))).toEqual([
      { incoming: 'What are the names of customers in Berlin?', expectedSql: "SELECT name FROM customer WHERE city = 'Berlin'", column: 'customer.city' },
      { incoming: 'List the names of customers in Paris.', expectedSql: "SELECT name FROM customer WHERE city = 'Paris'", column: 'customer.city' },
      { incoming: 'How many animals are older than 9?', expectedSql: 'SELECT count(*) FROM animal WHERE age > 9', column: 'animal.age' },
    ]);
  });
});

describe('cache eval: scores', () => {
  /**
   * One-hot vectors (cosine 0 between any two), except that each `other` gets the given cosine
   * with its `base`: cosine × base's vector plus the rest along its own axis.
   */
  function vectorsFor(texts: string[], similar: Array<[base: string, other: string, cosine: number]>): Map<string, Float32Array> {
    const vectors = new Map<string, Float32Array>();
    texts.forEach((t, i) => {
      const v = new Float32Array(texts.length);
      v[i] = 1;
      vectors.set(t, v);
    });
    for (const [base, other, cosine] of similar) {
      const v = vectors.get(base)!.map((x) => x * cosine);
      v[texts.indexOf(other)] = Math.sqrt(1 - cosine * cosine);
      vectors.set(other, v);
    }
    return vectors;
  }

  it('counts paraphrases answered, different-SQL questions answered wrongly and literal swaps, raw and guarded', async () => {
    const swaps = await swapsOf();
    const q = QUESTIONS.map((x) => x.question);
    const texts = [...q, ...swaps.map((s) => s.incoming)];
    const vectors = vectorsFor(texts, [
      [q[0]!, q[1]!, 0.95],
      [q[2]!, q[3]!, 0.9],
      [q[2]!, swaps[0]!.incoming, 0.97],
      [q[3]!, swaps[1]!.incoming, 0.97],
      [q[5]!, swaps[2]!.incoming, 0.6],
    ]);
    const rebind = (sql: string, value: string): GuardDecision => ({ kind: 'REBOUND', sql: sql.replace(/'[^']*'/, '$1'), params: [value] });
    const guard: EvalGuard = (cached, incoming) => {
      if (cached.question === q[0] || cached.question === q[1]) return { kind: 'HIT' };
      if (cached.question === q[2] && incoming === q[3]) return rebind(cached.sql, 'Berlin');
      if (cached.question === q[3] && incoming === q[2]) return { kind: 'HIT' };
      if (incoming === swaps[0]!.incoming) return rebind(cached.sql, 'Berlin');
      if (incoming === swaps[1]!.incoming) return rebind(cached.sql, 'Rome');
      return { kind: 'REJECT', reason: 'different' };
    };
    const result = await evaluateCache({ questions: QUESTIONS, swaps, vectors, guard, thresholds: [0.5, 0.8, 0.92, 0.96] });

    expect(result.counts).toMatchObject({ questions: 8, databases: 2, unparsedGold: 1, paraphrasePairs: 1, differentSqlPairs: 12, naturalLiteralPairs: 1, syntheticSwaps: 3, guardErrors: 0 });
    // Asked once per directed pair at or above the lowest threshold: 2 paraphrase, 2 natural literal, 3 synthetic.
    expect(result.counts.guardCalls).toBe(7);
    const at = (t: number) => result.rows.find((r) => r.threshold === t)!;

    expect(at(0.8).raw).toMatchObject({ paraphraseHits: 2, paraphraseRecall: 1, falseHits: 2, correctRebinds: 0 });
    expect(at(0.8).raw.falseHitRate).toBeCloseTo(2 / 24);
    expect(at(0.8).raw.naturalLiteral).toEqual({ trials: 2, candidates: 2, plainHits: 2, rebindsCorrect: 0, rebindsWrong: 0 });
    expect(at(0.5).raw.syntheticLiteral).toEqual({ trials: 3, candidates: 3, plainHits: 3, rebindsCorrect: 0, rebindsWrong: 0 });
    expect(at(0.96).raw).toMatchObject({ paraphraseHits: 0, falseHits: 0 });

    // Guard: q2 → q3 rebound to q3's own gold is a correct rebind, q3 → q2 answered as is is a false hit.
    expect(at(0.8).guard).toMatchObject({ paraphraseHits: 2, falseHits: 1, correctRebinds: 1 });
    expect(at(0.8).guard!.naturalLiteral).toEqual({ trials: 2, candidates: 2, plainHits: 1, rebindsCorrect: 1, rebindsWrong: 0 });
    expect(at(0.8).guard!.syntheticLiteral).toEqual({ trials: 3, candidates: 2, plainHits: 0, rebindsCorrect: 1, rebindsWrong: 1 });
    expect(at(0.5).guard!.syntheticLiteral).toMatchObject({ candidates: 3, plainHits: 0, rebindsCorrect: 1, rebindsWrong: 1 });
    expect(at(0.92).guard).toMatchObject({ paraphraseHits: 2, falseHits: 0, correctRebinds: 0 });

    expect(result.best.raw).toEqual([
      { maxFalseHitRate: 0.01, threshold: 0.92, recall: 1, falseHitRate: 0, wrongLiteralHits: 2 },
      { maxFalseHitRate: 0.001, threshold: 0.92, recall: 1, falseHitRate: 0, wrongLiteralHits: 2 },
    ]);
    expect(result.best.guard![0]).toEqual({ maxFalseHitRate: 0.01, threshold: 0.92, recall: 1, falseHitRate: 0, wrongLiteralHits: 1 });
  });

  it('scores raw cosine alone without a guard, and counts a guard that throws as a rejection', async () => {
    const swaps = await swapsOf();
    const texts = [...QUESTIONS.map((x) => x.question), ...swaps.map((s) => s.incoming)];
    const vectors = vectorsFor(texts, []);
    const raw = await evaluateCache({ questions: QUESTIONS, swaps, vectors, guard: null, thresholds: [0.5] });
    expect(raw.rows[0]!.guard).toBeNull();
    expect(raw.best.guard).toBeNull();
    expect(raw.counts.guardCalls).toBe(0);
    const same = new Map(texts.map((t) => [t, new Float32Array([1, 0])]));
    const throwing = await evaluateCache({ questions: QUESTIONS, swaps, vectors: same, guard: () => { throw new Error('boom'); }, thresholds: [0.5] });
    expect(throwing.counts).toMatchObject({ guardErrors: throwing.counts.guardCalls, guardError: 'boom' });
    expect(throwing.rows[0]!.guard).toMatchObject({ paraphraseHits: 0, falseHits: 0 });
    expect(throwing.rows[0]!.raw).toMatchObject({ paraphraseRecall: 1, falseHitRate: 1 });
  });
});

describe('distrag eval cache', () => {
  it('scores the dataset given by --data and prints the result with --json', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-cache-eval-out-'));
    try {
      const result = runCli(['eval', 'cache', '--data', dir, '--out', out, '--json'], {});
      expect(result.code, result.stderr).toBe(0);
      const json = JSON.parse(result.stdout) as CacheEvalResult;
      expect(json.counts).toMatchObject({ questions: 8, databases: 2, unparsedGold: 1, paraphrasePairs: 1, differentSqlPairs: 12, naturalLiteralPairs: 1, syntheticSwaps: 3 });
      expect(json.rows.map((r) => r.threshold)).toEqual(Array.from({ length: 50 }, (_, i) => (50 + i) / 100));
      for (const [i, row] of json.rows.entries()) {
        for (const rate of [row.raw.paraphraseRecall, row.raw.falseHitRate]) expect(rate).toBeGreaterThanOrEqual(0), expect(rate).toBeLessThanOrEqual(1);
        if (i > 0) expect(row.raw.paraphraseHits).toBeLessThanOrEqual(json.rows[i - 1]!.raw.paraphraseHits);
        if (i > 0) expect(row.raw.falseHits).toBeLessThanOrEqual(json.rows[i - 1]!.raw.falseHits);
      }
      // "How many customers are there?" and "Count the customers." are close for any sentence embedder.
      expect(json.rows[0]!.raw.paraphraseRecall).toBe(1);
      expect(json.best.raw).toHaveLength(2);
      expect(json.embedder).toMatch(/MiniLM/);
      expect(fs.readdirSync(out).sort()).toEqual(['cache-eval.json', 'cache-eval.md', 'cache-eval.svg']);
      expect(fs.readFileSync(path.join(out, 'cache-eval.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
      expect(result.stderr).toMatch(/distrag eval cache: 3 synthetic literal swaps/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('fails with one line when the dataset directory is missing', () => {
    const missing = path.join(dir, 'nowhere');
    const result = runCli(['eval', 'cache', '--data', missing, '--json'], {});
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([`distrag eval cache: no dataset directory ${missing}; pass --data DIR, a directory in Spider's format`]);
  });

  it('refuses an unknown eval', () => {
    const result = runCli(['eval', 'speed'], {});
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('distrag eval: unknown eval "speed"; known: cache, retrieval, text2sql, guard');
  });
});
