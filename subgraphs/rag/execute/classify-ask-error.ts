/** What went wrong running an ask's SQL, as the pipeline acts on it. */
export type AskErrorKind =
  /** The statement ran past its timeout: no retry, QUERY_TIMEOUT. */
  | 'timeout'
  /** The database could not be reached: CLUSTER_UNAVAILABLE. */
  | 'unavailable'
  /** The SQL itself is wrong (unknown column, type mismatch, …): the model is shown the error and tries again. */
  | 'sql';

/** Connection-level failures: class 08 (connection), 57P0x (shutdown), 53 (resources), and socket errors. */
const UNAVAILABLE = /^(08|53|57P0)/;

export function classifyAskError(error: unknown): { kind: AskErrorKind; detail: string } {
  const { code, message } = error as { code?: string; message?: string };
  const text = String(message ?? error);
  if (code === '57014') return { kind: 'timeout', detail: text };
  if ((code !== undefined && UNAVAILABLE.test(code)) || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|timeout exceeded when trying to connect/i.test(text)) {
    return { kind: 'unavailable', detail: text };
  }
  return { kind: 'sql', detail: code ? `${text} (SQLSTATE ${code})` : text };
}
