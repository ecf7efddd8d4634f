import type { LlmClient } from '../llm/llm-client.js';
import { buildSqlPrompt, type SqlPromptInput } from '../prompt/sql-prompt.js';
import { extractSql } from './extract-sql.js';

export interface WrittenSql {
  /** The statement, or null when the reply held none. */
  sql: string | null;
  /** The model's reason when it declined (`{"sql": null, "reason": …}`). */
  declined: string | null;
  model: string;
}

/** Asks the model for the SQL of a question (one request; retries of the request are the client's). */
export async function writeSql(llm: LlmClient, input: SqlPromptInput): Promise<WrittenSql> {
  const reply = await llm.complete(buildSqlPrompt(input));
  const sql = extractSql(reply.text);
  return { sql, declined: sql === null ? declinedReason(reply.text) : null, model: reply.model };
}

/** The reason of a JSON reply whose `sql` is null, if it is one. */
function declinedReason(text: string): string | null {
  const json = /\{[\s\S]*\}/.exec(text)?.[0];
  if (!json) return null;
  try {
    const parsed = JSON.parse(json) as { sql?: unknown; reason?: unknown };
    if (parsed.sql !== null || typeof parsed.reason !== 'string') return null;
    return parsed.reason.slice(0, 500);
  } catch {
    return null;
  }
}
