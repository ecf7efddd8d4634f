import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IDENTITY_HEADER, signForwardedIdentity } from '../src/auth/forwarded-identity.js';
import { EXECUTION_HEADER, EXECUTION_PATH_HEADER, SUBGRAPH_EXECUTION_PATH_HEADER } from '../src/http/graphql-http-server.js';
import { adminQuery, eventually, served } from './support/database.js';
import { graphql, tokenFor } from './support/graphql-client.js';

/**
 * Two shortcuts must answer exactly as the full path does:
 * - the gateway sends an operation one subgraph resolves entirely straight to it (no query plan),
 * - the data subgraph answers pure data queries with the statement's JSON text (no graphql-js).
 * `x-distrag-execution: planned` turns both off for one request; every query below is run both
 * ways and the bodies must be the same. Each side must also have been answered by the path it
 * stands for, as the servers report it (`x-distrag-execution-path`, and at the gateway
 * `x-distrag-subgraph-execution-path`): otherwise both bodies could come from one path.
 */

beforeAll(async () => {
  await adminQuery(`CREATE TYPE direct_level AS ENUM ('low', 'mid-high', 'top')`);
  await adminQuery('CREATE TABLE direct_probe (university_id integer NOT NULL, id integer NOT NULL, level direct_level, levels direct_level[], span interval, PRIMARY KEY (university_id, id))');
  await adminQuery(`INSERT INTO direct_probe VALUES (1, 1, 'mid-high', '{low,mid-high}', '1 hour'), (1, 2, NULL, '{}', NULL), (2, 3, 'top', NULL, '2 days')`);
  await eventually(() => served('{ directProbe { id } }'), 15_000, 'direct_probe in the API');
});
afterAll(async () => {
  await adminQuery('DROP TABLE IF EXISTS direct_probe');
  await adminQuery('DROP TYPE IF EXISTS direct_level');
});

type Path = 'direct' | 'planned';

interface Row {
  name: string;
  query: string;
  variables?: unknown;
  /** The gateway's path without the header: `direct` when it sends the operation whole to the data subgraph. */
  gateway: Path;
  /** The data subgraph's path without the header: `planned` when its direct executor declines the operation. */
  data: Path;
}

/** Rows for the direct path: both shortcuts must answer them. */
const DIRECT = { gateway: 'direct', data: 'direct' } as const;

const QUERIES: Row[] = [
  { name: 'nested lists, objects and aggregates', ...DIRECT, query: '{ departments(limit: 3) { name budget students(limit: 2, orderBy: [{ gpa: DESC }]) { studentId gpa enrolledOn department { name } } studentsAggregate { count avg { gpa } } } }' },
  {
    name: 'aliases, fragments and __typename everywhere',
    ...DIRECT,
    query: `fragment D on Department { __typename n: name }
    { __typename a: students(limit: 2) { __typename id: studentId department { ...D } } b: studentsAggregate { __typename count max { __typename gpa enrolledOn } sum { gpa } } }`,
  },
  {
    name: 'variables, @skip and @include',
    ...DIRECT,
    query: 'query ($n: Int!, $withDept: Boolean!, $w: StudentBoolExp) { students(limit: $n, where: $w) { studentId department @include(if: $withDept) { name } lastName @skip(if: $withDept) } }',
    variables: { n: 3, withDept: true, w: { lastName: { ilike: '%a%' } } },
  },
  { name: 'byPk hits and misses', ...DIRECT, query: '{ hit: studentsByPk(universityId: 1, studentId: "100003") { firstName } miss: studentsByPk(universityId: 1, studentId: "1") { firstName } }' },
  { name: 'enum labels that are not GraphQL names, in arrays, filters and min/max', ...DIRECT, query: '{ directProbe(where: { level: { in: [MID_HIGH, top] } }) { id level levels span } directProbeAggregate { min { level } max { level } } }' },
  { name: 'an SQL error (a value the column type refuses)', ...DIRECT, query: '{ directProbe(where: { span: { gt: "not an interval" } }) { id } }' },
  // The direct executor declines planning errors, so that Apollo reports them with their exact
  // GraphQL semantics: the gateway still sends the operation whole, the data subgraph plans it.
  { name: 'a planning error (limit over the cap): the data subgraph declines it, Apollo answers', gateway: 'direct', data: 'planned', query: '{ students(limit: 5000) { studentId } }' },
  // Invalid documents: both shortcuts decline them; the gateway's Apollo refuses it and no subgraph is called.
  { name: 'a validation error: both shortcuts decline it, the gateway answers without calling a subgraph', gateway: 'planned', data: 'planned', query: '{ students { noSuchField } }' },
];

interface Answer {
  body: unknown;
  /** `x-distrag-execution-path` of the server called. */
  path: string | null;
  /** `x-distrag-subgraph-execution-path` (gateway only). */
  subgraphs: string | null;
}

/**
 * The planned path cannot map a subgraph error's locations back to the client's document and
 * leaves them out; the direct path, running the client's own document, reports them. Compared
 * without locations.
 */
async function viaGateway(query: string, variables: unknown, planned: boolean): Promise<Answer> {
  const { body, headers } = await graphql(query, { token: await tokenFor('reader', '1'), variables, headers: planned ? { [EXECUTION_HEADER]: 'planned' } : {} });
  return {
    body: { ...body, ...(body.errors ? { errors: body.errors.map(({ locations: _l, ...rest }: { message: string; locations?: unknown }) => rest) } : {}) },
    path: headers.get(EXECUTION_PATH_HEADER),
    subgraphs: headers.get(SUBGRAPH_EXECUTION_PATH_HEADER),
  };
}

async function viaSubgraph(query: string, variables: unknown, planned: boolean): Promise<Answer> {
  const identity = signForwardedIdentity(inject('stack').internalSecret, { sub: 't', role: 'reader', tenant: '1' }).value;
  const headers: Record<string, string> = { [IDENTITY_HEADER]: identity };
  if (planned) headers[EXECUTION_HEADER] = 'planned';
  const response = await graphql(query, { url: `http://127.0.0.1:${inject('stack').ports.data}/graphql`, variables, headers });
  return { body: response.body, path: response.headers.get(EXECUTION_PATH_HEADER), subgraphs: response.headers.get(SUBGRAPH_EXECUTION_PATH_HEADER) };
}

describe('direct execution answers exactly as planned execution', () => {
  // Loops rather than it.each: its `$name` cuts names at 40 characters, and a row's name says what it expects.
  for (const { name, query, variables, gateway, data } of QUERIES) it(`through the gateway: ${name} (gateway ${gateway}, data subgraph ${data})`, async () => {
    const planned = await viaGateway(query, variables, true);
    const direct = await viaGateway(query, variables, false);
    // Every row is a data-only operation: the gateway declines one only when it does not
    // validate, and then Apollo refuses it without calling a subgraph, on either side.
    const called = gateway === 'direct';
    expect({ path: planned.path, subgraphs: planned.subgraphs }, 'the planned side').toEqual({ path: 'planned', subgraphs: called ? 'data=planned' : null });
    expect({ path: direct.path, subgraphs: direct.subgraphs }, 'the direct side').toEqual({ path: gateway, subgraphs: called ? `data=${data}` : null });
    expect(direct.body).toEqual(planned.body);
  });

  for (const { name, query, variables, data } of QUERIES) it(`at the data subgraph: ${name} (${data})`, async () => {
    const planned = await viaSubgraph(query, variables, true);
    const direct = await viaSubgraph(query, variables, false);
    expect(planned.path, 'the planned side').toBe('planned');
    expect(direct.path, 'the direct side').toBe(data);
    expect(direct.body).toEqual(planned.body);
  });

  it('renames enum labels and keeps arrays, nulls and empty arrays apart', async () => {
    const direct = await viaSubgraph('{ directProbe { id level levels } }', undefined, false);
    expect(direct.path).toBe('direct');
    expect(direct.body).toEqual({
      data: { directProbe: [{ id: 1, level: 'MID_HIGH', levels: ['low', 'MID_HIGH'] }, { id: 2, level: null, levels: [] }] },
    });
  });
});

describe('routing', () => {
  /** The gateway's counters: operations by route, and GraphQL requests by execution path (`path:<path>`). */
  async function routed(): Promise<Record<string, number>> {
    const response = await fetch(inject('stack').info.urls.graphql.replace('/graphql', '/metrics'), { headers: { authorization: `Bearer ${await tokenFor('admin')}` } });
    const text = await response.text();
    const counts: Record<string, number> = {};
    for (const match of text.matchAll(/^distrag_gateway_operations_total\{route="([^"]+)"[^}]*\} (\d+)/gm)) counts[match[1]!] = Number(match[2]);
    for (const match of text.matchAll(/^distrag_graphql_executions_total\{path="([^"]+)"[^}]*\} (\d+)/gm)) counts[`path:${match[1]!}`] = Number(match[2]);
    return counts;
  }
  const delta = (after: Record<string, number>, before: Record<string, number>, key: string) => (after[key] ?? 0) - (before[key] ?? 0);

  it('sends a data-only operation straight to the data subgraph, and plans one that spans subgraphs', async () => {
    const before = await routed();
    const single = await graphql('{ students(limit: 1) { studentId } }', { token: await tokenFor('reader', '1') });
    expect(single.body.errors).toBeUndefined();
    expect([single.headers.get(EXECUTION_PATH_HEADER), single.headers.get(SUBGRAPH_EXECUTION_PATH_HEADER)]).toEqual(['direct', 'data=direct']);
    const middle = await routed();
    expect([delta(middle, before, 'single-subgraph'), delta(middle, before, 'path:direct'), delta(middle, before, 'path:planned')]).toEqual([1, 1, 0]);
    const mixed = await graphql('{ students(limit: 1) { studentId } ragStatus { llmConfigured } cacheStats { enabled } }', { token: await tokenFor('admin') });
    expect(mixed.body.errors).toBeUndefined();
    expect(mixed.body.data).toMatchObject({ ragStatus: { llmConfigured: true }, cacheStats: { enabled: true } });
    // Planned by the gateway: one call per subgraph; the data subgraph answers its part directly,
    // the others (no shortcut of their own) through Apollo.
    expect(mixed.headers.get(EXECUTION_PATH_HEADER)).toBe('planned');
    expect(mixed.headers.get(SUBGRAPH_EXECUTION_PATH_HEADER)?.split(', ').sort()).toEqual(['cache=planned', 'data=direct', 'rag=planned']);
    const after = await routed();
    expect([delta(after, middle, 'planned'), delta(after, middle, 'path:direct'), delta(after, middle, 'path:planned')]).toEqual([1, 0, 1]);
  });

  it('lets a browser read which path answered (CORS exposes both headers)', async () => {
    const { headers } = await graphql('{ universities { name } }', { token: await tokenFor('reader', '1'), headers: { origin: 'https://studio.apollographql.com' } });
    expect(headers.get('access-control-allow-origin')).toBe('https://studio.apollographql.com');
    expect(headers.get('access-control-expose-headers')?.split(/,\s*/)).toEqual([EXECUTION_PATH_HEADER, SUBGRAPH_EXECUTION_PATH_HEADER]);
  });

  it('answers introspection from the gateway', async () => {
    const { body, headers } = await graphql('{ __schema { queryType { name } } }', { token: await tokenFor('reader', '1') });
    expect(body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect([headers.get(EXECUTION_PATH_HEADER), headers.get(SUBGRAPH_EXECUTION_PATH_HEADER)]).toEqual(['direct', null]);
  });
});
