import { describe, expect, inject, it } from 'vitest';
import { findPostgresBinaries } from '../src/stack/postgres-binaries.js';
import { graphql, tokenFor } from './support/graphql-client.js';

const citus = findPostgresBinaries(process.env.DISTRAG_PG_BIN).citusAvailable;
if (!citus) console.log('skipped: citus not installed');

describe.skipIf(!citus)('Citus cluster (skipped: citus not installed)', () => {
  it('runs in CITUS mode with the coordinator and every worker up', async () => {
    const { body } = await graphql('{ cluster { mode nodes { name role status } } }', { token: await tokenFor('admin') });
    const cluster = body.data?.cluster as { mode: string; nodes: Array<{ role: string; status: string }> };
    expect(cluster.mode).toBe('CITUS');
    expect(cluster.nodes.filter((n) => n.role === 'WORKER').length).toBeGreaterThanOrEqual(1);
    expect(cluster.nodes.every((n) => n.status === 'UP')).toBe(true);
  });

  it('distributes the tenant tables by university_id, co-located, with universities as a reference table', async () => {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: inject('stack').info.urls.postgres });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; kind: string; colocationid: number }>(
        `SELECT logicalrelid::regclass::text AS name, partmethod AS kind, colocationid FROM pg_dist_partition ORDER BY 1`,
      );
      const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
      expect(byName.universities?.kind).toBe('n');
      const groups = new Set(['departments', 'students', 'courses', 'enrollments'].map((t) => byName[t]?.colocationid));
      expect(groups.size).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('puts row-level security and the tenant policy on every shard of the tenant tables', async () => {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: inject('stack').info.urls.postgres });
    await client.connect();
    try {
      for (const table of ['departments', 'students', 'courses', 'enrollments']) {
        const { rows } = await client.query<{ result: string; success: boolean }>(
          `SELECT success, result FROM run_command_on_shards($1, $$SELECT relrowsecurity AND relforcerowsecurity AND EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = '%s'::regclass AND polname = 'distrag_tenant_isolation') FROM pg_class WHERE oid = '%s'::regclass$$)`,
          [table],
        );
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.every((r) => r.success && r.result === 't'), table).toBe(true);
      }
      const { rows: roles } = await client.query<{ result: string }>(`SELECT result FROM run_command_on_workers($$SELECT count(*) FROM pg_roles WHERE rolname IN ('distrag_reader', 'distrag_writer', 'distrag_operator')$$)`);
      expect(roles.every((r) => r.result === '3')).toBe(true);
      expect((await client.query('SHOW citus.propagate_set_commands')).rows[0]).toEqual({ 'citus.propagate_set_commands': 'local' });
    } finally {
      await client.end();
    }
  });

  it('scopes a tenant token to its tenant on the workers, for reads and for multi-shard writes', async () => {
    const reader = await tokenFor('reader', '2');
    const { body } = await graphql('{ studentsAggregate { count } students(where: { universityId: { eq: 1 } }) { studentId } }', { token: reader });
    expect(body.errors).toBeUndefined();
    expect((body.data as { students: unknown[] }).students).toEqual([]);
    expect((body.data as { studentsAggregate: { count: number } }).studentsAggregate.count).toBeGreaterThan(0);
    const writer = await tokenFor('writer', '2');
    const update = await graphql('mutation { updateDepartments(where: {}, set: { building: "Building Z" }) { affectedRows } }', { token: writer });
    expect(update.body.errors).toBeUndefined();
    const admin = await tokenFor('admin');
    const check = await graphql('{ a: departments(where: { universityId: { eq: 1 }, building: { eq: "Building Z" } }) { name } b: departmentsAggregate(where: { universityId: { eq: 2 }, building: { eq: "Building Z" } }) { count } }', { token: admin });
    expect(check.body.data).toEqual({ a: [], b: { count: (update.body.data as { updateDepartments: { affectedRows: number } }).updateDepartments.affectedRows } });
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: inject('stack').info.urls.postgres });
    await client.connect();
    await client.query(`UPDATE departments SET building = 'Building ' || chr(64 + department_id) WHERE university_id = 2`).finally(() => client.end());
  });

  it('reports a multi-shard INSERT … SELECT and a reference-table update as events, without failing them', async () => {
    const { subscribe, lastEventId } = await import('./support/subscriptions.js');
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: inject('stack').info.urls.postgres });
    await client.connect();
    const sub = await subscribe<{ dataChanged: { table: string; tenant: string | null } }>(
      'subscription ($after: ID) { dataChanged(after: $after) { table tenant } }',
      { variables: { after: await lastEventId('data') } },
    );
    try {
      await client.query(`CREATE TABLE citus_events_probe (university_id integer NOT NULL, id bigint NOT NULL, PRIMARY KEY (university_id, id))`);
      await client.query(`SELECT create_distributed_table('citus_events_probe', 'university_id', colocate_with => 'students')`);
      await client.query(`INSERT INTO citus_events_probe SELECT university_id, student_id FROM students WHERE student_id % 50 = 0`);
      await client.query(`UPDATE universities SET city = city WHERE university_id = 1`);
      await sub.waitFor((e) => e.dataChanged.table === 'public.citus_events_probe' && e.dataChanged.tenant === '1');
      await sub.waitFor((e) => e.dataChanged.table === 'public.citus_events_probe' && e.dataChanged.tenant === '2');
      await sub.waitFor((e) => e.dataChanged.table === 'public.universities');
    } finally {
      await sub.close();
      await client.query('DROP TABLE IF EXISTS citus_events_probe').finally(() => client.end());
    }
  });
});

