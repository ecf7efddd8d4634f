import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { backoffDelay } from './backoff-delay.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { KeyRing, type RestReason } from './key-ring.js';
import type { LlmClient, LlmReply, LlmRequest } from './llm-client.js';
import { LlmUnavailableError } from './llm-errors.js';
import type { LlmMetrics } from './llm-metrics.js';
import type { FailureKind, LlmProvider, ProviderAnswer } from './llm-provider.js';

export interface ResilientLlmOptions {
  provider: LlmProvider;
  model: string;
  fallbackModel: string | null;
  timeoutMs: number;
  retries: number;
  concurrency: number;
  /** How long a key over its quota rests (providers with keys). */
  keyCooldownMs: number;
  backoffBaseMs: number;
  metrics: LlmMetrics;
  log: Logger;
}

/** How one model's turn ended when it gave no answer; `fallback` says whether another model may help. */
interface ModelFailure {
  error: LlmUnavailableError;
  fallback: boolean;
}

/** Outcome label of the requests metric, per failure kind. */
const OUTCOME: Record<FailureKind, string> = {
  quota: 'quota',
  'invalid-key': 'invalid_key',
  'model-not-found': 'not_found',
  'bad-request': 'bad_request',
  'rate-limited': 'rate_limited',
  'server-error': 'server_error',
  timeout: 'timeout',
  network: 'network',
};

/**
 * An LlmClient over one provider's single requests: at most `concurrency` requests at once (FIFO),
 * each with its own timeout; transient failures retried `retries` times with jittered exponential
 * backoff; keys over quota rotated at once and rested; the fallback model tried when the main one
 * has no quota left, is not found, or keeps failing. Anything else ends in LLM_UNAVAILABLE.
 */
export class ResilientLlmClient implements LlmClient {
  readonly provider: 'gemini' | 'openai';
  readonly model: string;
  readonly fallbackModel: string | null;
  readonly #options: ResilientLlmOptions;
  readonly #limit: ConcurrencyLimit;
  readonly #keys: KeyRing | null;

  constructor(options: ResilientLlmOptions) {
    this.#options = options;
    this.provider = options.provider.name;
    this.model = options.model;
    this.fallbackModel = options.fallbackModel === options.model ? null : options.fallbackModel;
    this.#limit = new ConcurrencyLimit(options.concurrency);
    this.#keys = options.provider.apiKeys === null ? null : new KeyRing(options.provider.apiKeys, options.keyCooldownMs);
  }

  complete(request: LlmRequest): Promise<LlmReply> {
    return this.#limit.run(() => this.#complete(request));
  }

  async #complete(request: LlmRequest): Promise<LlmReply> {
    const counter = { attempts: 0 };
    const main = await this.#tryModel(this.model, request, counter);
    if (!('error' in main)) return this.#reply(this.model, main, counter.attempts);
    if (this.fallbackModel === null || !main.fallback) throw this.#failed(main.error, counter.attempts);
    this.#options.log.warn({ model: this.model, fallbackModel: this.fallbackModel, reason: main.error.reason }, `LLM ${this.model} unavailable (${main.error.reason}); asking the fallback model ${this.fallbackModel}`);
    const fallback = await this.#tryModel(this.fallbackModel, request, counter);
    if (!('error' in fallback)) return this.#reply(this.fallbackModel, fallback, counter.attempts);
    throw this.#failed(fallback.error, counter.attempts);
  }

  /** Logs the error with its cause (clients see the message only), and returns it. */
  #failed(error: LlmUnavailableError, attempts: number): LlmUnavailableError {
    this.#options.log.warn({ err: error.cause, reason: error.reason, attempts }, `LLM_UNAVAILABLE: ${error.message}`);
    return error;
  }

  #reply(model: string, answer: ProviderAnswer, attempts: number): LlmReply {
    return { text: answer.text, provider: this.provider, model, usage: answer.usage, attempts };
  }

  /** Requests to one model until one answers, the retries are spent, or no key is left. */
  async #tryModel(model: string, request: LlmRequest, counter: { attempts: number }): Promise<ProviderAnswer | ModelFailure> {
    const { log, retries, timeoutMs } = this.#options;
    // Keys that failed during this call: with a short cooldown they must still not be tried in a loop.
    const failedKeys = new Map<string, RestReason>();
    let retry = 0;
    for (;;) {
      const key = this.#keys === null ? null : this.#keys.pick(model, failedKeys);
      if (this.#keys !== null && key === null) return this.#noKeyLeft(model, failedKeys);
      counter.attempts += 1;
      const signal = AbortSignal.timeout(timeoutMs);
      const result = await this.#send(model, key, request, signal);
      if (!('failure' in result)) return result;
      const { failure, error } = result;
      if (key !== null && this.#keys !== null && (failure === 'quota' || failure === 'invalid-key')) {
        const reason = failure === 'quota' ? 'quota' : 'invalid';
        this.#keys.rest(key, model, reason);
        failedKeys.set(key, reason);
        const label = this.#keys.label(key);
        if (reason === 'quota') log.warn({ model, key: label }, `LLM ${label} is over its quota for ${model}; it rests and the next key takes over`);
        else log.error({ model, key: label, err: error }, `LLM ${label} was refused as invalid; it is skipped`);
        continue;
      }
      if (failure === 'invalid-key') return { fallback: false, error: this.#unavailable('invalid-key', 'The LLM endpoint refused the configured API key; check DISTRAG_LLM_API_KEY.', error) };
      if (failure === 'model-not-found') {
        return { fallback: true, error: this.#unavailable('model-not-found', `The LLM provider does not know the model ${model}; set DISTRAG_LLM_MODEL (or DISTRAG_LLM_FALLBACK_MODEL) to a model it serves.`, error) };
      }
      if (failure === 'bad-request') return { fallback: false, error: this.#unavailable('rejected', `The LLM provider rejected the request${statusSuffix(error)}; the server log has the details.`, error) };
      // What is left is transient (a provider without keys reports a quota error as rate limiting).
      if (retry >= retries) {
        const tries = retry + 1;
        const message =
          failure === 'timeout'
            ? `The LLM (${model}) timed out: no answer within ${timeoutMs} ms, ${tries} ${tries === 1 ? 'try' : 'tries'}; try again later.`
            : `The LLM (${model}) is unavailable${statusSuffix(error)} after ${tries} ${tries === 1 ? 'try' : 'tries'}; try again later.`;
        return { fallback: true, error: this.#unavailable(failure === 'timeout' ? 'timeout' : 'unreachable', message, error) };
      }
      retry += 1;
      const delay = backoffDelay(retry, this.#options.backoffBaseMs);
      log.warn({ model, failure, retry, delayMs: Math.round(delay) }, `LLM request to ${model} failed (${failure}); retry ${retry} of ${retries} in ${Math.round(delay)} ms`);
      await sleep(delay);
    }
  }

  /** One HTTP request, measured; a failure comes back classified instead of thrown. */
  async #send(model: string, key: string | null, request: LlmRequest, signal: AbortSignal): Promise<ProviderAnswer | { failure: FailureKind; error: unknown }> {
    const { provider, metrics } = this.#options;
    const labels = { provider: provider.name, model };
    const stop = metrics.duration.startTimer(labels);
    try {
      const answer = await provider.send({ model, key, request, signal });
      stop();
      metrics.requests.inc({ ...labels, outcome: 'ok' });
      metrics.tokens.inc({ ...labels, kind: 'input' }, answer.usage.inputTokens);
      metrics.tokens.inc({ ...labels, kind: 'output' }, answer.usage.outputTokens);
      return answer;
    } catch (error) {
      stop();
      // Our own deadline aborts the request: whatever the SDK made of it, it is a timeout.
      const failure = signal.aborted ? 'timeout' : provider.classify(error);
      metrics.requests.inc({ ...labels, outcome: OUTCOME[failure] });
      return { failure, error };
    }
  }

  /** Every key rests or failed during this call: over quota (the fallback model may still have some) or refused. */
  #noKeyLeft(model: string, failedKeys: ReadonlyMap<string, RestReason>): ModelFailure {
    const keys = this.#keys as KeyRing;
    const reasons = keys.keys.map((key) => failedKeys.get(key) ?? keys.restReason(key, model));
    const count = keys.keys.length;
    if (reasons.every((reason) => reason === 'invalid')) {
      return { fallback: false, error: this.#unavailable('invalid-key', `Gemini refused ${count === 1 ? 'the API key' : `all ${count} API keys`} as invalid; check GEMINI_API_KEY.`) };
    }
    return { fallback: true, error: this.#unavailable('quota', `The LLM quota is spent on ${count === 1 ? 'the Gemini API key' : `every Gemini API key (${count})`} for ${model}; try again later or add a key to GEMINI_API_KEY.`) };
  }

  #unavailable(reason: LlmUnavailableError['reason'], message: string, cause?: unknown): LlmUnavailableError {
    return new LlmUnavailableError(reason, message, cause);
  }
}

/** ` (HTTP 503)` for an HTTP error: the status is safe to show, the upstream body is not. */
function statusSuffix(error: unknown): string {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? ` (HTTP ${status})` : '';
}
