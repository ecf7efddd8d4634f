import pg from 'pg';
import type { NamedNode } from '../../config/node-list.js';
import { nodeUrl } from '../with-client.js';
import { loadDemoData } from '../../seed/load-demo-data.js';
import { DATABASE_NAME } from '../../stack/postgres-node.js';
import { ensureDatabaseRoles } from '../api-roles.js';
import { assertSameCitusVersion, assertWorkersReachable } from './check-citus-nodes.js';
import { ensureCitusMembership } from './citus-membership.js';
import { REFERENCE_TABLES } from './distribute-demo-tables.js';
import { ensureDatabase } from './ensure-database.js';
import { migrate, type ClusterMode } from './migrations.js';
import { prepareNodeForChangeFeed } from './prepare-change-feed.js';

export interface BootstrapOptions {
  mode: ClusterMode;
  /** The coordinator first, then the workers, as the nodes reach each other. */
  nodes: readonly NamedNode[];
  /** The admin role's URL of any node: its user and password are used on every node. */
  adminUrl: string;
  schemas: string[];
  /** Loads the demo data set at this scale when its tables hold no rows yet; 0 never. */
  seedScale: number;
  report: (line: string) => void;
}

export interface BootstrapResult {
  mode: ClusterMode;
  migrationsApplied: number[];
  /** Rows loaded per demo table, or null when the demo data was not loaded. */
  seeded: Record<string, number> | null;
}

/**
 * Everything a cluster needs before DistRAG's services start, idempotent: the database (and the
 * citus extension) on every node, Citus membership, schema migrations, the API and service roles,
 * each node's publication and worker event triggers for the change feed, the demo data on an empty
 * database. `distrag migrate` runs it (for `up`, the compose init job and the Kubernetes Job).
 */
export async function bootstrapDatabase(options: BootstrapOptions): Promise<BootstrapResult> {
  const { mode, nodes, report } = options;
  const adminPassword = decodeURIComponent(new URL(options.adminUrl).password);
  const urlOf = (node: NamedNode, database = DATABASE_NAME) => nodeUrl(options.adminUrl, node, database);
  const [coordinator, ...workers] = nodes;
  if (!coordinator) throw new Error('no coordinator to bootstrap');
  const citusVersions: Array<{ name: string; version: string | null }> = [];
  for (const node of nodes) citusVersions.push({ name: node.name, version: await ensureDatabase(urlOf(node, 'postgres'), urlOf(node), mode === 'CITUS') });
  if (mode === 'CITUS') assertSameCitusVersion(citusVersions);
  const client = new pg.Client({ connectionString: urlOf(coordinator), application_name: 'distrag-bootstrap' });
  await client.connect();
  try {
    if (mode === 'CITUS') {
      // Workers the metadata lists must answer before any Citus call or DDL reaches for them.
      await assertWorkersReachable(client);
      await ensureCitusMembership(client, coordinator, workers);
    }
    const migrationsApplied = await migrate(client, mode);
    if (migrationsApplied.length > 0) report(`schema migrations applied: ${migrationsApplied.join(', ')}`);
    await ensureDatabaseRoles(client, { adminPassword, database: DATABASE_NAME, schemas: options.schemas, citus: mode === 'CITUS' });
    // What the change feed's replication role may not do itself: each node's publication, and
    // the event triggers Citus does not propagate to the workers.
    for (const [i, node] of nodes.entries()) {
      await prepareNodeForChangeFeed(urlOf(node), { schemas: options.schemas, worker: i > 0 });
    }
    let seeded: Record<string, number> | null = null;
    if (options.seedScale > 0 && (await demoDataIsEmpty(client))) {
      report(`loading the demo data set (scale ${options.seedScale})`);
      seeded = await loadDemoData(client, options.seedScale);
      report(`demo data loaded: ${Object.entries(seeded).map(([t, n]) => `${n} ${t}`).join(', ')}`);
    }
    return { mode, migrationsApplied, seeded };
  } finally {
    await client.end();
  }
}

/** No universities (the table every demo row hangs off): a first start, never data someone keeps. */
async function demoDataIsEmpty(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ empty: boolean }>(`SELECT NOT EXISTS (SELECT 1 FROM ${REFERENCE_TABLES[0]}) AS empty`);
  return rows[0]!.empty;
}

