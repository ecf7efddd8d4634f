import { IDENTITY_HEADER, signForwardedIdentity } from '../../src/auth/forwarded-identity.js';
import type { Identity } from '../../src/auth/identity.js';
import { ErrorCode, PUBLIC_CODES, type ErrorCode as Code } from '../../src/errors/error-codes.js';
import { clusterUnavailable, SafeError } from '../../src/errors/safe-error.js';

/** How long a call may take: node operations answer within seconds; a backup or a restore takes longer. */
export const OPS_TIMEOUT_MS = { quick: 60_000, long: 30 * 60_000 } as const;

/**
 * The cluster subgraph's client of the operations API (the recovery process, DISTRAG_OPS_URL):
 * each call carries the caller's identity, signed with the internal secret, and the API's
 * errors come back as SafeErrors with the API's code and message.
 */
export class OpsClient {
  constructor(private readonly baseUrl: string | undefined, private readonly internalSecret: string) {}

  get configured(): boolean {
    return this.baseUrl !== undefined;
  }

  async call<T>(identity: Identity, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, timeoutMs: number = OPS_TIMEOUT_MS.quick): Promise<T> {
    if (this.baseUrl === undefined) {
      throw clusterUnavailable('the operations API is not configured (DISTRAG_OPS_URL); `npx distrag up` runs it in the recovery process');
    }
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: { [IDENTITY_HEADER]: signForwardedIdentity(this.internalSecret, identity).value, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as { name?: string }).name === 'TimeoutError';
      throw clusterUnavailable(
        timedOut
          ? `the operations API did not answer within ${Math.round(timeoutMs / 1000)} s; the operation may still complete (watch clusterEvents)`
          : 'the operations API (the recovery process) did not answer; check `npx distrag status`',
        error,
      );
    }
    const payload = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    if (response.ok) return payload as T;
    const code = payload?.error?.code;
    const message = payload?.error?.message;
    if (code === ErrorCode.UNAUTHENTICATED) {
      // Not the client's token (the gateway verified it): this service's signature was refused.
      throw clusterUnavailable('the operations API refused the cluster subgraph\'s signature; both must run with the same DISTRAG_INTERNAL_SECRET');
    }
    if (typeof code === 'string' && PUBLIC_CODES.has(code) && code !== ErrorCode.INTERNAL && typeof message === 'string') {
      throw new SafeError(code as Code, message);
    }
    throw clusterUnavailable(`the operations API failed (HTTP ${response.status}); the recovery process's log has the details`);
  }
}
