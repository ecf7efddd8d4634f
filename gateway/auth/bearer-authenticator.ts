import type { IncomingMessage } from 'node:http';
import { InvalidTokenError, verifyUserToken } from '../../src/auth/user-token.js';
import type { Identity } from '../../src/auth/identity.js';

const CACHE_LIMIT = 10_000;
const CACHE_TTL_MS = 60_000;

/**
 * Verifies `Authorization: Bearer <JWT>` (CONTRACT §4). Verified tokens are remembered for a minute
 * (never past their expiry) so repeat callers skip the HMAC and JSON work.
 */
export class BearerAuthenticator {
  private readonly cache = new Map<string, { identity: Identity; until: number }>();

  constructor(private readonly secret: string) {}

  /** The caller's identity, or an error message saying what is wrong with the token. */
  async authenticate(req: IncomingMessage): Promise<{ identity: Identity } | { error: string }> {
    const header = req.headers.authorization;
    if (!header) return { error: 'missing Authorization header; send `Authorization: Bearer <token>` (get one with `npx distrag token`)' };
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return { error: 'Authorization header must be `Bearer <token>`' };
    return this.verify(match[1]);
  }

  async verify(token: string): Promise<{ identity: Identity } | { error: string }> {
    const now = Date.now();
    const cached = this.cache.get(token);
    if (cached && cached.until > now) return { identity: cached.identity };
    try {
      const { identity, expiresAt } = await verifyUserToken(this.secret, token);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(token, { identity, until: Math.min(expiresAt, now + CACHE_TTL_MS) });
      return { identity };
    } catch (error) {
      if (error instanceof InvalidTokenError) return { error: `invalid token: ${error.message}` };
      throw error;
    }
  }
}
