import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { roleUrl, SERVICE_DB_ROLES } from '../src/db/api-roles.js';
import { ErrorCode } from '../src/errors/error-codes.js';
import { ReadableTables } from '../subgraphs/rag/access/readable-tables.js';
import { AskPipeline, type AskDependencies } from '../subgraphs/rag/ask-pipeline.js';
import { AskConnections } from '../subgraphs/rag/execute/ask-connections.js';
import { createLlmClient } from '../subgraphs/rag/llm/llm-client.js';
import { readCatalogTables } from '../subgraphs/rag/retrieve/read-catalog-tables.js';
import type { TableInfo } from '../subgraphs/rag/retrieve/table-info.js';
import { isSqlPrompt, startLlmApiServer, type LlmApiServer } from './support/llm-api-server.js';

/**
 * The ask pipeline in process, with an OpenAI-compatible provider (the `openai` SDK against a local
 * server speaking /v1/chat/completions) and with none: the stages, retries and errors that the
 * gateway tests (Gemini) do not reach. No schema index here (no embedder): every readable table is
 * put into the prompt.
 */

const log = pino({ level: 'silent' });
const SCOPE = { cacheScope: '1', tenant: '1' } as const;
let server: LlmApiServer;
let connections: AskConnections;
let catalog: Map<string, TableInfo>;

function pipeline(overrides: Partial<AskDependencies> = {}, env: Record<string, string> = {}): AskPipeline {
  const config = loadConfig({ DISTRAG_LLM_BASE_URL: server.openaiBaseUrl, DISTRAG_LLM_MODEL: 'qwen2.5-coder:7b', DISTRAG_LLM_RETRIES: '0', DISTRAG_LLM_TIMEOUT_MS: '1000', ...env });
  return new AskPipeline({
    cache: null,
    catalog: { tables: () => catalog },
    schemaIndex: null,
    examples: null,
    llm: createLlmClient(config, { log, backoffBaseMs: 1 }),
    connections,
    readable: new ReadableTables(connections.rag, ['public']),
    log,
    limits: { topK: 4, examples: 0, sqlRetries: 2, rowCap: 3, statementTimeoutMs: 1500, maxQuestionChars: 2000, searchPath: ['public'] },
    ...overrides,
  });
}

/** Scripts the SQL stage's replies in order and answers the answer stage with `answer`. */
function script(sqlReplies: Array<{ text?: string; status?: number; delayMs?: number }>, answer = 'The answer.'): void {
  let n = 0;
  server.script((call) => (isSqlPrompt(call) ? sqlReplies[Math.min(n++, sqlReplies.length - 1)] : { text: answer }));
}

beforeAll(async () => {
  server = await startLlmApiServer();
  const admin = inject('stack').info.urls.postgres;
  connections = new AskConnections({ ragUrl: roleUrl(admin, SERVICE_DB_ROLES.rag), askAllUrl: roleUrl(admin, SERVICE_DB_ROLES.askAll), log });
  const client = await connections.connect(null);
  try {
    catalog = new Map((await readCatalogTables(client, { schemas: ['public'], tenantColumn: 'university_id', sampleValues: 4 })).map((t) => [t.name, t]));
  } finally {
    client.release();
  }
});
afterAll(async () => {
  await connections.close();
  await server.close();
});

describe('ask pipeline (OpenAI-compatible provider)', () => {
  it('answers with the tenant\'s rows, capped, through the openai SDK', async () => {
    script([{ text: '```sql\nSELECT student_id, university_id FROM students ORDER BY student_id\n```' }], 'Here they are.');
    const answer = await pipeline().ask('List the students', SCOPE);
    expect(answer).toMatchObject({ answer: 'Here they are.', columns: ['student_id', 'university_id'], truncated: true, tables: ['public.students'], cacheOutcome: 'MISS', model: 'qwen2.5-coder:7b', attempts: 1, tenant: '1' });
    expect(answer.rows).toHaveLength(3);
    expect(answer.rows.every((row) => row[1] === 1)).toBe(true);
    const sqlCall = server.calls.find((c) => c.api === 'openai' && isSqlPrompt(c))!;
    expect(sqlCall.json).toBe(true);
    // No index: every readable table is described.
    for (const table of ['students', 'universities', 'enrollments']) expect(sqlCall.prompt).toContain(`public.${table}`);
  });

  it('retries a guard refusal with its reason, then runs the corrected SQL', async () => {
    script([{ text: '{"sql": "SELECT pg_sleep(1)"}' }, { text: '{"sql": "SELECT count(*) AS n FROM courses"}' }]);
    const before = server.calls.length;
    const answer = await pipeline().ask('How many courses?', SCOPE);
    expect(answer.attempts).toBe(2);
    const retry = server.calls.slice(before).filter((c) => isSqlPrompt(c))[1]!;
    expect(retry.prompt).toContain('Your earlier SQL: SELECT pg_sleep(1)');
    expect(retry.prompt).toMatch(/It was refused: .*pg_sleep/);
  });

  it('ends with the model\'s reason when it declines', async () => {
    script([{ text: '{"sql": null, "reason": "no table holds weather data"}' }]);
    await expect(pipeline().ask('What is the weather?', SCOPE)).rejects.toMatchObject({ extensions: { code: ErrorCode.BAD_USER_INPUT }, message: expect.stringContaining('no table holds weather data') });
  });

  it('stops a long statement with QUERY_TIMEOUT', async () => {
    script([{ text: '{"sql": "SELECT count(*) FROM generate_series(1, 500000000) AS g"}' }]);
    await expect(pipeline().ask('Count every combination', SCOPE)).rejects.toMatchObject({ extensions: { code: ErrorCode.QUERY_TIMEOUT } });
  });

  it('fails LLM_UNAVAILABLE naming the timeout when the provider does not answer in time', async () => {
    script([{ text: '{"sql": "SELECT 1"}', delayMs: 3000 }]);
    await expect(pipeline().ask('Slow?', SCOPE)).rejects.toMatchObject({ extensions: { code: ErrorCode.LLM_UNAVAILABLE }, message: expect.stringMatching(/time/i) });
  });

  it('keeps the rows when only the answer\'s wording fails', async () => {
    server.script((call) => (isSqlPrompt(call) ? { text: '{"sql": "SELECT count(*) AS n FROM departments"}' } : { status: 500 }));
    const answer = await pipeline().ask('How many departments?', SCOPE);
    expect(answer.rows).toHaveLength(1);
    expect(answer.answer).toMatch(/^n: \d+$/);
    // The model that wrote the SQL is still named.
    expect(answer.model).toBe('qwen2.5-coder:7b');
  });

  it('fails LLM_NOT_CONFIGURED without a provider; generateSql too', async () => {
    const p = pipeline({ llm: null });
    await expect(p.ask('How many students?', SCOPE)).rejects.toMatchObject({ extensions: { code: ErrorCode.LLM_NOT_CONFIGURED } });
    await expect(p.plan('How many students?', SCOPE)).rejects.toMatchObject({ extensions: { code: ErrorCode.LLM_NOT_CONFIGURED } });
  });
});
