import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { FailureKind, LlmProvider } from './llm-provider.js';
import type { OpenAiLlmSettings } from './llm-settings.js';

/**
 * Any OpenAI-compatible `POST /v1/chat/completions` through the openai SDK, its own retries off
 * (`maxRetries: 0`); the timeout is the caller's AbortSignal.
 */
export function openAiProvider(settings: Pick<OpenAiLlmSettings, 'baseUrl' | 'apiKey'>): LlmProvider {
  // Every setting explicit: the SDK would otherwise read OPENAI_* variables (config lives in one place).
  const client = new OpenAI({
    baseURL: settings.baseUrl,
    apiKey: settings.apiKey ?? 'unused',
    organization: null,
    project: null,
    maxRetries: 0,
    ...(settings.apiKey === null ? { defaultHeaders: { Authorization: null } } : {}),
  });
  return {
    name: 'openai',
    apiKeys: null,
    async send({ model, request, signal }) {
      const completion = await client.chat.completions.create(
        {
          model,
          messages: [
            { role: 'system', content: request.system },
            { role: 'user', content: request.prompt },
          ],
          temperature: 0,
          ...(request.json ? { response_format: { type: 'json_object' as const } } : {}),
          ...(request.maxOutputTokens === undefined ? {} : { max_tokens: request.maxOutputTokens }),
        },
        { signal },
      );
      return {
        text: completion.choices[0]?.message.content ?? '',
        usage: { inputTokens: completion.usage?.prompt_tokens ?? 0, outputTokens: completion.usage?.completion_tokens ?? 0 },
      };
    },
    classify: classifyOpenAiError,
  };
}

function classifyOpenAiError(error: unknown): FailureKind {
  if (error instanceof APIConnectionError) return 'network';
  if (!(error instanceof APIError) || error.status === undefined) return error instanceof SyntaxError ? 'server-error' : 'network';
  const status = error.status;
  if (status === 429) return 'rate-limited';
  if (status === 401 || status === 403) return 'invalid-key';
  if (status === 404) return 'model-not-found';
  if (status === 408 || status >= 500) return 'server-error';
  return 'bad-request';
}
