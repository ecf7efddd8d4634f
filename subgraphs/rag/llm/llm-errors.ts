import { ErrorCode } from '../../../src/errors/error-codes.js';
import { SafeError } from '../../../src/errors/safe-error.js';

/** `ask` without an LLM: says which settings would configure one. */
export function llmNotConfigured(): SafeError {
  return new SafeError(
    ErrorCode.LLM_NOT_CONFIGURED,
    'No LLM is configured: set GEMINI_API_KEY (Gemini) or DISTRAG_LLM_BASE_URL and DISTRAG_LLM_MODEL (an OpenAI-compatible endpoint such as Ollama or vLLM), then restart.',
  );
}

/** Why the LLM could not answer; the message says it in words, this is for logs and callers' branches. */
export type LlmUnavailableReason = 'timeout' | 'quota' | 'invalid-key' | 'model-not-found' | 'rejected' | 'unreachable';

/**
 * The LLM gave no usable answer. The message is written for clients: no key, no upstream body
 * (those stay in `cause`, which only the server log sees).
 */
export class LlmUnavailableError extends SafeError {
  override name = 'LlmUnavailableError';
  readonly reason: LlmUnavailableReason;

  constructor(reason: LlmUnavailableReason, message: string, cause?: unknown) {
    super(ErrorCode.LLM_UNAVAILABLE, message, { cause });
    this.reason = reason;
  }
}
