import type { CacheStore, StoredEntry } from '../src/cache/cache-store.js';
import { serializeAnalysis } from '../src/cache/cache-guard.js';
import { analyzeQuestion, stemmedWords } from '../src/cache/question-signature.js';
import { entryId } from '../src/cache/semantic-cache.js';
import { analyzeSql, prepareSqlParser } from '../src/cache/sql-analysis.js';
import type { Embedder } from '../src/embed/embedder.js';
import { toUnitVector } from '../src/embed/unit-vector.js';
import { prng } from '../src/seed/demo-data.js';
import { benchQuestions, type BenchQuestion } from './cache-questions.js';

/** Generated questions really embedded; every filler vector is a blend of two of theirs. */
export const BASE_QUESTIONS = 2048;
const BASE_SEED = 11;
const FILLER_SEED = 13;
/** Entries written at once (one Redis connection, pipelined). */
const CONCURRENCY = 256;

/** The base embeddings, per embedder: the same in every mode of one `bench` process. */
const bases = new Map<string, Float32Array[]>();

/**
 * Fills a tenant's cache with entries written straight through `CacheStore.put` (as
 * `SemanticCache.store` writes them, without embedding each question): a generated question and
 * its SQL (tables and schema words from the SQL, as `store` takes them), a one-row answer, and a
 * vector that blends the real embeddings of two other generated questions. Questions embed at
 * milliseconds each; random unit vectors instead would be unlike real ones to the HNSW index
 * (near-orthogonal in 384 dimensions: slower to insert and to search).
 */
export class CacheFiller {
  private questions!: Generator<BenchQuestion, never>;
  private rand!: () => number;
  /** Tables and schema words per SQL shape (literals aside): parsing each SQL costs about a millisecond. */
  private readonly analyses = new Map<string, { tables: string[]; words: string[] }>();

  private constructor(
    private readonly base: Float32Array[],
    private readonly embedderId: string,
    private readonly reserved: ReadonlySet<string>,
  ) {
    this.restart();
  }

  /** Embeds the base questions (once per embedder in this process); the filler never writes a `reserved` question. */
  static async create(embedder: Embedder, reserved: ReadonlySet<string>, report: (line: string) => void): Promise<CacheFiller> {
    let base = bases.get(embedder.id);
    if (!base) {
      report(`embedding ${BASE_QUESTIONS} generated questions, whose vectors the filler entries blend`);
      const questions = benchQuestions(BASE_SEED);
      base = await embedder.embed(Array.from({ length: BASE_QUESTIONS }, () => questions.next().value.question));
      bases.set(embedder.id, base);
    }
    await prepareSqlParser();
    return new CacheFiller(base, embedder.id, reserved);
  }

  /** The same entries again, from the first (after the tenant was flushed). */
  restart(): void {
    this.questions = benchQuestions(FILLER_SEED, this.reserved);
    this.rand = prng(FILLER_SEED);
  }

  /** Writes entries to `scope` until it holds `entries`; returns how many it wrote. */
  async fillTo(store: CacheStore, scope: string, entries: number, maxEntries: number): Promise<number> {
    let written = 0;
    // Again while short: two questions that differ only in case or final punctuation are one entry.
    for (let missing = entries - (await store.count(scope)); missing > 0; missing = entries - (await store.count(scope))) {
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, missing) }, async () => {
          while (missing > 0) {
            missing -= 1;
            written += 1;
            await store.put(this.nextEntry(scope), maxEntries);
          }
        }),
      );
    }
    return written;
  }

  private nextEntry(scope: string): StoredEntry {
    const { question, sql } = this.questions.next().value;
    const { tables, words } = this.analysisOf(sql);
    const signature = analyzeQuestion(question);
    const createdAt = Date.now();
    return {
      id: entryId(scope, question),
      scope,
      question,
      sql,
      tables,
      words,
      template: signature.template,
      // As `SemanticCache.store` keeps it: lookups judging the entry need not parse its SQL.
      analysis: serializeAnalysis({ signature, sql: analyzeSql(sql) }),
      answer: [{ count: Math.floor(this.rand() * 10_000) }],
      embedding: this.blend(),
      embedder: this.embedderId,
      createdAt,
      lastHitAt: null,
      hits: 0,
      expiresAt: null,
    };
  }

  /** w·a + (1 − w)·b of two base embeddings, w uniform in [0, 1), at unit length. */
  private blend(): Float32Array {
    const a = this.base[Math.floor(this.rand() * this.base.length)]!;
    const b = this.base[Math.floor(this.rand() * this.base.length)]!;
    const w = this.rand();
    return toUnitVector(a.map((x, i) => w * x + (1 - w) * b[i]!));
  }

  private analysisOf(sql: string): { tables: string[]; words: string[] } {
    const shape = sql.replace(/'(?:[^']|'')*'/g, "''").replace(/\b\d+(?:\.\d+)?\b/g, '0');
    let analysis = this.analyses.get(shape);
    if (!analysis) {
      const parsed = analyzeSql(sql);
      analysis = { tables: parsed.tables, words: [...stemmedWords(parsed.schemaWords.join(' '))] };
      this.analyses.set(shape, analysis);
    }
    return analysis;
  }
}
