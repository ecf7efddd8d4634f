/**
 * One short line for an embedder's error: the status and the server's message for
 * an HTTP error, the system error code for a connection that failed.
 */
export function describeEmbedderError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { status?: unknown }).status;
  const message = serverMessage(error.message) ?? error.message;
  const code = causeCode(error);
  const parts = [typeof status === 'number' && !message.startsWith(String(status)) ? `${status} ${message}` : message];
  if (code !== undefined && !parts[0]?.includes(code)) parts.push(`(${code})`);
  return truncate(parts.join(' ').replace(/\s+/g, ' ').trim(), 300);
}

/** The error object Google's APIs answer with (`{"error":{"code","message","status"}}`), as `STATUS: message`. */
function serverMessage(text: string): string | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; status?: unknown } };
    const message = body.error?.message;
    if (typeof message !== 'string') return undefined;
    return typeof body.error?.status === 'string' ? `${body.error.status}: ${message}` : message;
  } catch {
    return undefined;
  }
}

/** The first `code` (ECONNREFUSED, ENOTFOUND, …) down the chain of causes. */
function causeCode(error: Error): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
