import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.js';

/** The token settings as config.ts parses them: bad values name their variable. */

const refused = (env: Record<string, string>, pattern: RegExp) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(pattern);
};

describe('token configuration', () => {
  it('defaults to a 24 h maximum lifetime and no issuer, audience, namespace or asymmetric key', () => {
    expect(loadConfig({}).tokens).toEqual({ maxTtlSeconds: 86_400, issuer: null, audience: null, claimsNamespace: null, jwks: null, publicKey: null });
  });

  it('reads DISTRAG_MAX_TOKEN_TTL as seconds or with a unit', () => {
    expect(loadConfig({ DISTRAG_MAX_TOKEN_TTL: '3600' }).tokens.maxTtlSeconds).toBe(3600);
    expect(loadConfig({ DISTRAG_MAX_TOKEN_TTL: '90s' }).tokens.maxTtlSeconds).toBe(90);
    expect(loadConfig({ DISTRAG_MAX_TOKEN_TTL: '15m' }).tokens.maxTtlSeconds).toBe(900);
    expect(loadConfig({ DISTRAG_MAX_TOKEN_TTL: '12h' }).tokens.maxTtlSeconds).toBe(43_200);
    expect(loadConfig({ DISTRAG_MAX_TOKEN_TTL: '1d' }).tokens.maxTtlSeconds).toBe(86_400);
    refused({ DISTRAG_MAX_TOKEN_TTL: 'forever' }, /DISTRAG_MAX_TOKEN_TTL must be a duration/);
    refused({ DISTRAG_MAX_TOKEN_TTL: '0' }, /DISTRAG_MAX_TOKEN_TTL/);
    refused({ DISTRAG_MAX_TOKEN_TTL: '400d' }, /DISTRAG_MAX_TOKEN_TTL must be at most 365d/);
  });

  it('takes the issuer, audience, namespace and JWKS settings', () => {
    const { tokens } = loadConfig({
      DISTRAG_JWT_ISSUER: 'https://idp.example/',
      DISTRAG_JWT_AUDIENCE: 'distrag',
      DISTRAG_JWT_CLAIMS_NAMESPACE: 'https://distrag.dev/claims',
      DISTRAG_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
      DISTRAG_JWKS_COOLDOWN_MS: '10000',
    });
    expect(tokens).toMatchObject({ issuer: 'https://idp.example/', audience: 'distrag', claimsNamespace: 'https://distrag.dev/claims' });
    expect(tokens.jwks).toEqual({ url: new URL('https://idp.example/.well-known/jwks.json'), cooldownMs: 10_000, cacheMaxAgeMs: 600_000 });
  });

  it('refuses a JWKS URL that is not http(s)', () => {
    refused({ DISTRAG_JWKS_URL: 'ftp://idp.example/jwks.json' }, /DISTRAG_JWKS_URL must be an http:\/\/ or https:\/\/ URL/);
    refused({ DISTRAG_JWKS_URL: 'jwks.json' }, /DISTRAG_JWKS_URL/);
  });

  it('reads DISTRAG_JWT_PUBLIC_KEY as PEM text (newlines as \\n too) or as a file', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(rsa.publicKey);
    expect(loadConfig({ DISTRAG_JWT_PUBLIC_KEY: pem }).tokens.publicKey).toEqual({ pem: pem.trim(), algorithm: 'RS256' });
    expect(loadConfig({ DISTRAG_JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n') }).tokens.publicKey?.pem).toBe(pem.trim());
    const ec = await generateKeyPair('ES256', { extractable: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-pem-'));
    try {
      const file = path.join(dir, 'idp.pem');
      fs.writeFileSync(file, `issuer key\n${await exportSPKI(ec.publicKey)}`);
      expect(loadConfig({ DISTRAG_JWT_PUBLIC_KEY: file }).tokens.publicKey?.algorithm).toBe('ES256');
      // A relative path is made absolute, so that services started elsewhere (by `up`) find the file.
      expect(loadConfig({ DISTRAG_JWT_PUBLIC_KEY: path.relative(process.cwd(), file) }).DISTRAG_JWT_PUBLIC_KEY).toBe(file);
      refused({ DISTRAG_JWT_PUBLIC_KEY: path.join(dir, 'missing.pem') }, /DISTRAG_JWT_PUBLIC_KEY names the file .*missing\.pem, which cannot be read \(ENOENT\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a private key, a weak key or a curve other than P-256', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    refused({ DISTRAG_JWT_PUBLIC_KEY: await exportPKCS8(rsa.privateKey) }, /DISTRAG_JWT_PUBLIC_KEY holds no `-----BEGIN PUBLIC KEY-----` block/);
    const p384 = await generateKeyPair('ES384', { extractable: true });
    refused({ DISTRAG_JWT_PUBLIC_KEY: await exportSPKI(p384.publicKey) }, /DISTRAG_JWT_PUBLIC_KEY must be an RSA key of at least 2048 bits \(RS256\) or an EC P-256 key \(ES256\), not ec secp384r1/);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    refused({ DISTRAG_JWT_PUBLIC_KEY: weak }, /not rsa 1024 bits/);
    const ed = await generateKeyPair('EdDSA', { extractable: true });
    refused({ DISTRAG_JWT_PUBLIC_KEY: await exportSPKI(ed.publicKey) }, /not ed25519/);
  });

  it('refuses a JWKS URL and a public key together', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    refused({ DISTRAG_JWKS_URL: 'https://idp.example/jwks.json', DISTRAG_JWT_PUBLIC_KEY: await exportSPKI(rsa.publicKey) }, /DISTRAG_JWKS_URL and DISTRAG_JWT_PUBLIC_KEY are both set/);
  });
});
