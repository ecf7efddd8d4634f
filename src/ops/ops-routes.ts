import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ForwardedIdentityVerifier, IDENTITY_HEADER } from '../auth/forwarded-identity.js';
import { hasRole } from '../auth/identity.js';
import type { BackupRecord } from '../backup/backup-record.js';
import { hasCitus } from '../db/tenancy.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { EventBus } from '../events/event-bus.js';
import { addNode } from './add-node.js';
import { createNodeBackup, listNodeBackups, restoreFromBackup } from './backup-operations.js';
import { drainNode } from './drain-node.js';
import { OpsError, opsBadInput } from './ops-error.js';
import { OpsRequests, parseRequest } from './ops-requests.js';
import { readJsonBody } from './read-json-body.js';
import { RebalanceMonitor } from './rebalance-monitor.js';
import { IDLE, readRebalanceStatus } from './rebalance-status.js';
import { removeNode } from './remove-node.js';
import { startRebalance } from './start-rebalance.js';
import { withClient } from '../db/with-client.js';

/** A node restored from a base backup (and the WAL after it, up to `targetTime` when given). */
export interface RestoreResult {
  node: string;
  backupId: string;
  targetTime: string | null;
  restoredAt: string;
}

/**
 * What the operations API of the recovery process works with (it holds the admin credentials).
 * The functions may throw an OpsError (src/ops/ops-error.ts) to choose the answer's code (e.g.
 * NOT_FOUND); any other error is answered CLUSTER_UNAVAILABLE with its message, which should
 * therefore be written for an operator (a driver error's message stays in the log).
 */
export interface OpsDeps {
  /** The coordinator's admin URL (distrag_admin; the same password reaches every node). */
  adminUrl: string;
  /** Requests must carry an admin identity signed with it (x-distrag-identity), as the gateway signs. */
  internalSecret: string;
  bus: EventBus;
  log: Logger;
  /** The exposed schemas (config.dataSchemas): a new node's publication covers them. */
  schemas: string[];
  /** Starts a new worker on this machine (the CLI runtime) on the given port or the next free one; null where the runtime cannot (docker). */
  startWorker: ((port: number | null) => Promise<{ host: string; port: number }>) | null;
  /** A verified base backup of one node now (`coordinator`, `worker-1`, …). */
  takeBackup: (node: string) => Promise<BackupRecord>;
  /** Complete backups, newest first, of one node or of all. */
  listBackups: (node: string | null) => BackupRecord[];
  /** Point-in-time recovery by hand: `backupId` null takes the newest backup before `targetTime` (or the newest). */
  restoreNode: (node: string, backupId: string | null, targetTime: string | null) => Promise<RestoreResult>;
}

/** The request handler for `createServiceHttpServer({ handle })`, and `close` to stop following rebalance jobs. */
export type OpsRoutes = ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) & { close: () => Promise<void> };

interface RouteRequest {
  params: string[];
  query: URLSearchParams;
  body: unknown;
}

interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: RegExp;
  /** Answered with on success. */
  status: number;
  /** Changes the cluster: such operations run one at a time. */
  mutates: boolean;
  run: (request: RouteRequest) => unknown;
}

const MAX_BODY_BYTES = 16 * 1024;

/**
 * The operations API (`/ops/...`), JSON in and out, for callers presenting an admin identity
 * signed with the internal secret (the cluster subgraph signs its caller's):
 *
 *   GET    /ops/backups?node=         complete backups, newest first (all nodes without `node`)
 *   POST   /ops/backups               {node} → 201 the new backup
 *   POST   /ops/restore               {node, backupId?, targetTime?} → the restore
 *   POST   /ops/nodes                 {host?, port?, start?} → 201 the new node (addNode)
 *   POST   /ops/nodes/<name>/drain    → 202 the drain's rebalance job
 *   DELETE /ops/nodes/<name>          → the removed node
 *   POST   /ops/rebalance             → 202 the rebalance job
 *   GET    /ops/rebalance             → the newest rebalance job
 *
 * Errors: `{ "error": { "code", "message" } }` — BAD_USER_INPUT 400 (409: a rebalance runs, 413:
 * body too large, 405: wrong method), UNAUTHENTICATED 401, FORBIDDEN 403, NOT_FOUND 404,
 * CLUSTER_UNAVAILABLE 503, INTERNAL 500. Refused requests change nothing. Resolves false for
 * paths outside `/ops/`, so the server can answer those itself.
 */
export function createOpsRoutes(deps: OpsDeps): OpsRoutes {
  const verifier = new ForwardedIdentityVerifier(deps.internalSecret);
  const monitor = new RebalanceMonitor({ adminUrl: deps.adminUrl, bus: deps.bus, log: deps.log });
  monitor.resume().catch((error: unknown) => deps.log.warn({ err: error }, 'could not look for a running rebalance to follow'));
  // Node operations one at a time: two concurrent requests must not both pass their checks first.
  let mutations: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = mutations.then(fn, fn);
    mutations = next.catch(() => undefined);
    return next;
  };

  const routes: Route[] = [
    { method: 'GET', path: /^\/ops\/backups$/, status: 200, mutates: false, run: ({ query }) => listNodeBackups(deps, query.get('node')) },
    { method: 'POST', path: /^\/ops\/backups$/, status: 201, mutates: false, run: ({ body }) => createNodeBackup(deps, parseRequest(OpsRequests.createBackup, body).node) },
    {
      method: 'POST', path: /^\/ops\/restore$/, status: 200, mutates: true,
      run: ({ body }) => {
        const input = parseRequest(OpsRequests.restoreNode, body);
        return restoreFromBackup(deps, { node: input.node, backupId: input.backupId ?? null, targetTime: input.targetTime ?? null });
      },
    },
    {
      method: 'POST', path: /^\/ops\/nodes$/, status: 201, mutates: true,
      run: ({ body }) => {
        const input = parseRequest(OpsRequests.addNode, body);
        return addNode(deps, { host: input.host ?? null, port: input.port ?? null, start: input.start ?? false });
      },
    },
    { method: 'POST', path: /^\/ops\/nodes\/([^/]+)\/drain$/, status: 202, mutates: true, run: ({ params, body }) => (parseRequest(OpsRequests.none, body), drainNode(deps, monitor, params[0]!)) },
    { method: 'DELETE', path: /^\/ops\/nodes\/([^/]+)$/, status: 200, mutates: true, run: ({ params }) => removeNode(deps, params[0]!) },
    { method: 'POST', path: /^\/ops\/rebalance$/, status: 202, mutates: true, run: ({ body }) => (parseRequest(OpsRequests.none, body), startRebalance(deps, monitor)) },
    {
      method: 'GET', path: /^\/ops\/rebalance$/, status: 200, mutates: false,
      run: () => withClient(deps.adminUrl, async (client) => ((await hasCitus(client)) ? readRebalanceStatus(client) : IDLE)),
    },
  ];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://ops.invalid');
    if (url.pathname !== '/ops' && !url.pathname.startsWith('/ops/')) return false;
    const started = Date.now();
    let identity: ReturnType<ForwardedIdentityVerifier['verify']> = null;
    try {
      const header = req.headers[IDENTITY_HEADER];
      identity = verifier.verify(Array.isArray(header) ? header[0] : header);
      if (!identity) throw new OpsError(ErrorCode.UNAUTHENTICATED, `the operations API needs the caller's identity signed with the internal secret (${IDENTITY_HEADER}); call it through the GraphQL API`);
      if (!hasRole(identity, 'admin')) throw new OpsError(ErrorCode.FORBIDDEN, `cluster operations need the admin role; your token has ${identity.role}`);
      const matching = routes.filter((r) => r.path.test(url.pathname));
      const route = matching.find((r) => r.method === req.method);
      if (!route) {
        if (matching.length === 0) throw new OpsError(ErrorCode.NOT_FOUND, `no operation at ${url.pathname}`);
        res.setHeader('allow', matching.map((r) => r.method).join(', '));
        throw opsBadInput(`${url.pathname} answers ${matching.map((r) => r.method).join(', ')}, not ${req.method}`, 405);
      }
      const params = route.path.exec(url.pathname)!.slice(1).map(decodePathPart);
      const body = req.method === 'GET' ? null : await readJsonBody(req, MAX_BODY_BYTES);
      const request: RouteRequest = { params, query: url.searchParams, body };
      const result = await (route.mutates ? serialized(async () => route.run(request)) : route.run(request));
      send(res, route.status, result);
      deps.log.info({ op: `${req.method} ${url.pathname}`, sub: identity.sub, status: route.status, ms: Date.now() - started }, 'operation done');
    } catch (error) {
      if (error instanceof OpsError) {
        send(res, error.status, { error: { code: error.code, message: error.message } });
        deps.log.info({ op: `${req.method} ${url.pathname}`, sub: identity?.sub, status: error.status, code: error.code, reason: error.message }, 'operation refused');
      } else {
        deps.log.error({ err: error, op: `${req.method} ${url.pathname}`, sub: identity?.sub }, 'operation failed');
        send(res, 500, { error: { code: ErrorCode.INTERNAL, message: 'the operation failed unexpectedly; the recovery process\'s log has the details' } });
      }
    }
    return true;
  };
  return Object.assign(handle, { close: () => monitor.close() });
}

function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw opsBadInput(`"${part}" is not a valid path segment`);
  }
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(payload ?? null);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
