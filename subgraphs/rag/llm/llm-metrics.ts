import { Counter, Histogram, type Registry } from 'prom-client';

/** The LLM client's Prometheus metrics; each HTTP request to a provider is one observation. */
export interface LlmMetrics {
  requests: Counter<'provider' | 'model' | 'outcome'>;
  tokens: Counter<'provider' | 'model' | 'kind'>;
  duration: Histogram<'provider' | 'model'>;
}

/**
 * Registers the metrics in `registry` (a service's), or nowhere when it is absent. Clients created
 * on the same registry share the metrics (prom-client refuses a name registered twice).
 */
export function llmMetrics(registry?: Registry): LlmMetrics {
  const registers = registry ? [registry] : [];
  const existing = <M>(name: string) => registry?.getSingleMetric(name) as M | undefined;
  return {
    requests:
      existing<LlmMetrics['requests']>('distrag_llm_requests_total') ??
      new Counter({
        name: 'distrag_llm_requests_total',
        help: 'HTTP requests to the LLM provider (retries included), by outcome: ok, quota, invalid_key, not_found, bad_request, rate_limited, server_error, timeout, network',
        labelNames: ['provider', 'model', 'outcome'] as const,
        registers,
      }),
    tokens:
      existing<LlmMetrics['tokens']>('distrag_llm_tokens_total') ??
      new Counter({
        name: 'distrag_llm_tokens_total',
        help: 'Tokens the LLM provider counted, by kind (input, output; output includes thinking tokens)',
        labelNames: ['provider', 'model', 'kind'] as const,
        registers,
      }),
    duration:
      existing<LlmMetrics['duration']>('distrag_llm_request_duration_seconds') ??
      new Histogram({
        name: 'distrag_llm_request_duration_seconds',
        help: 'Duration of one HTTP request to the LLM provider, whatever its outcome',
        labelNames: ['provider', 'model'] as const,
        buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
        registers,
      }),
  };
}
