import type pg from 'pg';
import { ensureDatabase } from '../db/bootstrap/ensure-database.js';
import { prepareNodeForChangeFeed } from '../db/bootstrap/prepare-change-feed.js';
import { createSlot, dropSlot, slotName } from '../feed/feed-slots.js';
import { DATABASE_NAME } from '../stack/postgres-node.js';
import { copyAuthinfoToNode } from './copy-node-authinfo.js';
import { describeConnectError } from './describe-connect-error.js';
import { readDistNodes, requireCitus } from './dist-nodes.js';
import { nodeNameOf } from './node-names.js';
import type { NodeView } from './node-view.js';
import { opsBadInput, opsUnavailable } from './ops-error.js';
import type { OpsDeps } from './ops-routes.js';
import { publishClusterEvent } from './publish-cluster-event.js';
import { nodeUrl, withClient } from '../db/with-client.js';

export interface AddNodeInput {
  host: string | null;
  port: number | null;
  /** Start a new local worker process first (where the runtime can). */
  start: boolean;
}

type Address = { host: string; port: number };

/** A worker start that takes longer has hung (initdb and a first start take seconds): node operations must not wait behind it. */
const START_WORKER_TIMEOUT_MS = 120_000;

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * addNode: the address is checked first (it answers with the admin credentials, runs the same
 * Citus, belongs to no other cluster, and the coordinator reaches it); only then does Citus add
 * it. The new worker is then made ready for the change feed — its publication and event
 * triggers, and its replication slot, before any shard moves there so that no change is missed —
 * and gets the nodes' passwords (pg_dist_authinfo). If that fails the node is taken out again.
 */
export async function addNode(deps: OpsDeps, input: AddNodeInput): Promise<NodeView> {
  return withClient(deps.adminUrl, async (coordinator) => {
    await requireCitus(coordinator, 'addNode');
    const address = await resolveAddress(deps, input);
    const known = (await readDistNodes(coordinator)).find((n) => n.host === address.host && n.port === address.port);
    if (known) throw opsBadInput(`${address.host}:${address.port} is in the cluster already, as ${known.name}`);
    await checkCandidate(deps.adminUrl, coordinator, address);

    const { rows: added } = await coordinator.query<{ nodeid: number }>('SELECT citus_add_node($1, $2) AS nodeid', [address.host, address.port]);
    let name = `${address.host}:${address.port}`;
    let size: number;
    try {
      const { rows } = await coordinator.query<{ groupid: number }>('SELECT groupid FROM pg_dist_node WHERE nodeid = $1', [added[0]!.nodeid]);
      name = nodeNameOf(rows[0]!.groupid);
      size = await prepareNode(deps, coordinator, address, name);
    } catch (error) {
      deps.log.error({ err: error, node: name, host: address.host, port: address.port }, 'a new node could not be prepared; taking it out of the cluster again');
      await undoAdd(deps, coordinator, address, name);
      throw opsUnavailable(`${address.host}:${address.port} joined as ${name} but could not be prepared for the change feed; it was taken out of the cluster again (the recovery process's log has the details)`, error);
    }
    deps.log.info({ node: name, host: address.host, port: address.port }, 'node added');
    await publishClusterEvent(deps.bus, deps.log, 'NODE_ADDED', name, `${address.host}:${address.port} joined the cluster as ${name}; it holds no shards until a rebalance`);
    return { name, host: address.host, port: address.port, role: 'WORKER', status: 'UP', shardCount: 0, sizeBytes: size };
  });
}

/** The nodes' passwords, the change feed's publication, event triggers and slot; resolves with the node's size. */
async function prepareNode(deps: OpsDeps, coordinator: pg.ClientBase, address: Address, name: string): Promise<number> {
  const nodeDbUrl = nodeUrl(deps.adminUrl, address, DATABASE_NAME);
  return withClient(nodeDbUrl, async (node) => {
    await copyAuthinfoToNode(coordinator, node);
    await prepareNodeForChangeFeed(nodeDbUrl, { schemas: deps.schemas, worker: true });
    await createSlot(node, slotName(name));
    const { rows } = await node.query<{ size: string }>('SELECT pg_database_size(current_database())::text AS size');
    return Number(rows[0]!.size);
  });
}

async function resolveAddress(deps: OpsDeps, input: AddNodeInput): Promise<Address> {
  if (!input.start) {
    if (input.host === null || input.port === null) throw opsBadInput('addNode needs host and port (or start: true to start a local worker first)');
    return { host: input.host, port: input.port };
  }
  if (!deps.startWorker) throw opsBadInput('this runtime cannot start workers; start one and call addNode(host, port)');
  try {
    const started = await withTimeout(deps.startWorker(input.port), START_WORKER_TIMEOUT_MS, `the new worker was not up within ${START_WORKER_TIMEOUT_MS / 1000} s`);
    deps.log.info(started, 'started a local worker for addNode');
    return started;
  } catch (error) {
    deps.log.error({ err: error }, 'starting a local worker failed');
    const reason = error instanceof Error ? error.message.split('; its log')[0]!.slice(0, 300) : 'unknown error';
    throw opsUnavailable(`could not start a local worker: ${reason}`, error);
  }
}

/** Refuses, before anything changes in the cluster, an address the new node could not serve from. */
async function checkCandidate(adminUrl: string, coordinator: pg.ClientBase, address: Address): Promise<void> {
  const where = `${address.host}:${address.port}`;
  const maintenanceUrl = nodeUrl(adminUrl, address, 'postgres');
  const user = decodeURIComponent(new URL(adminUrl).username);
  try {
    await withClient(maintenanceUrl, (c) => c.query('SELECT 1'), { connectTimeoutMs: 5_000 });
  } catch (error) {
    throw opsBadInput(`cannot reach PostgreSQL at ${where} as ${user}: ${describeConnectError(error)}. Start the node (with the coordinator's admin user and password) or check the address; nothing was changed`);
  }
  await refuseWaitingForStandby(maintenanceUrl, where);
  let version: string | null;
  try {
    version = await ensureDatabase(maintenanceUrl, nodeUrl(adminUrl, address, DATABASE_NAME), true);
  } catch {
    throw opsBadInput(`PostgreSQL at ${where} answers, but the ${DATABASE_NAME} database with the citus extension could not be set up there (is citus in its shared_preload_libraries?); nothing was changed in the cluster`);
  }
  const { rows } = await coordinator.query<{ version: string; reachable: boolean }>(
    `SELECT (SELECT extversion FROM pg_extension WHERE extname = 'citus') AS version, citus_check_connection_to_node($1, $2) AS reachable`,
    [address.host, address.port],
  );
  if (rows[0]?.version !== version) throw opsBadInput(`${where} runs Citus ${version ?? 'none'} but the coordinator runs ${rows[0]?.version}; install the same Citus there; nothing was changed`);
  if (!rows[0]?.reachable) throw opsBadInput(`this process reaches ${where} but the coordinator cannot connect to it as ${user}; use an address the coordinator can reach; nothing was changed`);
  // A node removed from this cluster keeps the metadata it had (it may join again); a node whose
  // metadata names another coordinator belongs to another cluster.
  const { rows: own } = await coordinator.query<{ nodename: string; nodeport: number }>(`SELECT nodename, nodeport FROM pg_dist_node WHERE groupid = 0 AND noderole = 'primary'`);
  const theirs = await withClient(nodeUrl(adminUrl, address, DATABASE_NAME), async (c) =>
    (await c.query<{ nodename: string; nodeport: number }>(`SELECT nodename, nodeport FROM pg_dist_node WHERE groupid = 0 AND noderole = 'primary'`)).rows[0] ?? null);
  if (theirs && (theirs.nodename !== own[0]?.nodename || theirs.nodeport !== own[0]?.nodeport)) {
    throw opsBadInput(`${where} belongs to another Citus cluster (its coordinator is ${theirs.nodename}:${theirs.nodeport}); use a new node; nothing was changed`);
  }
}

/**
 * A node configured for synchronous commit (synchronous_standby_names) with no synchronous
 * standby connected makes every write wait forever, the ones joining the cluster takes included
 * (the database, Citus's metadata sync): refused before any, with what to do.
 */
async function refuseWaitingForStandby(maintenanceUrl: string, where: string): Promise<void> {
  const { rows } = await withClient(maintenanceUrl, (c) =>
    c.query<{ names: string; commit: string; standbys: number }>(
      `SELECT current_setting('synchronous_standby_names') AS names, current_setting('synchronous_commit') AS commit,
              (SELECT count(*)::int FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')) AS standbys`,
    ),
  );
  const row = rows[0]!;
  if (row.names.trim() === '' || ['off', 'local'].includes(row.commit) || row.standbys > 0) return;
  throw opsBadInput(
    `${where} waits for a synchronous standby (synchronous_standby_names = '${row.names}') and none is connected, so no write there can complete; start its WAL receiver or clear synchronous_standby_names there, then add it; nothing was changed`,
  );
}

async function undoAdd(deps: OpsDeps, coordinator: pg.ClientBase, address: Address, name: string): Promise<void> {
  try {
    await coordinator.query('SELECT citus_remove_node($1, $2)', [address.host, address.port]);
  } catch (error) {
    deps.log.error({ err: error, node: name }, `could not take ${name} out again; remove it with removeNode`);
  }
  await withClient(nodeUrl(deps.adminUrl, address, DATABASE_NAME), (c) => dropSlot(c, slotName(name))).catch(() => undefined);
}
