import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { ApolloServer, BaseContext } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics-registry.js';
import { sendJson } from './internal-json.js';

/**
 * The outcome of authenticating one request: a context for resolvers, or an HTTP rejection.
 * `pageAllowed` lets a rejected request through to Apollo for its HTML landing page only: should
 * Apollo decide to run an operation instead, the rejection is answered.
 */
export type AuthResult<C> = { ok: true; context: C } | { ok: false; status: number; message: string; pageAllowed?: boolean };

export interface GraphqlHttpServerOptions<C extends BaseContext> {
  /** The ApolloServer for new requests (a subgraph swaps it when its schema changes). */
  apollo: () => ApolloServer<C>;
  /**
   * Subgraphs: the version of the schema served now, answered on `/schema-version` to callers
   * `authenticate` accepts (the gateway polls it to recompose the supergraph).
   */
  schemaVersion?: () => string;
  log: Logger;
  metrics: Metrics;
  maxBodyBytes: number;
  /** Decides who may call `/graphql` (and `/metrics`) and builds the resolver context. */
  authenticate: (req: IncomingMessage, route: '/graphql' | '/metrics') => Promise<AuthResult<C>>;
  /** Readiness: null when ready, otherwise the reason. */
  readiness: () => Promise<string | null>;
  /** Facts added to `/healthz` (e.g. whether the semantic cache is enabled, and why not). */
  health?: () => Promise<Record<string, unknown>>;
  /** Browser origins allowed by CORS (`*` for any); empty: no CORS headers. */
  corsOrigins?: string[];
  /**
   * A faster way to answer some POSTed operations exactly as Apollo would (see the gateway's
   * single-subgraph routing and the data subgraph's direct queries). Returns null to let Apollo
   * run the operation. Skipped when the request says `x-distrag-execution: planned`.
   */
  directExecution?: (request: DirectRequest<C>) => Promise<DirectResponse | null>;
  /**
   * Routes served besides GraphQL (the gateway's web console): answers the request and resolves
   * true, or resolves false to leave it to the routes above.
   */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse, route: string) => Promise<boolean>;
}

export interface DirectRequest<C> {
  /** The request body as received, and parsed. */
  raw: string;
  body: unknown;
  headers: IncomingMessage['headers'];
  context: C;
}

export interface DirectResponse {
  status: number;
  /** A complete JSON response body. */
  body: string;
  /** Response headers to send besides the usual ones (the gateway names the subgraph's path). */
  headers?: Record<string, string>;
}

/** Header that turns direct execution off for one request (diagnostics, and tests comparing both paths). */
export const EXECUTION_HEADER = 'x-distrag-execution';

/**
 * Response header naming the path that answered a GraphQL request on this server: `direct` (the
 * `directExecution` shortcut) or `planned` (Apollo: graphql-js execution, and at the gateway the
 * federation query plan).
 */
export const EXECUTION_PATH_HEADER = 'x-distrag-execution-path';

/**
 * Gateway responses: the path each subgraph call of the request took, as the subgraph reported it
 * in its own `x-distrag-execution-path`: `<subgraph>=<direct|planned>`, comma-separated, in the
 * order the calls answered. Absent when no subgraph was called.
 */
export const SUBGRAPH_EXECUTION_PATH_HEADER = 'x-distrag-subgraph-execution-path';

export type ExecutionPath = 'direct' | 'planned';

const CORS_HEADERS = {
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, apollo-require-preflight, x-apollo-operation-name',
  'access-control-max-age': '600',
};

/** Response headers a browser client may read. */
const EXPOSED_HEADERS = [EXECUTION_PATH_HEADER, SUBGRAPH_EXECUTION_PATH_HEADER].join(', ');

/**
 * A plain node:http server around an ApolloServer: `/graphql`, `/healthz`, `/readyz`, `/metrics`.
 * No framework in between keeps the hot path short (see the gateway benchmark).
 */
export function createGraphqlHttpServer<C extends BaseContext>(options: GraphqlHttpServerOptions<C>): http.Server {
  const record = requestRecorder(options.metrics);
  const answeredBy = executionRecorder(options.metrics);
  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const route = routeOf(req.url);
    if (applyCors(options.corsOrigins ?? [], req, res)) return;
    res.on('finish', () => record(route, res.statusCode, started));
    handle(options, route, req, res, answeredBy).catch((error: unknown) => {
      options.log.error({ err: error, route }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal error', extensions: { code: 'INTERNAL' } }] });
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

async function handle<C extends BaseContext>(
  options: GraphqlHttpServerOptions<C>,
  route: string,
  req: IncomingMessage,
  res: ServerResponse,
  answeredBy: (path: ExecutionPath) => void,
): Promise<void> {
  if (options.extraRoutes && (await options.extraRoutes(req, res, route))) return;
  switch (route) {
    case '/healthz':
      return sendJson(res, 200, { status: 'ok', ...(await options.health?.()) });
    case '/readyz': {
      const problem = await options.readiness();
      return sendJson(res, problem === null ? 200 : 503, problem === null ? { status: 'ready' } : { status: 'not ready', reason: problem });
    }
    case '/metrics': {
      const auth = await options.authenticate(req, '/metrics');
      if (!auth.ok) return sendError(res, auth.status, auth.message);
      res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
      res.end(await options.metrics.registry.metrics());
      return;
    }
    case '/graphql':
      return serveGraphql(options, req, res, answeredBy);
    case '/schema-version': {
      if (!options.schemaVersion) break;
      const auth = await options.authenticate(req, '/graphql');
      if (!auth.ok) return sendError(res, auth.status, auth.message);
      return sendJson(res, 200, { version: options.schemaVersion() });
    }
  }
  return sendError(res, 404, `no route ${route}; GraphQL is served at /graphql`, 'NOT_FOUND');
}

async function serveGraphql<C extends BaseContext>(
  options: GraphqlHttpServerOptions<C>,
  req: IncomingMessage,
  res: ServerResponse,
  answeredBy: (path: ExecutionPath) => void,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'POST') return sendError(res, 405, 'use GET or POST', 'BAD_USER_INPUT');
  const auth = await options.authenticate(req, '/graphql');
  if (!auth.ok && !auth.pageAllowed) {
    req.resume();
    return sendError(res, auth.status, auth.message, auth.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN');
  }
  let body: unknown;
  if (req.method === 'POST') {
    const raw = await readBody(req, options.maxBodyBytes);
    if (raw === null) return sendError(res, 413, `request body is larger than ${options.maxBodyBytes} bytes`, 'BAD_USER_INPUT');
    try {
      body = raw.length === 0 ? undefined : JSON.parse(raw);
    } catch {
      return sendError(res, 400, 'request body is not valid JSON', 'BAD_USER_INPUT');
    }
    const json = (req.headers['content-type'] ?? '').includes('application/json');
    if (auth.ok && json && options.directExecution && req.headers[EXECUTION_HEADER] !== 'planned') {
      const direct = await options.directExecution({ raw, body, headers: req.headers, context: auth.context });
      if (direct) {
        answeredBy('direct');
        res.writeHead(direct.status, {
          ...direct.headers,
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(direct.body),
          'cache-control': 'no-store',
          [EXECUTION_PATH_HEADER]: 'direct',
        });
        res.end(direct.body);
        return;
      }
    }
  }
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const response = await options.apollo().executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method, headers, search: q === -1 ? '' : url.slice(q + 1), body },
    // Apollo calls this only when it is about to run an operation (not for its landing page).
    context: async () => {
      if (auth.ok) return auth.context;
      throw rejection(auth.status, auth.message);
    },
  });
  const outHeaders: Record<string, string | number> = {};
  for (const [key, value] of response.headers) outHeaders[key] = value;
  // Apollo's landing page (HTML) runs no operation.
  if (!(response.headers.get('content-type') ?? '').startsWith('text/html')) {
    answeredBy('planned');
    outHeaders[EXECUTION_PATH_HEADER] = 'planned';
  }
  if (response.body.kind === 'complete') {
    // A known length: one plain write instead of chunked transfer encoding.
    outHeaders['content-length'] = Buffer.byteLength(response.body.string);
    res.writeHead(response.status ?? 200, outHeaders);
    res.end(response.body.string);
    return;
  }
  res.writeHead(response.status ?? 200, outHeaders);
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/** Sets CORS headers for allowed origins; answers a preflight itself (returns true then). */
function applyCors(allowed: string[], req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (allowed.length === 0 || origin === undefined) return false;
  if (!allowed.includes('*') && !allowed.includes(origin)) return false;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
  res.setHeader('vary', 'Origin');
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, CORS_HEADERS);
  res.end();
  return true;
}

function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooBig = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooBig ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function routeOf(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0] ?? '/';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** A rejection raised from Apollo's context function: the same status, code and message as `sendError`. */
function rejection(status: number, message: string): GraphQLError {
  const headers = new HeaderMap();
  if (status === 401) headers.set('www-authenticate', 'Bearer realm="distrag"');
  return new GraphQLError(message, { extensions: { code: status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', http: { status, headers } } });
}

const KNOWN_ROUTES: ReadonlySet<string> = new Set(['/graphql', '/healthz', '/readyz', '/metrics', '/schema-version']);

/**
 * Records one request in the HTTP metrics. Label children are looked up once per (route, status)
 * instead of hashing the label set on every request, and unknown paths share the route label
 * `other`, so a client cannot create new time series at will.
 */
function requestRecorder(metrics: Metrics): (route: string, status: number, started: bigint) => void {
  const counters = new Map<string, ReturnType<Metrics['httpRequests']['labels']>>();
  const durations = new Map<string, ReturnType<Metrics['httpDuration']['labels']>>();
  return (path, status, started) => {
    const route = KNOWN_ROUTES.has(path) ? path : path.startsWith('/console') ? '/console' : 'other';
    const key = `${route} ${status}`;
    let counter = counters.get(key);
    if (!counter) counters.set(key, (counter = metrics.httpRequests.labels(route, String(status))));
    let duration = durations.get(route);
    if (!duration) durations.set(route, (duration = metrics.httpDuration.labels(route)));
    counter.inc();
    duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
  };
}

/** Counts GraphQL requests by the path that answered them (label children looked up once). */
function executionRecorder(metrics: Metrics): (path: ExecutionPath) => void {
  const direct = metrics.graphqlExecutions.labels('direct');
  const planned = metrics.graphqlExecutions.labels('planned');
  return (path) => (path === 'direct' ? direct : planned).inc();
}

export function sendError(res: ServerResponse, status: number, message: string, code = 'UNAUTHENTICATED'): void {
  const headers: Record<string, string> = {};
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="distrag"';
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

/** Starts listening; rejects with a clear message when the port is taken. */
export function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} is already in use; stop the other process or choose another port`) : error),
    );
    server.listen(port, host, () => resolve());
  });
}

/** Stops accepting, lets in-flight requests finish (up to `graceMs`), then drops what is left. */
export async function closeHttpServer(server: http.Server, graceMs = 5_000): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
