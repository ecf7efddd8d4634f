import type { Config } from '../../config/config.js';
import { parseDurationSeconds } from '../../config/duration.js';
import type { NamedNode } from '../../config/node-list.js';
import { bootstrapDatabase } from '../../db/bootstrap/bootstrap-database.js';
import { CitusClusterError } from '../../db/bootstrap/check-citus-nodes.js';
import type { ClusterMode } from '../../db/bootstrap/migrations.js';
import { nodeUrl, withClient } from '../../db/with-client.js';
import { readStackInfo } from '../../stack/stack-info.js';
import { stackLayout } from '../../stack/stack-layout.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';

/** The flags, checked (also by checkCliInvocation, without running anything). */
export function parseMigrateArgs(args: string[]): { seedScale: number; waitSeconds: number; json: boolean } {
  const { values } = parseFlags('migrate', args, { seed: { type: 'string' }, wait: { type: 'string' }, json: { type: 'boolean' } });
  const seedScale = values.seed === undefined ? 0 : Number(values.seed);
  if (values.seed?.trim() === '' || !Number.isFinite(seedScale) || seedScale < 0 || seedScale > 1000) throw new CliError('distrag migrate: --seed must be a number from 0 (no demo data) to 1000', 2);
  const waitSeconds = values.wait === undefined ? 0 : parseDurationSeconds(values.wait);
  if (waitSeconds === null || waitSeconds > 3600) throw new CliError('distrag migrate: --wait takes a duration up to 1h (30, 90s, 5m)', 2);
  return { seedScale, waitSeconds, json: values.json === true };
}

const WAIT_POLL_MS = 1_000;

/**
 * `distrag migrate [--seed SCALE] [--wait DURATION] [--json]`: makes the database ready for the
 * services (bootstrapDatabase) — what `up` runs before starting them, and compose's init job and
 * the Kubernetes Job run before theirs. Idempotent. The admin URL is DISTRAG_DATABASE_URL (or the
 * running stack's), the nodes DISTRAG_CLUSTER_NODES (or the running stack's, or the coordinator
 * alone); the mode follows DISTRAG_CITUS (auto: Citus when the coordinator has the extension).
 */
export async function migrateCommand(args: string[], config: Config): Promise<number> {
  const { seedScale, waitSeconds, json } = parseMigrateArgs(args);

  const info = readStackInfo(stackLayout(config.home).stackFile);
  const adminUrl = config.DISTRAG_DATABASE_URL ?? info?.urls.postgres;
  if (!adminUrl) throw new CliError('distrag migrate: set DISTRAG_DATABASE_URL to the coordinator\'s admin URL (or start a stack with `npx distrag up`)', 2);
  const nodes = clusterNodes(config, adminUrl, config.DISTRAG_DATABASE_URL ? null : info?.nodes ?? null);
  const report = (line: string) => console.error(`distrag migrate: ${line}`);

  await waitForNodes(nodes, adminUrl, waitSeconds * 1000, report);
  const mode = await clusterMode(config, nodes[0]!, adminUrl);
  report(`mode ${mode}: ${nodes.map((n) => `${n.name} ${n.host}:${n.port}`).join(', ')}`);
  try {
    const result = await bootstrapDatabase({ mode, nodes, adminUrl, schemas: config.dataSchemas, seedScale, report });
    if (result.migrationsApplied.length === 0) report('schema up to date');
    if (json) console.log(JSON.stringify(result));
    return 0;
  } catch (error) {
    if (error instanceof CitusClusterError) throw new CliError(`distrag migrate: ${error.message}`);
    throw error;
  }
}

function clusterNodes(config: Config, adminUrl: string, stackNodes: Array<{ name: string; host: string; port: number }> | null): NamedNode[] {
  if (config.DISTRAG_CLUSTER_NODES) return config.DISTRAG_CLUSTER_NODES;
  if (stackNodes && stackNodes.length > 0) return stackNodes.map(({ name, host, port }) => ({ name, host, port }));
  const url = new URL(adminUrl);
  return [{ name: 'coordinator', host: url.hostname, port: Number(url.port || 5432) }];
}

/** Each node must accept connections; with --wait, retried until it does (containers start in any order). */
async function waitForNodes(nodes: NamedNode[], adminUrl: string, waitMs: number, report: (line: string) => void): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (const node of nodes) {
    let reported = false;
    for (;;) {
      const problem = await connectProblem(maintenanceUrl(adminUrl, node));
      if (problem === null) break;
      if (Date.now() >= deadline) {
        throw new CliError(`distrag migrate: cannot reach PostgreSQL node ${node.name} at ${node.host}:${node.port} (${problem})${waitMs > 0 ? ` after waiting ${Math.round(waitMs / 1000)} s` : '; --wait 60s retries while it starts'}`);
      }
      if (!reported) report(`waiting for ${node.name} at ${node.host}:${node.port} (${problem})`);
      reported = true;
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    }
  }
}

/** The node's maintenance database: the DistRAG database may not exist yet. */
const maintenanceUrl = (adminUrl: string, node: NamedNode) => nodeUrl(adminUrl, node, 'postgres');

async function connectProblem(url: string): Promise<string | null> {
  try {
    await withClient(url, (client) => client.query('SELECT 1'), { connectTimeoutMs: 5_000 });
    return null;
  } catch (error) {
    return (error as Error).message || (error as { code?: string }).code || String(error);
  }
}

async function clusterMode(config: Config, coordinator: NamedNode, adminUrl: string): Promise<ClusterMode> {
  if (config.DISTRAG_CITUS === 'off') return 'SINGLE';
  const { rowCount } = await withClient(maintenanceUrl(adminUrl, coordinator), (client) => client.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'citus'`));
  if (rowCount) return 'CITUS';
  if (config.DISTRAG_CITUS === 'on') throw new CliError(`distrag migrate: DISTRAG_CITUS=on but the coordinator at ${coordinator.host}:${coordinator.port} has no citus extension`);
  return 'SINGLE';
}
