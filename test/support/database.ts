import pg from 'pg';
import { inject } from 'vitest';
import { API_DB_ROLES, roleUrl } from '../../src/db/api-roles.js';
import type { Role } from '../../src/auth/identity.js';
import { graphql, tokenFor, type GraphqlResponse } from './graphql-client.js';

/** Runs `fn` with a client connected as the shared stack's admin (superuser). */
export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(inject('stack').info.urls.postgres, fn);
}

/** Runs `fn` connected straight to PostgreSQL as an API role, bypassing DistRAG entirely. */
export async function withApiRole<T>(role: Role, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(roleUrl(inject('stack').info.urls.postgres, API_DB_ROLES[role]), fn);
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function adminQuery<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
  return withAdmin(async (client) => (await client.query<R>(text, values)).rows);
}

/**
 * Runs `fn` and counts the data statements (SELECT / WITH / INSERT / UPDATE / DELETE) the API
 * roles sent to PostgreSQL meanwhile, from pg_stat_statements: transaction control and the tenant
 * SET are not counted.
 */
export async function countApiStatements<T>(fn: () => Promise<T>): Promise<{ result: T; statements: number }> {
  await adminQuery('SELECT pg_stat_statements_reset()');
  const result = await fn();
  const rows = await adminQuery<{ calls: string }>(
    `SELECT coalesce(sum(s.calls), 0)::text AS calls
     FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
     WHERE r.rolname = ANY($1) AND s.query ~* '^\\s*(select|with|insert|update|delete)\\M'`,
    [Object.values(API_DB_ROLES)],
  );
  return { result, statements: Number(rows[0]!.calls) };
}

/** A GraphQL call through the gateway with a token for `role` (and `tenant`). */
export async function gql(role: Role, tenant: string | null, query: string, variables?: unknown): Promise<GraphqlResponse['body']> {
  const { body } = await graphql(query, { token: await tokenFor(role, tenant ?? undefined), variables });
  return body;
}

/** The data of a call that must succeed (fails the test with the errors otherwise). */
export async function gqlData<T = Record<string, unknown>>(role: Role, tenant: string | null, query: string, variables?: unknown): Promise<T> {
  const body = await gql(role, tenant, query, variables);
  if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

/** The first error's code of a call that must fail. */
export async function gqlErrorCode(role: Role, tenant: string | null, query: string, variables?: unknown): Promise<{ code: string | undefined; message: string }> {
  const body = await gql(role, tenant, query, variables);
  const error = body.errors?.[0];
  if (!error) throw new Error(`expected an error, got ${JSON.stringify(body.data)}`);
  return { code: error.extensions?.code, message: error.message };
}

/** Polls `check` until it returns true (usable in hooks, where expect.poll is not). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True once `query` answers without errors (a table created by DDL is served). */
export async function served(query: string): Promise<boolean> {
  return (await gql('admin', null, query)).errors === undefined;
}
