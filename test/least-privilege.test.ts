import fs from 'node:fs';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { roleUrl, SERVICE_DB_ROLES } from '../src/db/api-roles.js';
import type { ManagedProcess } from '../src/stack/process-manager.js';
import { readSecrets } from '../src/stack/secrets.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { loadConfig } from '../src/config/config.js';
import { adminQuery } from './support/database.js';
import { runCli } from './support/run-cli.js';

/** The processes that, like the CLI, hold the admin credentials (README, Least privilege). */
const OPERATIONS_TOOLS = new Set(['backup', 'recovery']);

/** Each running process of the shared stack with its environment, read from /proc. */
function runningProcesses(): Array<{ name: string; env: Map<string, string>; raw: string }> {
  const layout = stackLayout(inject('stack').home);
  const { processes } = JSON.parse(fs.readFileSync(layout.processesFile, 'utf8')) as { processes: ManagedProcess[] };
  return processes.map((p) => {
    const raw = fs.readFileSync(`/proc/${p.pid}/environ`, 'utf8');
    const env = new Map(
      raw
        .split('\0')
        .filter(Boolean)
        .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] as [string, string]),
    );
    return { name: p.name, env, raw };
  });
}

function secrets() {
  const home = inject('stack').home;
  return readSecrets(stackLayout(home).secretsFile, loadConfig({ ...process.env, DISTRAG_HOME: home }));
}

async function asServiceRole<T>(role: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: roleUrl(inject('stack').info.urls.postgres, role) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe('least privilege: each service holds only the credentials it uses', () => {
  it('no running process of the stack but the operations tools (backup, recovery) has the admin password in its environment', () => {
    const { pgPassword } = secrets();
    const processes = runningProcesses();
    expect(processes.map((p) => p.name)).toEqual(expect.arrayContaining(['gateway', 'subgraph-data', 'subgraph-cluster', 'change-feed', 'postgres-coordinator', 'backup', 'recovery']));
    for (const process of processes) {
      if (OPERATIONS_TOOLS.has(process.name)) {
        // They run Citus node operations, pg_basebackup and pg_receivewal: a superuser's work.
        expect(new URL(process.env.get('DISTRAG_DATABASE_URL')!).username, process.name).toBe('distrag_admin');
        continue;
      }
      expect(process.raw.includes(pgPassword), `${process.name} holds the admin password`).toBe(false);
      expect(process.env.has('DISTRAG_DATABASE_URL'), `${process.name} has DISTRAG_DATABASE_URL`).toBe(false);
    }
  });

  it('hands each service only its own credentials', () => {
    const { jwtSecret, internalSecret } = secrets();
    const byName = new Map(runningProcesses().map((p) => [p.name, p]));
    const keysWith = (name: string) => [...byName.get(name)!.env.keys()].filter((k) => /_DATABASE_URL$|_SECRET$/.test(k)).sort();
    expect(keysWith('gateway')).toEqual(['DISTRAG_INTERNAL_SECRET', 'DISTRAG_JWT_SECRET']);
    expect(keysWith('subgraph-data')).toEqual([
      'DISTRAG_CATALOG_DATABASE_URL',
      'DISTRAG_INTERNAL_SECRET',
      'DISTRAG_OPERATOR_DATABASE_URL',
      'DISTRAG_READER_DATABASE_URL',
      'DISTRAG_WRITER_DATABASE_URL',
    ]);
    expect(keysWith('subgraph-cluster')).toEqual(['DISTRAG_CATALOG_DATABASE_URL', 'DISTRAG_INTERNAL_SECRET']);
    expect(keysWith('subgraph-rag')).toEqual(['DISTRAG_ASK_ALL_DATABASE_URL', 'DISTRAG_INTERNAL_SECRET', 'DISTRAG_RAG_DATABASE_URL']);
    expect(keysWith('subgraph-cache')).toEqual(['DISTRAG_INTERNAL_SECRET']);
    expect(keysWith('change-feed')).toEqual(['DISTRAG_FEED_DATABASE_URL', 'DISTRAG_INTERNAL_SECRET']);
    for (const tool of OPERATIONS_TOOLS) expect(keysWith(tool)).toEqual(['DISTRAG_DATABASE_URL', 'DISTRAG_INTERNAL_SECRET']);
    // The user-token secret is the gateway's alone.
    for (const [name, process] of byName) {
      if (!name.startsWith('gateway')) expect(process.raw.includes(jwtSecret), `${name} holds the JWT secret`).toBe(false);
    }
    // Database servers, Redis, Chroma and NGINX need none of DistRAG's secrets.
    for (const [name, process] of byName) {
      if (!name.startsWith('gateway') && !name.startsWith('subgraph-') && name !== 'change-feed' && !OPERATIONS_TOOLS.has(name)) {
        expect(process.raw.includes(internalSecret), `${name} holds the internal secret`).toBe(false);
      }
    }
    expect(new URL(byName.get('change-feed')!.env.get('DISTRAG_FEED_DATABASE_URL')!).username).toBe(SERVICE_DB_ROLES.feed);
    expect(new URL(byName.get('subgraph-rag')!.env.get('DISTRAG_RAG_DATABASE_URL')!).username).toBe(SERVICE_DB_ROLES.rag);
    expect(new URL(byName.get('subgraph-rag')!.env.get('DISTRAG_ASK_ALL_DATABASE_URL')!).username).toBe(SERVICE_DB_ROLES.askAll);
  });

  it('the service roles are not superusers and have only their attributes', async () => {
    const rows = await adminQuery<{ rolname: string; rolsuper: boolean; rolreplication: boolean; rolbypassrls: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
      'SELECT rolname, rolsuper, rolreplication, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = ANY($1::text[]) ORDER BY rolname',
      [Object.values(SERVICE_DB_ROLES)],
    );
    expect(rows).toEqual([
      // An admin's ask of every tenant: every row, but SELECT only (see below).
      { rolname: 'distrag_ask_all', rolsuper: false, rolreplication: false, rolbypassrls: true, rolcreaterole: false, rolcreatedb: false },
      { rolname: 'distrag_catalog', rolsuper: false, rolreplication: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false },
      { rolname: 'distrag_feed', rolsuper: false, rolreplication: true, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false },
      { rolname: 'distrag_rag', rolsuper: false, rolreplication: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false },
    ]);
  });

  it('the catalog reader can read the catalog and secure a table, but not read tenant rows or change anything itself', async () => {
    await asServiceRole(SERVICE_DB_ROLES.catalog, async (client) => {
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class WHERE relname = 'students'`);
      expect(rows[0]!.n).toBeGreaterThan(0);
      await expect(client.query('SELECT * FROM students LIMIT 1')).rejects.toThrow(/permission denied/);
      await expect(client.query('ALTER TABLE students DISABLE ROW LEVEL SECURITY')).rejects.toThrow(/must be owner/);
      await expect(client.query('GRANT SELECT ON students TO PUBLIC')).rejects.toThrow(/permission denied|must be owner/);
      // The owner-run function refuses DistRAG's own tables.
      await expect(client.query(`SELECT distrag_meta.secure_table('distrag_meta.schema_changes'::regclass, NULL)`)).rejects.toThrow(/internal schema/);
      // Already secured: nothing to do.
      const secured = await client.query<{ n: number }>(`SELECT distrag_meta.secure_table('students'::regclass, 'university_id') AS n`);
      expect(secured.rows[0]!.n).toBe(0);
    });
  });

  it('the change feed role can decode and trim the schema-change log, but not read or write tables', async () => {
    await asServiceRole(SERVICE_DB_ROLES.feed, async (client) => {
      await client.query('SELECT count(*) FROM distrag_meta.schema_changes');
      await expect(client.query('SELECT * FROM students LIMIT 1')).rejects.toThrow(/permission denied/);
      await expect(client.query(`INSERT INTO distrag_meta.schema_changes (command_tag, object_type, object_identity) VALUES ('X', 'x', 'x')`)).rejects.toThrow(/permission denied/);
      await expect(client.query('CREATE PUBLICATION distrag_test_pub FOR ALL TABLES')).rejects.toThrow(/superuser|permission denied/);
    });
  });

  it('the RAG role can make ask roles through ensure_ask_role, but not read tenant rows, secure tables or make roles itself', async () => {
    await asServiceRole(SERVICE_DB_ROLES.rag, async (client) => {
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class WHERE relname = 'students'`);
      expect(rows[0]!.n).toBeGreaterThan(0);
      for (const table of ['students', 'enrollments', 'universities']) {
        await expect(client.query(`SELECT * FROM ${table} LIMIT 1`), table).rejects.toThrow(/permission denied/);
      }
      // EXECUTE is granted: the function itself answers (here refusing a short password), not the privilege check.
      await expect(client.query(`SELECT distrag_meta.ensure_ask_role('1', 'short')`)).rejects.toMatchObject({ code: '22023' });
      await expect(client.query(`SELECT distrag_meta.secure_table('students'::regclass, 'university_id')`)).rejects.toThrow(/permission denied/);
      await expect(client.query(`CREATE ROLE distrag_t_lp_test LOGIN`)).rejects.toThrow(/permission denied/);
      await expect(client.query(`GRANT distrag_asker TO distrag_rag`)).rejects.toThrow(/permission denied|must have admin option/);
    });
    const [grants] = await adminQuery<{ ensure: boolean; secure: boolean }>(
      `SELECT has_function_privilege('distrag_rag', 'distrag_meta.ensure_ask_role(text, text)', 'EXECUTE') AS ensure,
              has_function_privilege('distrag_rag', 'distrag_meta.secure_table(regclass, name)', 'EXECUTE') AS secure`,
    );
    expect(grants).toEqual({ ensure: true, secure: false });
  });

  it('the ask group cannot log in and holds SELECT only; the ask-all role reads every tenant but writes nothing', async () => {
    const [group] = await adminQuery<{ rolcanlogin: boolean; rolbypassrls: boolean; writes: string[] }>(
      `SELECT r.rolcanlogin, r.rolbypassrls,
              ARRAY(SELECT c.relname || ':' || p FROM pg_class c CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
                     WHERE c.relname IN ('universities', 'departments', 'students', 'courses', 'enrollments') AND c.relkind IN ('r', 'p')
                       AND has_table_privilege(r.rolname, c.oid, p)) AS writes
         FROM pg_roles r WHERE r.rolname = 'distrag_asker'`,
    );
    expect(group).toEqual({ rolcanlogin: false, rolbypassrls: false, writes: [] });
    // Not even with the password scheme of the service roles.
    await expect(asServiceRole('distrag_asker', async () => undefined)).rejects.toMatchObject({ code: expect.stringMatching(/^28/) });

    await asServiceRole(SERVICE_DB_ROLES.askAll, async (client) => {
      const { rows } = await client.query<{ tenants: number }>('SELECT count(DISTINCT university_id)::int AS tenants FROM students');
      const [all] = await adminQuery<{ tenants: number }>('SELECT count(DISTINCT university_id)::int AS tenants FROM students');
      expect(rows[0]!.tenants).toBe(all!.tenants);
      await expect(client.query(`UPDATE students SET first_name = first_name WHERE false`)).rejects.toThrow(/permission denied/);
      await expect(client.query(`SELECT distrag_meta.ensure_ask_role('1', repeat('x', 40))`)).rejects.toThrow(/permission denied/);
    });
  });

  it('`distrag db-credentials` prints the passwords the roles log in with (for compose .env files)', async () => {
    const result = runCli(['db-credentials'], { DISTRAG_HOME: inject('stack').home });
    expect(result.code, result.stderr).toBe(0);
    const lines = new Map(result.stdout.trim().split('\n').map((line) => line.split('=', 2) as [string, string]));
    expect([...lines.keys()].sort()).toEqual(
      [
        'DISTRAG_ASK_ALL_DB_PASSWORD',
        'DISTRAG_CATALOG_DB_PASSWORD',
        'DISTRAG_FEED_DB_PASSWORD',
        'DISTRAG_OPERATOR_DB_PASSWORD',
        'DISTRAG_RAG_DB_PASSWORD',
        'DISTRAG_READER_DB_PASSWORD',
        'DISTRAG_WRITER_DB_PASSWORD',
      ],
    );
    const url = new URL(inject('stack').info.urls.postgres);
    url.username = SERVICE_DB_ROLES.catalog;
    url.password = lines.get('DISTRAG_CATALOG_DB_PASSWORD')!;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const { rows } = await client.query<{ user: string }>('SELECT current_user AS user');
    await client.end();
    expect(rows[0]!.user).toBe(SERVICE_DB_ROLES.catalog);

    const short = runCli(['db-credentials'], { DISTRAG_HOME: inject('stack').home, DISTRAG_PG_PASSWORD: 'short' });
    expect(short.code).not.toBe(0);
    expect(short.stderr).toMatch(/DISTRAG_PG_PASSWORD must be at least 16 characters/);
  });
});
