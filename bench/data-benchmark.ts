import { apiRoleUrls } from '../src/db/api-roles.js';
import autocannon from 'autocannon';
import pg from 'pg';
import { signUserToken } from '../src/auth/user-token.js';
import { startPrivateStack } from '../src/stack/private-stack.js';
import { readSecrets } from '../src/stack/secrets.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { benchStackEnv } from './bench-stack-env.js';
import type { BenchmarkOptions } from './run-benchmark.js';
import { writeResults } from './write-results.js';
import { readCatalog } from '../subgraphs/data/catalog/read-catalog.js';
import { statementForQuery } from '../subgraphs/data/direct/direct-query-executor.js';
import { ApiPools } from '../subgraphs/data/execution/api-pools.js';
import { buildDataSchema } from '../subgraphs/data/graphql/build-data-schema.js';
import { readSubgraphSdl } from '../src/service/start-subgraph.js';
import { createLogger } from '../src/log/logger.js';

const UNIVERSITY = 3;
const WARM_UP_SECONDS = 2;

/** One load run, reported the way autocannon reports it (see `summarize`). */
interface Load {
  /** Mean completed requests per second. */
  requests: number;
  /** Latency percentiles in whole milliseconds, as autocannon's histogram holds them. */
  p50: number;
  p99: number;
  /** Latency percentiles at full (sub-millisecond) resolution, for ratios of small numbers. */
  preciseP50: number;
  preciseP99: number;
  completed: number;
  errors: number;
  non2xx: number;
}

interface Case {
  id: 'a' | 'b';
  title: string;
  graphql: string;
  sql: string;
  params: unknown[];
  /** What is wrong with a GraphQL response's `data`, or null when it has the expected shape. */
  checkGraphql: (data: unknown) => string | null;
  /** What is wrong with the raw pg result, or null. */
  checkSql: (rows: unknown[]) => string | null;
}

const STUDENT_FIELDS = ['universityId', 'studentId', 'firstName', 'lastName', 'email', 'enrolledOn', 'gpa'];

/** (a) One flat list of 100 rows of one tenant table. */
const FLAT: Case = {
  id: 'a',
  title: '(a) flat: 100 students',
  graphql: `{ students(where: {universityId: {eq: ${UNIVERSITY}}}, limit: 100) { ${STUDENT_FIELDS.join(' ')} } }`,
  sql: `SELECT university_id, student_id, first_name, last_name, email, enrolled_on, gpa
  FROM students
 WHERE university_id = $1
 ORDER BY university_id, student_id
 LIMIT 100`,
  params: [UNIVERSITY],
  checkGraphql: (data) => {
    const students = field(data, 'students');
    if (!Array.isArray(students)) return '`data.students` is not a list';
    if (students.length !== 100) return `\`data.students\` has ${students.length} rows, expected 100`;
    for (const student of students) {
      const missing = STUDENT_FIELDS.filter((key) => !(key in (student as object)));
      if (missing.length > 0) return `a student lacks ${missing.join(', ')}`;
      if (Number((student as Record<string, unknown>).universityId) !== UNIVERSITY) return `a student of university ${String((student as Record<string, unknown>).universityId)}`;
    }
    return null;
  },
  checkSql: (rows) => (rows.length === 100 ? null : `${rows.length} rows, expected 100`),
};

/**
 * (b) Three levels: a university, its departments, 20 students of each. The raw path builds the
 * same JSON document in one statement with correlated subqueries, as a hand-written API would —
 * one that knows Citus: each distributed table's filter names the tenant, so the statement routes
 * to one worker (Citus refuses correlated subqueries below a reference table's rows otherwise).
 */
const NESTED: Case = {
  id: 'b',
  title: '(b) nested 3 levels',
  graphql: `{ universities(where: {universityId: {eq: ${UNIVERSITY}}}) { universityId name departments { departmentId name students(limit: 20) { studentId firstName lastName } } } }`,
  sql: `SELECT coalesce(json_agg(
         json_build_object(
           'universityId', u.university_id,
           'name',         u.name,
           'departments',  (
             SELECT coalesce(json_agg(
                      json_build_object(
                        'departmentId', d.department_id,
                        'name',         d.name,
                        'students',     (
                          SELECT coalesce(json_agg(
                                   json_build_object(
                                     'studentId', s.student_id::text,
                                     'firstName', s.first_name,
                                     'lastName',  s.last_name
                                   ) ORDER BY s.student_id), '[]'::json)
                            FROM (SELECT student_id, first_name, last_name
                                    FROM students
                                   WHERE university_id = $1
                                     AND university_id = d.university_id
                                     AND department_id = d.department_id
                                   ORDER BY student_id
                                   LIMIT 20) AS s
                        )
                      ) ORDER BY d.department_id), '[]'::json)
               FROM departments AS d
              WHERE d.university_id = $1
                AND d.university_id = u.university_id
           )
         ) ORDER BY u.university_id), '[]'::json) AS universities
  FROM universities AS u
 WHERE u.university_id = $1`,
  params: [UNIVERSITY],
  checkGraphql: (data) => checkNested(field(data, 'universities'), '`data.universities`'),
  checkSql: (rows) => (rows.length === 1 ? checkNested(field(rows[0], 'universities'), 'the `universities` column') : `${rows.length} rows, expected 1`),
};

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

function checkNested(universities: unknown, what: string): string | null {
  if (!Array.isArray(universities) || universities.length !== 1) return `${what} is not a list of one university`;
  const university: unknown = universities[0];
  if (Number(field(university, 'universityId')) !== UNIVERSITY || typeof field(university, 'name') !== 'string') return `${what}[0] is not university ${UNIVERSITY} with a name`;
  const departments = field(university, 'departments');
  if (!Array.isArray(departments) || departments.length === 0) return `${what}[0].departments is not a non-empty list`;
  for (const department of departments) {
    if (field(department, 'departmentId') === undefined || typeof field(department, 'name') !== 'string') return 'a department lacks departmentId or name';
    const students = field(department, 'students');
    if (!Array.isArray(students) || students.length > 20) return 'a department\'s students is not a list of at most 20';
    if (students.some((s) => ['studentId', 'firstName', 'lastName'].some((key) => field(s, key) === undefined))) return 'a student lacks studentId, firstName or lastName';
  }
  return null;
}

/** Departments and students per department of a nested result, to compare both paths' shapes. */
function nestedCounts(universities: unknown): string {
  const departments = (field((universities as unknown[])[0], 'departments') as unknown[]) ?? [];
  const students = departments.map((d) => (field(d, 'students') as unknown[]).length);
  return `${departments.length} departments, ${students.reduce((a, b) => a + b, 0)} students`;
}

/**
 * What profiling (`node --cpu-prof`, CPU ticks per process from /proc under the (a) load) showed
 * and what was changed; kept with the results so the numbers can be read.
 */
const WHERE_THE_TIME_WENT = [
  'Where the time went in (a), CPU per request: first version ≈ 3.2 ms gateway + 2.7 ms data subgraph + 0.9 ms PostgreSQL (gateway p50 8.1 × the hand-written SQL); now ≈ 0.3 ms gateway + 0.55 ms data subgraph + 0.65 ms PostgreSQL.',
  'Gateway: the query planner and result shaping walked all 700 fields of the answer. Now an operation one subgraph resolves entirely is sent to it as is and its answer returned as is (single-subgraph routing, checked against the supergraph\'s join directives).',
  'Data subgraph: graphql-js executed 700 fields, then the answer was parsed from PostgreSQL\'s JSON and stringified again. Now pure data queries are answered with the statement\'s JSON text (enum names and __typename computed in SQL); the resolver path stays for everything else. Writes to the PostgreSQL socket are corked (one system call per query instead of five) and signed identities are verified once.',
  'PostgreSQL: rows rendered as records (json_agg / row_to_json) instead of json_build_object (≈ a third cheaper), statements prepared once per connection and shape. Left: the transaction around each request (BEGIN with the literal SET LOCAL of the tenant, COMMIT), which Citus needs for the tenant setting to reach the workers, and the JSON rendering itself.',
];

/**
 * The data API against hand-written SQL on a plain pg pool, for a flat list and a 3-level nested
 * read, same connections and duration each.
 */
export async function dataBenchmark(options: BenchmarkOptions): Promise<void> {
  options.report('starting a private stack');
  const stack = await startPrivateStack({ prefix: 'distrag-bench', env: benchStackEnv(options.mode, { DISTRAG_SEED_SCALE: '1' }), report: options.report });
  let pool: pg.Pool | null = null;
  try {
    const secrets = readSecrets(stackLayout(stack.config.home).secretsFile, stack.config);
    const token = await signUserToken(secrets.jwtSecret, { sub: 'bench', role: 'reader', tenant: String(UNIVERSITY) });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const url = stack.info.urls.graphql;
    const rawPool = (pool = new pg.Pool({ connectionString: stack.info.urls.postgres, max: options.connections }));

    const generated = await generatedStatements(stack.info.urls.postgres, stack.config);
    const runCase = async (c: Case) => {
      options.report(`${c.title}: checking both paths`);
      const check = await checkCase(c, url, headers, rawPool);
      options.report(`${c.title}: ${check}`);
      const same = generated[c.id];
      options.report(`${c.title}: warming up (${WARM_UP_SECONDS}s each)`);
      await gatewayLoad(url, headers, c.graphql, WARM_UP_SECONDS, options.connections);
      await pgLoad(rawPool, c.sql, c.params, WARM_UP_SECONDS, options.connections);
      await pgLoad(rawPool, same.text, same.values, WARM_UP_SECONDS, options.connections);
      options.report(`${c.title}: raw pg, ${options.duration}s × ${options.connections} connections`);
      const raw = await pgLoad(rawPool, c.sql, c.params, options.duration, options.connections);
      options.report(`${c.title}: raw pg with the API's own statement, ${options.duration}s × ${options.connections} connections`);
      const sameSql = await pgLoad(rawPool, same.text, same.values, options.duration, options.connections);
      options.report(`${c.title}: through the gateway, ${options.duration}s × ${options.connections} connections`);
      const gateway = await gatewayLoad(url, headers, c.graphql, options.duration, options.connections);
      // Re-checked after the run rather than during it: reading every body would load the client.
      await checkCase(c, url, headers, rawPool);
      return { raw, sameSql, gateway, check };
    };
    const results = { a: await runCase(FLAT), b: await runCase(NESTED) };
    const ratioOf = ({ raw, gateway }: { raw: Load; gateway: Load }) => ({
      throughput: gateway.requests / Math.max(raw.requests, 0.001),
      p50: gateway.p50 / Math.max(raw.p50, 0.001),
      p99: gateway.p99 / Math.max(raw.p99, 0.001),
      preciseP50: gateway.preciseP50 / Math.max(raw.preciseP50, 0.001),
    });
    const ratios = { a: ratioOf(results.a), b: ratioOf(results.b) };
    const sameRatios = { a: ratioOf({ raw: results.a.sameSql, gateway: results.a.gateway }), b: ratioOf({ raw: results.b.sameSql, gateway: results.b.gateway }) };
    const errors = (l: Load) => l.errors + l.non2xx;
    const rows: Array<Array<string | number>> = [];
    for (const c of [FLAT, NESTED]) {
      const { raw, sameSql, gateway } = results[c.id];
      const ratio = ratios[c.id];
      const sameRatio = sameRatios[c.id];
      rows.push(
        [c.title, 'raw pg, hand-written SQL (rows)', raw.requests.toFixed(0), raw.p50, raw.p99, errors(raw)],
        [c.title, "raw pg, the API's own statement (JSON)", sameSql.requests.toFixed(0), sameSql.p50, sameSql.p99, errors(sameSql)],
        [c.title, 'through the gateway', gateway.requests.toFixed(0), gateway.p50, gateway.p99, errors(gateway)],
        [c.title, 'ratio gateway / hand-written', ratio.throughput.toFixed(2), ratio.p50.toFixed(2), ratio.p99.toFixed(2), ''],
        [c.title, "ratio gateway / API's statement", sameRatio.throughput.toFixed(2), sameRatio.p50.toFixed(2), sameRatio.p99.toFixed(2), ''],
      );
    }
    const goalMet = sameRatios.a.preciseP50 <= 2;
    const files = writeResults(
      'data',
      stack.info.mode,
      {
        title: 'Data API vs raw pg (`npx distrag bench data`)',
        columns: ['case', 'path', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
        keyColumns: 2,
        rows,
        notes: [
          `Goal: (a) gateway p50 within 2 × raw pg p50 with the same SQL — ${goalMet ? 'met' : 'not met'}: ${results.a.gateway.preciseP50.toFixed(2)} ms vs ${results.a.sameSql.preciseP50.toFixed(2)} ms = ${sameRatios.a.preciseP50.toFixed(2)} × (sub-millisecond resolution). Against hand-written SQL returning plain rows (no JSON): ${ratios.a.preciseP50.toFixed(2)} ×. (b) at sub-millisecond resolution: p50 ${results.b.gateway.preciseP50.toFixed(2)} ms vs ${results.b.raw.preciseP50.toFixed(2)} ms = ${ratios.b.preciseP50.toFixed(2)} ×.`,
          `First-response check: (a) ${results.a.check}; (b) ${results.b.check}.`,
        ],
        sharedNotes: [
          `"The API's own statement" is the exact SQL the data subgraph sends for the GraphQL query (compiled in the benchmark by the same planner, \`statementForQuery\`), run with pg as the admin role in autocommit: the database's share. The gateway path adds the gateway and data-subgraph hops, the transaction and the tenant setting (row-level security).`,
          `(a) GraphQL \`${FLAT.graphql}\`; raw: \`${oneLine(FLAT.sql)}\` with [${UNIVERSITY}].`,
          `(b) GraphQL \`${NESTED.graphql}\`; raw: one statement, \`json_agg\` with correlated subqueries universities → departments → students (ORDER BY student_id LIMIT 20), each distributed table filtered by the tenant as well (which routes it to one worker under Citus), see bench/data-benchmark.ts.`,
          `Gateway: autocannon POSTs, reader token of tenant ${UNIVERSITY}, a response checked for shape and no \`errors\` before and after each run; errors = socket errors + non-2xx. Raw pg: \`pg.Pool\` (max = connections) on the admin URL of the PostgreSQL node, a closed loop of ${options.connections} concurrent workers, latency per query by \`process.hrtime.bigint()\`, reported like autocannon (whole ms, mean req/s).`,
          `${options.duration} s per path, ${options.connections} connections each, after a ${WARM_UP_SECONDS} s warm-up of both paths; demo data scale 1; SINGLE: one PostgreSQL node; CITUS: a coordinator and 2 workers (the tenant's statements route to the one worker holding its shard). The load generator, the gateway, the subgraphs and every PostgreSQL node share this 2-core machine.`,
          ...WHERE_THE_TIME_WENT,
        ],
      },
      { connections: options.connections, duration: options.duration, mode: stack.info.mode, queries: { a: { graphql: FLAT.graphql, sql: FLAT.sql, generated: generated.a }, b: { graphql: NESTED.graphql, sql: NESTED.sql, generated: generated.b } }, results, ratios, sameRatios },
    );
    options.report(`(a) p50 gateway / same SQL ${sameRatios.a.preciseP50.toFixed(2)} (goal ≤ 2: ${goalMet ? 'met' : 'not met'}), / hand-written ${ratios.a.preciseP50.toFixed(2)}; (b) ${sameRatios.b.preciseP50.toFixed(2)} / ${ratios.b.preciseP50.toFixed(2)}; wrote ${files.md} and ${files.json}`);
  } finally {
    await pool?.end();
    await stack.stop();
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Runs each path once and fails loudly unless both return the expected data. */
async function checkCase(c: Case, url: string, headers: Record<string, string>, pool: pg.Pool): Promise<string> {
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query: c.graphql }) });
  const text = await response.text();
  let body: { data?: unknown; errors?: unknown[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`${c.title}: the gateway answered HTTP ${response.status} with a non-JSON body: ${text.slice(0, 500)}`);
  }
  if (!response.ok || body.errors !== undefined) {
    throw new Error(`${c.title}: the gateway answered HTTP ${response.status} with errors: ${JSON.stringify(body.errors ?? body).slice(0, 2000)}`);
  }
  const graphqlProblem = c.checkGraphql(body.data);
  if (graphqlProblem) throw new Error(`${c.title}: unexpected GraphQL response (${graphqlProblem}): ${text.slice(0, 500)}`);
  const { rows } = await pool.query(c.sql, c.params);
  const sqlProblem = c.checkSql(rows);
  if (sqlProblem) throw new Error(`${c.title}: unexpected raw pg result (${sqlProblem})`);
  if (c.id === 'a') return `100 rows both paths, ${text.length} bytes of GraphQL response`;
  const gateway = nestedCounts(field(body.data, 'universities'));
  const raw = nestedCounts(field(rows[0], 'universities'));
  const rawBytes = JSON.stringify({ data: rows[0] }).length;
  if (gateway !== raw) throw new Error(`${c.title}: the paths return different shapes: gateway ${gateway}, raw pg ${raw}`);
  return `${gateway} both paths, ${text.length} bytes of GraphQL response vs ${rawBytes} of raw JSON`;
}

async function gatewayLoad(url: string, headers: Record<string, string>, query: string, duration: number, connections: number): Promise<Load> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, method: 'POST', headers, duration, connections, body: JSON.stringify({ query }) },
      (error: unknown, done) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(done)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
  latencies.sort((a, b) => a - b);
  return {
    requests: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    preciseP50: percentile(latencies, 50),
    preciseP99: percentile(latencies, 99),
    completed: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/**
 * `connections` workers, each running the statement again as soon as it returns, until `duration`
 * seconds have passed; only statements that finish inside the window count.
 */
async function pgLoad(pool: pg.Pool, text: string, params: unknown[], duration: number, connections: number): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(duration * 1e9));
  const worker = async () => {
    while (process.hrtime.bigint() < end) {
      const t0 = process.hrtime.bigint();
      try {
        await pool.query(text, params);
        const t1 = process.hrtime.bigint();
        if (t1 <= end) latencies.push(Number(t1 - t0) / 1e6);
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  latencies.sort((a, b) => a - b);
  const whole = latencies.map(Math.trunc);
  return {
    // autocannon: mean of per-second completion counts, rounded up to 2 decimals.
    requests: Math.ceil((latencies.length / duration) * 100) / 100,
    p50: percentile(whole, 50),
    p99: percentile(whole, 99),
    preciseP50: percentile(latencies, 50),
    preciseP99: percentile(latencies, 99),
    completed: latencies.length,
    errors,
    non2xx: 0,
  };
}

/**
 * The value at a percentile of sorted samples the way HdrHistogram (autocannon) picks it: the
 * smallest sample with at least p % of all samples at or below it. Autocannon records latencies
 * as whole milliseconds (truncated), so pass truncated samples to reproduce its numbers.
 */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(Math.ceil((p / 100) * sorted.length), 1);
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** The statements the data subgraph sends for each case's GraphQL query (tenant scope included). */
async function generatedStatements(adminUrl: string, config: { DISTRAG_DEFAULT_LIMIT: number; DISTRAG_MAX_LIMIT: number; DISTRAG_MAX_COST: number; DISTRAG_MAX_MUTATION_ROWS: number; DISTRAG_STATEMENT_TIMEOUT_MS: number; dataSchemas: string[]; DISTRAG_TENANT_COLUMN: string }) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const catalog = await readCatalog(client, { schemas: config.dataSchemas, tenantColumn: config.DISTRAG_TENANT_COLUMN });
    const log = createLogger('bench', 'silent');
    const limits = { defaultLimit: config.DISTRAG_DEFAULT_LIMIT, maxLimit: config.DISTRAG_MAX_LIMIT };
    const built = buildDataSchema(catalog, {
      staticSdl: readSubgraphSdl('data'),
      otherSubgraphSdls: ['rag', 'cache', 'cluster', 'subscriptions'].map(readSubgraphSdl),
      defaultSchema: config.dataSchemas[0]!,
      pools: new ApiPools({ urls: apiRoleUrls(adminUrl), max: 1, statementTimeoutMs: config.DISTRAG_STATEMENT_TIMEOUT_MS, applicationName: 'distrag-bench' }, log),
      limits,
      maxCost: config.DISTRAG_MAX_COST,
      maxMutationRows: config.DISTRAG_MAX_MUTATION_ROWS,
    });
    const target = { schema: built.schema, model: built.model, limits };
    return {
      a: statementForQuery(target, FLAT.graphql, undefined, String(UNIVERSITY)),
      b: statementForQuery(target, NESTED.graphql, undefined, String(UNIVERSITY)),
    };
  } finally {
    await client.end();
  }
}
