import type { LlmRequest, LlmUsage } from './llm-client.js';

/**
 * What a failed request means for the retry policy:
 * - `quota`: this key's quota for this model is spent (rotate to the next key at once);
 * - `invalid-key`: the API refused the key (skip it);
 * - `model-not-found`: the model does not exist there (try the fallback model);
 * - `bad-request`: the request itself was refused (retrying cannot help);
 * - `rate-limited`, `server-error`, `timeout`, `network`: transient (retry after a backoff).
 */
export type FailureKind = 'quota' | 'invalid-key' | 'model-not-found' | 'bad-request' | 'rate-limited' | 'server-error' | 'timeout' | 'network';

export interface ProviderAnswer {
  text: string;
  usage: LlmUsage;
}

/** One provider's wire protocol: a single HTTP request, no retry of its own. */
export interface LlmProvider {
  readonly name: 'gemini' | 'openai';
  /** Keys to rotate through (Gemini); null when the provider has one fixed credential. */
  readonly apiKeys: readonly string[] | null;
  /** `key` is one of `apiKeys`, or null when there are none. */
  send(input: { model: string; key: string | null; request: LlmRequest; signal: AbortSignal }): Promise<ProviderAnswer>;
  classify(error: unknown): FailureKind;
}
