import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { loadEmbedder } from '../src/embed/load-embedder.js';
import { createLogger } from '../src/log/logger.js';
import { GEMINI_FULL_DIMENSIONS, OPENAI_FULL_DIMENSIONS, rawVector, startEmbeddingApiServer, type EmbeddingApiServer } from './support/embedding-api-server.js';

// The real SDKs (@google/genai, openai) against local servers speaking the paid APIs' wire
// protocols (test/support/embedding-api-server.ts), through loadEmbedder as a service calls it.

const log = createLogger('remote-embedders-test', 'silent');
let api: EmbeddingApiServer;
let deadUrl: string;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  api = await startEmbeddingApiServer({ geminiKeys: ['good-1', 'good-2'], spentGeminiKeys: ['spent-1', 'spent-2'] });
  // A port that was just listening and is now closed: connections are refused.
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  for (const close of closers) await close();
  await api?.close();
});

/** loadEmbedder with these settings (and nothing from the environment). */
async function load(env: Record<string, string>) {
  const state = await loadEmbedder(loadConfig(env), log);
  if (state.enabled) closers.push(() => state.embedder.close());
  return state;
}

function unit(values: number[]): number[] {
  const length = Math.hypot(...values);
  return values.map((v) => v / length);
}

function expectClose(actual: Float32Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  const worst = expected.reduce((max, v, i) => Math.max(max, Math.abs(v - (actual[i] as number))), 0);
  expect(worst).toBeLessThan(1e-6);
}

function callsSince(start: number) {
  return api.calls.slice(start);
}

describe('gemini embedder', () => {
  it('embeds through batchEmbedContents, coalesces concurrent questions into one call, and normalises the vectors', async () => {
    const start = api.calls.length;
    const state = await load({ DISTRAG_EMBEDDER: 'gemini', GEMINI_API_KEY: 'good-1', DISTRAG_EMBED_BASE_URL: api.url, DISTRAG_EMBED_DIMENSIONS: '768' });
    expect(state.enabled, state.enabled ? '' : state.reason).toBe(true);
    if (!state.enabled) return;
    expect(state.embedder.id).toBe('gemini:gemini-embedding-001:768');
    expect(state.embedder.dimensions).toBe(768);

    const questions = ['How many singers do we have?', 'What is the total number of singers?', 'List the courses', 'Who teaches physics?'];
    const before = api.calls.length;
    const vectors = await Promise.all(questions.map((q) => state.embedder.embedOne(q)));
    const batchCalls = api.calls.slice(before);
    expect(batchCalls).toHaveLength(1);
    expect(batchCalls[0]?.path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(batchCalls[0]?.body).toEqual({
      requests: questions.map((text) => ({ model: 'models/gemini-embedding-001', content: { role: 'user', parts: [{ text }] }, taskType: 'SEMANTIC_SIMILARITY', outputDimensionality: 768 })),
    });
    for (const [i, q] of questions.entries()) expectClose(vectors[i] as Float32Array, unit(rawVector(q, GEMINI_FULL_DIMENSIONS).slice(0, 768)));
    expect(callsSince(start).every((c) => c.apiKey === 'good-1')).toBe(true);
  });

  it('asks for the model named in DISTRAG_EMBED_MODEL at its full size by default', async () => {
    const state = await load({ DISTRAG_EMBEDDER: 'gemini', GEMINI_API_KEY: 'good-1', DISTRAG_EMBED_BASE_URL: api.url, DISTRAG_EMBED_MODEL: 'unknown-embedder' });
    expect(state).toEqual({ enabled: false, reason: 'gemini: 404 NOT_FOUND: models/unknown-embedder is not found for API version v1beta, or is not supported for batchEmbedContents.' });
    const full = await load({ DISTRAG_EMBEDDER: 'gemini', GEMINI_API_KEY: 'good-1', DISTRAG_EMBED_BASE_URL: api.url });
    expect(full.enabled && full.embedder.id).toBe(`gemini:gemini-embedding-001:${GEMINI_FULL_DIMENSIONS}`);
  });

  it('rotates to the next key on 429 and keeps using it', async () => {
    const start = api.calls.length;
    const state = await load({ DISTRAG_EMBEDDER: 'gemini', GEMINI_API_KEY: 'spent-1, good-2', DISTRAG_EMBED_BASE_URL: api.url });
    expect(state.enabled, state.enabled ? '' : state.reason).toBe(true);
    if (!state.enabled) return;
    await state.embedder.embedOne('a question after the rotation');
    // The start-up probe met the spent key once; every later call went straight to the good one.
    expect(callsSince(start).map((c) => c.apiKey)).toEqual(['spent-1', 'good-2', 'good-2', 'good-2']);
  });

  it('is disabled, saying so, when every key is over its quota', async () => {
    const start = api.calls.length;
    const state = await load({ DISTRAG_EMBEDDER: 'gemini', GEMINI_API_KEY: 'spent-1,spent-2', DISTRAG_EMBED_BASE_URL: api.url });
    expect(state).toEqual({ enabled: false, reason: 'gemini: all 2 API keys are over quota (429)' });
    expect(callsSince(start).map((c) => c.apiKey)).toEqual(['spent-1', 'spent-2']);
  });

  it('is disabled with the server\'s message for an invalid key (no rotation: not a quota error)', async () => {
    const start = api.calls.length;
    const state = await load({ DISTRAG_EMBEDDER: 'gemini', GEMINI_API_KEY: 'revoked,good-1', DISTRAG_EMBED_BASE_URL: api.url });
    expect(state).toEqual({ enabled: false, reason: 'gemini: 400 INVALID_ARGUMENT: API key not valid. Please pass a valid API key.' });
    expect(callsSince(start).map((c) => c.apiKey)).toEqual(['revoked']);
  });

  it('is disabled when the API cannot be reached', async () => {
    const state = await load({ DISTRAG_EMBEDDER: 'gemini', GEMINI_API_KEY: 'good-1', DISTRAG_EMBED_BASE_URL: deadUrl });
    expect(state.enabled).toBe(false);
    expect(!state.enabled && state.reason).toMatch(/^gemini: .*\(ECONNREFUSED\)$/);
  });

  it('is disabled without GEMINI_API_KEY', async () => {
    expect(await load({ DISTRAG_EMBEDDER: 'gemini' })).toEqual({ enabled: false, reason: 'DISTRAG_EMBEDDER=gemini needs GEMINI_API_KEY (one key, or several comma-separated)' });
  });
});

describe('OpenAI-compatible embedder', () => {
  it('embeds through POST /v1/embeddings (floats), in input order, normalised, without an Authorization header when no key is set', async () => {
    const start = api.calls.length;
    const state = await load({ DISTRAG_EMBEDDER: 'openai', DISTRAG_EMBED_BASE_URL: `${api.url}/v1`, DISTRAG_EMBED_MODEL: 'nomic-embed-text' });
    expect(state.enabled, state.enabled ? '' : state.reason).toBe(true);
    if (!state.enabled) return;
    expect(state.embedder.id).toBe(`openai:nomic-embed-text:${OPENAI_FULL_DIMENSIONS}`);
    const questions = ['first question', 'second question', 'third question'];
    const vectors = await state.embedder.embed(questions);
    for (const [i, q] of questions.entries()) expectClose(vectors[i] as Float32Array, unit(rawVector(q, OPENAI_FULL_DIMENSIONS)));
    const calls = callsSince(start);
    expect(calls.at(-1)?.body).toEqual({ model: 'nomic-embed-text', input: questions, encoding_format: 'float' });
    expect(calls.every((c) => c.authorization === null)).toBe(true);
  });

  it('sends DISTRAG_EMBED_API_KEY as a bearer token and DISTRAG_EMBED_DIMENSIONS as dimensions', async () => {
    const start = api.calls.length;
    const state = await load({ DISTRAG_EMBEDDER: 'openai', DISTRAG_EMBED_BASE_URL: `${api.url}/v1`, DISTRAG_EMBED_MODEL: 'nomic-embed-text', DISTRAG_EMBED_API_KEY: 'sk-test', DISTRAG_EMBED_DIMENSIONS: '256' });
    expect(state.enabled && state.embedder.id).toBe('openai:nomic-embed-text:256');
    expect(callsSince(start).map((c) => [c.authorization, c.body.dimensions])).toEqual([
      ['Bearer sk-test', 256],
      ['Bearer sk-test', 256],
    ]);
  });

  it('is disabled without DISTRAG_EMBED_BASE_URL or DISTRAG_EMBED_MODEL', async () => {
    const reason = 'DISTRAG_EMBEDDER=openai needs DISTRAG_EMBED_BASE_URL and DISTRAG_EMBED_MODEL';
    expect(await load({ DISTRAG_EMBEDDER: 'openai', DISTRAG_EMBED_MODEL: 'nomic-embed-text' })).toEqual({ enabled: false, reason });
    expect(await load({ DISTRAG_EMBEDDER: 'openai', DISTRAG_EMBED_BASE_URL: `${api.url}/v1` })).toEqual({ enabled: false, reason });
  });

  it('is disabled with the server\'s message for an unknown model', async () => {
    const state = await load({ DISTRAG_EMBEDDER: 'openai', DISTRAG_EMBED_BASE_URL: `${api.url}/v1`, DISTRAG_EMBED_MODEL: 'no-such-model' });
    expect(state).toEqual({ enabled: false, reason: `openai (${api.url}/v1): 404 The model \`no-such-model\` does not exist or you do not have access to it.` });
  });

  it('is disabled when the server is down', async () => {
    const state = await load({ DISTRAG_EMBEDDER: 'openai', DISTRAG_EMBED_BASE_URL: `${deadUrl}/v1`, DISTRAG_EMBED_MODEL: 'nomic-embed-text' });
    expect(state.enabled).toBe(false);
    expect(!state.enabled && state.reason).toMatch(new RegExp(`^openai \\(${deadUrl}/v1\\): Connection error\\. \\(ECONNREFUSED\\)$`));
  });
});
