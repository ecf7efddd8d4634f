import fs from 'node:fs';
import path from 'node:path';
import { ForwardedIdentityVerifier } from '../auth/forwarded-identity.js';
import { listBackupRecords } from '../backup/backup-record.js';
import { nodeBackupPaths } from '../backup/backup-daemon.js';
import { shortNodeName } from '../backup/backup-targets.js';
import { loadConfig, required, type Config } from '../config/config.js';
import { ClusterNotifier } from '../events/cluster-notifier.js';
import { EventBus } from '../events/event-bus.js';
import { closeHttpServer, listen } from '../http/graphql-http-server.js';
import { isSignedAdmin } from '../http/internal-json.js';
import { createServiceHttpServer } from '../http/service-http-server.js';
import { createLogger } from '../log/logger.js';
import { createMetrics } from '../metrics/metrics-registry.js';
import { opsBadInput } from '../ops/ops-error.js';
import { createOpsRoutes } from '../ops/ops-routes.js';
import { runUntilSignal } from '../service/run-until-signal.js';
import { findPostgresBinaries } from '../stack/postgres-binaries.js';
import { resolveServiceUser } from '../stack/service-user.js';
import { BackupApi } from './backup-api.js';
import { LocalRuntime } from './local-runtime.js';
import { NodeRestorer, RestoreInputError, RestoreRefusedError } from './node-restorer.js';
import { postgresAddress, type ServiceRuntime } from './service-runtime.js';
import { Watchdog } from './watchdog.js';

const SELF = 'recovery';

async function createRuntime(config: Config, adminUrl: string): Promise<ServiceRuntime> {
  if (config.DISTRAG_RECOVERY_RUNTIME === 'docker') {
    const { DockerRuntime } = await import('./docker-runtime.js');
    return new DockerRuntime(config);
  }
  return new LocalRuntime(config, adminUrl, SELF);
}

/** The recovery process (`distrag recover --watch`): the watchdog, and the operations API behind the cluster subgraph. */
export async function runRecoveryDaemon(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('recovery', config.DISTRAG_LOG_LEVEL);
  try {
    const port = config.DISTRAG_SERVICE_PORT ?? config.DISTRAG_RECOVERY_PORT;
    const adminUrl = required(config.DISTRAG_DATABASE_URL, 'DISTRAG_DATABASE_URL');
    const internalSecret = required(config.DISTRAG_INTERNAL_SECRET, 'DISTRAG_INTERNAL_SECRET');
    const verifier = new ForwardedIdentityVerifier(internalSecret);
    const metrics = createMetrics('recovery');
    const bus = new EventBus({ url: required(config.DISTRAG_REDIS_URL, 'DISTRAG_REDIS_URL'), maxLen: config.DISTRAG_EVENT_STREAM_MAXLEN, log });
    const notifier = new ClusterNotifier(bus, log);
    const runtime = await createRuntime(config, adminUrl);
    const backupRoot = path.join(config.home, 'backups');
    const backupApi = new BackupApi(config.DISTRAG_BACKUP_URL ?? `http://${config.DISTRAG_HOST}:${config.DISTRAG_BACKUP_PORT}`, internalSecret);
    const restorer = new NodeRestorer({
      runtime, backupRoot, binDir: findPostgresBinaries(config).binDir, backupApi, adminUrl,
      runAs: resolveServiceUser(config.DISTRAG_SERVICE_USER), notifier, log,
    });
    const watchdog = new Watchdog({ runtime, restorer, notifier, log, registry: metrics.registry, checkMs: config.DISTRAG_RECOVERY_CHECK_MS, failures: config.DISTRAG_RECOVERY_FAILURES });

    /** The runtime's service for a node (`worker-1` → postgres-worker-1) and its address. */
    const nodeService = async (node: string) => {
      const wanted = shortNodeName(node);
      const service = (await runtime.services()).find((s) => s.node === wanted);
      const address = service ? postgresAddress(service) : null;
      return service && address ? { name: service.name, node: wanted, address } : null;
    };

    const handle = createOpsRoutes({
      adminUrl,
      internalSecret,
      bus,
      log,
      schemas: config.dataSchemas,
      startWorker: runtime.startWorker,
      takeBackup: (node) => backupApi.backup(shortNodeName(node)),
      listBackups: (node) => {
        if (node !== null) return listBackupRecords(nodeBackupPaths(backupRoot, shortNodeName(node)).dir);
        return readNodeNames(backupRoot).flatMap((name) => listBackupRecords(nodeBackupPaths(backupRoot, name).dir));
      },
      restoreNode: async (node, backupId, targetTime) => {
        const service = await nodeService(node);
        if (!service) throw opsBadInput(`unknown node "${node}"`);
        try {
          return await watchdog.exclusively(service.name, () => restorer.restore({ node: service.node, service: service.name, address: service.address, backupId, targetTime, reason: 'requested by hand' }));
        } catch (error) {
          // Refused before anything changed (or, for a damaged WAL, before the restore began): the caller's to fix.
          if (error instanceof RestoreInputError || error instanceof RestoreRefusedError) throw opsBadInput(error.message);
          throw error;
        }
      },
    });
    const http = createServiceHttpServer({
      metrics,
      readiness: async () => null,
      mayReadMetrics: (req) => isSignedAdmin(verifier, req),
      routes: { '/status': async () => ({ runtime: runtime.kind, ...watchdog.status() }) },
      handle,
    });
    await listen(http, port, config.DISTRAG_HOST);
    watchdog.start();
    log.info({ port, host: config.DISTRAG_HOST, runtime: runtime.kind }, 'recovery process listening; watching the stack');
    runUntilSignal(log, async () => {
      await closeHttpServer(http);
      handle.close();
      await watchdog.stop();
      await notifier.drain(2_000);
      notifier.close();
      await bus.close();
    });
  } catch (error) {
    log.fatal({ err: error }, `recovery process failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

/** The nodes that have a backup directory. */
function readNodeNames(backupRoot: string): string[] {
  try {
    return fs.readdirSync(backupRoot, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}
