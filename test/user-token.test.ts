import { describe, expect, it } from 'vitest';
import { InvalidTokenError, signUserToken, verifyUserToken } from '../src/auth/user-token.js';

const secret = 'q'.repeat(40);

describe('user tokens (CONTRACT §4)', () => {
  it('carries sub, role and tenant', async () => {
    const token = await signUserToken(secret, { sub: 'ana', role: 'reader', tenant: '4' });
    expect((await verifyUserToken(secret, token)).identity).toEqual({ sub: 'ana', role: 'reader', tenant: '4' });
  });

  it('lets an admin omit the tenant', async () => {
    const token = await signUserToken(secret, { sub: 'root', role: 'admin' });
    expect((await verifyUserToken(secret, token)).identity.tenant).toBeNull();
  });

  it('refuses to sign a reader or writer without a tenant, or a hostile tenant', async () => {
    await expect(signUserToken(secret, { sub: 'x', role: 'writer' })).rejects.toThrow(/tenant/);
    await expect(signUserToken(secret, { sub: 'x', role: 'reader', tenant: "1' OR '1'='1" })).rejects.toThrow(/tenant/);
  });

  it('rejects tokens with another algorithm or secret', async () => {
    const token = await signUserToken('p'.repeat(40), { sub: 'x', role: 'admin' });
    await expect(verifyUserToken(secret, token)).rejects.toBeInstanceOf(InvalidTokenError);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x","role":"admin"}').toString('base64url')}.`;
    await expect(verifyUserToken(secret, none)).rejects.toBeInstanceOf(InvalidTokenError);
  });
});
