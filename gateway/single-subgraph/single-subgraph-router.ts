import {
  getOperationAST,
  parse,
  specifiedRules,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import type { Logger } from 'pino';
import { IDENTITY_HEADER } from '../../src/auth/forwarded-identity.js';
import { EXECUTION_PATH_HEADER, SUBGRAPH_EXECUTION_PATH_HEADER, type DirectRequest, type DirectResponse } from '../../src/http/graphql-http-server.js';
import type { GatewayContext } from '../gateway-context.js';
import { SubgraphHttpClient, type SubgraphTarget } from '../subgraph-calls/keep-alive-fetcher.js';
import type { IdentitySigner } from '../subgraph-calls/signed-data-source.js';
import type { SubgraphEndpoint } from '../supergraph/subgraph-list.js';
import { FieldOwnership } from './field-ownership.js';

/** Routing decisions kept per supergraph: operation text → subgraph name (null: needs a query plan). */
const CACHE_LIMIT = 1000;

export interface SingleSubgraphRouterOptions {
  subgraphs: SubgraphEndpoint[];
  client: SubgraphHttpClient;
  signer: IdentitySigner;
  /** The gateway's own validation rules (operation limits), applied as Apollo applies them. */
  validationRules: ValidationRule[];
  log: Logger;
  onRouted?: (route: 'single-subgraph' | 'planned') => void;
}

/**
 * Sends an operation that one subgraph can resolve entirely — every field it selects, at every
 * level — straight to that subgraph and returns its answer as it is. Federation gives the same
 * result for such an operation (one fetch, nothing to join), but the query planner and the
 * gateway's result shaping, which walk every field of the response, are skipped. Any other
 * operation, or one that does not validate against the API schema, goes to Apollo's gateway.
 * The subgraph's own execution path is passed on as `x-distrag-subgraph-execution-path`.
 */
export class SingleSubgraphRouter {
  private state: { schema: GraphQLSchema; ownership: FieldOwnership } | null = null;
  private readonly cache = new Map<string, string | null>();
  private readonly targets: Map<string, SubgraphTarget>;

  constructor(private readonly options: SingleSubgraphRouterOptions) {
    this.targets = new Map(options.subgraphs.map((s) => [s.name, SubgraphHttpClient.target(s.url)]));
  }

  /** A new supergraph: new API schema and ownership, routing decisions forgotten. */
  update(apiSchema: GraphQLSchema, supergraphSdl: string): void {
    try {
      this.state = { schema: apiSchema, ownership: new FieldOwnership(supergraphSdl) };
    } catch (error) {
      this.state = null;
      this.options.log.warn({ err: error }, 'cannot read field ownership from the supergraph; every operation is planned');
    }
    this.cache.clear();
  }

  async route(request: DirectRequest<GatewayContext>): Promise<DirectResponse | null> {
    const body = request.body as { query?: unknown; operationName?: unknown; extensions?: unknown } | undefined;
    if (!this.state || !body || typeof body.query !== 'string' || body.extensions !== undefined || !acceptsJson(request.headers.accept)) return null;
    const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
    const subgraph = this.decide(body.query, operationName);
    this.options.onRouted?.(subgraph ? 'single-subgraph' : 'planned');
    if (!subgraph) return null;
    const headers = { 'content-type': 'application/json', [IDENTITY_HEADER]: this.options.signer.sign(request.context.identity) };
    try {
      const response = await this.options.client.post(this.targets.get(subgraph)!, headers, request.raw);
      const path = response.headers[EXECUTION_PATH_HEADER];
      const pathHeaders = typeof path === 'string' ? { [SUBGRAPH_EXECUTION_PATH_HEADER]: `${subgraph}=${path}` } : undefined;
      if (response.status >= 200 && response.status < 300) return { status: 200, body: response.body, headers: pathHeaders };
      if (isJsonWithErrors(response.body)) return { status: response.status, body: response.body, headers: pathHeaders };
      this.options.log.error({ subgraph, status: response.status }, 'subgraph answered without a GraphQL response');
    } catch (error) {
      this.options.log.error({ err: error, subgraph }, 'subgraph call failed');
    }
    return { status: 200, body: JSON.stringify({ errors: [{ message: 'Internal error; the server log has the details.', extensions: { code: 'INTERNAL' } }], data: null }) };
  }

  private decide(query: string, operationName: string | undefined): string | null {
    const key = `${operationName ?? ''}\n${query}`;
    const known = this.cache.get(key);
    if (known !== undefined) return known;
    const decision = this.analyse(query, operationName);
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, decision);
    return decision;
  }

  private analyse(query: string, operationName: string | undefined): string | null {
    const { schema, ownership } = this.state!;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch {
      return null;
    }
    if (validate(schema, document, [...specifiedRules, ...this.options.validationRules]).length > 0) return null;
    const operation = getOperationAST(document, operationName);
    if (!operation || operation.operation === 'subscription') return null;

    let candidates: Set<string> | null = new Set(this.options.subgraphs.map((s) => s.name));
    const typeInfo = new TypeInfo(schema);
    // Every field of the document (all its operations and fragments): conservative for documents
    // holding several operations, exact for the usual one.
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          if (!candidates) return false;
          const name = node.name.value;
          if (name === '__typename') return undefined;
          const parent = typeInfo.getParentType();
          if (name.startsWith('__') || !parent) {
            candidates = null; // introspection: Apollo answers it from the API schema
            return false;
          }
          const owners = ownership.resolvers(parent.name, name);
          candidates = new Set([...candidates].filter((c) => owners.has(c)));
          if (candidates.size === 0) candidates = null;
          return undefined;
        },
      }),
    );
    const remaining = candidates as Set<string> | null;
    return remaining ? ([...remaining][0] ?? null) : null;
  }
}

function acceptsJson(accept: string | undefined): boolean {
  return accept === undefined || accept === '' || /application\/json|\*\/\*/.test(accept);
}

function isJsonWithErrors(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    return Array.isArray(parsed.errors);
  } catch {
    return false;
  }
}
