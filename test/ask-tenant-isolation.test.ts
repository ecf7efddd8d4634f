import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { roleUrl, SERVICE_DB_ROLES } from '../src/db/api-roles.js';
import { AskConnections } from '../subgraphs/rag/execute/ask-connections.js';
import { askRolePassword } from '../subgraphs/rag/execute/ask-role-password.js';
import { executeAskSql, type AskSqlLimits } from '../subgraphs/rag/execute/execute-ask-sql.js';
import { adminQuery } from './support/database.js';

/**
 * CONTRACT §4 and §5 (RAG): the tenant of an `ask` cannot be escaped even by SQL that no guard
 * looked at. Tenant 1's hostile statements go straight to AskConnections + executeAskSql, and each
 * either fails or sees only tenant 1's rows (counts and min/max of university_id, compared with
 * what the admin sees for tenant 1) — in the statement itself, in the next ask on the same pooled
 * session, in a fresh session, and in the next ask of another tenant.
 */

const TENANT = '1';
const OTHER = '2';
/** A tenant without rows in the demo data, whose ask role the tests make from scratch. */
const NEW_TENANT = '17';
const TABLES = ['departments', 'students', 'courses', 'enrollments'] as const;
const LIMITS: AskSqlLimits = { searchPath: ['public'], statementTimeoutMs: 1500, rowCap: 1000 };
const log = pino({ level: 'silent' });
const citus = () => inject('stack').info.mode === 'CITUS';

type Scope = Record<string, { n: number; lo: number | null; hi: number | null }>;

/** One row per tenant table: its rows' count and lowest and highest tenant id. */
const SCOPE_SQL = TABLES.map((t) => `SELECT '${t}' AS t, count(*)::int AS n, min(university_id)::int AS lo, max(university_id)::int AS hi FROM ${t}`).join('\nUNION ALL ');
/** The students a statement sees, as one row `{ n, lo, hi }` (the shape most hostile reads return). */
const STUDENTS = 'count(*)::int AS n, min(university_id)::int AS lo, max(university_id)::int AS hi FROM students';

function newAsks(): AskConnections {
  const admin = inject('stack').info.urls.postgres;
  // One connection per tenant: the next ask of a tenant runs on the very session the last one used.
  return new AskConnections({ ragUrl: roleUrl(admin, SERVICE_DB_ROLES.rag), askAllUrl: roleUrl(admin, SERVICE_DB_ROLES.askAll), log, connectionsPerTenant: 1 });
}

let asks: AskConnections;

/** Runs one ask's SQL for `tenant` (null: every tenant) on the shared pools. */
async function ask(tenant: string | null, sql: string, on: AskConnections = asks): Promise<unknown[][]> {
  const client = await on.connect(tenant);
  try {
    return (await executeAskSql(client, sql, [], LIMITS)).rows;
  } finally {
    client.release();
  }
}

/** The error an ask fails with (fails the test when it succeeds). */
async function askError(tenant: string, sql: string): Promise<{ code?: string; message: string }> {
  const error = await ask(tenant, sql).then(
    (rows) => new Error(`expected an error, got ${JSON.stringify(rows)}`),
    (e: unknown) => e as { code?: string; message: string },
  );
  if (error instanceof Error && !('code' in error)) throw error;
  return error as { code?: string; message: string };
}

async function askScope(tenant: string | null, on: AskConnections = asks): Promise<Scope> {
  const rows = (await ask(tenant, SCOPE_SQL, on)) as Array<[string, number, number | null, number | null]>;
  return Object.fromEntries(rows.map(([t, n, lo, hi]) => [t, { n, lo, hi }]));
}

/** What the admin sees of one tenant (null: of all of them). */
async function adminScope(tenant: string | null): Promise<Scope> {
  const scope: Scope = {};
  for (const t of TABLES) {
    const [row] = await adminQuery<{ n: number; lo: number | null; hi: number | null }>(
      `SELECT count(*)::int AS n, min(university_id)::int AS lo, max(university_id)::int AS hi FROM ${t} WHERE $1::int IS NULL OR university_id = $1::int`,
      [tenant],
    );
    scope[t] = row!;
  }
  return scope;
}

/** A fresh set of pools, so a new session: `fn` runs on it, then it is closed. */
async function withFreshAsks<T>(fn: (fresh: AskConnections) => Promise<T>): Promise<T> {
  const fresh = newAsks();
  try {
    return await fn(fresh);
  } finally {
    await fresh.close();
  }
}

const expected: Record<string, Scope> = {};
let tenantSession: number;

/** After a hostile statement: the same pooled session, a fresh one and another tenant's still see only their own rows. */
async function expectNothingLeaked(): Promise<void> {
  const [[pid]] = (await ask(TENANT, 'SELECT pg_backend_pid()')) as [[number]];
  expect(pid, 'the next ask runs on the same pooled session').toBe(tenantSession);
  expect(await askScope(TENANT)).toEqual(expected[TENANT]);
  expect(await withFreshAsks((fresh) => askScope(TENANT, fresh))).toEqual(expected[TENANT]);
  expect(await askScope(OTHER)).toEqual(expected[OTHER]);
  const [[user, tenantSetting, role, rowSecurity]] = (await ask(
    TENANT,
    `SELECT current_user::text, current_setting('distrag.tenant', true), current_setting('role'), current_setting('row_security')`,
  )) as [[string, string | null, string, string]];
  expect({ user, tenantSetting: tenantSetting || null, role, rowSecurity }).toEqual({ user: `distrag_t_${TENANT}`, tenantSetting: null, role: 'none', rowSecurity: 'on' });
}

async function dropAskRole(tenant: string): Promise<void> {
  const role = `distrag_t_${tenant}`;
  await adminQuery(`DROP ROLE IF EXISTS ${role}`);
  if (citus()) {
    await adminQuery('DELETE FROM pg_dist_authinfo WHERE rolename = $1', [role]);
    await adminQuery(`SELECT run_command_on_workers($1)`, [`DELETE FROM pg_dist_authinfo WHERE rolename = '${role}'`]);
  }
}

beforeAll(async () => {
  await dropAskRole(NEW_TENANT);
  asks = newAsks();
  for (const tenant of [TENANT, OTHER, NEW_TENANT]) expected[tenant] = await adminScope(tenant);
  expected.all = await adminScope(null);
  // The premise: both tenants have rows in every table, and there are rows of other tenants.
  for (const t of TABLES) {
    expect(expected[TENANT]![t]).toMatchObject({ lo: 1, hi: 1 });
    expect(expected[OTHER]![t]).toMatchObject({ lo: 2, hi: 2 });
    expect(expected[TENANT]![t]!.n).toBeGreaterThan(0);
    expect(expected.all![t]!.n).toBeGreaterThan(expected[TENANT]![t]!.n);
  }
  [[tenantSession]] = (await ask(TENANT, 'SELECT pg_backend_pid()')) as [[number]];
});

afterAll(async () => {
  await asks?.close();
  await dropAskRole(NEW_TENANT);
});

describe('the ask roles see their own tenant and the admin path every tenant', () => {
  it("a tenant's ask sees exactly the admin's view of that tenant", async () => {
    expect(await askScope(TENANT)).toEqual(expected[TENANT]);
    expect(await askScope(OTHER)).toEqual(expected[OTHER]);
  });

  it('the admin path without a tenant sees every tenant', async () => {
    expect(await askScope(null)).toEqual(expected.all);
    const tenants = (await ask(null, 'SELECT DISTINCT university_id FROM students ORDER BY 1')).map(([id]) => id);
    expect(tenants).toEqual(expect.arrayContaining([1, 2]));
  });

  it("a brand-new tenant's first ask makes its role and works, seeing no other tenant's rows", async () => {
    expect(await adminQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [`distrag_t_${NEW_TENANT}`])).toEqual([]);
    expect(await askScope(NEW_TENANT)).toEqual(expected[NEW_TENANT]);
    for (const t of TABLES) expect(expected[NEW_TENANT]![t]).toEqual({ n: 0, lo: null, hi: null });
    // Reference tables are everyone's.
    const [[universities]] = (await ask(NEW_TENANT, 'SELECT count(*)::int FROM universities')) as [[number]];
    const [all] = await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM universities');
    expect(universities).toBe(all!.n);
    const [role] = await adminQuery(
      `SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, pg_has_role(oid, 'distrag_asker', 'MEMBER') AS asker FROM pg_roles WHERE rolname = $1`,
      [`distrag_t_${NEW_TENANT}`],
    );
    expect(role).toEqual({ rolcanlogin: true, rolsuper: false, rolbypassrls: false, rolcreaterole: false, asker: true });
  });

  it("a tenant's role cannot be logged into with another tenant's derived password", async () => {
    const admin = inject('stack').info.urls.postgres;
    const ragPassword = decodeURIComponent(new URL(roleUrl(admin, SERVICE_DB_ROLES.rag)).password);
    const login = async (role: string, passwordOf: string) => {
      const url = new URL(admin);
      url.username = role;
      url.password = encodeURIComponent(askRolePassword(ragPassword, passwordOf));
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      const { rows } = await client.query<{ user: string }>('SELECT session_user::text AS user');
      await client.end();
      return rows[0]!.user;
    };
    await ask(OTHER, 'SELECT 1'); // the role exists
    await expect(login(`distrag_t_${OTHER}`, TENANT)).rejects.toMatchObject({ code: '28P01' });
    await expect(login('distrag_ask_all', TENANT)).rejects.toMatchObject({ code: '28P01' });
    expect(await login(`distrag_t_${TENANT}`, TENANT)).toBe(`distrag_t_${TENANT}`);
  });
});

/**
 * Statements that succeed: whatever they return describes tenant 1's students only (or nothing).
 * `scoped` means: fails, or returns exactly tenant 1's `{ n, lo, hi }` of students.
 */
const SCOPED_READS: Array<[string, string]> = [
  ['set_config in the WHERE', `SELECT ${STUDENTS} WHERE set_config('distrag.tenant', '${OTHER}', true) = '${OTHER}'`],
  ['set_config (session) in the WHERE', `SELECT ${STUDENTS} WHERE set_config('distrag.tenant', '${OTHER}', false) IS NOT NULL`],
  ['set_config in a CTE', `WITH s AS (SELECT set_config('distrag.tenant', '${OTHER}', true) AS t) SELECT ${STUDENTS}, s WHERE s.t IS NOT NULL`],
  ['set_config in a scalar subquery', `SELECT ${STUDENTS} WHERE (SELECT set_config('distrag.tenant', '${OTHER}', true)) IS NOT NULL`],
  ['set_config before a LATERAL read', `SELECT r.* FROM (SELECT set_config('distrag.tenant', '${OTHER}', true)) c, LATERAL (SELECT ${STUDENTS}) r`],
  ['set_config of role to the group before a LATERAL read', `SELECT r.* FROM (SELECT set_config('role', 'distrag_asker', true)) c, LATERAL (SELECT ${STUDENTS}) r`],
  ['current_setting as the tenant filter', `SELECT ${STUDENTS} WHERE university_id::text = coalesce(nullif(current_setting('distrag.tenant', true), ''), '${OTHER}') OR university_id = ${OTHER}`],
  ['a filter on the other tenant', `SELECT ${STUDENTS} WHERE university_id = ${OTHER}`],
  // Error oracles: an expression that fails on the other tenant's rows only must never be evaluated on them.
  ['a division by zero on the other tenant’s rows', `SELECT ${STUDENTS} WHERE 1 / (university_id - ${OTHER}) IS NOT NULL`],
  ['a cast that fails on the other tenant’s names', `SELECT ${STUDENTS} WHERE university_id = ${OTHER} AND first_name::int > 0`],
];

/** Statements that must be refused, with the SQLSTATE they are refused with. */
const REFUSED: Array<[string, string, string | RegExp]> = [
  ['SET distrag.tenant', `SET distrag.tenant = '${OTHER}'`, '42601'],
  ['SET LOCAL distrag.tenant', `SET LOCAL distrag.tenant = '${OTHER}'`, '42601'],
  ['RESET distrag.tenant', 'RESET distrag.tenant', '42601'],
  ['RESET ALL', 'RESET ALL', '42601'],
  ['SET ROLE distrag_asker', 'SET ROLE distrag_asker', '42601'],
  ['SET ROLE distrag_reader', 'SET ROLE distrag_reader', '42601'],
  ['SET ROLE distrag_ask_all', 'SET ROLE distrag_ask_all', '42601'],
  ['SET SESSION AUTHORIZATION', 'SET SESSION AUTHORIZATION distrag_ask_all', '42601'],
  ['set_config of role to the ask-all role', `SELECT set_config('role', 'distrag_ask_all', false)`, '42501'],
  ['set_config of role to the data API reader', `SELECT set_config('role', 'distrag_reader', false)`, '42501'],
  ['set_config of role to the admin', `SELECT set_config('role', 'distrag_admin', false)`, '42501'],
  ['set_config of session_authorization', `SELECT set_config('session_authorization', 'distrag_ask_all', false)`, '42501'],
  ['ensure_ask_role for another tenant', `SELECT distrag_meta.ensure_ask_role('${OTHER}', repeat('x', 40))`, '42501'],
  ['secure_table (to drop the policy)', `SELECT distrag_meta.secure_table('students'::regclass, NULL)`, '42501'],
  ['INSERT', `INSERT INTO students (university_id, student_id, first_name, last_name, email, enrolled_on) VALUES (1, 3900001, 'a', 'b', 'c', '2025-01-01')`, '42601'],
  ['UPDATE', `UPDATE students SET first_name = 'x' WHERE university_id = ${OTHER}`, '42601'],
  ['DELETE', `DELETE FROM enrollments`, '42601'],
  ['DELETE in a CTE', `WITH d AS (DELETE FROM enrollments RETURNING 1) SELECT count(*) FROM d`, '0A000'],
  ['UPDATE in a CTE', `WITH u AS (UPDATE students SET first_name = first_name RETURNING 1) SELECT count(*) FROM u`, '0A000'],
  ['two statements', `SELECT 1; SELECT 2`, '42601'],
  ['a statement that closes the wrapper and adds others', `SELECT 1) AS a; SET ROLE distrag_asker; SELECT * FROM (SELECT 1`, '42601'],
  ['reading the Citus node passwords', 'SELECT rolename, authinfo FROM pg_dist_authinfo', /^(42501|42P01)$/],
];

describe(`tenant ${TENANT}'s hostile statements, with no guard in between`, () => {
  it.each(SCOPED_READS)('%s: sees only its own rows, and nothing leaks to later asks', async (_name, sql) => {
    const outcome = await ask(TENANT, sql).then((rows) => ({ rows }), (e: { code?: string; message: string }) => ({ code: e.code, message: e.message }));
    if ('rows' in outcome) {
      const [[n, lo, hi]] = outcome.rows as [[number, number | null, number | null]];
      // Either all of tenant 1's students, or none (a filter on tenant 2 that RLS emptied).
      expect([expected[TENANT]!.students, { n: 0, lo: null, hi: null }], sql).toContainEqual({ n, lo, hi });
    } else {
      // The only failure allowed: under Citus, the NOLOGIN group cannot reach the workers.
      expect(outcome.message, sql).not.toMatch(/division by zero|invalid input syntax/);
      expect(outcome.code, `${sql}: ${outcome.message}`).toBe('08006');
    }
    await expectNothingLeaked();
  });

  it.each(REFUSED)('%s: refused, and nothing leaks to later asks', async (_name, sql, code) => {
    const error = await askError(TENANT, sql);
    expect(error.code, `${sql}: ${error.message}`).toMatch(typeof code === 'string' ? new RegExp(`^${code}$`) : code);
    await expectNothingLeaked();
  });

  it('set_config of the tenant setting for the session, then a read on the same and on a fresh session', async () => {
    expect(await ask(TENANT, `SELECT set_config('distrag.tenant', '${OTHER}', false)`)).toEqual([[OTHER]]);
    expect(await ask(TENANT, `SELECT ${STUDENTS}`)).toEqual([[expected[TENANT]!.students!.n, 1, 1]]);
    await expectNothingLeaked();
  });

  it('set_config of role to the ask group for the session does not break or widen later asks', async () => {
    expect(await ask(TENANT, `SELECT set_config('role', 'distrag_asker', false)`)).toEqual([['distrag_asker']]);
    await expectNothingLeaked();
  });

  it('set_config of row_security off for the session does not break later asks', async () => {
    expect(await ask(TENANT, `SELECT set_config('row_security', 'off', false)`)).toEqual([['off']]);
    await expectNothingLeaked();
  });

  it("a session advisory lock on one of DistRAG's own keys is released with the ask", async () => {
    await ask(TENANT, `SELECT pg_advisory_lock(hashtext('distrag_meta.ask_roles'))`);
    const [free] = await adminQuery<{ got: boolean }>(`SELECT pg_try_advisory_lock(hashtext('distrag_meta.ask_roles')) AS got`);
    expect(free!.got).toBe(true);
    await expectNothingLeaked();
  });

  it('pg_sleep is stopped by the statement timeout (57014)', async () => {
    const started = Date.now();
    const error = await askError(TENANT, 'SELECT pg_sleep(30)');
    expect(error.code).toBe('57014');
    expect(Date.now() - started).toBeLessThan(LIMITS.statementTimeoutMs + 5_000);
    await expectNothingLeaked();
  });

  it('statistics do not show the tenant tables’ values', async () => {
    expect(await ask(TENANT, `SELECT count(*)::int FROM pg_stats WHERE tablename IN ('students', 'enrollments', 'departments', 'courses')`)).toEqual([[0]]);
  });
});

describe(`tenant ${TENANT}'s own session, with no wrapper at all`, () => {
  /** Raw commands on the tenant's pooled session (what a statement that escaped the wrapper could send). */
  async function onSession<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await asks.connect(TENANT);
    try {
      return await fn(client);
    } finally {
      await client.query('ROLLBACK; RESET ALL; RESET ROLE').catch(() => undefined);
      client.release();
    }
  }
  const count = async (client: pg.ClientBase) => (await client.query<{ n: number; lo: number | null; hi: number | null }>(`SELECT ${STUDENTS}`)).rows[0];

  it('SET, SET LOCAL and RESET of the tenant setting, RESET ALL: still tenant 1', async () => {
    await onSession(async (client) => {
      for (const command of [`SET distrag.tenant = '${OTHER}'`, 'RESET distrag.tenant', 'RESET ALL']) {
        await client.query(command);
        expect(await count(client), command).toEqual(expected[TENANT]!.students);
      }
      await client.query('BEGIN');
      await client.query(`SET LOCAL distrag.tenant = '${OTHER}'`);
      expect(await count(client)).toEqual(expected[TENANT]!.students);
      await client.query('COMMIT');
    });
    await expectNothingLeaked();
  });

  it('SET ROLE to another role or SET SESSION AUTHORIZATION is refused; SET ROLE to the group sees no more', async () => {
    await onSession(async (client) => {
      for (const role of ['distrag_reader', 'distrag_writer', 'distrag_operator', 'distrag_ask_all', 'distrag_rag', `distrag_t_${OTHER}`]) {
        await expect(client.query(`SET ROLE ${role}`), role).rejects.toMatchObject({ code: '42501' });
      }
      await expect(client.query('SET SESSION AUTHORIZATION distrag_ask_all')).rejects.toMatchObject({ code: '42501' });
      await client.query('SET ROLE distrag_asker');
      const seen = await count(client).then((row) => row, (e: { code?: string }) => e.code);
      // Under Citus the group cannot log in to the workers; without Citus session_user still names tenant 1.
      expect([expected[TENANT]!.students, '08006']).toContainEqual(seen);
    });
    await expectNothingLeaked();
  });

  it('INSERT, UPDATE and DELETE are refused by the privileges themselves', async () => {
    await onSession(async (client) => {
      await expect(client.query(`INSERT INTO students (university_id, student_id, first_name, last_name, email, enrolled_on) VALUES (1, 3900001, 'a', 'b', 'c', '2025-01-01')`)).rejects.toMatchObject({ code: '42501' });
      await expect(client.query(`UPDATE students SET first_name = first_name WHERE university_id = ${OTHER}`)).rejects.toMatchObject({ code: '42501' });
      await expect(client.query('DELETE FROM enrollments')).rejects.toMatchObject({ code: '42501' });
      await expect(client.query('CREATE TABLE public.distrag_ask_probe (x int)')).rejects.toMatchObject({ code: '42501' });
    });
    expect(await adminScope(TENANT)).toEqual(expected[TENANT]);
  });
});

describe.skipIf(!citus())(`tenant ${TENANT} through Citus's own fan-out functions`, () => {
  it("run_command_on_shards reads each shard as tenant 1: only tenant 1's rows", async () => {
    const rows = (await ask(TENANT, `SELECT shardid, success, result FROM run_command_on_shards('students', $$SELECT count(*) || ':' || coalesce(min(university_id), 0) || ':' || coalesce(max(university_id), 0) FROM %s$$)`)) as Array<[string, boolean, string]>;
    expect(rows.length).toBeGreaterThan(1);
    let n = 0;
    for (const [shard, success, result] of rows) {
      expect(success, `${shard}: ${result}`).toBe(true);
      const [count, lo, hi] = result.split(':').map(Number) as [number, number, number];
      if (count > 0) expect([lo, hi], shard).toEqual([1, 1]);
      n += count;
    }
    expect(n).toBe(expected[TENANT]!.students!.n);
    await expectNothingLeaked();
  });

  it('run_command_on_all_nodes runs as tenant 1 on every node, and cannot read the node passwords there', async () => {
    const users = (await ask(TENANT, `SELECT success, result FROM run_command_on_all_nodes($$SELECT session_user$$)`)) as Array<[boolean, string]>;
    expect(users.length).toBe(inject('stack').info.nodes.length);
    for (const [success, result] of users) expect({ success, result }).toEqual({ success: true, result: `distrag_t_${TENANT}` });
    const authinfo = (await ask(TENANT, `SELECT success, result FROM run_command_on_all_nodes($$SELECT count(*) FROM pg_dist_authinfo$$)`)) as Array<[boolean, string]>;
    for (const [success, result] of authinfo) expect({ success, result }).toEqual({ success: false, result: expect.stringMatching(/permission denied/) });
    await expectNothingLeaked();
  });
});
