import { ApiError, GoogleGenAI } from '@google/genai';
import type { FailureKind, LlmProvider } from './llm-provider.js';
import type { GeminiLlmSettings } from './llm-settings.js';

/**
 * Gemini's `models/{model}:generateContent` through @google/genai, one client per key. The SDK
 * does not retry (no `retryOptions`); the timeout is the caller's AbortSignal.
 */
export function geminiProvider(settings: Pick<GeminiLlmSettings, 'apiKeys' | 'baseUrl'>): LlmProvider {
  const clients = new Map(
    settings.apiKeys.map((apiKey) => [apiKey, new GoogleGenAI({ apiKey, vertexai: false, ...(settings.baseUrl === null ? {} : { httpOptions: { baseUrl: settings.baseUrl } }) })]),
  );
  return {
    name: 'gemini',
    apiKeys: settings.apiKeys,
    async send({ model, key, request, signal }) {
      const client = key === null ? undefined : clients.get(key);
      if (client === undefined) throw new Error('gemini: a request needs one of the configured keys');
      const response = await client.models.generateContent({
        model,
        contents: request.prompt,
        config: {
          systemInstruction: request.system,
          temperature: 0,
          ...(request.json ? { responseMimeType: 'application/json' } : {}),
          ...(request.maxOutputTokens === undefined ? {} : { maxOutputTokens: request.maxOutputTokens }),
          abortSignal: signal,
        },
      });
      const usage = response.usageMetadata;
      return {
        text: response.text ?? '',
        // Thinking tokens are billed as output.
        usage: { inputTokens: usage?.promptTokenCount ?? 0, outputTokens: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0) },
      };
    },
    classify: classifyGeminiError,
  };
}

function classifyGeminiError(error: unknown): FailureKind {
  if (!(error instanceof ApiError)) return error instanceof SyntaxError ? 'server-error' : 'network';
  const status = error.status;
  if (status === 429) return 'quota';
  if (status === 401 || status === 403) return 'invalid-key';
  // A wrong key is a 400 INVALID_ARGUMENT "API key not valid…" (reason API_KEY_INVALID).
  if (status === 400 && /API[ _]KEY/i.test(error.message)) return 'invalid-key';
  if (status === 404) return 'model-not-found';
  if (status === 408 || status >= 500) return 'server-error';
  return 'bad-request';
}
