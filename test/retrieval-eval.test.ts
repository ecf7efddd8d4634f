import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RETRIEVAL_KS, scoreVariant } from '../eval/retrieval/evaluate-retrieval.js';
import { goldTables } from '../eval/retrieval/gold-tables.js';
import type { RetrievalEvalResult } from '../eval/retrieval/retrieval-eval-result.js';
import { namesAndColumns } from '../eval/retrieval/retrieval-variants.js';
import { loadSpiderCatalog } from '../eval/retrieval/spider-catalog.js';
import { defaultSpiderDir } from '../eval/spider/spider-dataset.js';
import { prepareSqlParser } from '../src/cache/sql-analysis.js';
import { runCli } from './support/run-cli.js';

const DATA = defaultSpiderDir();
const DATABASES = ['concert_singer', 'pets_1'];

describe('retrieval eval parts', () => {
  it('reads the tables a gold query reads, by the parser or by token scan', async () => {
    await prepareSqlParser();
    expect(goldTables('Pets_1', 'SELECT T1.fname FROM Student AS T1 JOIN Has_Pet AS T2 ON T1.stuid = T2.stuid WHERE T2.petid IN (SELECT petid FROM Pets WHERE pettype = "cat")')).toEqual({
      tables: ['pets_1.has_pet', 'pets_1.pets', 'pets_1.student'],
      parsed: true,
    });
    expect(goldTables('x', 'SELECT a FROM t1 JOIN t2 ON ((')).toEqual({ tables: ['x.t1', 'x.t2'], parsed: false });
    expect(goldTables('x', 'SELECT 1')).toBeNull();
  });

  it('loads Spider schemas as one catalog with keys, foreign keys, rows and samples', async () => {
    const catalog = await loadSpiderCatalog(DATA, new Set(DATABASES));
    expect(catalog.map((t) => t.name).sort()).toEqual(['concert_singer.concert', 'concert_singer.singer', 'concert_singer.singer_in_concert', 'concert_singer.stadium', 'pets_1.has_pet', 'pets_1.pets', 'pets_1.student']);
    const hasPet = catalog.find((t) => t.name === 'pets_1.has_pet')!;
    expect(hasPet.foreignKeys.map((f) => f.references).sort()).toEqual(['pets_1.pets', 'pets_1.student']);
    const pets = catalog.find((t) => t.name === 'pets_1.pets')!;
    expect(pets.rowEstimate).toBe(3);
    expect(pets.columns.find((c) => c.name === 'pettype')!.samples.sort()).toEqual(['cat', 'dog']);
    expect(namesAndColumns(pets)).toBe('pets_1.pets: petid, pettype, pet_age, weight');
  });

  it('scores recall and all-gold shares from rankings', () => {
    const variant = { id: 'v', label: 'v', summarize: namesAndColumns, bm25Weight: 0, neighbourWeight: 0 };
    const questions = [
      { db: 'd', question: 'q1', gold: ['a'] },
      { db: 'd', question: 'q2', gold: ['a', 'b'] },
    ];
    const scores = scoreVariant(variant, questions, [['b', 'a', 'c'], ['a', 'c', 'x', 'y', 'b']]);
    expect(scores.recall).toEqual({ '1': 0.25, '3': 0.75, '5': 1, '10': 1 });
    expect(scores.allGold).toEqual({ '1': 0, '3': 0.5, '5': 1, '10': 1 });
    expect(scores.missesAt3).toEqual([{ question: 'q2', gold: ['a', 'b'], top3: ['a', 'c', 'x'] }]);
  });
});

describe('distrag eval retrieval', () => {
  it('measures two databases through SchemaIndex and writes JSON, markdown and a plot', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-retrieval-eval-'));
    try {
      const result = runCli(['eval', 'retrieval', '--databases', DATABASES.join(','), '--out', out, '--json'], {});
      expect(result.code, result.stderr).toBe(0);
      const json = JSON.parse(result.stdout) as RetrievalEvalResult;
      expect(json).toMatchObject({ format: 1, eval: 'retrieval', goal: { k: 3, allGold: 0.97 }, counts: { databases: 2, tables: 7, questions: 87, skipped: 0 } });
      expect(json.embedder).toMatch(/MiniLM/);
      expect(json.variants.map((v) => v.id)).toEqual(['names', 'summary', 'summary-bm25', 'summary-bm25-neighbours']);
      for (const v of json.variants) {
        for (const [i, k] of RETRIEVAL_KS.entries()) {
          expect(v.allGold[String(k)]).toBeLessThanOrEqual(v.recall[String(k)]!);
          if (i > 0) expect(v.allGold[String(k)]).toBeGreaterThanOrEqual(v.allGold[String(RETRIEVAL_KS[i - 1])]!);
        }
        // 7 tables: the top 10 holds them all.
        expect(v.allGold['10']).toBe(1);
      }
      // Plausible, far from chance (a random top 3 of 7 holds a one-table question's table 3 times in 7).
      const used = json.variants.at(-1)!;
      expect(used.recall['1']).toBeGreaterThan(0.6);
      expect(used.allGold['3']).toBeGreaterThan(0.85);
      expect(used.missesAt3Count).toBe(Math.round((1 - used.allGold['3']!) * 87));
      expect(fs.readdirSync(out).sort()).toEqual(['retrieval-eval.json', 'retrieval-eval.md', 'retrieval-eval.svg']);
      const md = fs.readFileSync(path.join(out, 'retrieval-eval.md'), 'utf8');
      expect(md).toMatch(/\| full summary \+ BM25 \(0\.3\) \+ FK neighbours \(0\.5\) \| [\d.]+% \|/);
      // Two databases: two folds, each choosing on the other's questions; every question held out once.
      const cv = json.crossValidation!;
      expect(cv.folds.map((f) => f.database)).toEqual(DATABASES);
      for (const f of cv.folds) expect(f.training.questions + f.heldOut.questions).toBe(87);
      expect(cv.pooledHeldOut.questions).toBe(87);
      expect(cv.allQuestions).toHaveLength(cv.grid.bm25Weights.length * cv.grid.neighbourWeights.length);
      // The grid point of the ask path's weights, ranked by rankTables, is the search row's figure.
      expect(cv.allQuestions.find((p) => p.bm25Weight === used.bm25Weight && p.neighbourWeight === used.neighbourWeight)!.allGoldAt3).toBe(used.allGold['3']);
      expect(md).toMatch(/\| concert_singer \| [\d.]+ \| [\d.]+ \| 42 \|/);
      expect(fs.readFileSync(path.join(out, 'retrieval-eval.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
      expect(result.stderr).toMatch(/distrag eval retrieval: 87 questions over one catalog of 7 tables from 2 databases/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('takes --limit, and refuses a database the dataset lacks in one line', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-retrieval-eval-'));
    try {
      const limited = runCli(['eval', 'retrieval', '--databases', 'pets_1', '--limit', '5', '--out', out, '--json'], {});
      expect(limited.code, limited.stderr).toBe(0);
      const json = JSON.parse(limited.stdout) as RetrievalEvalResult;
      expect(json.counts).toMatchObject({ questions: 5, tables: 3 });
      // One database: nothing to hold out.
      expect(json.crossValidation).toBeNull();
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
    const bad = runCli(['eval', 'retrieval', '--databases', 'nope'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^distrag eval retrieval: --databases names nope, not in /);
  });
});
