import type { IncomingMessage, ServerResponse } from 'node:http';
import { IDENTITY_HEADER, type ForwardedIdentityVerifier } from '../auth/forwarded-identity.js';

/** Whether the request carries an admin identity signed with the services' internal secret. */
export function isSignedAdmin(verifier: ForwardedIdentityVerifier, req: IncomingMessage): boolean {
  const header = req.headers[IDENTITY_HEADER];
  return verifier.verify(Array.isArray(header) ? header[0] : header)?.role === 'admin';
}

/** A JSON request body of at most `limit` bytes ({} when empty); rejects on anything else. */
export async function readJsonBody(req: IncomingMessage, limit = 64 * 1024): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** Answers with a JSON body of a known length (and any extra headers). */
export function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
