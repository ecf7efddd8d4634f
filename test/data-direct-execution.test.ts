import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IDENTITY_HEADER, signForwardedIdentity } from '../src/auth/forwarded-identity.js';
import { EXECUTION_HEADER } from '../src/http/graphql-http-server.js';
import { adminQuery, gql } from './support/database.js';
import { graphql, tokenFor } from './support/graphql-client.js';

/**
 * Two shortcuts must answer exactly as the full path does:
 * - the gateway sends an operation one subgraph resolves entirely straight to it (no query plan),
 * - the data subgraph answers pure data queries with the statement's JSON text (no graphql-js).
 * `x-distrag-execution: planned` turns both off for one request; every query below is run both
 * ways and the bodies must be the same.
 */

beforeAll(async () => {
  await adminQuery(`CREATE TYPE direct_level AS ENUM ('low', 'mid-high', 'top')`);
  await adminQuery('CREATE TABLE direct_probe (university_id integer NOT NULL, id integer NOT NULL, level direct_level, levels direct_level[], span interval, PRIMARY KEY (university_id, id))');
  await adminQuery(`INSERT INTO direct_probe VALUES (1, 1, 'mid-high', '{low,mid-high}', '1 hour'), (1, 2, NULL, '{}', NULL), (2, 3, 'top', NULL, '2 days')`);
  for (let waited = 0; (await gql('admin', null, '{ directProbe { id } }')).errors; waited += 100) {
    if (waited > 15_000) throw new Error('direct_probe did not appear in the API');
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(async () => {
  await adminQuery('DROP TABLE IF EXISTS direct_probe');
  await adminQuery('DROP TYPE IF EXISTS direct_level');
});

const QUERIES: Array<[string, string, unknown?]> = [
  ['nested lists, objects and aggregates', '{ departments(limit: 3) { name budget students(limit: 2, orderBy: [{ gpa: DESC }]) { studentId gpa enrolledOn department { name } } studentsAggregate { count avg { gpa } } } }'],
  ['aliases, fragments and __typename everywhere', `fragment D on Department { __typename n: name }
    { __typename a: students(limit: 2) { __typename id: studentId department { ...D } } b: studentsAggregate { __typename count max { __typename gpa enrolledOn } sum { gpa } } }`],
  ['variables, @skip and @include', 'query ($n: Int!, $withDept: Boolean!, $w: StudentBoolExp) { students(limit: $n, where: $w) { studentId department @include(if: $withDept) { name } lastName @skip(if: $withDept) } }', { n: 3, withDept: true, w: { lastName: { ilike: '%a%' } } }],
  ['byPk hits and misses', '{ hit: studentsByPk(universityId: 1, studentId: "100003") { firstName } miss: studentsByPk(universityId: 1, studentId: "1") { firstName } }'],
  ['enum labels that are not GraphQL names, in arrays, filters and min/max', '{ directProbe(where: { level: { in: [MID_HIGH, top] } }) { id level levels span } directProbeAggregate { min { level } max { level } } }'],
  ['an SQL error (a value the column type refuses)', '{ directProbe(where: { span: { gt: "not an interval" } }) { id } }'],
  ['a planning error (limit over the cap)', '{ students(limit: 5000) { studentId } }'],
  ['a validation error', '{ students { noSuchField } }'],
];

/**
 * The planned path cannot map a subgraph error's locations back to the client's document and
 * leaves them out; the direct path, running the client's own document, reports them. Compared
 * without locations.
 */
async function viaGateway(query: string, variables: unknown, planned: boolean): Promise<unknown> {
  const { body } = await graphql(query, { token: await tokenFor('reader', '1'), variables, headers: planned ? { [EXECUTION_HEADER]: 'planned' } : {} });
  return { ...body, ...(body.errors ? { errors: body.errors.map(({ locations: _l, ...rest }: { locations?: unknown }) => rest) } : {}) };
}

async function viaSubgraph(query: string, variables: unknown, planned: boolean): Promise<unknown> {
  const identity = signForwardedIdentity(inject('stack').internalSecret, { sub: 't', role: 'reader', tenant: '1' }).value;
  const headers: Record<string, string> = { [IDENTITY_HEADER]: identity };
  if (planned) headers[EXECUTION_HEADER] = 'planned';
  const { body } = await graphql(query, { url: `http://127.0.0.1:${inject('stack').ports.data}/graphql`, variables, headers });
  return body;
}

describe('direct execution answers exactly as planned execution', () => {
  it.each(QUERIES)('through the gateway: %s', async (_name, query, variables) => {
    const planned = await viaGateway(query, variables, true);
    expect(await viaGateway(query, variables, false)).toEqual(planned);
  });

  it.each(QUERIES)('at the data subgraph: %s', async (_name, query, variables) => {
    const planned = await viaSubgraph(query, variables, true);
    expect(await viaSubgraph(query, variables, false)).toEqual(planned);
  });

  it('renames enum labels and keeps arrays, nulls and empty arrays apart', async () => {
    expect(await viaSubgraph('{ directProbe { id level levels } }', undefined, false)).toEqual({
      data: { directProbe: [{ id: 1, level: 'MID_HIGH', levels: ['low', 'MID_HIGH'] }, { id: 2, level: null, levels: [] }] },
    });
  });
});

describe('routing', () => {
  async function routed(): Promise<Record<string, number>> {
    const response = await fetch(inject('stack').info.urls.graphql.replace('/graphql', '/metrics'), { headers: { authorization: `Bearer ${await tokenFor('admin')}` } });
    const text = await response.text();
    const counts: Record<string, number> = {};
    for (const match of text.matchAll(/^distrag_gateway_operations_total\{route="([^"]+)"[^}]*\} (\d+)/gm)) counts[match[1]!] = Number(match[2]);
    return counts;
  }

  it('sends a data-only operation straight to the data subgraph, and plans one that spans subgraphs', async () => {
    const before = await routed();
    await gql('reader', '1', '{ students(limit: 1) { studentId } }');
    const middle = await routed();
    expect((middle['single-subgraph'] ?? 0) - (before['single-subgraph'] ?? 0)).toBe(1);
    const mixed = await gql('admin', null, '{ students(limit: 1) { studentId } ragStatus { llmConfigured } cacheStatus { redisReachable } }');
    expect(mixed.errors).toBeUndefined();
    expect(mixed.data).toMatchObject({ ragStatus: { llmConfigured: false }, cacheStatus: { redisReachable: true } });
    const after = await routed();
    expect((after.planned ?? 0) - (middle.planned ?? 0)).toBe(1);
  });

  it('answers introspection from the gateway', async () => {
    const body = await gql('reader', '1', '{ __schema { queryType { name } } }');
    expect(body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});
