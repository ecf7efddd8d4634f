import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** A Prometheus registry per service, with process metrics and the HTTP request metrics every server records. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'distrag_http_requests_total',
    help: 'HTTP requests served, by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'distrag_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const graphqlExecutions = new Counter({
    name: 'distrag_graphql_executions_total',
    help: 'GraphQL requests answered, by execution path: direct (a shortcut) or planned (Apollo); see x-distrag-execution-path',
    labelNames: ['path'] as const,
    registers: [registry],
  });
  return { registry, httpRequests, httpDuration, graphqlExecutions };
}

export type Metrics = ReturnType<typeof createMetrics>;
