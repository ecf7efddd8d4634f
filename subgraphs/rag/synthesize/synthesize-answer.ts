import type { LlmClient } from '../llm/llm-client.js';
import { buildAnswerPrompt, type AnswerPromptInput } from '../prompt/answer-prompt.js';

/** The answer in words, written by the model from the rows (it sees at most a page of them). */
export async function synthesizeAnswer(llm: LlmClient, input: AnswerPromptInput): Promise<{ text: string; model: string }> {
  const reply = await llm.complete(buildAnswerPrompt(input));
  const text = reply.text.trim();
  return { text: text === '' ? plainAnswer(input) : text, model: reply.model };
}

/** A plain description of a result, when there is no model to put it into words. */
export function plainAnswer(input: Pick<AnswerPromptInput, 'columns' | 'rows' | 'truncated'>): string {
  if (input.rows.length === 0) return 'Nothing matched.';
  if (input.rows.length === 1 && input.columns.length === 1) return `${input.columns[0]}: ${String(input.rows[0]![0])}`;
  return `${input.rows.length}${input.truncated ? '+' : ''} rows of ${input.columns.join(', ')}.`;
}
