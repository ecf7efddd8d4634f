import { inject } from 'vitest';
import { signUserToken } from '../../src/auth/user-token.js';
import type { Role } from '../../src/auth/identity.js';

export interface GraphqlResponse {
  status: number;
  /** The response headers (`x-distrag-execution-path` says which path answered). */
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

/** A token signed with the shared stack's secret. */
export function tokenFor(role: Role, tenant?: string): Promise<string> {
  return signUserToken(inject('stack').jwtSecret, { sub: `test-${role}`, role, tenant: tenant ?? null });
}

/** POSTs an operation to a GraphQL URL (the gateway by default). */
export async function graphql(query: string, options: { token?: string; url?: string; headers?: Record<string, string>; variables?: unknown; operationName?: string } = {}): Promise<GraphqlResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(options.url ?? inject('stack').info.urls.graphql, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables: options.variables, operationName: options.operationName }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphqlResponse['body'] };
}
