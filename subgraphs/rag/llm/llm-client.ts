import type { Registry } from 'prom-client';
import type { Config } from '../../../src/config/config.js';
import type { Logger } from '../../../src/log/logger.js';
import { geminiProvider } from './gemini-provider.js';
import { llmMetrics } from './llm-metrics.js';
import { resolveLlmSettings } from './llm-settings.js';
import { openAiProvider } from './openai-provider.js';
import { ResilientLlmClient } from './resilient-llm-client.js';

export interface LlmRequest {
  system: string;
  prompt: string;
  /** ask the model for a JSON object reply */
  json?: boolean;
  maxOutputTokens?: number;
}

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface LlmReply {
  text: string;
  provider: 'gemini' | 'openai';
  /** The model that answered: the fallback model when the main one could not. */
  model: string;
  usage: LlmUsage;
  /** requests made, retries included */
  attempts: number;
}

/** The LLM the RAG pipeline asks; `complete` fails with LLM_UNAVAILABLE (an LlmUnavailableError) only. */
export interface LlmClient {
  readonly provider: 'gemini' | 'openai';
  readonly model: string;
  readonly fallbackModel: string | null;
  complete(request: LlmRequest): Promise<LlmReply>;
}

/** Base of the jittered exponential backoff between retries (ms). */
const DEFAULT_BACKOFF_BASE_MS = 500;

/**
 * The configured LLM (see resolveLlmSettings for the choice), or null when no provider is
 * configured. Throws a ConfigError when the chosen provider's settings are incomplete.
 */
export function createLlmClient(
  config: Config,
  options: {
    log: Logger;
    /** for tests: base of the jittered backoff */
    backoffBaseMs?: number;
    /** Where to register the client's metrics (a service's registry); none when absent. */
    registry?: Registry;
  },
): LlmClient | null {
  const settings = resolveLlmSettings(config);
  if (settings === null) return null;
  const provider = settings.provider === 'gemini' ? geminiProvider(settings) : openAiProvider(settings);
  return new ResilientLlmClient({
    provider,
    model: settings.model,
    fallbackModel: settings.fallbackModel,
    timeoutMs: settings.timeoutMs,
    retries: settings.retries,
    concurrency: settings.concurrency,
    keyCooldownMs: settings.provider === 'gemini' ? settings.keyCooldownMs : 0,
    backoffBaseMs: options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS,
    metrics: llmMetrics(options.registry),
    log: options.log.child({ component: 'llm' }),
  });
}
