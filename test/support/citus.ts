import pg from 'pg';
import { inject } from 'vitest';
import { API_DB_ROLES, roleUrl } from '../../src/db/api-roles.js';
import type { Role } from '../../src/auth/identity.js';
import { adminQuery } from './database.js';

/** The shared stack runs on Citus (the extension is installed and DISTRAG_CITUS is not off). */
export function onCitus(): boolean {
  return inject('stack').info.mode === 'CITUS';
}

/** Why Citus-only tests are skipped, for their describe title. */
export function citusSkipReason(): string {
  return onCitus() ? '' : ' (skipped: the test stack runs SINGLE — citus not installed, or DISTRAG_CITUS=off)';
}

/** Admin URL of a node of the shared stack, by name (`coordinator`, `worker-1`, …). */
export function nodeAdminUrl(name: string): string {
  const node = inject('stack').info.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`the test stack has no node ${name}`);
  const url = new URL(inject('stack').info.urls.postgres);
  url.port = String(node.port);
  return url.toString();
}

export function workerNames(): string[] {
  return inject('stack').info.nodes.filter((n) => n.role === 'worker').map((n) => n.name);
}

/** Runs `fn` connected straight to a node, as its admin or as an API role. */
export async function onNode<T>(name: string, role: Role | 'superuser', fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = nodeAdminUrl(name);
  const client = new pg.Client({ connectionString: role === 'superuser' ? admin : roleUrl(admin, API_DB_ROLES[role]) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The node (its stack name, `worker-1` …) that holds the shard of `table` for one distribution value, and the shard's name. */
export async function shardOf(table: string, value: number): Promise<{ node: string; shard: string }> {
  const [row] = await adminQuery<{ nodeport: number; shard: string }>(
    `SELECT n.nodeport, shard_name($1::regclass, s.shardid) AS shard
       FROM pg_dist_shard s
       JOIN pg_dist_placement p ON p.shardid = s.shardid
       JOIN pg_dist_node n ON n.groupid = p.groupid AND n.noderole = 'primary'
      WHERE s.shardid = get_shard_id_for_distribution_column($1::regclass, $2::integer)`,
    [table, value],
  );
  const node = inject('stack').info.nodes.find((n) => n.port === row?.nodeport);
  if (!row || !node) throw new Error(`no placement of ${table} for ${value} on a node of the test stack`);
  return { node: node.name, shard: row.shard };
}

/** Distribution values (tenants) whose shards of `table` sit on different workers: one per worker. */
export async function tenantsOnEachWorker(table: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (let tenant = 1; tenant <= 200 && found.size < workerNames().length; tenant++) {
    const { node } = await shardOf(table, tenant);
    if (!found.has(node)) found.set(node, tenant);
  }
  return found;
}
