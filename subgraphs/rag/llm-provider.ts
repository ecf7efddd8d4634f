import type { Config } from '../../src/config/config.js';

/** Which LLM the RAG pipeline would call, from configuration alone (no request is made). */
export function describeLlmProvider(config: Config): { llmConfigured: boolean; provider: string | null; model: string | null } {
  if (config.GEMINI_API_KEY) return { llmConfigured: true, provider: 'gemini', model: config.DISTRAG_LLM_MODEL ?? 'gemini-2.5-flash' };
  if (config.DISTRAG_LLM_BASE_URL) return { llmConfigured: true, provider: 'openai-compatible', model: config.DISTRAG_LLM_MODEL ?? null };
  return { llmConfigured: false, provider: null, model: null };
}
