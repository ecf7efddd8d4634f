import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { formatPublicError } from '../src/errors/format-public-error.js';
import { createLogger } from '../src/log/logger.js';
import { createLlmClient, type LlmClient, type LlmRequest } from '../subgraphs/rag/llm/llm-client.js';
import { LlmUnavailableError, llmNotConfigured } from '../subgraphs/rag/llm/llm-errors.js';
import { startLlmApiServer, type LlmApiServer } from './support/llm-api-server.js';

// The real SDKs (@google/genai, openai) against a local server speaking the paid APIs' wire
// protocols (test/support/llm-api-server.ts), through createLlmClient as the RAG subgraph calls it.

const log = createLogger('llm-providers-test', 'silent');
const REQUEST: LlmRequest = { system: 'You translate questions into PostgreSQL.', prompt: 'How many students are there?' };
let api: LlmApiServer;

beforeAll(async () => {
  api = await startLlmApiServer({ geminiKeys: ['key-1', 'key-2', 'key-3'] });
});

afterAll(async () => {
  await api?.close();
});

beforeEach(() => {
  api.calls.length = 0;
  api.script(null);
  api.refillKeys();
  api.resetMaxInFlight();
});

/** A client with these settings (nothing from the environment), backoff 5 ms. */
function client(env: Record<string, string>, registry?: Registry): LlmClient {
  const llm = createLlmClient(loadConfig(env), { log, backoffBaseMs: 5, ...(registry ? { registry } : {}) });
  if (llm === null) throw new Error('expected a configured LLM client');
  return llm;
}

const gemini = (env: Record<string, string> = {}) => client({ GEMINI_API_KEY: 'key-1', DISTRAG_GEMINI_BASE_URL: api.geminiBaseUrl, ...env });
const openai = (env: Record<string, string> = {}) => client({ DISTRAG_LLM_BASE_URL: api.openaiBaseUrl, DISTRAG_LLM_MODEL: 'qwen2.5-coder:7b', ...env });

/** The LlmUnavailableError a promise is rejected with. */
async function unavailable(promise: Promise<unknown>): Promise<LlmUnavailableError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LlmUnavailableError);
  const unavailableError = error as LlmUnavailableError;
  expect(unavailableError.extensions.code).toBe('LLM_UNAVAILABLE');
  return unavailableError;
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
  return values.filter((v) => (v.metricName === undefined || v.metricName === name || v.metricName === `${name}_count`) && Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

describe('gemini', () => {
  it('answers through generateContent with the system instruction, temperature 0, and counts the tokens', async () => {
    const registry = new Registry();
    api.script(() => ({ text: 'SELECT count(*) FROM students', usage: { inputTokens: 120, outputTokens: 9 } }));
    const llm = client({ GEMINI_API_KEY: 'key-1', DISTRAG_GEMINI_BASE_URL: api.geminiBaseUrl }, registry);
    expect([llm.provider, llm.model, llm.fallbackModel]).toEqual(['gemini', 'gemini-2.5-flash', null]);

    const reply = await llm.complete(REQUEST);
    expect(reply).toEqual({ text: 'SELECT count(*) FROM students', provider: 'gemini', model: 'gemini-2.5-flash', usage: { inputTokens: 120, outputTokens: 9 }, attempts: 1 });
    expect(api.calls).toHaveLength(1);
    const [call] = api.calls;
    expect(call).toMatchObject({ api: 'gemini', path: '/v1beta/models/gemini-2.5-flash:generateContent', apiKey: 'key-1', system: REQUEST.system, prompt: REQUEST.prompt, json: false });
    expect(call?.body.generationConfig).toEqual({ temperature: 0 });

    expect(await metricValue(registry, 'distrag_llm_requests_total', { provider: 'gemini', model: 'gemini-2.5-flash', outcome: 'ok' })).toBe(1);
    expect(await metricValue(registry, 'distrag_llm_tokens_total', { kind: 'input' })).toBe(120);
    expect(await metricValue(registry, 'distrag_llm_tokens_total', { kind: 'output' })).toBe(9);
    expect(await metricValue(registry, 'distrag_llm_request_duration_seconds', { provider: 'gemini' })).toBe(1);
  });

  it('asks for a JSON object (responseMimeType) and an output limit when the request says so', async () => {
    const reply = await gemini({ DISTRAG_LLM_MODEL: 'gemini-2.0-flash' }).complete({ ...REQUEST, json: true, maxOutputTokens: 256 });
    expect(reply.text).toBe('{"sql":"SELECT 1"}');
    expect(reply.model).toBe('gemini-2.0-flash');
    expect(api.calls[0]?.json).toBe(true);
    expect(api.calls[0]?.body.generationConfig).toEqual({ temperature: 0, responseMimeType: 'application/json', maxOutputTokens: 256 });
  });

  it('rotates to the next key at once when a key answers 429, and leaves the spent key alone during its cooldown', async () => {
    const registry = new Registry();
    const llm = client({ GEMINI_API_KEY: 'key-1, key-2', DISTRAG_GEMINI_BASE_URL: api.geminiBaseUrl }, registry);
    api.spendKey('key-1');
    const first = await llm.complete(REQUEST);
    expect(first.attempts).toBe(2);
    expect(api.calls.map((c) => c.apiKey)).toEqual(['key-1', 'key-2']);

    // key-1 has its quota back at the server, but it rests for DISTRAG_LLM_KEY_COOLDOWN_MS (60 s).
    api.refillKeys();
    for (let i = 0; i < 3; i += 1) expect((await llm.complete(REQUEST)).attempts).toBe(1);
    expect(api.calls.map((c) => c.apiKey)).toEqual(['key-1', 'key-2', 'key-2', 'key-2', 'key-2']);
    // Even when key-2 runs out, key-1 is not asked before its cooldown is over.
    api.spendKey('key-2');
    expect((await unavailable(llm.complete(REQUEST))).reason).toBe('quota');
    expect(api.calls.slice(1).map((c) => c.apiKey)).not.toContain('key-1');
    expect(await metricValue(registry, 'distrag_llm_requests_total', { outcome: 'quota' })).toBe(2);
    expect(await metricValue(registry, 'distrag_llm_requests_total', { outcome: 'ok' })).toBe(4);
  });

  it('uses a rested key again once its cooldown is over', async () => {
    const llm = gemini({ GEMINI_API_KEY: 'key-1,key-2', DISTRAG_LLM_KEY_COOLDOWN_MS: '1000' });
    api.spendKey('key-1');
    await llm.complete(REQUEST);
    api.refillKeys();
    api.spendKey('key-2');
    // key-2 is spent now and key-1 still rests: no key is left.
    expect((await unavailable(llm.complete(REQUEST))).reason).toBe('quota');
    expect(api.calls.map((c) => c.apiKey)).toEqual(['key-1', 'key-2', 'key-2']);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // Both rests are over: key-2, the current key, is tried first, is still spent, and key-1 answers.
    const reply = await llm.complete(REQUEST);
    expect(reply.attempts).toBe(2);
    expect(api.calls.slice(3).map((c) => c.apiKey)).toEqual(['key-2', 'key-1']);
  });

  it('asks the fallback model when every key is over its quota for the main model', async () => {
    const llm = gemini({ GEMINI_API_KEY: 'key-1,key-2', DISTRAG_LLM_FALLBACK_MODEL: 'gemini-2.5-flash-lite' });
    expect(llm.fallbackModel).toBe('gemini-2.5-flash-lite');
    api.spendKey('key-1', 'gemini-2.5-flash');
    api.spendKey('key-2', 'gemini-2.5-flash');
    const reply = await llm.complete(REQUEST);
    expect(reply).toMatchObject({ model: 'gemini-2.5-flash-lite', text: 'SELECT 1', attempts: 3 });
    expect(api.calls.map((c) => [c.model, c.apiKey])).toEqual([
      ['gemini-2.5-flash', 'key-1'],
      ['gemini-2.5-flash', 'key-2'],
      ['gemini-2.5-flash-lite', 'key-2'],
    ]);
    // The keys rest for the main model only: the next question goes straight to the fallback.
    const next = await llm.complete(REQUEST);
    expect([next.model, next.attempts]).toEqual(['gemini-2.5-flash-lite', 1]);
  });

  it('fails with LLM_UNAVAILABLE saying the quota is spent on every key when there is no fallback model', async () => {
    const llm = gemini({ GEMINI_API_KEY: 'key-1,key-2' });
    api.spendKey('key-1');
    api.spendKey('key-2');
    const error = await unavailable(llm.complete(REQUEST));
    expect(error.reason).toBe('quota');
    expect(error.message).toMatch(/quota is spent on every Gemini API key \(2\)/);
    expect(error.message).not.toMatch(/key-1|key-2/);
    expect(api.calls).toHaveLength(2);
    // What a client sees: the code and this message, no stack trace.
    expect(formatPublicError({ message: error.message, extensions: { ...error.extensions, stacktrace: ['at …'] } })).toEqual({ message: error.message, extensions: { code: 'LLM_UNAVAILABLE' } });
  });

  it('goes to the fallback model when the model is not found, and fails without retrying when there is none', async () => {
    const withFallback = await gemini({ DISTRAG_LLM_MODEL: 'gemini-9-ultra', DISTRAG_LLM_FALLBACK_MODEL: 'gemini-2.5-flash' }).complete(REQUEST);
    expect([withFallback.model, withFallback.attempts]).toEqual(['gemini-2.5-flash', 2]);
    api.calls.length = 0;
    const error = await unavailable(gemini({ DISTRAG_LLM_MODEL: 'gemini-9-ultra' }).complete(REQUEST));
    expect(error.reason).toBe('model-not-found');
    expect(error.message).toMatch(/gemini-9-ultra/);
    expect(api.calls).toHaveLength(1);
  });

  it('skips a key the API refuses as invalid, and fails when every key is invalid', async () => {
    const llm = gemini({ GEMINI_API_KEY: 'revoked-key,key-3' });
    expect((await llm.complete(REQUEST)).attempts).toBe(2);
    expect((await llm.complete(REQUEST)).attempts).toBe(1);
    expect(api.calls.map((c) => c.apiKey)).toEqual(['revoked-key', 'key-3', 'key-3']);

    api.calls.length = 0;
    const error = await unavailable(gemini({ GEMINI_API_KEY: 'revoked-1,revoked-2', DISTRAG_LLM_FALLBACK_MODEL: 'gemini-2.5-flash-lite' }).complete(REQUEST));
    expect(error.reason).toBe('invalid-key');
    expect(error.message).not.toMatch(/revoked/);
    // Another model cannot help with a bad key.
    expect(api.calls.map((c) => c.model)).toEqual(['gemini-2.5-flash', 'gemini-2.5-flash']);
  });

  it('does not retry a request the API rejects (400), and keeps the upstream message out of the error', async () => {
    api.enqueue({ status: 400, message: 'Invalid JSON payload received. Unknown name "foo" at generation_config.' });
    const error = await unavailable(gemini({ GEMINI_API_KEY: 'key-1,key-2' }).complete(REQUEST));
    expect(error.reason).toBe('rejected');
    expect(error.message).toMatch(/HTTP 400/);
    expect(error.message).not.toMatch(/generation_config/);
    expect(String((error.cause as Error).message)).toMatch(/generation_config/);
    expect(api.calls).toHaveLength(1);
  });

  it('retries a 503 after a backoff and succeeds', async () => {
    api.enqueue({ status: 503 });
    const reply = await gemini().complete(REQUEST);
    expect([reply.text, reply.attempts]).toEqual(['SELECT 1', 2]);
    expect(api.calls.map((c) => c.apiKey)).toEqual(['key-1', 'key-1']);
  });
});

describe('openai-compatible', () => {
  it('answers through chat.completions with system and user messages, and counts the tokens', async () => {
    const registry = new Registry();
    api.script((call) => ({ text: `-- ${call.model}\nSELECT name FROM courses`, usage: { inputTokens: 80, outputTokens: 12 } }));
    const llm = client({ DISTRAG_LLM_BASE_URL: api.openaiBaseUrl, DISTRAG_LLM_MODEL: 'qwen2.5-coder:7b', DISTRAG_LLM_API_KEY: 'sk-local' }, registry);
    expect([llm.provider, llm.model]).toEqual(['openai', 'qwen2.5-coder:7b']);
    const reply = await llm.complete(REQUEST);
    expect(reply).toEqual({ text: '-- qwen2.5-coder:7b\nSELECT name FROM courses', provider: 'openai', model: 'qwen2.5-coder:7b', usage: { inputTokens: 80, outputTokens: 12 }, attempts: 1 });
    expect(api.calls[0]).toMatchObject({ api: 'openai', path: '/v1/chat/completions', apiKey: 'sk-local', json: false });
    expect(api.calls[0]?.body).toEqual({
      model: 'qwen2.5-coder:7b',
      messages: [
        { role: 'system', content: REQUEST.system },
        { role: 'user', content: REQUEST.prompt },
      ],
      temperature: 0,
    });
    expect(await metricValue(registry, 'distrag_llm_tokens_total', { provider: 'openai', kind: 'output' })).toBe(12);
  });

  it('asks for a JSON object (response_format) and sends no key when none is configured', async () => {
    const reply = await openai().complete({ ...REQUEST, json: true, maxOutputTokens: 300 });
    expect(reply.text).toBe('{"sql":"SELECT 1"}');
    expect(api.calls[0]?.apiKey).toBeNull();
    expect(api.calls[0]?.body).toMatchObject({ response_format: { type: 'json_object' }, max_tokens: 300 });
  });

  it('retries a 503 and a 429 after a backoff and succeeds', async () => {
    api.enqueue({ status: 503 }, { status: 429, message: 'Rate limit reached for requests' });
    const reply = await openai().complete(REQUEST);
    expect(reply.attempts).toBe(3);
    expect(api.calls).toHaveLength(3);
  });

  it('gives up after DISTRAG_LLM_RETRIES retries of a 5xx and says so without the upstream body', async () => {
    api.script(() => ({ status: 500, message: 'CUDA out of memory on worker gpu-7' }));
    const error = await unavailable(openai({ DISTRAG_LLM_RETRIES: '1' }).complete(REQUEST));
    expect(error.reason).toBe('unreachable');
    expect(error.message).toMatch(/unavailable \(HTTP 500\) after 2 tries/);
    expect(error.message).not.toMatch(/CUDA/);
    expect(api.calls).toHaveLength(2);
  });
});

describe('timeouts', () => {
  it('abandons a slow reply at DISTRAG_LLM_TIMEOUT_MS, retries, and fails with LLM_UNAVAILABLE naming a timeout', async () => {
    api.script(() => ({ delayMs: 5_000 }));
    const error = await unavailable(gemini({ DISTRAG_LLM_TIMEOUT_MS: '150', DISTRAG_LLM_RETRIES: '2' }).complete(REQUEST));
    expect(error.reason).toBe('timeout');
    expect(error.message).toMatch(/timed out: no answer within 150 ms, 3 tries/);
    expect(api.calls).toHaveLength(3);
    // Each abandoned request was closed by the client: none is still open at the server.
    await expect.poll(() => api.inFlight).toBe(0);
  });

  it('succeeds when the retry answers in time (OpenAI-compatible)', async () => {
    api.enqueue({ delayMs: 5_000 });
    const reply = await openai({ DISTRAG_LLM_TIMEOUT_MS: '150' }).complete(REQUEST);
    expect([reply.text, reply.attempts]).toEqual(['SELECT 1', 2]);
  });
});

describe('concurrency', () => {
  it('keeps at most DISTRAG_LLM_CONCURRENCY requests in flight; the others wait and all are answered', async () => {
    api.script((call) => ({ text: `SELECT '${call.prompt}'`, delayMs: 150 }));
    const llm = gemini({ DISTRAG_LLM_CONCURRENCY: '2' });
    const prompts = Array.from({ length: 7 }, (_, i) => `question ${i}`);
    const replies = await Promise.all(prompts.map((prompt) => llm.complete({ ...REQUEST, prompt })));
    expect(replies.map((r) => r.text)).toEqual(prompts.map((p) => `SELECT '${p}'`));
    expect(api.calls).toHaveLength(7);
    expect(api.maxInFlight).toBe(2);
  });

  it('lets waiting requests in first come, first served', async () => {
    api.script(() => ({ delayMs: 20 }));
    const llm = openai({ DISTRAG_LLM_CONCURRENCY: '1' });
    const prompts = Array.from({ length: 5 }, (_, i) => `question ${i}`);
    await Promise.all(prompts.map((prompt) => llm.complete({ ...REQUEST, prompt })));
    expect(api.calls.map((c) => c.prompt)).toEqual(prompts);
    expect(api.maxInFlight).toBe(1);
  });

  it('gives each client its own limit', async () => {
    api.script(() => ({ delayMs: 150 }));
    const a = gemini({ DISTRAG_LLM_CONCURRENCY: '1' });
    const b = openai({ DISTRAG_LLM_CONCURRENCY: '1' });
    await Promise.all([a.complete(REQUEST), b.complete(REQUEST), a.complete(REQUEST), b.complete(REQUEST)]);
    expect(api.maxInFlight).toBe(2);
  });
});

describe('provider choice', () => {
  it('returns null when no provider is configured; ask then fails with LLM_NOT_CONFIGURED', () => {
    expect(createLlmClient(loadConfig({}), { log })).toBeNull();
    expect(createLlmClient(loadConfig({ GEMINI_API_KEY: ' , ' }), { log })).toBeNull();
    const error = llmNotConfigured();
    expect(error.extensions.code).toBe('LLM_NOT_CONFIGURED');
    expect(error.message).toMatch(/GEMINI_API_KEY/);
    expect(error.message).toMatch(/DISTRAG_LLM_BASE_URL/);
  });

  it('prefers Gemini when both are configured, unless DISTRAG_LLM_PROVIDER says otherwise', () => {
    const both = { GEMINI_API_KEY: 'key-1', DISTRAG_LLM_BASE_URL: api.openaiBaseUrl, DISTRAG_LLM_MODEL: 'qwen2.5-coder:7b' };
    expect(client(both).provider).toBe('gemini');
    expect(client(both).model).toBe('qwen2.5-coder:7b');
    expect(client({ ...both, DISTRAG_LLM_PROVIDER: 'openai' }).provider).toBe('openai');
    expect(client({ DISTRAG_LLM_BASE_URL: api.openaiBaseUrl, DISTRAG_LLM_MODEL: 'm', DISTRAG_LLM_FALLBACK_MODEL: 'm' }).fallbackModel).toBeNull();
  });

  it('refuses settings that cannot work, naming the variable to set', () => {
    const build = (env: Record<string, string>) => () => createLlmClient(loadConfig(env), { log });
    expect(build({ DISTRAG_LLM_BASE_URL: api.openaiBaseUrl })).toThrow(ConfigError);
    expect(build({ DISTRAG_LLM_BASE_URL: api.openaiBaseUrl })).toThrow(/DISTRAG_LLM_MODEL/);
    expect(build({ DISTRAG_LLM_PROVIDER: 'openai', GEMINI_API_KEY: 'key-1' })).toThrow(/DISTRAG_LLM_BASE_URL/);
    expect(build({ DISTRAG_LLM_PROVIDER: 'gemini', DISTRAG_LLM_BASE_URL: api.openaiBaseUrl })).toThrow(/GEMINI_API_KEY/);
  });

  it('registers its metrics once per registry, however many clients share it', async () => {
    const registry = new Registry();
    const one = client({ GEMINI_API_KEY: 'key-1', DISTRAG_GEMINI_BASE_URL: api.geminiBaseUrl }, registry);
    const two = client({ DISTRAG_LLM_BASE_URL: api.openaiBaseUrl, DISTRAG_LLM_MODEL: 'gpt-4o-mini' }, registry);
    await Promise.all([one.complete(REQUEST), two.complete(REQUEST)]);
    expect(await metricValue(registry, 'distrag_llm_requests_total', { outcome: 'ok' })).toBe(2);
  });
});
