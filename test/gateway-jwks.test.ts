import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signUserToken } from '../src/auth/user-token.js';
import { distDir } from '../src/paths.js';
import { freePorts } from '../src/stack/port-check.js';
import { graphql } from './support/graphql-client.js';
import { idpKey, idpToken, startJwksServer, type IdpKey, type JwksServer } from './support/jwks-server.js';

/**
 * A gateway behind an identity provider (issue 9): a gateway process of its own, in front of the
 * shared stack's subgraphs, configured as the README's worked example (JWKS URL, issuer, audience,
 * claims namespace). Tokens travel the real HTTP path.
 */

const ISSUER = 'https://idp.example/';
const AUDIENCE = 'distrag-api';
const NAMESPACE = 'https://distrag.dev/claims';
const UNIVERSITIES = '{ universities { universityId name } }';

describe('gateway with a JWKS identity provider', () => {
  let key: IdpKey;
  let jwks: JwksServer;
  let gateway: ChildProcess;
  let url: string;
  const output: string[] = [];

  beforeAll(async () => {
    key = await idpKey('RS256', 'idp-2025');
    jwks = await startJwksServer([key]);
    const stack = inject('stack');
    const host = stack.env.DISTRAG_HOST!;
    const subgraphs = ['data', 'rag', 'cache', 'cluster'].map((name) => `${name}=http://${host}:${stack.env[`DISTRAG_${name.toUpperCase()}_PORT`]}/graphql`).join(',');
    const [port] = await freePorts(1);
    url = `http://${host}:${port}/graphql`;
    gateway = spawn(process.execPath, [path.join(distDir, 'gateway', 'main.js')], {
      env: {
        ...process.env,
        ...stack.env,
        DISTRAG_SERVICE_PORT: String(port),
        DISTRAG_SUBGRAPHS: subgraphs,
        DISTRAG_REDIS_URL: stack.info.urls.redis,
        DISTRAG_JWT_SECRET: stack.jwtSecret,
        DISTRAG_INTERNAL_SECRET: stack.internalSecret,
        DISTRAG_JWKS_URL: jwks.url.href,
        DISTRAG_JWT_ISSUER: ISSUER,
        DISTRAG_JWT_AUDIENCE: AUDIENCE,
        DISTRAG_JWT_CLAIMS_NAMESPACE: NAMESPACE,
        DISTRAG_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    gateway.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    gateway.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    let gone = false;
    const exited = new Promise<never>((_, reject) => gateway.once('exit', (code) => {
      gone = true;
      reject(new Error(`gateway exited (${code}): ${output.join('')}`));
    }));
    // Ready once it has composed the supergraph from the shared stack's subgraphs.
    const ready = (async () => {
      while (!gone) {
        const ok = await fetch(`http://${host}:${port}/readyz`).then((r) => r.ok, () => false);
        if (ok) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await Promise.race([ready, exited]);
  });

  afterAll(async () => {
    if (gateway && gateway.exitCode === null) {
      const exited = new Promise((resolve) => gateway.once('exit', resolve));
      gateway.kill('SIGTERM');
      await exited;
    }
    await jwks?.close();
  });

  const claims = (role: string, tenant?: string) => ({ [NAMESPACE]: tenant === undefined ? { role } : { role, tenant } });

  it('serves a request carrying the identity provider\'s RS256 token, tenant from the namespace', async () => {
    const token = await idpToken(key, { sub: 'auth0|ana', iss: ISSUER, aud: AUDIENCE, ...claims('reader', '1') });
    const { status, body } = await graphql(UNIVERSITIES, { url, token });
    expect(status, JSON.stringify(body)).toBe(200);
    // A reader of tenant 1 sees all (reference table) universities.
    expect(body.data?.universities).toHaveLength(2);
    expect(jwks.fetches()).toBeGreaterThanOrEqual(1);
  });

  it('answers 401 UNAUTHENTICATED for a token signed by another key under the same kid', async () => {
    const impostor = await idpKey('RS256', 'idp-2025');
    const { status, body } = await graphql(UNIVERSITIES, { url, token: await idpToken(impostor, { sub: 'mallory', iss: ISSUER, aud: AUDIENCE, ...claims('admin') }) });
    expect(status).toBe(401);
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(body.errors?.[0]?.message).toMatch(/signature/);
  });

  it('answers 401 for the right key but another audience, a missing exp, or claims outside the namespace', async () => {
    const cases = [
      { payload: { sub: 'a', iss: ISSUER, aud: 'billing', ...claims('admin') }, message: /`aud`/ },
      { payload: { sub: 'a', iss: ISSUER, aud: AUDIENCE, exp: undefined, ...claims('admin') }, message: /`exp` is missing/ },
      { payload: { sub: 'a', iss: ISSUER, aud: AUDIENCE, role: 'admin' }, message: /claims/ },
    ];
    for (const { payload, message } of cases) {
      const { status, body } = await graphql(UNIVERSITIES, { url, token: await idpToken(key, payload) });
      expect(status).toBe(401);
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(body.errors?.[0]?.message).toMatch(message);
    }
  });

  it('keeps accepting DistRAG\'s own HS256 tokens when they carry the configured issuer, audience and namespace', async () => {
    const own = await signUserToken(inject('stack').jwtSecret, { sub: 'cli-admin', role: 'admin' }, 600, { issuer: ISSUER, audience: AUDIENCE, claimsNamespace: NAMESPACE });
    expect((await graphql(UNIVERSITIES, { url, token: own })).status).toBe(200);
    const bare = await signUserToken(inject('stack').jwtSecret, { sub: 'cli-admin', role: 'admin' });
    expect((await graphql(UNIVERSITIES, { url, token: bare })).status).toBe(401);
  });
});
