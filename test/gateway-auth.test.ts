import { describe, expect, inject, it } from 'vitest';
import { IDENTITY_HEADER, signForwardedIdentity } from '../src/auth/forwarded-identity.js';
import { signUserToken } from '../src/auth/user-token.js';
import { graphql, tokenFor } from './support/graphql-client.js';

const UNIVERSITIES = '{ universities { universityId name } }';

describe('gateway authentication (CONTRACT §4)', () => {
  it('answers 401 with a JSON error when no token is sent', async () => {
    const { status, body } = await graphql(UNIVERSITIES);
    expect(status).toBe(401);
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(body.data).toBeUndefined();
  });

  it('answers 401 for a token signed with another secret', async () => {
    const forged = await signUserToken('x'.repeat(40), { sub: 'mallory', role: 'admin' });
    const { status, body } = await graphql(UNIVERSITIES, { token: forged });
    expect(status).toBe(401);
    expect(body.errors?.[0]?.message).toMatch(/invalid token/);
  });

  it('answers 401 for an expired token', async () => {
    const expired = await signUserToken(inject('stack').jwtSecret, { sub: 'old', role: 'admin' }, -10);
    expect((await graphql(UNIVERSITIES, { token: expired })).status).toBe(401);
  });

  it('returns the seeded universities through the gateway', async () => {
    const { status, body } = await graphql(UNIVERSITIES, { token: await tokenFor('reader', '1') });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    // scale 0.1 seeds 2 universities, ids 1 and 2
    expect(body.data?.universities).toEqual([
      { universityId: 1, name: 'University of Lisbon' },
      { universityId: 2, name: 'University of Porto' },
    ]);
  });

  it('returns the same data through NGINX', async () => {
    const nginx = inject('stack').info.urls.nginx;
    expect(nginx, 'nginx is installed by the pretest step').not.toBeNull();
    const { body } = await graphql(UNIVERSITIES, { token: await tokenFor('reader', '2'), url: nginx! });
    expect((body.data?.universities as unknown[]).length).toBe(2);
  });

  it('refuses an admin field to a reader with FORBIDDEN', async () => {
    const { body } = await graphql('{ cluster { mode } }', { token: await tokenFor('reader', '1') });
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(body.data).toBeNull();
  });

  it('serves the admin field to an admin, federated from every subgraph in one request', async () => {
    const { body } = await graphql('{ cluster { mode nodes { name role status } } ragStatus { llmConfigured vectorStoreReachable } cacheStats { enabled } }', {
      token: await tokenFor('admin'),
    });
    expect(body.errors).toBeUndefined();
    expect(body.data).toMatchObject({
      cluster: { nodes: expect.arrayContaining([{ name: 'coordinator', role: 'COORDINATOR', status: 'UP' }]) },
      ragStatus: { llmConfigured: true, vectorStoreReachable: true },
      cacheStats: { enabled: true },
    });
    expect(['SINGLE', 'CITUS']).toContain((body.data?.cluster as { mode: string }).mode);
  });

  it('rejects a reader token without a tenant claim', async () => {
    // Build the token by hand: signUserToken itself refuses to create it.
    const { SignJWT } = await import('jose');
    const token = await new SignJWT({ role: 'reader' }).setProtectedHeader({ alg: 'HS256' }).setSubject('r').setExpirationTime('1h').sign(new TextEncoder().encode(inject('stack').jwtSecret));
    const { status, body } = await graphql(UNIVERSITIES, { token });
    expect(status).toBe(401);
    expect(body.errors?.[0]?.message).toMatch(/tenant/);
  });
});

describe('subgraphs accept only the gateway', () => {
  const dataUrl = () => `http://127.0.0.1:${inject('stack').ports.data}/graphql`;

  it('refuses a direct call carrying a valid user token', async () => {
    const { status } = await graphql(UNIVERSITIES, { url: dataUrl(), token: await tokenFor('admin') });
    expect(status).toBe(401);
  });

  it('refuses a forged identity header', async () => {
    const forged = signForwardedIdentity('y'.repeat(40), { sub: 'm', role: 'admin', tenant: null }).value;
    const { status } = await graphql(UNIVERSITIES, { url: dataUrl(), headers: { [IDENTITY_HEADER]: forged } });
    expect(status).toBe(401);
  });

  it('serves a call signed with the internal secret', async () => {
    const signed = signForwardedIdentity(inject('stack').internalSecret, { sub: 't', role: 'reader', tenant: '1' }).value;
    const { status, body } = await graphql(UNIVERSITIES, { url: dataUrl(), headers: { [IDENTITY_HEADER]: signed } });
    expect(status).toBe(200);
    expect((body.data?.universities as unknown[]).length).toBe(2);
  });
});

describe('gateway endpoints and limits', () => {
  const base = () => inject('stack').info.urls.graphql.replace(/\/graphql$/, '');

  it('serves /healthz and /readyz without a token', async () => {
    expect((await fetch(`${base()}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base()}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('serves the Apollo Sandbox page to browsers in development', async () => {
    const page = await fetch(inject('stack').info.urls.graphql, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/sandbox/i);
  });

  it('answers CORS preflights so the embedded Sandbox can call the endpoint', async () => {
    const preflight = await fetch(inject('stack').info.urls.graphql, {
      method: 'OPTIONS',
      headers: { origin: 'https://studio.apollographql.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://studio.apollographql.com');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
  });

  it('serves Prometheus metrics to admins only', async () => {
    expect((await fetch(`${base()}/metrics`)).status).toBe(401);
    const reader = await fetch(`${base()}/metrics`, { headers: { authorization: `Bearer ${await tokenFor('reader', '1')}` } });
    expect(reader.status).toBe(403);
    const admin = await fetch(`${base()}/metrics`, { headers: { authorization: `Bearer ${await tokenFor('admin')}` } });
    expect(admin.status).toBe(200);
    expect(await admin.text()).toContain('distrag_http_requests_total');
  });

  it('rejects an operation deeper than the depth limit with BAD_USER_INPUT', async () => {
    // students → department → students … 13 fields deep (the limit is 12).
    let inner = 'studentId';
    for (let level = 12; level >= 1; level--) inner = level % 2 === 1 ? `students(limit: 1) { ${inner} }` : `department { ${inner} }`;
    const { body } = await graphql(`{ ${inner} }`, { token: await tokenFor('reader', '1') });
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toBe('operation depth 13 exceeds the limit of 12');
    // Introspection's `ofType` chain is one object per level, not depth; nested `fields` (what
    // multiplies an answer) are refused by graphql-js's introspection depth rule.
    const nestedFields = await graphql('{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }', { token: await tokenFor('admin') });
    expect(nestedFields.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(nestedFields.body.errors?.[0]?.message).toMatch(/depth/);
  });

  it('answers malformed GraphQL with BAD_USER_INPUT and no stack trace', async () => {
    const { body } = await graphql('{ universities { ', { token: await tokenFor('admin') });
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(body)).not.toMatch(/stacktrace|at .*\.js/);
  });

  it('answers a body that is not JSON with 400', async () => {
    const response = await fetch(inject('stack').info.urls.graphql, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor('admin')}` },
      body: '{not json',
    });
    expect(response.status).toBe(400);
  });

  it('keeps a bad argument a clear BAD_USER_INPUT from the subgraph', async () => {
    const { body } = await graphql('{ universities(limit: 100000) { name } }', { token: await tokenFor('reader', '1') });
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(body.errors?.[0]?.message).toMatch(/limit/);
  });
});
