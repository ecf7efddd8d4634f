import { exportSPKI, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeysUnavailableError, TokenVerifier, type TokenVerifierSettings } from '../src/auth/token-verifier.js';
import { InvalidTokenError, signUserToken } from '../src/auth/user-token.js';
import { ConfigError } from '../src/config/config.js';
import { freePorts } from '../src/stack/port-check.js';
import { idpKey, idpToken, startJwksServer, type IdpKey, type JwksServer } from './support/jwks-server.js';

/** TokenVerifier: which tokens the gateway accepts (CONTRACT §4, issue 9). */

const secret = 'q'.repeat(40);
const secretBytes = new TextEncoder().encode(secret);
const now = () => Math.floor(Date.now() / 1000);

function settings(overrides: Partial<TokenVerifierSettings> = {}): TokenVerifierSettings {
  return { secret, maxTtlSeconds: 86_400, issuer: null, audience: null, claimsNamespace: null, jwks: null, publicKey: null, ...overrides };
}

/** An HS256 token built by hand, so that tests can leave out what signUserToken always sets. */
function handMade(payload: Record<string, unknown>, alg = 'HS256', key: Uint8Array = secretBytes): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg }).sign(key);
}

async function refusal(verifier: TokenVerifier, token: string): Promise<string> {
  const error = await verifier.verify(token).then(() => null, (e: unknown) => e);
  expect(error, 'the token should have been refused').toBeInstanceOf(InvalidTokenError);
  return (error as Error).message;
}

describe('HS256 tokens (DistRAG\'s own)', () => {
  const verifier = new TokenVerifier(settings());

  it('accepts a token signed with the secret, with its identity and expiry', async () => {
    const token = await signUserToken(secret, { sub: 'ana', role: 'reader', tenant: '4' }, 600);
    const { identity, expiresAt } = await verifier.verify(token);
    expect(identity).toEqual({ sub: 'ana', role: 'reader', tenant: '4' });
    expect(Math.abs(expiresAt - (Date.now() + 600_000))).toBeLessThan(2_000);
  });

  it('refuses HS512 (and HS384) even when signed with the right secret', async () => {
    for (const alg of ['HS512', 'HS384']) {
      const token = await handMade({ sub: 'x', role: 'admin', iat: now(), exp: now() + 60 }, alg);
      expect(await refusal(verifier, token)).toMatch(new RegExp(`algorithm ${alg} is not accepted`));
    }
  });

  it('refuses alg none', async () => {
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', role: 'admin', exp: now() + 60 })).toString('base64url')}.`;
    expect(await refusal(verifier, none)).toMatch(/algorithm none is not accepted/);
  });

  it('refuses a token without exp', async () => {
    const token = await handMade({ sub: 'x', role: 'admin', iat: now() });
    expect(await refusal(verifier, token)).toMatch(/claim `exp` is missing/);
  });

  it('refuses an expired token and one signed with another secret', async () => {
    expect(await refusal(verifier, await signUserToken(secret, { sub: 'x', role: 'admin' }, -10))).toBe('token expired');
    expect(await refusal(verifier, await signUserToken('p'.repeat(40), { sub: 'x', role: 'admin' }))).toMatch(/signature/);
  });

  it('refuses a lifetime (exp - iat) above the maximum, and accepts exactly the maximum', async () => {
    const short = new TokenVerifier(settings({ maxTtlSeconds: 3600 }));
    expect(await refusal(short, await signUserToken(secret, { sub: 'x', role: 'admin' }, 3601))).toMatch(/lifetime 3601s is above the maximum of 1h/);
    expect((await short.verify(await signUserToken(secret, { sub: 'x', role: 'admin' }, 3600))).identity.sub).toBe('x');
    // 30 days: what tokens used to live.
    expect(await refusal(verifier, await signUserToken(secret, { sub: 'x', role: 'admin' }, 30 * 86_400))).toMatch(/lifetime 30d is above the maximum of 24h/);
  });

  it('measures exp - now when there is no iat, and refuses an iat in the future', async () => {
    expect(await refusal(verifier, await handMade({ sub: 'x', role: 'admin', exp: now() + 25 * 3600 }))).toMatch(/above the maximum of 24h/);
    expect((await verifier.verify(await handMade({ sub: 'x', role: 'admin', exp: now() + 3600 }))).identity.role).toBe('admin');
    // exp - iat is small, but the token would live for days.
    expect(await refusal(verifier, await handMade({ sub: 'x', role: 'admin', iat: now() + 5 * 86_400, exp: now() + 5 * 86_400 + 60 }))).toMatch(/`iat` lies in the future/);
  });

  it('refuses a token whose claims are incomplete', async () => {
    expect(await refusal(verifier, await handMade({ sub: 'x', role: 'reader', exp: now() + 60 }))).toMatch(/tenant/);
    expect(await refusal(verifier, await handMade({ sub: 'x', role: 'root', exp: now() + 60 }))).toMatch(/role/);
  });

  it('refuses HS256 when no secret is configured (identity provider only)', async () => {
    const key = await idpKey('RS256', 'k');
    const idpOnly = new TokenVerifier(settings({ secret: null, publicKey: { pem: await exportSPKI(key.publicKey), algorithm: 'RS256' } }));
    expect(await refusal(idpOnly, await signUserToken(secret, { sub: 'x', role: 'admin' }))).toMatch(/HS256 tokens are not accepted/);
  });

  it('needs at least one way to verify', () => {
    expect(() => new TokenVerifier(settings({ secret: null }))).toThrow(ConfigError);
  });
});

describe('issuer and audience', () => {
  const verifier = new TokenVerifier(settings({ issuer: 'https://idp.example/', audience: 'distrag' }));
  const options = { issuer: 'https://idp.example/', audience: 'distrag' };

  it('accepts the configured iss and aud (an aud list containing it too)', async () => {
    expect((await verifier.verify(await signUserToken(secret, { sub: 'x', role: 'admin' }, 60, options))).identity.sub).toBe('x');
    const listed = await handMade({ sub: 'x', role: 'admin', exp: now() + 60, iss: 'https://idp.example/', aud: ['other', 'distrag'] });
    expect((await verifier.verify(listed)).identity.sub).toBe('x');
  });

  it('refuses another or a missing issuer', async () => {
    expect(await refusal(verifier, await signUserToken(secret, { sub: 'x', role: 'admin' }, 60, { ...options, issuer: 'https://evil.example/' }))).toMatch(/`iss` is not the expected issuer/);
    expect(await refusal(verifier, await signUserToken(secret, { sub: 'x', role: 'admin' }, 60, { audience: 'distrag' }))).toMatch(/`iss`/);
  });

  it('refuses another or a missing audience', async () => {
    expect(await refusal(verifier, await signUserToken(secret, { sub: 'x', role: 'admin' }, 60, { ...options, audience: 'billing' }))).toMatch(/`aud` does not name the expected audience/);
    expect(await refusal(verifier, await signUserToken(secret, { sub: 'x', role: 'admin' }, 60, { issuer: options.issuer }))).toMatch(/`aud`/);
  });
});

describe('claims under a namespace', () => {
  const namespace = 'https://distrag.dev/claims';
  const verifier = new TokenVerifier(settings({ claimsNamespace: namespace }));

  it('reads role and tenant from the namespace object and sub from the top level', async () => {
    const token = await handMade({ sub: 'auth0|42', exp: now() + 60, [namespace]: { role: 'writer', tenant: '7' }, role: 'admin' });
    expect((await verifier.verify(token)).identity).toEqual({ sub: 'auth0|42', role: 'writer', tenant: '7' });
  });

  it('ignores top-level role and tenant', async () => {
    expect(await refusal(verifier, await handMade({ sub: 'x', role: 'admin', exp: now() + 60 }))).toMatch(/claim `https:\/\/distrag.dev\/claims` .* is missing/);
  });

  it('signs DistRAG\'s own tokens the same way', async () => {
    const token = await signUserToken(secret, { sub: 'cli', role: 'reader', tenant: '3' }, 60, { claimsNamespace: namespace });
    expect((await verifier.verify(token)).identity).toEqual({ sub: 'cli', role: 'reader', tenant: '3' });
    expect(await refusal(new TokenVerifier(settings()), token)).toMatch(/role/);
  });
});

describe('RS256 and ES256 tokens from a JWKS URL', () => {
  let rsa: IdpKey;
  let ec: IdpKey;
  let jwks: JwksServer;
  const viaJwks = (cooldownMs = 30_000) => new TokenVerifier(settings({ jwks: { url: jwks.url, cooldownMs, cacheMaxAgeMs: 600_000 } }));

  beforeAll(async () => {
    rsa = await idpKey('RS256', 'rsa-1');
    ec = await idpKey('ES256', 'ec-1');
    jwks = await startJwksServer([rsa, ec]);
  });
  afterAll(() => jwks.close());

  it('accepts RS256 and ES256 tokens signed with a published key, fetching the key set once', async () => {
    const verifier = viaJwks();
    const before = jwks.fetches();
    expect((await verifier.verify(await idpToken(rsa, { sub: 'r', role: 'admin' }))).identity.sub).toBe('r');
    expect((await verifier.verify(await idpToken(ec, { sub: 'e', role: 'reader', tenant: '2' }))).identity).toEqual({ sub: 'e', role: 'reader', tenant: '2' });
    expect(jwks.fetches() - before).toBe(1);
  });

  it('still accepts HS256 tokens signed with the secret beside the key set', async () => {
    expect((await viaJwks().verify(await signUserToken(secret, { sub: 'cli', role: 'admin' }))).identity.sub).toBe('cli');
  });

  it('refuses a token signed with an unpublished key under a published kid', async () => {
    const impostor = await idpKey('RS256', 'rsa-1');
    expect(await refusal(viaJwks(), await idpToken(impostor, { sub: 'm', role: 'admin' }))).toMatch(/signature/);
  });

  it('applies the same exp and lifetime rules', async () => {
    const verifier = viaJwks();
    expect(await refusal(verifier, await idpToken(rsa, { sub: 'r', role: 'admin', exp: undefined }))).toMatch(/`exp` is missing/);
    expect(await refusal(verifier, await idpToken(rsa, { sub: 'r', role: 'admin', exp: now() + 2 * 86_400 }))).toMatch(/above the maximum/);
  });

  it('fetches the key set again for an unknown kid (key rotation)', async () => {
    const verifier = viaJwks(0);
    await verifier.verify(await idpToken(rsa, { sub: 'r', role: 'admin' }));
    const afterFirst = jwks.fetches();
    // The provider starts publishing its next key only now, after this verifier fetched the set.
    const next = await idpKey('ES256', 'ec-2');
    jwks.publish(next);
    expect((await verifier.verify(await idpToken(next, { sub: 'rotated', role: 'admin' }))).identity.sub).toBe('rotated');
    expect(jwks.fetches()).toBe(afterFirst + 1);
    // A kid the provider never published is refused after one more look.
    const unknown = await idpKey('RS256', 'never-published');
    expect(await refusal(verifier, await idpToken(unknown, { sub: 'm', role: 'admin' }))).toMatch(/no key of the identity provider matches/);
  });

  it('does not fetch again within the cooldown, however many unknown kids arrive', async () => {
    const verifier = viaJwks(60_000);
    await verifier.verify(await idpToken(rsa, { sub: 'r', role: 'admin' }));
    const afterFirst = jwks.fetches();
    for (let i = 0; i < 5; i++) {
      const forged = await idpKey('RS256', `flood-${i}`);
      expect(await refusal(verifier, await idpToken(forged, { sub: 'm', role: 'admin' }))).toMatch(/no key/);
    }
    expect(jwks.fetches()).toBe(afterFirst);
  });

  it('refuses tokens (as unavailable keys) when the key set cannot be fetched', async () => {
    const [dead] = await freePorts(1);
    const verifier = new TokenVerifier(settings({ jwks: { url: new URL(`http://127.0.0.1:${dead}/jwks.json`), cooldownMs: 0, cacheMaxAgeMs: 600_000 } }));
    const error = await verifier.verify(await idpToken(rsa, { sub: 'r', role: 'admin' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningKeysUnavailableError);
    expect((error as Error).message).toMatch(/could not be fetched/);
  });
});

describe('a PEM public key', () => {
  let rsa: IdpKey;
  let pem: string;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    rsa = await idpKey('RS256', 'pem');
    pem = await exportSPKI(rsa.publicKey);
    verifier = new TokenVerifier(settings({ publicKey: { pem, algorithm: 'RS256' } }));
  });

  it('accepts a token signed with the matching private key', async () => {
    expect((await verifier.verify(await idpToken(rsa, { sub: 'p', role: 'admin' }, { kid: null }))).identity.sub).toBe('p');
  });

  it('refuses a token of another key, or of the other algorithm', async () => {
    const other = await idpKey('RS256', 'pem');
    expect(await refusal(verifier, await idpToken(other, { sub: 'm', role: 'admin' }))).toMatch(/signature/);
    const ec = await idpKey('ES256', 'pem');
    expect(await refusal(verifier, await idpToken(ec, { sub: 'm', role: 'admin' }))).toMatch(/ES256 tokens are not accepted here/);
  });

  it('refuses alg confusion: an HS256 token signed with the public key as the HMAC secret', async () => {
    const confused = await handMade({ sub: 'mallory', role: 'admin', iat: now(), exp: now() + 60 }, 'HS256', new TextEncoder().encode(pem));
    expect(await refusal(verifier, confused)).toMatch(/signature/);
    const idpOnly = new TokenVerifier(settings({ secret: null, publicKey: { pem, algorithm: 'RS256' } }));
    expect(await refusal(idpOnly, confused)).toMatch(/HS256 tokens are not accepted/);
  });

  it('refuses RS256 tokens when only the secret is configured', async () => {
    expect(await refusal(new TokenVerifier(settings()), await idpToken(rsa, { sub: 'p', role: 'admin' }))).toMatch(/RS256 tokens are not accepted here/);
  });
});
