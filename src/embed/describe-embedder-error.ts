/**
 * One short line for an embedder's error: the status and the server's message for
 * an HTTP error, the system error code for a connection that failed.
 */
export function describeEmbedderError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { status?: unknown }).status;
  const message = serverMessage(error.message) ?? error.message;
  const detail = causeDetail(error);
  const parts = [typeof status === 'number' && !message.startsWith(String(status)) ? `${status} ${message}` : message];
  if (detail !== undefined && !parts[0]?.includes(detail)) parts.push(`(${detail})`);
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

/**
 * What the chain of causes adds to a generic message (`fetch failed`, `Connection error.`): the
 * first system error code (ECONNREFUSED, ENOTFOUND, …), else the innermost cause's message. Nothing
 * below an HTTP error (one with a status): the message above it already sums it up.
 */
function causeDetail(error: Error): string | undefined {
  let current: unknown = error.cause;
  let innermost: Error | undefined;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (typeof (current as { status?: unknown }).status === 'number') return undefined;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    innermost = current;
    current = current.cause;
  }
  return innermost?.message || undefined;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
