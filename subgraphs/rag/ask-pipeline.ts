import type { Logger } from 'pino';
import type { LookupResult, SemanticCache } from '../../src/cache/semantic-cache.js';
import { ErrorCode } from '../../src/errors/error-codes.js';
import { badInput, clusterUnavailable, SafeError } from '../../src/errors/safe-error.js';
import type { ExampleStore } from './examples/example-store.js';
import type { AskConnections } from './execute/ask-connections.js';
import { classifyAskError } from './execute/classify-ask-error.js';
import { executeAskSql, type AskSqlResult } from './execute/execute-ask-sql.js';
import { writeSql } from './generate/write-sql.js';
import { guardSql, type GuardVerdict } from './guard/guard-sql.js';
import type { LlmClient } from './llm/llm-client.js';
import { llmNotConfigured } from './llm/llm-errors.js';
import type { FailedAttempt, PromptExample } from './prompt/sql-prompt.js';
import type { ReadableTables } from './access/readable-tables.js';
import { retrieveTables } from './retrieve-for-ask.js';
import type { SchemaIndex } from './retrieve/schema-index.js';
import type { SchemaCatalog } from './index-sync/schema-catalog.js';
import { plainAnswer, synthesizeAnswer } from './synthesize/synthesize-answer.js';

/** Who an ask is for: the cache scope, and the tenant whose rows it reads (null: every tenant). */
export interface AskScope {
  cacheScope: string;
  tenant: string | null;
}

export interface AskLimits {
  topK: number;
  examples: number;
  sqlRetries: number;
  rowCap: number;
  statementTimeoutMs: number;
  maxQuestionChars: number;
  searchPath: readonly string[];
}

export interface AskDependencies {
  /** Null: no semantic cache (e.g. the text2sql eval). */
  cache: SemanticCache | null;
  /** The tables known, by `schema.table` (kept up to date by SchemaCatalog). */
  catalog: Pick<SchemaCatalog, 'tables'>;
  schemaIndex: SchemaIndex | null;
  examples: ExampleStore | null;
  llm: LlmClient | null;
  /** Null: this pipeline only writes SQL (generateSql, the text2sql eval). */
  connections: AskConnections | null;
  readable: Pick<ReadableTables, 'get'>;
  limits: AskLimits;
  log: Logger;
}

export type CacheOutcome = LookupResult['cached'];

export interface StageTimings {
  embedMs: number;
  cacheMs: number;
  retrieveMs: number;
  generateMs: number;
  executeMs: number;
  synthesizeMs: number;
  totalMs: number;
}

export interface AskAnswer extends AskSqlResult {
  answer: string;
  sql: string;
  params: string[];
  tables: string[];
  cached: boolean;
  cacheOutcome: CacheOutcome;
  similarity: number | null;
  model: string | null;
  attempts: number;
  tenant: string | null;
  timings: StageTimings;
}

export interface SqlPlan {
  sql: string;
  params: string[];
  tables: string[];
  retrievedTables: string[];
  examples: number;
  cacheOutcome: CacheOutcome;
  similarity: number | null;
  model: string | null;
  attempts: number;
  timings: StageTimings;
}

/** What the cache keeps of an answer (the entry's `answer`). */
interface CachedAnswer {
  answer: string;
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  tables: string[];
  model: string | null;
}

const elapsed = (since: number) => performance.now() - since;
const noTimings = (): StageTimings => ({ embedMs: 0, cacheMs: 0, retrieveMs: 0, generateMs: 0, executeMs: 0, synthesizeMs: 0, totalMs: 0 });

/**
 * The ask path, stage by stage: semantic cache (a hit answers, a re-bound hit runs the cached SQL
 * with the new literals) → retrieve tables and examples → the model writes SQL → the guard checks
 * it → it runs as the tenant's role → the model puts the rows into words → the cache keeps it.
 * An execution error or a guard refusal is shown to the model, which tries again (bounded).
 */
export class AskPipeline {
  constructor(private readonly deps: AskDependencies) {}

  async ask(question: string, scope: AskScope): Promise<AskAnswer> {
    const started = performance.now();
    const timings = noTimings();
    const text = this.#checkQuestion(question);
    const lookup = await this.#lookup(text, scope, timings);
    const cached = lookup ? await this.#answerFromCache(text, scope, lookup, timings) : null;
    if (cached) return { ...cached, timings: { ...timings, totalMs: elapsed(started) } };

    const llm = this.#llm();
    const readable = await this.#readable();
    const context = await this.#retrieve(text, scope, readable, timings);
    return this.#attempts<AskAnswer>(llm, text, context, readable, timings, async (written, tables, attempt) => {
      const executeStarted = performance.now();
      let result: AskSqlResult;
      try {
        result = await this.#execute(written.sql, [], scope.tenant);
      } catch (error) {
        return { failed: this.#executionFailure(error) };
      } finally {
        timings.executeMs += elapsed(executeStarted);
      }
      const answer = await this.#synthesize(llm, text, written.sql, result, timings);
      const payload: CachedAnswer = { answer: answer.text, columns: result.columns, rows: result.rows, truncated: result.truncated, tables, model: answer.model ?? written.model };
      await this.#store(scope, text, written.sql, payload);
      return {
        done: {
          ...payload,
          ...result,
          sql: written.sql,
          params: [],
          cached: false,
          cacheOutcome: 'MISS',
          similarity: null,
          attempts: attempt,
          tenant: scope.tenant,
          timings: { ...timings, totalMs: elapsed(started) },
        },
      };
    });
  }

  /** The SQL for a question, checked by the guard, not run (a cached SQL counts). */
  async plan(question: string, scope: AskScope): Promise<SqlPlan> {
    const started = performance.now();
    const timings = noTimings();
    const text = this.#checkQuestion(question);
    const lookup = await this.#lookup(text, scope, timings);
    const readable = await this.#readable();
    if (lookup && lookup.cached !== 'MISS' && lookup.sql !== null && lookup.entry) {
      const verdict = await this.#guard(lookup.entry.sql, readable, timings);
      if (verdict.safe) {
        return { sql: lookup.sql, params: lookup.params, tables: verdict.tables, retrievedTables: [], examples: 0, cacheOutcome: lookup.cached, similarity: lookup.similarity, model: null, attempts: 0, timings: { ...timings, totalMs: elapsed(started) } };
      }
    }
    const llm = this.#llm();
    const context = await this.#retrieve(text, scope, readable, timings);
    return this.#attempts<SqlPlan>(llm, text, context, readable, timings, async (written, tables, attempt) => ({
      done: { sql: written.sql, params: [], tables, retrievedTables: context.tables, examples: context.examples.length, cacheOutcome: 'MISS', similarity: null, model: written.model, attempts: attempt, timings: { ...timings, totalMs: elapsed(started) } },
    }));
  }

  /**
   * Up to 1 + sqlRetries attempts: the model writes SQL, the guard checks it, `use` tries what
   * passed. A guard refusal or what `use` reports as failed is shown to the model next time; after
   * the last attempt, UNSAFE_SQL when the guard refused last, else BAD_USER_INPUT.
   */
  async #attempts<T>(
    llm: LlmClient,
    question: string,
    context: { summaries: string[]; examples: PromptExample[] },
    readable: ReadonlySet<string>,
    timings: StageTimings,
    use: (written: { sql: string; model: string }, tables: string[], attempt: number) => Promise<{ done: T } | { failed: string }>,
  ): Promise<T> {
    const failed: FailedAttempt[] = [];
    let lastRefusal: Extract<GuardVerdict, { safe: false }> | null = null;
    for (let attempt = 1; attempt <= 1 + this.deps.limits.sqlRetries; attempt++) {
      const written = await this.#write(llm, question, context, failed, timings);
      if (written.sql === null) continue;
      const verdict = await this.#guard(written.sql, readable, timings);
      if (!verdict.safe) {
        lastRefusal = verdict;
        failed.push({ sql: written.sql, error: verdict.reason });
        continue;
      }
      const outcome = await use({ sql: written.sql, model: written.model }, verdict.tables, attempt);
      if ('done' in outcome) return outcome.done;
      lastRefusal = null;
      failed.push({ sql: written.sql, error: outcome.failed });
    }
    throw this.#gaveUp(failed, lastRefusal);
  }

  #checkQuestion(question: string): string {
    const text = question.trim();
    if (text === '') throw badInput('the question is empty');
    if (text.length > this.deps.limits.maxQuestionChars) throw badInput(`the question is longer than ${this.deps.limits.maxQuestionChars} characters`);
    return text;
  }

  #llm(): LlmClient {
    if (!this.deps.llm) throw llmNotConfigured();
    return this.deps.llm;
  }

  async #readable(): Promise<ReadonlySet<string>> {
    try {
      return await this.deps.readable.get();
    } catch (error) {
      throw clusterUnavailable('the database cannot be reached to check which tables you may read; try again shortly', error);
    }
  }

  /** The cache's answer to the question; null when the cache is off or fails (a miss, logged). */
  async #lookup(question: string, scope: AskScope, timings: StageTimings): Promise<LookupResult | null> {
    if (!this.deps.cache?.state.enabled) return null;
    try {
      const result = await this.deps.cache.lookup(scope.cacheScope, question);
      timings.embedMs = result.embedMs;
      timings.cacheMs = result.lookupMs;
      return result;
    } catch (error) {
      this.deps.log.warn({ err: error }, 'semantic cache lookup failed; answering without it');
      return null;
    }
  }

  /** A HIT's stored answer, or a REBOUND's SQL run with the new literals; null to go the long way. */
  async #answerFromCache(question: string, scope: AskScope, lookup: LookupResult, timings: StageTimings): Promise<Omit<AskAnswer, 'timings'> | null> {
    if (lookup.cached === 'MISS' || lookup.entry === null || lookup.sql === null) return null;
    const common = { sql: lookup.sql, params: lookup.params, cached: true, cacheOutcome: lookup.cached, similarity: lookup.similarity, attempts: 0, tenant: scope.tenant };
    const stored = lookup.cached === 'HIT' ? asCachedAnswer(lookup.entry.answer) : null;
    if (stored) return { ...common, ...stored };
    // The entry's SQL passed the guard when it was stored; check again, the readable tables may have changed.
    const verdict = await this.#guard(lookup.entry.sql, await this.#readable(), timings);
    if (!verdict.safe) return null;
    const executeStarted = performance.now();
    let result: AskSqlResult;
    try {
      result = await this.#execute(lookup.sql, lookup.params, scope.tenant);
    } catch (error) {
      this.deps.log.warn({ err: error, cached: lookup.cached }, 'cached SQL failed; writing new SQL');
      return null;
    } finally {
      timings.executeMs += elapsed(executeStarted);
    }
    const answer = this.deps.llm ? await this.#synthesize(this.deps.llm, question, lookup.sql, result, timings) : { text: plainAnswer(result), model: null };
    return { ...common, ...result, answer: answer.text, tables: verdict.tables, model: answer.model };
  }

  async #retrieve(question: string, scope: AskScope, readable: ReadonlySet<string>, timings: StageTimings): Promise<{ tables: string[]; summaries: string[]; examples: PromptExample[] }> {
    const started = performance.now();
    try {
      const [tables, examples] = await Promise.all([
        retrieveTables(this.deps.catalog.tables(), this.deps.schemaIndex, question, readable, this.deps.limits.topK),
        this.#examples(question, scope),
      ]);
      return { ...tables, examples };
    } finally {
      timings.retrieveMs = elapsed(started);
    }
  }

  async #examples(question: string, scope: AskScope): Promise<PromptExample[]> {
    if (!this.deps.examples || this.deps.limits.examples === 0) return [];
    try {
      return await this.deps.examples.similar(question, { tenant: scope.tenant, k: this.deps.limits.examples });
    } catch (error) {
      this.deps.log.warn({ err: error }, 'example retrieval failed; prompting without examples');
      return [];
    }
  }

  async #write(llm: LlmClient, question: string, context: { summaries: string[]; examples: PromptExample[] }, failed: FailedAttempt[], timings: StageTimings) {
    const started = performance.now();
    try {
      const written = await writeSql(llm, { question, tableSummaries: context.summaries, examples: context.examples, failed });
      if (written.sql === null) {
        if (written.declined !== null) throw badInput(`the tables you may read cannot answer this question: ${written.declined}`);
        failed.push({ sql: null, error: 'the reply held no SQL statement; reply with {"sql": "..."}' });
      }
      return written;
    } finally {
      timings.generateMs += elapsed(started);
    }
  }

  async #guard(sql: string, readable: ReadonlySet<string>, timings: StageTimings): Promise<GuardVerdict> {
    const started = performance.now();
    try {
      return await guardSql(sql, { readableTables: readable, searchPath: this.deps.limits.searchPath });
    } finally {
      timings.generateMs += elapsed(started);
    }
  }

  async #execute(sql: string, params: readonly unknown[], tenant: string | null): Promise<AskSqlResult> {
    if (!this.deps.connections) throw new Error('this ask pipeline has no database connections: it only writes SQL');
    let client;
    try {
      client = await this.deps.connections.connect(tenant);
    } catch (error) {
      if (error instanceof SafeError) throw error;
      throw clusterUnavailable('the database cannot be reached; try again shortly', error);
    }
    const { limits } = this.deps;
    try {
      const result = await executeAskSql(client, sql, params, { searchPath: limits.searchPath, statementTimeoutMs: limits.statementTimeoutMs, rowCap: limits.rowCap });
      client.release();
      return result;
    } catch (error) {
      // A connection that failed for another reason than the statement itself is not reused.
      client.release(classifyAskError(error).kind === 'sql' ? undefined : (error as Error));
      throw error;
    }
  }

  /** Why an execution failed, for the model's next attempt; timeouts and outages end the ask. */
  #executionFailure(error: unknown): string {
    const { kind, detail } = classifyAskError(error);
    if (kind === 'timeout') throw new SafeError(ErrorCode.QUERY_TIMEOUT, `the SQL for this question ran longer than ${this.deps.limits.statementTimeoutMs} ms and was stopped; ask a narrower question`, { cause: error });
    if (kind === 'unavailable') throw clusterUnavailable('the database cannot be reached; try again shortly', error);
    return `PostgreSQL refused it: ${detail}`;
  }

  async #synthesize(llm: LlmClient, question: string, sql: string, result: AskSqlResult, timings: StageTimings): Promise<{ text: string; model: string | null }> {
    const started = performance.now();
    try {
      return await synthesizeAnswer(llm, { question, sql, ...result });
    } catch (error) {
      // The rows are the answer; words are a convenience that must not lose them.
      this.deps.log.warn({ err: error }, 'answer synthesis failed; answering with a plain description');
      return { text: plainAnswer(result), model: null };
    } finally {
      timings.synthesizeMs = elapsed(started);
    }
  }

  async #store(scope: AskScope, question: string, sql: string, answer: CachedAnswer): Promise<void> {
    if (!this.deps.cache?.state.enabled) return;
    try {
      await this.deps.cache.store(scope.cacheScope, { question, sql, answer });
    } catch (error) {
      this.deps.log.warn({ err: error }, 'could not store the answer in the semantic cache');
    }
  }

  #gaveUp(failed: FailedAttempt[], lastRefusal: Extract<GuardVerdict, { safe: false }> | null): SafeError {
    if (lastRefusal) {
      return new SafeError(ErrorCode.UNSAFE_SQL, `the SQL written for this question was refused: ${lastRefusal.reason}`, { details: { rule: lastRefusal.rule } });
    }
    const attempts = failed.length;
    return badInput(`no working SQL could be written for this question after ${attempts} attempt${attempts === 1 ? '' : 's'}; rephrase it or name the tables and columns you mean`, {
      lastSql: failed.at(-1)?.sql ?? null,
    });
  }
}

function asCachedAnswer(value: unknown): CachedAnswer | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<CachedAnswer>;
  if (typeof v.answer !== 'string' || !Array.isArray(v.columns) || !Array.isArray(v.rows) || !Array.isArray(v.tables)) return null;
  return { answer: v.answer, columns: v.columns, rows: v.rows, truncated: v.truncated === true, tables: v.tables, model: v.model ?? null };
}
