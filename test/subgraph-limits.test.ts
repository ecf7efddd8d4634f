import { describe, expect, it, inject } from 'vitest';
import { IDENTITY_HEADER, signForwardedIdentity } from '../src/auth/forwarded-identity.js';
import { EXECUTION_HEADER } from '../src/http/graphql-http-server.js';
import { getIntrospectionQuery } from 'graphql';
import { graphql, tokenFor } from './support/graphql-client.js';

/**
 * The gateway is not the only door: a caller holding the internal secret (a compromised host on
 * the service network) reaches a subgraph with any document. Every subgraph applies the depth,
 * breadth and cost limits itself, on its direct path and on Apollo's.
 */
const maxDepth = Number(inject('stack').env.DISTRAG_MAX_DEPTH ?? 12);
const maxFields = Number(inject('stack').env.DISTRAG_MAX_FIELDS ?? 500);

function subgraphUrl(name: 'data' | 'cluster'): string {
  return `http://127.0.0.1:${inject('stack').ports[name]}/graphql`;
}

function signed(role: 'reader' | 'admin', tenant: string | null, planned = false): Record<string, string> {
  const headers: Record<string, string> = { [IDENTITY_HEADER]: signForwardedIdentity(inject('stack').internalSecret, { sub: 'limits-test', role, tenant }).value };
  if (planned) headers[EXECUTION_HEADER] = 'planned';
  return headers;
}

/** students → department → students → … nested until the selection is `depth` fields deep. */
function deepDataQuery(depth: number): string {
  let inner = 'studentId';
  for (let level = depth - 1; level >= 1; level--) inner = level % 2 === 1 ? `students(limit: 1) { ${inner} }` : `department { ${inner} }`;
  return `{ ${inner} }`;
}

/** An introspection query `depth` fields deep. */
function deepIntrospection(depth: number): string {
  // __schema → types, then fields → type → fields … (each `fields` level multiplies the answer's
  // size), ending in `name`. `ofType` levels would not count (see operation-limits.ts).
  let inner = 'name';
  for (let level = depth - 1; level >= 3; level--) inner = `${level % 2 === 1 ? 'fields' : 'type'} { ${inner} }`;
  return `{ __schema { types { ${inner} } } }`;
}

describe('every subgraph enforces the operation limits itself', () => {
  it('the gateway answers the standard introspection query (GraphiQL, codegen): its `ofType` nesting is not depth', async () => {
    const token = await tokenFor('reader', '1');
    const response = await graphql(getIntrospectionQuery({ inputValueDeprecation: true }), { token });
    expect(response.body.errors).toBeUndefined();
    expect((response.body.data as { __schema: { types: unknown[] } }).__schema.types.length).toBeGreaterThan(20);
  });

  it.each([false, true])('data subgraph refuses an over-deep document (planned only: %s) and runs one at the limit', async (planned) => {
    const over = await graphql(deepDataQuery(maxDepth + 1), { url: subgraphUrl('data'), headers: signed('reader', '1', planned) });
    expect(over.body.data ?? null).toBeNull();
    expect(over.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(over.body.errors?.[0]?.message).toMatch(new RegExp(`operation depth ${maxDepth + 1} exceeds the limit of ${maxDepth}`));

    const atLimit = await graphql(deepDataQuery(maxDepth), { url: subgraphUrl('data'), headers: signed('reader', '1', planned) });
    expect(atLimit.body.errors).toBeUndefined();
    expect(Array.isArray(atLimit.body.data?.students)).toBe(true);
  });

  it.each([false, true])('data subgraph refuses an over-broad document (planned only: %s)', async (planned) => {
    const fields = Array.from({ length: maxFields + 1 }, (_, i) => `f${i}: __typename`).join(' ');
    const over = await graphql(`{ students(limit: 1) { ${fields} } }`, { url: subgraphUrl('data'), headers: signed('reader', '1', planned) });
    // `__typename` is federation plumbing the gateway may add; aliased it is still free, so count real fields.
    expect(over.body.errors).toBeUndefined();
    const realFields = Array.from({ length: maxFields + 1 }, (_, i) => `f${i}: studentId`).join(' ');
    const broad = await graphql(`{ students(limit: 1) { ${realFields} } }`, { url: subgraphUrl('data'), headers: signed('reader', '1', planned) });
    expect(broad.body.data ?? null).toBeNull();
    expect(broad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(broad.body.errors?.[0]?.message).toMatch(`more than ${maxFields} fields`);
  });

  it.each([false, true])('data subgraph refuses a document over the cost limit (planned only: %s)', async (planned) => {
    // ≈ 1000 students × 5 enrollments × 50 enrollments of each course (as in data-relations' cost test).
    const response = await graphql('{ students(limit: 1000) { enrollments(limit: 1000) { course { enrollments(limit: 1000) { grade } } } } }', {
      url: subgraphUrl('data'),
      headers: signed('reader', '1', planned),
    });
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.body.errors?.[0]?.message).toMatch(/over the limit of/);
  });

  it('a subgraph without generated fields (cluster) refuses an over-deep introspection document, and answers the standard one', async () => {
    // Nested `fields` multiply an answer's size: graphql-js refuses more than a few levels of them
    // (MaxIntrospectionDepthRule), below our depth limit; either refusal is BAD_USER_INPUT.
    const over = await graphql(deepIntrospection(maxDepth + 1), { url: subgraphUrl('cluster'), headers: signed('admin', null) });
    expect(over.body.data ?? null).toBeNull();
    expect(over.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(over.body.errors?.[0]?.message).toMatch(/exceeds the limit|Maximum introspection depth exceeded/);

    const standard = await graphql(getIntrospectionQuery({ inputValueDeprecation: true }), { url: subgraphUrl('cluster'), headers: signed('admin', null) });
    expect(standard.body.errors).toBeUndefined();
    expect((standard.body.data as { __schema: { types: unknown[] } }).__schema.types.length).toBeGreaterThan(0);
  });
});
