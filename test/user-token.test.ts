import { describe, expect, it } from 'vitest';
import { TokenVerifier } from '../src/auth/token-verifier.js';
import { DEFAULT_TOKEN_TTL_SECONDS, InvalidTokenError, signUserToken } from '../src/auth/user-token.js';
import { loadConfig } from '../src/config/config.js';

const secret = 'q'.repeat(40);
const verifier = new TokenVerifier({ ...loadConfig({}).tokens, secret });

describe('user tokens (CONTRACT §4)', () => {
  it('carries sub, role and tenant', async () => {
    const token = await signUserToken(secret, { sub: 'ana', role: 'reader', tenant: '4' });
    expect((await verifier.verify(token)).identity).toEqual({ sub: 'ana', role: 'reader', tenant: '4' });
  });

  it('lets an admin omit the tenant', async () => {
    const token = await signUserToken(secret, { sub: 'root', role: 'admin' });
    expect((await verifier.verify(token)).identity.tenant).toBeNull();
  });

  it('expires, by default after an hour (within the default maximum lifetime)', async () => {
    const token = await signUserToken(secret, { sub: 'root', role: 'admin' });
    const { iat, exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
    expect(exp - iat).toBe(DEFAULT_TOKEN_TTL_SECONDS);
  });

  it('refuses to sign a reader or writer without a tenant, or a hostile tenant', async () => {
    await expect(signUserToken(secret, { sub: 'x', role: 'writer' })).rejects.toThrow(/tenant/);
    await expect(signUserToken(secret, { sub: 'x', role: 'reader', tenant: "1' OR '1'='1" })).rejects.toThrow(/tenant/);
  });

  it('rejects tokens with another algorithm or secret', async () => {
    const token = await signUserToken('p'.repeat(40), { sub: 'x', role: 'admin' });
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x","role":"admin"}').toString('base64url')}.`;
    await expect(verifier.verify(none)).rejects.toBeInstanceOf(InvalidTokenError);
  });
});
