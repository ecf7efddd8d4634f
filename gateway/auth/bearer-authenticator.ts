import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { SigningKeysUnavailableError, type TokenVerifier, type VerifiedToken } from '../../src/auth/token-verifier.js';
import { InvalidTokenError } from '../../src/auth/user-token.js';

const CACHE_LIMIT = 10_000;
const CACHE_TTL_MS = 60_000;

/**
 * Verifies `Authorization: Bearer <JWT>` (CONTRACT §4) with the gateway's TokenVerifier. Verified
 * tokens are remembered for a minute, never past their expiry, so repeat callers skip the
 * signature and JSON work.
 */
export class BearerAuthenticator {
  private readonly cache = new Map<string, VerifiedToken & { until: number }>();

  constructor(private readonly verifier: TokenVerifier, private readonly log?: Logger) {}

  /** The caller's identity, or an error message saying what is wrong with the token. */
  async authenticate(req: IncomingMessage): Promise<VerifiedToken | { error: string }> {
    const header = req.headers.authorization;
    if (!header) return { error: 'missing Authorization header; send `Authorization: Bearer <token>` (get one with `npx distrag token`)' };
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return { error: 'Authorization header must be `Bearer <token>`' };
    return this.verify(match[1]);
  }

  /** The identity and expiry (ms) of a token, or why it is refused. */
  async verify(token: string): Promise<VerifiedToken | { error: string }> {
    const now = Date.now();
    const cached = this.cache.get(token);
    if (cached && cached.until > now) return { identity: cached.identity, expiresAt: cached.expiresAt };
    try {
      const verified = await this.verifier.verify(token);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(token, { ...verified, until: Math.min(verified.expiresAt, now + CACHE_TTL_MS) });
      return verified;
    } catch (error) {
      if (error instanceof SigningKeysUnavailableError) this.log?.warn({ err: error.cause ?? error }, error.message);
      if (error instanceof InvalidTokenError) return { error: `invalid token: ${error.message}` };
      throw error;
    }
  }
}
