import { percentile } from './load.js';

/** The stages an answer's `timings` reports, in the order a question travels. */
export const ASK_STAGES = ['embedMs', 'cacheMs', 'retrieveMs', 'generateMs', 'executeMs', 'synthesizeMs', 'totalMs'] as const;
export type AskStage = (typeof ASK_STAGES)[number];

/** What a client of `ask` would read: the answer, its SQL and rows, and how it was answered. */
const ASK = `query ($q: String!) { ask(question: $q) { answer sql columns rows cacheOutcome timings { ${ASK_STAGES.join(' ')} } } }`;

export interface AskLoadOptions {
  /** The gateway's GraphQL URL. */
  url: string;
  /** A bearer token of the tenant asking. */
  token: string;
  /** The question of the next request. */
  next: () => string;
  /** Run before each request, untimed (e.g. flushing the tenant's cache). */
  before?: () => Promise<void>;
  /** The cache outcome every answer should have; answers with another are counted, not timed. */
  expected: 'HIT' | 'MISS';
  /** Requests in flight at once, each loop sending its next request when the last is answered. */
  connections: number;
  seconds: number;
}

export interface AskLoad {
  /** Answers with the expected cache outcome: the requests timed. */
  answered: number;
  /** Those answers per second of the load's wall time (the `before` steps included). */
  requestsPerSecond: number;
  /** End-to-end latency of those answers (ms, from sending the request to the parsed reply). */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Failed requests: network errors, non-2xx answers, GraphQL errors. */
  errors: number;
  /** Answers with another cache outcome than expected. */
  otherOutcomes: number;
  /** Median of each stage over the timed answers (ms, as the answers' `timings` say). */
  stages: Record<AskStage, number>;
  /** Median over the timed answers of `totalMs` less the six stages (which tables the caller may read, storing the answer). */
  unstagedMs: number;
  /** Median over the timed answers of the end-to-end latency less the pipeline's `totalMs`. */
  outsideMs: number;
  /** The first failure's message, to report; null when none failed. */
  firstError: string | null;
}

interface AskReply {
  data?: { ask?: { cacheOutcome: string; timings: Record<AskStage, number> } | null } | null;
  errors?: Array<{ message: string }>;
}

/** `ask` through the gateway in `connections` loops for `seconds` (fetch, keep-alive, in this process). */
export async function askLoad(options: AskLoadOptions): Promise<AskLoad> {
  const latencies: number[] = [];
  const outside: number[] = [];
  const unstaged: number[] = [];
  const stages = Object.fromEntries(ASK_STAGES.map((s) => [s, [] as number[]])) as Record<AskStage, number[]>;
  let errors = 0;
  let otherOutcomes = 0;
  let firstError: string | null = null;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${options.token}` };
  const started = performance.now();
  const end = started + options.seconds * 1000;

  const loop = async () => {
    while (performance.now() < end) {
      await options.before?.();
      const body = JSON.stringify({ query: ASK, variables: { q: options.next() } });
      const sent = performance.now();
      let reply: AskReply;
      try {
        const response = await fetch(options.url, { method: 'POST', headers, body });
        reply = (await response.json()) as AskReply;
        if (!response.ok && !reply.errors) reply.errors = [{ message: `HTTP ${response.status}` }];
      } catch (error) {
        reply = { errors: [{ message: error instanceof Error ? error.message : String(error) }] };
      }
      const latency = performance.now() - sent;
      const answer = reply.data?.ask;
      if (reply.errors?.length || !answer) {
        errors += 1;
        firstError ??= reply.errors?.[0]?.message ?? 'no answer';
      } else if (answer.cacheOutcome !== options.expected) {
        otherOutcomes += 1;
      } else {
        latencies.push(latency);
        outside.push(latency - answer.timings.totalMs);
        unstaged.push(ASK_STAGES.reduce((rest, s) => (s === 'totalMs' ? rest : rest - answer.timings[s]), answer.timings.totalMs));
        for (const stage of ASK_STAGES) stages[stage].push(answer.timings[stage]);
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  const seconds = (performance.now() - started) / 1000;

  const sorted = [...latencies].sort((a, b) => a - b);
  const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
  return {
    answered: latencies.length,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    errors,
    otherOutcomes,
    stages: Object.fromEntries(ASK_STAGES.map((s) => [s, median(stages[s])])) as Record<AskStage, number>,
    unstagedMs: median(unstaged),
    outsideMs: median(outside),
    firstError,
  };
}
