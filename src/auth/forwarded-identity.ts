import { createHmac, timingSafeEqual } from 'node:crypto';
import { isRole, TENANT_PATTERN, type Identity } from './identity.js';

/**
 * The gateway forwards the verified identity to subgraphs in this header, signed with the internal
 * secret that only the gateway and the subgraphs hold: a client calling a subgraph directly, even
 * with a valid user token, is refused.
 */
export const IDENTITY_HEADER = 'x-distrag-identity';

const MAX_AGE_SECONDS = 300;

interface Envelope {
  s: string;
  r: string;
  t: string | null;
  exp: number;
}

/** Signs an identity for one hop; the result is cached by the gateway until close to expiry. */
export function signForwardedIdentity(secret: string, identity: Identity, now = Date.now()): { value: string; expiresAt: number } {
  const exp = Math.floor(now / 1000) + MAX_AGE_SECONDS;
  const body = Buffer.from(JSON.stringify({ s: identity.sub, r: identity.role, t: identity.tenant, exp } satisfies Envelope)).toString('base64url');
  return { value: `${body}.${mac(secret, body)}`, expiresAt: exp * 1000 };
}

/** Returns the identity, or null when the header is absent, forged, malformed or expired. */
export function verifyForwardedIdentity(secret: string, header: string | undefined, now = Date.now()): Identity | null {
  if (!header || header.length > 2048) return null;
  const dot = header.indexOf('.');
  if (dot < 1) return null;
  const body = header.slice(0, dot);
  const given = Buffer.from(header.slice(dot + 1), 'base64url');
  const expected = Buffer.from(mac(secret, body), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let envelope: Partial<Envelope>;
  try {
    envelope = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Envelope>;
  } catch {
    return null;
  }
  const { s, r, t, exp } = envelope;
  if (typeof exp !== 'number' || exp * 1000 < now) return null;
  if (typeof s !== 'string' || !isRole(r)) return null;
  if (t !== null && (typeof t !== 'string' || !TENANT_PATTERN.test(t))) return null;
  return { sub: s, role: r, tenant: t ?? null };
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

/**
 * `verifyForwardedIdentity` with a bounded memory of headers already verified: the gateway reuses
 * a signature for minutes, so most requests skip the HMAC. Expiry is still checked on every call.
 */
export class ForwardedIdentityVerifier {
  private readonly verified = new Map<string, { identity: Identity; expiresAt: number }>();

  constructor(private readonly secret: string, private readonly capacity = 1000) {}

  verify(header: string | undefined, now = Date.now()): Identity | null {
    if (!header) return null;
    const known = this.verified.get(header);
    if (known) {
      if (known.expiresAt >= now) return known.identity;
      this.verified.delete(header);
      return null;
    }
    const identity = verifyForwardedIdentity(this.secret, header, now);
    if (!identity) return null;
    const body = header.slice(0, header.indexOf('.'));
    const { exp } = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { exp: number };
    if (this.verified.size >= this.capacity) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(header, { identity, expiresAt: exp * 1000 });
    return identity;
  }
}
