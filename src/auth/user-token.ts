import { SignJWT, type JWTPayload } from 'jose';
import { isRole, TENANT_PATTERN, type Identity, type Role } from './identity.js';

/**
 * The shape of a user token (CONTRACT §4), both ways: `signUserToken` makes DistRAG's own HS256
 * tokens (`distrag token`, the dev token of `up`, tests), `identityFromClaims` reads the identity
 * out of any verified token (see token-verifier.ts for the checks before it).
 */

/** Lifetime of a token signed without an explicit one (always within DISTRAG_MAX_TOKEN_TTL's default). */
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

const encoder = new TextEncoder();

export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

/** Where the claims go, matching what the verifier expects (DISTRAG_JWT_ISSUER, _AUDIENCE, _CLAIMS_NAMESPACE). */
export interface TokenClaimOptions {
  issuer?: string | null;
  audience?: string | null;
  /** `role` and `tenant` go under this claim instead of the top level. */
  claimsNamespace?: string | null;
}

/** Signs an HS256 user token: claims `sub`, `role`, and `tenant` (required for reader and writer), `iat` and `exp`. */
export async function signUserToken(
  secret: string,
  claims: { sub: string; role: Role; tenant?: string | null },
  ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS,
  options: TokenClaimOptions = {},
): Promise<string> {
  const identity = toIdentity({ sub: claims.sub, role: claims.role, tenant: claims.tenant ?? undefined });
  const own: Record<string, string> = { role: identity.role };
  if (identity.tenant !== null) own.tenant = identity.tenant;
  const payload: JWTPayload = options.claimsNamespace ? { [options.claimsNamespace]: own } : own;
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(identity.sub)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`);
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(encoder.encode(secret));
}

/**
 * The caller's identity from a verified payload: `sub` at the top level, `role` and `tenant` at the
 * top level or, with a namespace, in the object under that claim. Throws InvalidTokenError.
 */
export function identityFromClaims(payload: JWTPayload, claimsNamespace: string | null = null): Identity {
  if (claimsNamespace === null) return toIdentity(payload);
  const scoped = payload[claimsNamespace];
  if (typeof scoped !== 'object' || scoped === null || Array.isArray(scoped)) {
    throw new InvalidTokenError(`claim \`${claimsNamespace}\` (an object holding role and tenant) is missing`);
  }
  const { role, tenant } = scoped as Record<string, unknown>;
  return toIdentity({ sub: payload.sub, role, tenant });
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
