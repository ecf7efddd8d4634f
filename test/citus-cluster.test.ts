import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DataChangeEvent } from '../src/events/event-types.js';
import { adminQuery, eventually, gql, gqlData, gqlErrorCode, served } from './support/database.js';
import { citusSkipReason, onCitus, onNode, shardOf, tenantsOnEachWorker } from './support/citus.js';
import { graphql, tokenFor } from './support/graphql-client.js';
import { lastEventId, subscribe, testBus } from './support/subscriptions.js';

/**
 * What only a Citus cluster shows: distribution, placements, row-level security on the workers,
 * distributed transactions, events from every node, and Citus's own table functions as schema
 * changes. Runs whenever the shared test stack is in CITUS mode.
 */

interface SchemaChanged {
  schemaChanged: { commandTag: string; objectIdentity: string };
}
const SCHEMA_QUERY = 'subscription ($after: ID) { schemaChanged(after: $after) { commandTag objectIdentity } }';
const TENANT_TABLES = ['departments', 'students', 'courses', 'enrollments'];

describe.skipIf(!onCitus())(`Citus cluster${citusSkipReason()}`, () => {
  afterAll(async () => {
    await adminQuery('DROP TABLE IF EXISTS citus_probe, citus_reference_probe, citus_ddl_probe');
  });

  describe('topology', () => {
    it('runs in CITUS mode with the coordinator and two workers up', async () => {
      const { body } = await graphql('{ cluster { mode nodes { name role status } } }', { token: await tokenFor('admin') });
      const cluster = body.data?.cluster as { mode: string; nodes: Array<{ role: string; status: string }> };
      expect(cluster.mode).toBe('CITUS');
      expect(cluster.nodes.map((n) => [n.role, n.status]).sort()).toEqual([['COORDINATOR', 'UP'], ['WORKER', 'UP'], ['WORKER', 'UP']]);
      expect(inject('stack').info.nodes.map((n) => [n.role, n.healthy])).toEqual([['coordinator', true], ['worker', true], ['worker', true]]);
    });

    it('distributes the tenant tables by university_id, co-located, with universities a reference table', async () => {
      const rows = await adminQuery<{ name: string; kind: string; column: string | null; colocationid: number }>(
        `SELECT logicalrelid::regclass::text AS name, partmethod AS kind, column_to_column_name(logicalrelid, partkey) AS column, colocationid FROM pg_dist_partition`,
      );
      const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
      expect(byName.universities?.kind).toBe('n');
      for (const table of TENANT_TABLES) expect(byName[table], table).toMatchObject({ kind: 'h', column: 'university_id' });
      expect(new Set(TENANT_TABLES.map((t) => byName[t]?.colocationid)).size).toBe(1);
      const catalog = await gqlData<{ dataCatalog: { tables: Array<{ name: string; citus: string; tenantColumn: string | null }> } }>('admin', null, '{ dataCatalog { tables { name citus tenantColumn } } }');
      const api = Object.fromEntries(catalog.dataCatalog.tables.map((t) => [t.name, t]));
      expect(api['public.universities']).toMatchObject({ citus: 'REFERENCE', tenantColumn: null });
      expect(api['public.students']).toMatchObject({ citus: 'DISTRIBUTED', tenantColumn: 'university_id' });
    });

    it('places the tenant shards on the workers, both of them, and a reference copy on every node', async () => {
      for (const table of TENANT_TABLES) {
        const placements = await adminQuery<{ groupid: number; shards: number }>(
          `SELECT p.groupid, count(*)::int AS shards FROM pg_dist_shard s JOIN pg_dist_placement p ON p.shardid = s.shardid WHERE s.logicalrelid = $1::regclass GROUP BY 1 ORDER BY 1`,
          [table],
        );
        // Groups of placements: each listed worker holds at least one shard.
        expect(placements.map((p) => p.groupid), table).toEqual([1, 2]);
      }
      const reference = await adminQuery<{ groupid: number }>(
        `SELECT p.groupid FROM pg_dist_shard s JOIN pg_dist_placement p ON p.shardid = s.shardid WHERE s.logicalrelid = 'universities'::regclass ORDER BY 1`,
      );
      expect(reference.map((r) => r.groupid)).toEqual([0, 1, 2]);
      // The rows are in the shards: their counts add up to the table's.
      const counts = await adminQuery<{ result: string }>(`SELECT result FROM run_command_on_shards('students', $$SELECT count(*) FROM %s$$)`);
      expect(counts.reduce((sum, r) => sum + Number(r.result), 0)).toBe((await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM students'))[0]!.n);
    });
  });

  describe('tenant isolation on the workers', () => {
    it('puts row-level security and the tenant policy on every shard of the tenant tables', async () => {
      for (const table of TENANT_TABLES) {
        const rows = await adminQuery<{ result: string; success: boolean }>(
          `SELECT success, result FROM run_command_on_shards($1, $$SELECT c.relrowsecurity AND c.relforcerowsecurity AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'distrag_tenant_isolation') FROM pg_class c WHERE c.oid = '%s'::regclass$$)`,
          [table],
        );
        expect(rows.length, table).toBeGreaterThan(0);
        expect(rows.filter((r) => !(r.success && r.result === 't')), table).toEqual([]);
      }
      const roles = await adminQuery<{ result: string }>(`SELECT result FROM run_command_on_workers($$SELECT count(*) FROM pg_roles WHERE rolname IN ('distrag_reader', 'distrag_writer', 'distrag_operator')$$)`);
      expect(roles.map((r) => r.result)).toEqual(['3', '3']);
      expect(await adminQuery('SHOW citus.propagate_set_commands')).toEqual([{ 'citus.propagate_set_commands': 'local' }]);
    });

    it('lets a statement run on a worker itself, as the reader role, see only its tenant — on a shard and on the table', async () => {
      const { node, shard } = await shardOf('students', 2);
      await onNode(node, 'reader', async (client) => {
        expect((await client.query(`SELECT count(*)::int AS n FROM ${shard}`)).rows).toEqual([{ n: 0 }]);
        await client.query('BEGIN');
        await client.query(`SET LOCAL distrag.tenant = '1'`);
        expect((await client.query(`SELECT count(*)::int AS n FROM ${shard}`)).rows).toEqual([{ n: 0 }]);
        await client.query('COMMIT');
        await client.query('BEGIN');
        await client.query(`SET LOCAL distrag.tenant = '2'`);
        const onShard = (await client.query<{ n: number; tenants: number[] }>(`SELECT count(*)::int AS n, array_agg(DISTINCT university_id) AS tenants FROM ${shard}`)).rows[0]!;
        expect(onShard.n).toBeGreaterThan(0);
        expect(onShard.tenants).toEqual([2]);
        // The logical table, queried on the worker: Citus fans out from there, RLS still holds.
        const everywhere = (await client.query<{ tenants: number[] }>(`SELECT array_agg(DISTINCT university_id) AS tenants FROM students`)).rows[0]!;
        expect(everywhere.tenants).toEqual([2]);
        await client.query('COMMIT');
      });
    });
  });

  describe('a distributed table made by DDL', () => {
    beforeAll(async () => {
      await adminQuery('CREATE TABLE citus_probe (university_id integer NOT NULL, id integer NOT NULL, value integer CHECK (value < 10), PRIMARY KEY (university_id, id))');
    });

    it("is served as distributed, driven by the change feed's event (no poll), with its events and tenancy", async () => {
      const sub = await subscribe<SchemaChanged>(SCHEMA_QUERY, { variables: { after: await lastEventId('schema') } });
      try {
        await eventually(() => served('{ citusProbe { id } }'), 15_000, 'citus_probe in the API');
        await adminQuery(`SELECT create_distributed_table('citus_probe', 'university_id', colocate_with => 'students')`);
        await sub.waitFor((e) => e.schemaChanged.commandTag === 'SELECT create_distributed_table' && e.schemaChanged.objectIdentity === 'public.citus_probe');
        await expect
          .poll(async () => (await gqlData<{ dataCatalog: { tables: Array<{ name: string; citus: string | null }> } }>('admin', null, '{ dataCatalog { tables { name citus } } }')).dataCatalog.tables.find((t) => t.name === 'public.citus_probe')?.citus, { timeout: 10_000, interval: 50 })
          .toBe('DISTRIBUTED');
        // The test stack polls the catalog only every 10 min (global-stack.ts): the event did this.
      } finally {
        await sub.close();
      }
      await adminQuery('INSERT INTO citus_probe VALUES (1, 1, 1), (2, 1, 2), (2, 2, 3)');
      expect(await gqlData('reader', '2', '{ citusProbe { universityId id value } }')).toEqual({ citusProbe: [{ universityId: 2, id: 1, value: 2 }, { universityId: 2, id: 2, value: 3 }] });
      const shards = await adminQuery<{ result: string }>(
        `SELECT result FROM run_command_on_shards('citus_probe', $$SELECT (c.relrowsecurity AND c.relforcerowsecurity)::text FROM pg_class c WHERE c.oid = '%s'::regclass$$)`,
      );
      expect(shards.length, 'shards of citus_probe').toBeGreaterThan(0);
      expect(shards.filter((r) => r.result !== 'true')).toEqual([]);
    });

    it('writes atomically across workers: one failing row rolls back the rows of every worker', async () => {
      const tenants = await tenantsOnEachWorker('citus_probe');
      expect(tenants.size).toBe(2);
      const [first, second] = [...tenants.values()];
      const body = await gql('admin', null, `mutation { insertCitusProbe(objects: [{ universityId: ${first}, id: 100, value: 1 }, { universityId: ${second}, id: 100, value: 1 }, { universityId: ${second}, id: 101, value: 99 }]) { affectedRows } }`);
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', constraint: 'citus_probe_value_check' });
      for (const [node, tenant] of tenants) {
        const { shard } = await shardOf('citus_probe', tenant);
        const rows = await onNode(node, 'superuser', async (client) => (await client.query(`SELECT id FROM ${shard} WHERE university_id = $1 AND id >= 100`, [tenant])).rows);
        expect(rows, `${node} kept a row of the failed mutation`).toEqual([]);
      }
      const ok = await gqlData<{ insertCitusProbe: { affectedRows: number } }>('admin', null, `mutation { insertCitusProbe(objects: [{ universityId: ${first}, id: 100, value: 1 }, { universityId: ${second}, id: 100, value: 1 }]) { affectedRows } }`);
      expect(ok.insertCitusProbe.affectedRows).toBe(2);
    });

    it('reports changes from every worker, each as its node', async () => {
      const tenants = await tenantsOnEachWorker('citus_probe');
      const bus = testBus();
      try {
        const after = await bus.lastId('data');
        for (const tenant of tenants.values()) await adminQuery('INSERT INTO citus_probe VALUES ($1, 200, 5)', [tenant]);
        const nodes = new Set<string>();
        await eventually(async () => {
          for (const { event } of await bus.replay('data', after)) {
            const change = event as DataChangeEvent;
            if (change.type === 'change' && change.table === 'public.citus_probe') nodes.add(change.node);
          }
          return nodes.size === 2;
        }, 15_000, 'events from both workers');
        expect([...nodes].sort()).toEqual(['worker-1', 'worker-2']);
      } finally {
        await bus.close();
      }
    });

    it('is served as an ordinary table again promptly after undistribute_table()', async () => {
      // No catalog poll runs during the suite (global-stack.ts): served within the poll's timeout means the event did it.
      await adminQuery(`SELECT undistribute_table('citus_probe')`);
      await expect
        .poll(async () => (await gqlData<{ dataCatalog: { tables: Array<{ name: string; citus: string | null }> } }>('admin', null, '{ dataCatalog { tables { name citus } } }')).dataCatalog.tables.find((t) => t.name === 'public.citus_probe')?.citus, { timeout: 10_000, interval: 50 })
        .toBeNull();
      const rows = (await gqlData<{ citusProbe: Array<{ universityId: number }> }>('reader', '2', '{ citusProbe { universityId } }')).citusProbe;
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.universityId))).toEqual(new Set([2]));
    });
  });

  describe("Citus's own DDL", () => {
    it('makes a reference table after the event triggers exist, with one event for it and none named after a shard', async () => {
      const sub = await subscribe<SchemaChanged>(SCHEMA_QUERY, { variables: { after: await lastEventId('schema') } });
      try {
        await adminQuery('CREATE TABLE citus_reference_probe (code text PRIMARY KEY, label text)');
        await adminQuery(`SELECT create_reference_table('citus_reference_probe')`);
        await adminQuery('ALTER TABLE citus_reference_probe ADD COLUMN extra integer');
        await adminQuery('CREATE INDEX citus_reference_probe_label_idx ON citus_reference_probe (label)');
        await sub.waitFor((e) => e.schemaChanged.commandTag === 'CREATE INDEX');
        // Citus's function is recorded by the change feed once the workers' shard DDL is decoded,
        // so it may land after the commands that followed it.
        await sub.waitFor((e) => e.schemaChanged.commandTag === 'SELECT create_reference_table');
        // An end marker: events arrive in the order they were recorded, so once the marker's has,
        // every event recorded before it (one named after a shard included) has arrived too.
        await adminQuery(`COMMENT ON TABLE citus_reference_probe IS 'end of the test'`);
        await sub.waitFor((e) => e.schemaChanged.commandTag === 'COMMENT' && e.schemaChanged.objectIdentity === 'public.citus_reference_probe');
        const seen = sub.received.map((e) => [e.schemaChanged.commandTag, e.schemaChanged.objectIdentity]);
        const probe = seen.filter(([, identity]) => identity!.includes('citus_reference_probe'));
        // The DDL in the order it ran.
        expect(probe.filter(([tag]) => !tag!.startsWith('SELECT')), JSON.stringify(seen)).toEqual([
          ['CREATE TABLE', 'public.citus_reference_probe'],
          ['ALTER TABLE', 'public.citus_reference_probe'],
          ['CREATE INDEX', 'public.citus_reference_probe_label_idx'],
          ['COMMENT', 'public.citus_reference_probe'],
        ]);
        expect(probe.filter(([tag]) => tag!.startsWith('SELECT')), JSON.stringify(seen)).toEqual([['SELECT create_reference_table', 'public.citus_reference_probe']]);
        expect(seen.some(([, identity]) => /_\d{6,}$/.test(identity!))).toBe(false);
      } finally {
        await sub.close();
      }
      await eventually(async () => (await gql('writer', '1', '{ citusReferenceProbe { code } }')).errors === undefined, 10_000, 'the reference table served');
      expect((await gqlErrorCode('writer', '1', 'mutation { insertCitusReferenceProbe(objects: [{ code: "x" }]) { affectedRows } }')).code).toBe('FORBIDDEN');
    });

    it('records DDL on a reference table once, with its logical name (the coordinator keeps a shard of it)', async () => {
      const before = (await adminQuery<{ max: string }>('SELECT max(version)::text AS max FROM distrag_meta.schema_changes'))[0]!.max;
      await adminQuery('ALTER TABLE universities ALTER COLUMN city SET DEFAULT NULL');
      const recorded = await adminQuery<{ command_tag: string; object_identity: string }>('SELECT command_tag, object_identity FROM distrag_meta.schema_changes WHERE version > $1 ORDER BY version', [before]);
      expect(recorded).toEqual([{ command_tag: 'ALTER TABLE', object_identity: 'public.universities' }]);
    });
  });

  describe('change feed', () => {
    it('follows the coordinator and every worker, and reports a multi-shard INSERT … SELECT and a reference-table update', async () => {
      const sub = await subscribe<{ dataChanged: { table: string; op: string; tenant: string | null; node: string } }>('subscription ($after: ID) { dataChanged(after: $after) { table op tenant node } }', {
        variables: { after: await lastEventId('data') },
      });
      try {
        await adminQuery(`CREATE TABLE citus_ddl_probe (university_id integer NOT NULL, id bigint NOT NULL, PRIMARY KEY (university_id, id))`);
        await adminQuery(`SELECT create_distributed_table('citus_ddl_probe', 'university_id', colocate_with => 'students')`);
        await adminQuery(`INSERT INTO citus_ddl_probe SELECT university_id, student_id FROM students WHERE student_id % 50 = 0`);
        await adminQuery(`UPDATE universities SET city = city WHERE university_id = 1`);
        await sub.waitFor((e) => e.dataChanged.table === 'public.citus_ddl_probe' && e.dataChanged.tenant === '1');
        await sub.waitFor((e) => e.dataChanged.table === 'public.citus_ddl_probe' && e.dataChanged.tenant === '2');
        await sub.waitFor((e) => e.dataChanged.table === 'public.universities');
        // A reference table's change is one event (Citus's decoder publishes it from the coordinator
        // only). End markers on each worker, written after the update: a node's events arrive in
        // commit order, so once a worker's marker has arrived, its copy of the update would have too.
        const markers = await tenantsOnEachWorker('citus_ddl_probe');
        expect(markers.size).toBe(2);
        for (const tenant of markers.values()) {
          await adminQuery('INSERT INTO citus_ddl_probe VALUES ($1, -1)', [tenant]);
          await adminQuery('DELETE FROM citus_ddl_probe WHERE university_id = $1 AND id = -1', [tenant]);
        }
        for (const [node, tenant] of markers) {
          await sub.waitFor((e) => e.dataChanged.table === 'public.citus_ddl_probe' && e.dataChanged.op === 'DELETE' && e.dataChanged.tenant === String(tenant) && e.dataChanged.node === node);
        }
        expect(sub.received.filter((e) => e.dataChanged.table === 'public.universities')).toEqual([{ dataChanged: { table: 'public.universities', op: 'UPDATE', tenant: null, node: 'coordinator' } }]);
      } finally {
        await sub.close();
      }
      const status = await feedStatus();
      expect(status.nodes.map((n) => [n.name, n.state]).sort()).toEqual([['coordinator', 'streaming'], ['worker-1', 'streaming'], ['worker-2', 'streaming']]);
    });

    it('answers the keepalives of a quiet node before its first acknowledged commit (wal_sender_timeout does not end the stream)', async () => {
      const log = path.join(inject('stack').home, 'logs', 'change-feed.log');
      const { managerFor } = await import('../src/stack/stack-control.js');
      const { loadConfig } = await import('../src/config/config.js');
      await onNode('worker-2', 'superuser', (c) => c.query(`ALTER SYSTEM SET wal_sender_timeout = '2s'`).then(() => c.query('SELECT pg_reload_conf()')));
      try {
        await managerFor(loadConfig({ ...process.env, ...inject('stack').env })).restart('change-feed');
        const restartedAt = fs.statSync(log).size;
        await eventually(async () => (await feedStatus()).nodes.filter((n) => n.state === 'streaming').length === 3, 20_000, 'every node streaming after the restart');
        // Three timeouts' worth of silence on worker-2: its stream must stay up.
        await new Promise((r) => setTimeout(r, 6_500));
        const since = fs.readFileSync(log, 'utf8').slice(restartedAt);
        expect(since).not.toMatch(/change stream of worker-2 interrupted/);
        expect((await feedStatus()).nodes.find((n) => n.name === 'worker-2')?.state).toBe('streaming');
      } finally {
        await onNode('worker-2', 'superuser', (c) => c.query('ALTER SYSTEM RESET wal_sender_timeout').then(() => c.query('SELECT pg_reload_conf()')));
      }
    });
  });
});

async function feedStatus(): Promise<{ nodes: Array<{ name: string; state: string }> }> {
  const { signForwardedIdentity, IDENTITY_HEADER } = await import('../src/auth/forwarded-identity.js');
  const header = signForwardedIdentity(inject('stack').internalSecret, { sub: 'test', role: 'admin', tenant: null }).value;
  const response = await fetch(`http://127.0.0.1:${inject('stack').ports.feed}/status`, { headers: { [IDENTITY_HEADER]: header } });
  return (await response.json()) as { nodes: Array<{ name: string; state: string }> };
}
