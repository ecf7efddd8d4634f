import { describe, expect, it } from 'vitest';
import { signForwardedIdentity, verifyForwardedIdentity } from '../src/auth/forwarded-identity.js';

const secret = 'k'.repeat(40);
const identity = { sub: 'u1', role: 'writer' as const, tenant: '7' };

describe('forwarded identity header', () => {
  it('round-trips a signed identity', () => {
    expect(verifyForwardedIdentity(secret, signForwardedIdentity(secret, identity).value)).toEqual(identity);
  });

  it('rejects a tampered body', () => {
    const [body, mac] = signForwardedIdentity(secret, identity).value.split('.');
    const forgedBody = Buffer.from(Buffer.from(body!, 'base64url').toString().replace('"writer"', '"admin"')).toString('base64url');
    expect(verifyForwardedIdentity(secret, `${forgedBody}.${mac}`)).toBeNull();
  });

  it('rejects another secret, garbage and expiry', () => {
    expect(verifyForwardedIdentity('z'.repeat(40), signForwardedIdentity(secret, identity).value)).toBeNull();
    expect(verifyForwardedIdentity(secret, 'not-a-header')).toBeNull();
    expect(verifyForwardedIdentity(secret, undefined)).toBeNull();
    const old = signForwardedIdentity(secret, identity, Date.now() - 3_600_000).value;
    expect(verifyForwardedIdentity(secret, old)).toBeNull();
  });
});
