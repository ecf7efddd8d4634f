import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, importSPKI, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ConfigError, type TokenConfig } from '../config/config.js';
import { formatDuration } from '../config/duration.js';
import type { Identity } from './identity.js';
import { identityFromClaims, InvalidTokenError } from './user-token.js';

/** Everything a verifier needs: the token settings of the config plus the HS256 secret (null: HS256 refused). */
export interface TokenVerifierSettings extends TokenConfig {
  secret: string | null;
}

export interface VerifiedToken {
  identity: Identity;
  /** When the token expires (ms since the epoch): its `exp`, always present. */
  expiresAt: number;
}

/** The key set or key could not be fetched or read: the token may be fine; the caller may log this. */
export class SigningKeysUnavailableError extends InvalidTokenError {
  override name = 'SigningKeysUnavailableError';
}

/** An `iat` further ahead than this (clock skew between issuer and gateway) is refused. */
const FUTURE_IAT_TOLERANCE_SECONDS = 60;
/** Fetching a JWKS may take this long before the token is refused (jose's default is 5 s). */
const JWKS_TIMEOUT_MS = 5_000;

type AsymmetricAlgorithm = 'RS256' | 'ES256';
const encoder = new TextEncoder();

/**
 * Verifies user tokens (CONTRACT §4). The algorithm decides the key, never the other way round:
 * - HS256 only, against DISTRAG_JWT_SECRET (DistRAG's own tokens: `distrag token`, the dev token);
 * - RS256 and ES256 only, against the identity provider's JWKS (DISTRAG_JWKS_URL) or one public key
 *   (DISTRAG_JWT_PUBLIC_KEY) — so an HS256 token "signed" with the public key is checked against the
 *   secret and fails (no algorithm confusion), and HS384/HS512/none are refused outright.
 * Every token must carry `exp`, live no longer than DISTRAG_MAX_TOKEN_TTL (exp - iat, or exp - now
 * without iat), and match DISTRAG_JWT_ISSUER / DISTRAG_JWT_AUDIENCE when they are set.
 */
export class TokenVerifier {
  private readonly hmacKey: Uint8Array | null;
  private readonly asymmetric: { key: JWTVerifyGetKey; algorithms: AsymmetricAlgorithm[] } | null;

  constructor(private readonly settings: TokenVerifierSettings) {
    if (!settings.secret && !settings.jwks && !settings.publicKey) {
      throw new ConfigError('no way to verify tokens: set DISTRAG_JWT_SECRET, DISTRAG_JWKS_URL or DISTRAG_JWT_PUBLIC_KEY');
    }
    this.hmacKey = settings.secret ? encoder.encode(settings.secret) : null;
    this.asymmetric = settings.jwks ? { key: remoteKeySet(settings.jwks), algorithms: ['RS256', 'ES256'] } : settings.publicKey ? { key: publicKey(settings.publicKey), algorithms: [settings.publicKey.algorithm] } : null;
  }

  /** The token's identity and expiry; throws InvalidTokenError with a client-safe reason. */
  async verify(token: string): Promise<VerifiedToken> {
    try {
      const payload = await this.verifySignatureAndClaims(token);
      this.checkLifetime(payload);
      return { identity: identityFromClaims(payload, this.settings.claimsNamespace), expiresAt: payload.exp! * 1000 };
    } catch (error) {
      throw asInvalidToken(error);
    }
  }

  private async verifySignatureAndClaims(token: string): Promise<JWTPayload> {
    const { alg } = decodeProtectedHeader(token);
    const options = {
      issuer: this.settings.issuer ?? undefined,
      audience: this.settings.audience ?? undefined,
      requiredClaims: ['exp'],
    };
    if (alg === 'HS256') {
      if (!this.hmacKey) throw new InvalidTokenError('HS256 tokens are not accepted here; use a token from the identity provider (RS256 or ES256)');
      return (await jwtVerify(token, this.hmacKey, { ...options, algorithms: ['HS256'] })).payload;
    }
    if (alg === 'RS256' || alg === 'ES256') {
      if (!this.asymmetric) throw new InvalidTokenError(`${alg} tokens are not accepted here: no identity provider key is configured; use an HS256 token from \`npx distrag token\``);
      if (!this.asymmetric.algorithms.includes(alg)) throw new InvalidTokenError(`${alg} tokens are not accepted here; the configured public key verifies ${this.asymmetric.algorithms.join(', ')}`);
      return (await jwtVerify(token, this.asymmetric.key, { ...options, algorithms: [alg] })).payload;
    }
    throw new InvalidTokenError(`algorithm ${String(alg)} is not accepted; tokens are HS256 (DistRAG's own) or RS256/ES256 (an identity provider's)`);
  }

  private checkLifetime(payload: JWTPayload): void {
    const now = Math.floor(Date.now() / 1000);
    const { exp, iat } = payload;
    if (iat !== undefined && iat > now + FUTURE_IAT_TOLERANCE_SECONDS) throw new InvalidTokenError('claim `iat` lies in the future; check the issuer\'s clock');
    const lifetime = exp! - (iat ?? now);
    const max = this.settings.maxTtlSeconds;
    if (lifetime > max) {
      throw new InvalidTokenError(`token lifetime ${formatDuration(Math.ceil(lifetime))} is above the maximum of ${formatDuration(max)} (DISTRAG_MAX_TOKEN_TTL); get a shorter-lived token`);
    }
  }
}

/**
 * The identity provider's key set: fetched on first use, kept for cacheMaxAgeMs, fetched again for
 * an unknown `kid` (key rotation) once cooldownMs has passed since the last fetch. Fetch failures
 * become SigningKeysUnavailableError.
 */
function remoteKeySet(jwks: NonNullable<TokenConfig['jwks']>): JWTVerifyGetKey {
  const keySet = createRemoteJWKSet(jwks.url, { cooldownDuration: jwks.cooldownMs, cacheMaxAge: jwks.cacheMaxAgeMs, timeoutDuration: JWKS_TIMEOUT_MS });
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      if (error instanceof joseErrors.JWKSNoMatchingKey) throw new InvalidTokenError('no key of the identity provider matches the token (`kid`/`alg`)', { cause: error });
      if (error instanceof joseErrors.JWKSMultipleMatchingKeys) throw new InvalidTokenError('the token names no `kid` and several keys of the identity provider match', { cause: error });
      throw new SigningKeysUnavailableError('the identity provider\'s signing keys could not be fetched; retry later', { cause: error });
    }
  };
}

/** The configured PEM public key, imported once on first use. */
function publicKey(key: NonNullable<TokenConfig['publicKey']>): JWTVerifyGetKey {
  let imported: Promise<CryptoKey> | null = null;
  return () => (imported ??= importSPKI(key.pem, key.algorithm));
}

function asInvalidToken(error: unknown): InvalidTokenError {
  if (error instanceof InvalidTokenError) return error;
  if (error instanceof joseErrors.JWTExpired) return new InvalidTokenError('token expired', { cause: error });
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const { claim, reason } = error;
    if (claim === 'exp' && reason === 'missing') return new InvalidTokenError('claim `exp` is missing: every token must expire', { cause: error });
    if (claim === 'iss') return new InvalidTokenError('claim `iss` is not the expected issuer (DISTRAG_JWT_ISSUER)', { cause: error });
    if (claim === 'aud') return new InvalidTokenError('claim `aud` does not name the expected audience (DISTRAG_JWT_AUDIENCE)', { cause: error });
    return new InvalidTokenError(`claim \`${claim}\` is ${reason === 'missing' ? 'missing' : 'invalid'}`, { cause: error });
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new InvalidTokenError('token signature is invalid', { cause: error });
  return new InvalidTokenError('token signature or format is invalid', { cause: error });
}
