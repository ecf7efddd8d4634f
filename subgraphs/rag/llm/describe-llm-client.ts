import type { LlmClient } from './llm-client.js';

/** The LLM part of `ragStatus`, as the SDL names providers (`gemini`, `openai-compatible`). */
export function describeLlmClient(client: LlmClient | null): { llmConfigured: boolean; provider: string | null; model: string | null } {
  if (client === null) return { llmConfigured: false, provider: null, model: null };
  return { llmConfigured: true, provider: client.provider === 'openai' ? 'openai-compatible' : 'gemini', model: client.model };
}
