import { ConfigError, type Config } from '../../../src/config/config.js';
import { parseGeminiApiKeys } from '../../../src/embed/gemini-embedder.js';

/** The Gemini model used when DISTRAG_LLM_MODEL is not set. */
export const DEFAULT_GEMINI_MODEL = 'gemini-2.5-flash';

interface CommonLlmSettings {
  model: string;
  fallbackModel: string | null;
  timeoutMs: number;
  retries: number;
  concurrency: number;
}

export interface GeminiLlmSettings extends CommonLlmSettings {
  provider: 'gemini';
  apiKeys: string[];
  /** Instead of Google's endpoint; null for the SDK's default. */
  baseUrl: string | null;
  keyCooldownMs: number;
}

export interface OpenAiLlmSettings extends CommonLlmSettings {
  provider: 'openai';
  /** `…/v1` of an OpenAI-compatible server. */
  baseUrl: string;
  /** null: the server needs none (most local servers). */
  apiKey: string | null;
}

export type LlmSettings = GeminiLlmSettings | OpenAiLlmSettings;

/**
 * Which LLM answers, from configuration: DISTRAG_LLM_PROVIDER when set (its settings must be
 * there), else Gemini when GEMINI_API_KEY holds a key, else the OpenAI-compatible endpoint when
 * DISTRAG_LLM_BASE_URL is set, else null (no LLM). Throws a ConfigError for settings that cannot work.
 */
export function resolveLlmSettings(config: Config): LlmSettings | null {
  const apiKeys = parseGeminiApiKeys(config.GEMINI_API_KEY ?? '');
  const provider = config.DISTRAG_LLM_PROVIDER ?? (apiKeys.length > 0 ? 'gemini' : config.DISTRAG_LLM_BASE_URL !== undefined ? 'openai' : null);
  const common = {
    fallbackModel: config.DISTRAG_LLM_FALLBACK_MODEL ?? null,
    timeoutMs: config.DISTRAG_LLM_TIMEOUT_MS,
    retries: config.DISTRAG_LLM_RETRIES,
    concurrency: config.DISTRAG_LLM_CONCURRENCY,
  };
  switch (provider) {
    case null:
      return null;
    case 'gemini':
      if (apiKeys.length === 0) throw new ConfigError('invalid configuration: DISTRAG_LLM_PROVIDER is gemini but GEMINI_API_KEY holds no key; set GEMINI_API_KEY (several keys comma-separated)');
      return {
        provider,
        ...common,
        model: config.DISTRAG_LLM_MODEL ?? DEFAULT_GEMINI_MODEL,
        apiKeys,
        baseUrl: config.DISTRAG_GEMINI_BASE_URL ?? null,
        keyCooldownMs: config.DISTRAG_LLM_KEY_COOLDOWN_MS,
      };
    case 'openai': {
      if (config.DISTRAG_LLM_BASE_URL === undefined) throw new ConfigError('invalid configuration: DISTRAG_LLM_PROVIDER is openai but DISTRAG_LLM_BASE_URL is not set; set it to the endpoint\'s …/v1 URL (e.g. http://127.0.0.1:11434/v1 for Ollama)');
      if (config.DISTRAG_LLM_MODEL === undefined) throw new ConfigError('invalid configuration: DISTRAG_LLM_BASE_URL is set but DISTRAG_LLM_MODEL is not; an OpenAI-compatible endpoint has no default model, set DISTRAG_LLM_MODEL (e.g. qwen2.5-coder:7b)');
      return { provider, ...common, model: config.DISTRAG_LLM_MODEL, baseUrl: config.DISTRAG_LLM_BASE_URL, apiKey: config.DISTRAG_LLM_API_KEY || null };
    }
  }
}
