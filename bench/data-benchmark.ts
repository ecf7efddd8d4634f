import { apiRoleUrls } from '../src/db/api-roles.js';
import pg from 'pg';
import { signUserToken } from '../src/auth/user-token.js';
import { createLogger } from '../src/log/logger.js';
import { readSubgraphSdl } from '../src/service/start-subgraph.js';
import { startPrivateStack } from '../src/stack/private-stack.js';
import { readSecrets } from '../src/stack/secrets.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { readCatalog } from '../subgraphs/data/catalog/read-catalog.js';
import { statementForQuery } from '../subgraphs/data/direct/direct-query-executor.js';
import { ApiPools } from '../subgraphs/data/execution/api-pools.js';
import { buildDataSchema } from '../subgraphs/data/graphql/build-data-schema.js';
import type { BenchOutcome } from './bench-result.js';
import { benchStackEnv } from './bench-stack-env.js';
import { BenchTableBuilder } from './bench-table-builder.js';
import { httpLoad } from './http-load.js';
import type { Load } from './load.js';
import { pgLoad } from './pg-load.js';
import type { BenchmarkOptions } from './run-benchmark.js';
import { StackProbe } from './stack-probe.js';
import { CPU_TABLE, cpuRow, TIME_TABLE, timeRow } from './time-breakdown.js';

const UNIVERSITY = 3;
const WARM_UP_SECONDS = 2;
const SEED_SCALE = 1;
/** The goal: (a) through the gateway, p50 within this many times the API's own statement on raw pg. */
const GOAL_P50_RATIO = 2;

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

const CASES = [FLAT, NESTED];

/**
 * The data API against hand-written SQL on a plain pg pool, for a flat list and a 3-level nested
 * read, same connections and duration each; every run measures every path of both cases again.
 */
export async function dataBenchmark(options: BenchmarkOptions): Promise<BenchOutcome> {
  options.report('starting a private stack');
  const stack = await startPrivateStack({ prefix: 'distrag-bench', env: benchStackEnv(options.mode, { DISTRAG_SEED_SCALE: String(SEED_SCALE) }), report: options.report });
  let pool: pg.Pool | null = null;
  try {
    const secrets = readSecrets(stackLayout(stack.config.home).secretsFile, stack.config);
    const token = await signUserToken(secrets.jwtSecret, { sub: 'bench', role: 'reader', tenant: String(UNIVERSITY) });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const url = stack.info.urls.graphql;
    const rawPool = (pool = new pg.Pool({ connectionString: stack.info.urls.postgres, max: options.connections }));
    const { duration, connections } = options;
    const probe = await StackProbe.forStack(stack);

    const generated = await generatedStatements(stack.info.urls.postgres, stack.config);
    const paths = (c: Case) => [
      { name: 'raw pg, hand-written SQL (rows)', load: (seconds: number) => pgLoad(rawPool, c.sql, c.params, seconds, connections) },
      { name: "raw pg, the API's own statement (JSON)", load: (seconds: number) => pgLoad(rawPool, generated[c.id].text, generated[c.id].values, seconds, connections) },
      { name: 'through the gateway', load: (seconds: number) => httpLoad({ url, headers, body: JSON.stringify({ query: c.graphql }), duration: seconds, connections }) },
    ];
    const checks: Record<Case['id'], string> = { a: '', b: '' };
    for (const c of CASES) {
      options.report(`${c.title}: checking both paths`);
      checks[c.id] = await checkCase(c, url, headers, rawPool);
      options.report(`${c.title}: ${checks[c.id]}; warming up (${WARM_UP_SECONDS}s each path)`);
      for (const path of paths(c)) await path.load(WARM_UP_SECONDS);
    }

    const main = new BenchTableBuilder({ title: null, keyColumns: ['case', 'path'], columns: [{ name: 'req/s', digits: 0 }, { name: 'p50 ms', digits: 2 }, { name: 'p99 ms', digits: 2 }, { name: 'errors', digits: 0 }] });
    const ratios = new BenchTableBuilder({ title: 'Ratios within each run', keyColumns: ['case', 'ratio'], columns: [{ name: 'req/s', digits: 2 }, { name: 'p50', digits: 2 }, { name: 'p99', digits: 2 }] });
    const time = new BenchTableBuilder({ ...TIME_TABLE, keyColumns: ['case', 'path'] });
    const cpu = new BenchTableBuilder({ ...CPU_TABLE, keyColumns: ['case', 'path'] });
    for (let run = 1; run <= options.runs; run++) {
      for (const c of CASES) {
        options.report(`run ${run}/${options.runs}, ${c.title}: raw pg, the API's statement on raw pg, through the gateway, ${duration}s × ${connections} connections each`);
        const loads: Load[] = [];
        for (const path of paths(c)) {
          const probed = await probe.around(() => path.load(duration));
          loads.push(probed.value);
          main.add([c.title, path.name], [probed.value.requestsPerSecond, probed.value.p50Ms, probed.value.p99Ms, probed.value.errors]);
          if (path.name === 'through the gateway') time.add([c.title, path.name], timeRow('gateway', probed));
          const cpuValues = cpuRow(probed, probe.cpus);
          if (cpuValues) cpu.add([c.title, path.name], cpuValues);
        }
        // Re-checked after the run rather than during it: reading every body would load the client.
        await checkCase(c, url, headers, rawPool);
        const [raw, same, gateway] = loads as [Load, Load, Load];
        const ratio = (base: Load) => [gateway.requestsPerSecond / base.requestsPerSecond, gateway.p50Ms / base.p50Ms, gateway.p99Ms / base.p99Ms];
        ratios.add([c.title, 'gateway / hand-written SQL'], ratio(raw));
        ratios.add([c.title, "gateway / the API's statement"], ratio(same));
      }
    }
    const ratioTable = ratios.build();
    const p50Ratio = (c: Case, of: string) => ratioTable.rows.find((r) => r.key[0] === c.title && r.key[1] === of)!.figures[1]!;
    const goal = p50Ratio(FLAT, "gateway / the API's statement");
    return {
      mode: stack.info.mode,
      title: 'Data API vs raw pg (`npx distrag bench data`)',
      tables: [main.build(), ratioTable, time.build(), cpu.build()].filter((t) => t.rows.length > 0),
      notes: [
        `Goal: (a) gateway p50 within ${GOAL_P50_RATIO} × raw pg p50 with the same SQL — ${goal.max <= GOAL_P50_RATIO ? 'met in every run' : goal.median <= GOAL_P50_RATIO ? 'met by the median, not in every run' : 'not met'}: median ${goal.median.toFixed(2)} × (${goal.min.toFixed(2)}–${goal.max.toFixed(2)}).`,
        `First-response check: (a) ${checks.a}; (b) ${checks.b}.`,
      ],
      method: [
        `"The API's own statement" is the exact SQL the data subgraph sends for the GraphQL query (compiled in the benchmark by the same planner, \`statementForQuery\`), run with pg as the admin role in autocommit: the database's share. The gateway path adds the gateway and data-subgraph hops, the transaction and the tenant setting (row-level security).`,
        `(a) GraphQL \`${FLAT.graphql}\`; raw: \`${oneLine(FLAT.sql)}\` with [${UNIVERSITY}].`,
        `(b) GraphQL \`${NESTED.graphql}\`; raw: one statement, \`json_agg\` with correlated subqueries universities → departments → students (ORDER BY student_id LIMIT 20), each distributed table filtered by the tenant as well (which routes it to one worker under Citus), see bench/data-benchmark.ts.`,
        `Gateway: autocannon POSTs, reader token of tenant ${UNIVERSITY}, a response checked for shape and no \`errors\` before the runs and after each; errors = connection errors + non-2xx. Raw pg: \`pg.Pool\` (max = connections) on the admin URL of the coordinator, a closed loop of ${connections} concurrent workers, latency per statement by \`process.hrtime.bigint()\`. Latency percentiles at full resolution.`,
        `${duration} s per path and run, ${connections} connections each, the three paths of a case one after another in every run, after a ${WARM_UP_SECONDS} s warm-up of each path; ratios are taken within each run. Demo data scale ${SEED_SCALE}; SINGLE: one PostgreSQL node; CITUS: a coordinator and 2 workers (the tenant's statements route to the one worker holding its shard). The load generator, the gateway, the subgraphs and every PostgreSQL node share the machine's CPUs.`,
      ],
    };
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
