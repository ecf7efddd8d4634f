import os from 'node:os';
import pg from 'pg';
import { signUserToken } from '../src/auth/user-token.js';
import { startPrivateStack } from '../src/stack/private-stack.js';
import { readSecrets } from '../src/stack/secrets.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { ASK_STAGES, askLoad, type AskLoad } from './ask-load.js';
import type { BenchOutcome } from './bench-result.js';
import { BENCH_ANSWER, BENCH_LLM_KEY, startBenchLlm } from './bench-llm.js';
import { benchStackEnv } from './bench-stack-env.js';
import { BenchTableBuilder } from './bench-table-builder.js';
import { askQuestions } from './ask-questions.js';
import { TEMPLATE_COUNT } from './cache-questions.js';
import type { BenchmarkOptions } from './run-benchmark.js';

/** Questions stored once (each a MISS) and then asked again and again (each a HIT). */
const HIT_QUESTIONS = 16;
const WARM_UP_SECONDS = 2;
const SEED_SCALE = 0.1;
const QUESTION_SEED = 23;
const GOAL_HIT_P50_MS = 25;

/**
 * `ask` end to end through the gateway on a private stack whose RAG subgraph talks to a local LLM
 * speaking Gemini's wire protocol with no delay: cache HITs (the same questions again) one at a
 * time and over `--connections`, and MISSes (every stage, the LLM twice) one at a time.
 */
export async function askBenchmark(options: BenchmarkOptions): Promise<BenchOutcome> {
  const sqlOf = new Map<string, string>();
  const questions = askQuestions(QUESTION_SEED);
  const draw = () => {
    const { question, sql } = questions.next().value;
    sqlOf.set(question, sql);
    return question;
  };
  const llm = await startBenchLlm((question) => sqlOf.get(question));
  options.report('starting a private stack');
  const env = benchStackEnv(options.mode, { DISTRAG_SEED_SCALE: String(SEED_SCALE), GEMINI_API_KEY: BENCH_LLM_KEY, DISTRAG_GEMINI_BASE_URL: llm.baseUrl });
  const stack = await startPrivateStack({ prefix: 'distrag-bench', env, report: options.report }).catch(async (error: unknown) => {
    await llm.close();
    throw error;
  });
  try {
    const url = stack.info.urls.graphql;
    const { jwtSecret } = readSecrets(stackLayout(stack.config.home).secretsFile, stack.config);
    const [hitTenant, missTenant] = await tenantsWithMostStudents(stack.info.urls.postgres);
    const token = (role: 'reader' | 'admin', tenant?: string) => signUserToken(jwtSecret, { sub: 'bench', role, tenant: tenant ?? null });
    const [hitToken, missToken, adminToken] = await Promise.all([token('reader', hitTenant), token('reader', missTenant), token('admin')]);
    const flushMissTenant = async () => void (await graphql(url, adminToken, 'mutation ($t: ID) { flushCache(tenant: $t) }', { t: missTenant }));
    await graphql(url, adminToken, 'mutation ($t: ID) { flushCache(tenant: $t) }', { t: hitTenant });

    options.report(`storing ${HIT_QUESTIONS} questions for tenant ${hitTenant} (each asked once, a MISS)`);
    const hitQuestions = await storeQuestions(url, hitToken, draw, HIT_QUESTIONS);
    let turn = 0;
    const nextHit = () => hitQuestions[turn++ % hitQuestions.length]!;
    const hits = (connections: number, seconds: number) => askLoad({ url, token: hitToken, next: nextHit, expected: 'HIT', connections, seconds });
    const misses = (seconds: number) => askLoad({ url, token: missToken, next: draw, before: flushMissTenant, expected: 'MISS', connections: 1, seconds });

    options.report(`warming up (${WARM_UP_SECONDS}s of misses, then of hits)`);
    for (const warm of [await misses(WARM_UP_SECONDS), await hits(options.connections, WARM_UP_SECONDS)]) {
      if (warm.answered === 0) throw new Error(`the warm-up got no expected answer: ${warm.errors} errors (${warm.firstError ?? 'none'}), ${warm.otherOutcomes} other cache outcomes`);
    }

    const main = new BenchTableBuilder({
      title: null,
      keyColumns: ['case'],
      columns: [{ name: 'answers', digits: 0 }, { name: 'answers/s', digits: 0 }, { name: 'p50 ms', digits: 2 }, { name: 'p95 ms', digits: 2 }, { name: 'p99 ms', digits: 2 }, { name: 'LLM calls per answer', digits: 2 }, { name: 'other outcome', digits: 0 }, { name: 'errors', digits: 0 }],
    });
    const stages = new BenchTableBuilder({
      title: "Median time per stage (ms), from the answers' `timings` (in the RAG subgraph; the guard counts in generateMs), what totalMs holds besides them (which tables the caller may read, storing the answer), and outside it (end to end less totalMs: the client, the gateway, the hop to the RAG subgraph)",
      keyColumns: ['case'],
      columns: [...ASK_STAGES.map((name) => ({ name, digits: 2 })), { name: 'rest of totalMs', digits: 2 }, { name: 'outside', digits: 2 }],
    });
    const cases = { hitOne: 'HIT, 1 connection', hitMany: `HIT, ${options.connections} connections`, miss: 'MISS, one at a time' };
    const record = (name: string, load: AskLoad, llmCalls: number, throughput: boolean) => {
      if (load.firstError) options.report(`${name}: ${load.errors} errors, the first: ${load.firstError}`);
      main.add([name], [load.answered, throughput ? load.requestsPerSecond : null, load.p50Ms, load.p95Ms, load.p99Ms, load.answered > 0 ? llmCalls / load.answered : null, load.otherOutcomes, load.errors]);
      if (load.answered > 0) stages.add([name], [...ASK_STAGES.map((s) => load.stages[s]), load.unstagedMs, load.outsideMs]);
    };
    const counted = async (load: () => Promise<AskLoad>): Promise<[AskLoad, number]> => {
      const before = llm.calls;
      const result = await load();
      return [result, llm.calls - before];
    };

    const loadBefore = os.loadavg()[0]!;
    for (let run = 1; run <= options.runs; run++) {
      options.report(`run ${run}/${options.runs}: hits ${options.duration}s × 1 connection, ${options.duration}s × ${options.connections}, then misses ${options.duration}s one at a time`);
      const [one, oneCalls] = await counted(() => hits(1, options.duration));
      const [many, manyCalls] = await counted(() => hits(options.connections, options.duration));
      const [miss, missCalls] = await counted(() => misses(options.duration));
      record(cases.hitOne, one, oneCalls, true);
      record(cases.hitMany, many, manyCalls, true);
      record(cases.miss, miss, missCalls, false);
      options.report(`run ${run}/${options.runs}: hit p50 ${one.p50Ms.toFixed(2)} ms (1 connection), ${many.p50Ms.toFixed(2)} ms (${options.connections}); miss p50 ${miss.p50Ms.toFixed(2)} ms over ${miss.answered}`);
    }

    const loadAfter = os.loadavg()[0]!;
    const mainTable = main.build();
    const p50 = mainTable.columns.findIndex((c) => c.name === 'p50 ms');
    const hitP50 = (name: string) => mainTable.rows.find((r) => r.key[0] === name)?.figures[p50] ?? null;
    const verdict = (name: string) => {
      const f = hitP50(name);
      if (!f) return `${name}: no answer measured (not met)`;
      return `${name}: ${f.median.toFixed(2)} ms (${f.max <= GOAL_HIT_P50_MS ? 'met in every run' : f.median <= GOAL_HIT_P50_MS ? 'met by the median, not in every run' : 'not met'})`;
    };
    return {
      mode: stack.info.mode,
      title: 'Ask end to end (`npx distrag bench ask`)',
      tables: [mainTable, stages.build()],
      notes: [
        `Goal hit ≤ ${GOAL_HIT_P50_MS} ms p50 end to end: ${verdict(cases.hitOne)}; ${verdict(cases.hitMany)}.`,
        `The machine's 1-minute load average was ${loadBefore.toFixed(1)} before the runs and ${loadAfter.toFixed(1)} after, on ${os.availableParallelism()} CPUs (it counts this benchmark's own processes too${Math.max(loadBefore, loadAfter) > 2 * os.availableParallelism() ? '; well above the CPU count, other work on the machine was sharing them' : ''}).`,
      ],
      method: [
        `GraphQL \`ask(question:)\` POSTed to the gateway by \`fetch\` in the benchmark process (keep-alive), asking for the answer, SQL, columns, rows, \`cacheOutcome\` and \`timings\`, with a reader token of a tenant with rows; latency from sending the request to the parsed reply, at full resolution. The RAG subgraph's LLM is a local server speaking Gemini's wire protocol (test/support/llm-api-server.ts, in the benchmark process, reached through @google/genai by \`DISTRAG_GEMINI_BASE_URL\`) that answers at once: the SQL prompt with \`{"sql": …}\`, the question's SQL, the answer prompt with "${BENCH_ANSWER}". Questions and their SQL are generated about the demo schema (${TEMPLATE_COUNT} templates: counts, averages, top-n, joins of students, departments, courses, enrollments and universities; bench/cache-questions.ts, with every join between tenant tables also on university_id so that Citus runs it on one worker: bench/ask-questions.ts); every SQL runs for real as the tenant's ask role.`,
        `HIT: ${HIT_QUESTIONS} questions, each asked once by tenant ${hitTenant} before the runs (a MISS that stores the answer; a question the cache answered otherwise, e.g. re-bound from a stored one of the same template, was replaced), then asked again in turn — one at a time, then over ${options.connections} concurrent loops — for ${options.duration} s each per run; the embedder's in-process LRU knows these questions, so a hit's \`embedMs\` is a lookup of that LRU. MISS: for ${options.duration} s per run, one at a time, a question never asked before by tenant ${missTenant}, the tenant's cache flushed (admin \`flushCache\`, untimed) before each, so every one is a MISS whatever its likeness to the last: the question embedded, the cache searched, tables retrieved from Chroma, the LLM asked for SQL, the guard, the SQL run, the LLM asked for the sentence, the answer stored.`,
        `Only answers with the expected \`cacheOutcome\` are timed; others are counted ("other outcome"), as are errors. "LLM calls per answer": requests the LLM server received during the load over the timed answers (a MISS makes 2; a HIT none). Answers/s of the hit loads only (the misses wait for a flush each). Stage times are the median over a run's timed answers; each cell then the median of the runs. Before the runs, ${WARM_UP_SECONDS} s of misses and ${WARM_UP_SECONDS} s of hits, untimed. Demo data scale ${SEED_SCALE}; the benchmark (load and LLM server), the gateway, the subgraphs, Redis, Chroma and every PostgreSQL node share the machine's CPUs.`,
      ],
    };
  } finally {
    await stack.stop();
    await llm.close();
  }
}

/** Asks new questions until `count` of them were answered as a MISS (and so stored); returns those. */
async function storeQuestions(url: string, token: string, draw: () => string, count: number): Promise<string[]> {
  const stored: string[] = [];
  for (let asked = 0; stored.length < count; asked++) {
    if (asked >= 4 * count) throw new Error(`only ${stored.length} of ${asked} new questions were answered as a MISS`);
    const question = draw();
    const data = await graphql(url, token, 'query ($q: String!) { ask(question: $q) { cacheOutcome } }', { q: question });
    if ((data as { ask: { cacheOutcome: string } }).ask.cacheOutcome === 'MISS') stored.push(question);
  }
  return stored;
}

/** The two tenants (universities) with the most students: one for hits, one for misses. */
async function tenantsWithMostStudents(adminUrl: string): Promise<[string, string]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>('SELECT university_id::text AS id FROM students GROUP BY university_id ORDER BY count(*) DESC, university_id LIMIT 2');
    if (rows.length < 2) throw new Error('the benchmark needs two tenants with students; raise DISTRAG_SEED_SCALE');
    return [rows[0]!.id, rows[1]!.id];
  } finally {
    await client.end();
  }
}

/** One GraphQL request; its data, or an error with the first GraphQL error's message. */
async function graphql(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const reply = (await response.json()) as { data?: unknown; errors?: Array<{ message: string }> };
  if (reply.errors?.length || !response.ok) throw new Error(`GraphQL: ${reply.errors?.[0]?.message ?? `HTTP ${response.status}`}`);
  return reply.data;
}
