import { describe, expect, it } from 'vitest';
import { TokenVerifier } from '../src/auth/token-verifier.js';
import { loadConfig } from '../src/config/config.js';
import { runCli } from './support/run-cli.js';

/** `distrag token`: lifetime within DISTRAG_MAX_TOKEN_TTL, issuer / audience / namespace as configured. */

const secret = 't'.repeat(40);
const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown> & { iat: number; exp: number };

function token(args: string[], env: Record<string, string> = {}) {
  return runCli(['token', '--role', 'admin', ...args], { DISTRAG_JWT_SECRET: secret, ...env });
}

describe('distrag token --ttl', () => {
  it('lasts one hour by default', () => {
    const result = token([]);
    expect(result.code, result.stderr).toBe(0);
    const { iat, exp } = payloadOf(result.stdout.trim());
    expect(exp - iat).toBe(3600);
  });

  it('takes seconds or a unit: 3600, 90s, 15m, 12h, 1d', () => {
    for (const [ttl, seconds] of [['3600', 3600], ['90s', 90], ['15m', 900], ['12h', 43_200], ['1d', 86_400]] as const) {
      const result = token(['--ttl', ttl]);
      expect(result.code, result.stderr).toBe(0);
      const { iat, exp } = payloadOf(result.stdout.trim());
      expect(exp - iat, ttl).toBe(seconds);
    }
  });

  it('refuses a lifetime above DISTRAG_MAX_TOKEN_TTL with one line', () => {
    const result = token(['--ttl', '2d']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual(['distrag token: --ttl 2d is above the maximum token lifetime 24h; ask for less, or raise DISTRAG_MAX_TOKEN_TTL']);
    expect(token(['--ttl', '25h'], { DISTRAG_MAX_TOKEN_TTL: '2d' }).code).toBe(0);
    expect(token(['--ttl', '2h'], { DISTRAG_MAX_TOKEN_TTL: '1h' }).code).toBe(2);
  });

  it('stays within a maximum shorter than its default', () => {
    const result = token([], { DISTRAG_MAX_TOKEN_TTL: '10m' });
    expect(result.code, result.stderr).toBe(0);
    const { iat, exp } = payloadOf(result.stdout.trim());
    expect(exp - iat).toBe(600);
  });

  it('refuses a ttl that is not a duration', () => {
    const result = token(['--ttl', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--ttl must be a duration such as 3600, 90s, 15m, 12h or 1d/);
  });
});

describe('distrag token with issuer, audience and claims namespace', () => {
  it('carries them, and the gateway\'s verifier built from the same settings accepts the token', async () => {
    const env = { DISTRAG_JWT_ISSUER: 'https://idp.example/', DISTRAG_JWT_AUDIENCE: 'distrag', DISTRAG_JWT_CLAIMS_NAMESPACE: 'https://distrag.dev/claims' };
    const result = runCli(['token', '--role', 'reader', '--tenant', '5'], { DISTRAG_JWT_SECRET: secret, ...env });
    expect(result.code, result.stderr).toBe(0);
    const jwt = result.stdout.trim();
    expect(payloadOf(jwt)).toMatchObject({ iss: 'https://idp.example/', aud: 'distrag', sub: 'cli-reader', 'https://distrag.dev/claims': { role: 'reader', tenant: '5' } });
    expect(payloadOf(jwt).role).toBeUndefined();
    const verifier = new TokenVerifier({ ...loadConfig(env).tokens, secret });
    expect((await verifier.verify(jwt)).identity).toEqual({ sub: 'cli-reader', role: 'reader', tenant: '5' });
  });
});
