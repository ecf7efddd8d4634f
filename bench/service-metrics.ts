import { IDENTITY_HEADER, signForwardedIdentity } from '../src/auth/forwarded-identity.js';
import { signUserToken } from '../src/auth/user-token.js';

/** A histogram's running totals: seconds observed and observations. */
export interface HistogramTotal {
  sum: number;
  count: number;
}

/** What the bench reads from the services' Prometheus endpoints around a load. */
export interface MetricsSnapshot {
  /** The gateway's `/graphql` requests (distrag_http_request_duration_seconds). */
  gatewayHttp: HistogramTotal;
  /** The data subgraph's `/graphql` requests. */
  dataHttp: HistogramTotal;
  /** The data subgraph's query statements (distrag_data_statement_duration_seconds{kind="query"}): SQL compile, pool, transaction, PostgreSQL. */
  dataStatements: HistogramTotal;
}

/** Reads the gateway's and the data subgraph's /metrics (an admin token; a signed identity). */
export class ServiceMetrics {
  private constructor(
    private readonly gateway: { url: string; headers: Record<string, string> },
    private readonly data: { url: string; internalSecret: string },
  ) {}

  static async create(options: { gatewayUrl: string; dataUrl: string; jwtSecret: string; internalSecret: string }): Promise<ServiceMetrics> {
    const token = await signUserToken(options.jwtSecret, { sub: 'bench-metrics', role: 'admin' });
    return new ServiceMetrics({ url: metricsUrl(options.gatewayUrl), headers: { authorization: `Bearer ${token}` } }, { url: metricsUrl(options.dataUrl), internalSecret: options.internalSecret });
  }

  async snapshot(): Promise<MetricsSnapshot> {
    // A forwarded identity lives minutes: signed for each scrape.
    const identity = signForwardedIdentity(this.data.internalSecret, { sub: 'bench-metrics', role: 'admin', tenant: null }).value;
    const [gateway, data] = await Promise.all([scrape(this.gateway), scrape({ url: this.data.url, headers: { [IDENTITY_HEADER]: identity } })]);
    return {
      gatewayHttp: histogramTotal(gateway, 'distrag_http_request_duration_seconds', { route: '/graphql' }),
      dataHttp: histogramTotal(data, 'distrag_http_request_duration_seconds', { route: '/graphql' }),
      dataStatements: histogramTotal(data, 'distrag_data_statement_duration_seconds', { kind: 'query' }),
    };
  }
}

/** What each histogram gained between two snapshots. */
export function metricsBetween(before: MetricsSnapshot, after: MetricsSnapshot): MetricsSnapshot {
  const delta = (a: HistogramTotal, b: HistogramTotal) => ({ sum: b.sum - a.sum, count: b.count - a.count });
  return { gatewayHttp: delta(before.gatewayHttp, after.gatewayHttp), dataHttp: delta(before.dataHttp, after.dataHttp), dataStatements: delta(before.dataStatements, after.dataStatements) };
}

/** A histogram's `_sum` and `_count` in Prometheus text, over the series whose labels include `labels`. */
export function histogramTotal(text: string, metric: string, labels: Record<string, string>): HistogramTotal {
  const total = { sum: 0, count: 0 };
  for (const line of text.split('\n')) {
    const match = /^(\w+?)_(sum|count)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== metric) continue;
    const series = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).some(([k, v]) => series[k] !== v)) continue;
    total[match[2] as 'sum' | 'count'] += Number(match[4]);
  }
  return total;
}

function metricsUrl(graphqlUrl: string): string {
  return new URL('/metrics', graphqlUrl).toString();
}

async function scrape(target: { url: string; headers: Record<string, string> }): Promise<string> {
  const response = await fetch(target.url, { headers: target.headers });
  if (!response.ok) throw new Error(`${target.url} answered HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
  return response.text();
}
