import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { IDENTITY_HEADER, signForwardedIdentity } from '../../src/auth/forwarded-identity.js';
import type { Identity } from '../../src/auth/identity.js';
import { EXECUTION_HEADER, EXECUTION_PATH_HEADER, SUBGRAPH_EXECUTION_PATH_HEADER } from '../../src/http/graphql-http-server.js';
import type { GatewayContext } from '../gateway-context.js';
import { SubgraphHttpClient, type SubgraphHttpResponse, type SubgraphTarget } from './keep-alive-fetcher.js';

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** Re-sign this long before the forwarded identity expires. */
const RESIGN_MARGIN_MS = 60_000;

/**
 * Signs the caller's verified identity for each subgraph call, so subgraphs can trust role and
 * tenant without seeing (or re-verifying) the user's token.
 */
export class IdentitySigner {
  private readonly cache = new Map<string, { value: string; expiresAt: number }>();

  constructor(private readonly secret: string) {}

  sign(identity: Identity): string {
    const key = `${identity.sub}\u0000${identity.role}\u0000${identity.tenant ?? ''}`;
    const cached = this.cache.get(key);
    const now = Date.now();
    if (cached && cached.expiresAt - now > RESIGN_MARGIN_MS) return cached.value;
    const signed = signForwardedIdentity(this.secret, identity, now);
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(key, signed);
    return signed.value;
  }
}

/**
 * The gateway's data source for one subgraph: posts the subgraph operation with the caller's
 * signed identity and returns the parsed GraphQL response. A caller's `x-distrag-execution:
 * planned` is passed on (the subgraph plans too), and the path the subgraph reports is added to
 * the gateway's response as `x-distrag-subgraph-execution-path: <name>=<path>`.
 *
 * It implements `GraphQLDataSource` directly instead of extending `RemoteGraphQLDataSource`: that
 * class builds node-fetch `Headers` and a node-fetch `Request` (URL parsing included) for every
 * call even with a custom fetcher, and its extra features are not used here: no APQ to subgraphs,
 * and subgraph `Cache-Control` headers are not merged into the gateway's cache policy (no
 * subgraph sets cache hints, so gateway responses stay `cache-control: no-store`). Otherwise the
 * behaviour is the same: a non-2xx answer becomes a `"<status>: <statusText>"` GraphQLError
 * (UNAUTHENTICATED for 401, FORBIDDEN for 403), a non-JSON or non-object body is an error.
 */
export class SignedDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly target: SubgraphTarget;

  constructor(
    /** The subgraph's name, as the supergraph knows it. */
    readonly name: string,
    readonly url: string,
    private readonly signer: IdentitySigner,
    private readonly client: SubgraphHttpClient,
  ) {
    this.target = SubgraphHttpClient.target(url);
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    if (!request.query) throw new Error('Missing query');
    const headers: Record<string, string> = {};
    if (request.http?.headers) for (const [name, value] of request.http.headers) headers[name] = value;
    headers['content-type'] = 'application/json';
    headers[IDENTITY_HEADER] = this.signer.sign(this.identityFor(options));
    const incoming = 'incomingRequestContext' in options ? options.incomingRequestContext : undefined;
    const execution = incoming?.request.http?.headers.get(EXECUTION_HEADER);
    if (execution) headers[EXECUTION_HEADER] = execution;
    const { http: _http, ...payload } = request;
    const response = await this.client.post(this.target, headers, JSON.stringify(payload));
    const path = response.headers[EXECUTION_PATH_HEADER];
    if (typeof path === 'string') incoming?.response?.http?.headers.append(SUBGRAPH_EXECUTION_PATH_HEADER, `${this.name}=${path}`);
    const body = parseBody(response);
    // A subgraph answers bad input (e.g. a malformed scalar literal) with HTTP 400 and a GraphQL
    // error body: pass those errors on with their public codes instead of a bare "400".
    if (isGraphqlErrorResponse(body)) return body as GatewayGraphQLResponse;
    if (response.status < 200 || response.status > 299) throw errorFromResponse(response);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new Error(`Expected JSON response body, but received: ${String(body)}`);
    }
    return body as GatewayGraphQLResponse;
  }

  /**
   * Operations run as their caller. Only the gateway's own calls (health checks, schema loads)
   * act as the gateway; an operation without a verified caller is refused rather than signed
   * with the gateway's admin identity.
   */
  private identityFor(options: GraphQLDataSourceProcessOptions<GatewayContext>): Identity {
    // Only incoming operations carry `incomingRequestContext` (the kind enum is not exported).
    if (!('incomingRequestContext' in options)) return GATEWAY_IDENTITY;
    const identity = (options.context as Partial<GatewayContext> | undefined)?.identity;
    if (!identity) throw new GraphQLError('this operation needs a token; send `Authorization: Bearer <token>`', { extensions: { code: 'UNAUTHENTICATED' } });
    return identity;
  }
}

function isGraphqlErrorResponse(body: unknown): boolean {
  return typeof body === 'object' && body !== null && Array.isArray((body as { errors?: unknown }).errors) && (body as { errors: unknown[] }).errors.length > 0;
}

function parseBody(response: SubgraphHttpResponse): unknown {
  const contentType = response.headers['content-type'];
  const type = Array.isArray(contentType) ? contentType[0] : contentType;
  if (type && (type.startsWith('application/json') || type.startsWith('application/graphql-response+json'))) {
    return JSON.parse(response.body) as unknown;
  }
  return response.body;
}

function errorFromResponse(response: SubgraphHttpResponse): GraphQLError {
  const code = response.status === 401 ? 'UNAUTHENTICATED' : response.status === 403 ? 'FORBIDDEN' : undefined;
  // Like RemoteGraphQLDataSource, minus the subgraph's URL and body: errors with a public code
  // reach the client with their extensions, and those are internal details.
  const extensions: Record<string, unknown> = { response: { status: response.status, statusText: response.statusText } };
  if (code) extensions.code = code;
  return new GraphQLError(`${response.status}: ${response.statusText}`, { extensions });
}

/** The gateway's own identity, used for its SDL fetches and health checks. */
export const GATEWAY_IDENTITY: Identity = { sub: 'distrag-gateway', role: 'admin', tenant: null };
