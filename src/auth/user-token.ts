import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { isRole, TENANT_PATTERN, type Identity, type Role } from './identity.js';

const ALG = 'HS256';
const encoder = new TextEncoder();

export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

/** Signs a user token (CONTRACT §4): claims `sub`, `role`, and `tenant` (required for reader and writer). */
export async function signUserToken(
  secret: string,
  claims: { sub: string; role: Role; tenant?: string | null },
  ttlSeconds = 30 * 24 * 3600,
): Promise<string> {
  const identity = toIdentity({ sub: claims.sub, role: claims.role, tenant: claims.tenant ?? undefined });
  const payload: Record<string, string> = { role: identity.role };
  if (identity.tenant !== null) payload.tenant = identity.tenant;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: ALG, typ: 'JWT' })
    .setSubject(identity.sub)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(encoder.encode(secret));
}

/** Verifies signature, expiry and claims; throws InvalidTokenError with a client-safe reason. */
export async function verifyUserToken(secret: string, token: string): Promise<{ identity: Identity; expiresAt: number }> {
  try {
    const { payload } = await jwtVerify(token, encoder.encode(secret), { algorithms: [ALG] });
    return { identity: toIdentity(payload), expiresAt: payload.exp === undefined ? Infinity : payload.exp * 1000 };
  } catch (error) {
    if (error instanceof InvalidTokenError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new InvalidTokenError('token expired', { cause: error });
    throw new InvalidTokenError('token signature or format is invalid', { cause: error });
  }
}

function toIdentity(claims: { sub?: unknown; role?: unknown; tenant?: unknown }): Identity {
  const { sub, role, tenant } = claims;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) throw new InvalidTokenError('claim `sub` is missing');
  if (!isRole(role)) throw new InvalidTokenError('claim `role` must be reader, writer or admin');
  if (tenant !== undefined && (typeof tenant !== 'string' || !TENANT_PATTERN.test(tenant))) {
    throw new InvalidTokenError('claim `tenant` must be 1-64 letters, digits, _ or -');
  }
  if (role !== 'admin' && tenant === undefined) throw new InvalidTokenError(`claim \`tenant\` is required for role ${role}`);
  return { sub, role, tenant: tenant ?? null };
}
