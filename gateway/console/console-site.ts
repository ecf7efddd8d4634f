import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VerifiedToken } from '../../src/auth/token-verifier.js';
import { sendError } from '../../src/http/graphql-http-server.js';
import { sendJson } from '../../src/http/internal-json.js';
import { listBenchmarks, readPlot } from './benchmark-files.js';
import { StaticFiles } from './static-files.js';

export interface ConsoleSiteOptions {
  /** The built console (dist/console, `npm run build`). */
  dir: string;
  /** bench/results: what the Benchmarks panel shows. */
  benchResultsDir: string;
  /** Verifies the request's bearer token, as for /graphql. */
  authenticate: (req: IncomingMessage) => Promise<VerifiedToken | { error: string }>;
  /** Whether Apollo Sandbox is offered at GET /graphql (development), for a link to it. */
  sandbox: boolean;
}

/** What the console learns about its token: who it is, until when, and what the gateway offers. */
export interface ConsoleSession {
  sub: string;
  role: string;
  tenant: string | null;
  /** ISO 8601. */
  expiresAt: string;
  sandbox: boolean;
}

/**
 * The page is static and holds no data: anyone may load it. Everything it shows comes from
 * /graphql and /console/api/*, which need a token like any other request. `connect-src 'self'`
 * lets it talk to this origin only (HTTP and graphql-ws); Monaco (GraphiQL's editor) needs inline
 * styles and its own web workers.
 */
const PAGE_HEADERS = {
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
/** Who the token is and what is benchmarked change: never cached. */
const NO_STORE = { 'cache-control': 'no-store' };
/** Built assets carry a content hash in their names: they never change. */
const ASSET_HEADERS = { 'cache-control': 'public, max-age=31536000, immutable' };
/** An SVG opened on its own must not run anything it might contain. */
const PLOT_HEADERS = { 'cache-control': 'no-cache', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" };

/**
 * Routes of the web console under /console (and `/`, which sends a browser there). Returns a
 * handler that answers the request and resolves true, or resolves false for other routes.
 */
export function createConsoleSite(options: ConsoleSiteOptions) {
  const files = new StaticFiles(options.dir);

  return async (req: IncomingMessage, res: ServerResponse, route: string): Promise<boolean> => {
    if (route === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(302, { location: '/console/' });
      res.end();
      return true;
    }
    if (route !== '/console' && !route.startsWith('/console/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'the console answers GET only', 'BAD_USER_INPUT');
      return true;
    }
    const rest = route === '/console' ? '' : route.slice('/console/'.length);
    if (rest.startsWith('api/')) {
      await answerApi(req, res, rest.slice('api/'.length));
      return true;
    }
    if (rest === '' || rest === 'index.html') {
      if (!files.send(req, res, 'index.html', PAGE_HEADERS)) notBuilt(res);
      return true;
    }
    if (rest.startsWith('assets/') && files.send(req, res, rest, ASSET_HEADERS)) return true;
    sendError(res, 404, `no console file ${route}`, 'NOT_FOUND');
    return true;
  };

  async function answerApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const verified = await options.authenticate(req);
    if ('error' in verified) return sendError(res, 401, verified.error);
    if (path === 'session') {
      const { identity, expiresAt } = verified;
      const session: ConsoleSession = { sub: identity.sub, role: identity.role, tenant: identity.tenant, expiresAt: new Date(expiresAt).toISOString(), sandbox: options.sandbox };
      return sendJson(res, 200, session, NO_STORE);
    }
    if (path === 'benchmarks') return sendJson(res, 200, listBenchmarks(options.benchResultsDir), NO_STORE);
    if (path.startsWith('benchmarks/')) {
      const svg = readPlot(options.benchResultsDir, path.slice('benchmarks/'.length));
      if (svg) {
        res.writeHead(200, { ...PLOT_HEADERS, 'content-type': 'image/svg+xml', 'content-length': svg.length, 'x-content-type-options': 'nosniff' });
        res.end(req.method === 'HEAD' ? undefined : svg);
        return;
      }
    }
    sendError(res, 404, `no console API /console/api/${path}`, 'NOT_FOUND');
  }
}

function notBuilt(res: ServerResponse): void {
  const text = 'The DistRAG console is not built on this server: run `npm run build` (npm ci does it), then restart the gateway.\n';
  res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
