import http, { type IncomingMessage } from 'node:http';
import type { Metrics } from '../metrics/metrics-registry.js';

export interface ServiceHttpServerOptions {
  metrics: Metrics;
  /** Readiness: null when ready, otherwise the reason. */
  readiness: () => Promise<string | null>;
  /** Who may read `/metrics` (the services' own internal signature). */
  mayReadMetrics: (req: IncomingMessage) => boolean;
  /** Extra JSON routes (`/status`), answered to callers `mayReadMetrics` accepts. */
  routes?: Record<string, () => Promise<unknown>>;
  /** Further requests (an operations API with its own checks): resolves true when it answered. */
  handle?: (req: IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
}

/** `/healthz`, `/readyz`, `/metrics` (and status routes) for a service that serves no GraphQL. */
export function createServiceHttpServer(options: ServiceHttpServerOptions): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const send = (status: number, payload: unknown, type = 'application/json; charset=utf-8') => {
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const answer = async () => {
      if (path === '/healthz') return send(200, { status: 'ok' });
      if (path === '/readyz') {
        const problem = await options.readiness();
        return send(problem === null ? 200 : 503, problem === null ? { status: 'ready' } : { status: 'not ready', reason: problem });
      }
      if (options.handle && (await options.handle(req, res))) return;
      const route = path === '/metrics' ? null : options.routes?.[path];
      if (path !== '/metrics' && !route) return send(404, { error: `no route ${path}` });
      if (!options.mayReadMetrics(req)) return send(401, { error: 'this route needs the services\' internal signature' });
      if (route) return send(200, await route());
      return send(200, await options.metrics.registry.metrics(), options.metrics.registry.contentType);
    };
    answer().catch(() => {
      if (!res.headersSent) send(500, { error: 'internal error' });
      else res.end();
    });
  });
}
