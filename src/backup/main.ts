import path from 'node:path';
import { ForwardedIdentityVerifier } from '../auth/forwarded-identity.js';
import { loadConfig, required } from '../config/config.js';
import { parseNodeList } from '../config/node-list.js';
import { ClusterNotifier } from '../events/cluster-notifier.js';
import { EventBus } from '../events/event-bus.js';
import { closeHttpServer, listen } from '../http/graphql-http-server.js';
import { isSignedAdmin, readJsonBody, sendJson } from '../http/internal-json.js';
import { createServiceHttpServer } from '../http/service-http-server.js';
import { createLogger } from '../log/logger.js';
import { createMetrics } from '../metrics/metrics-registry.js';
import { runUntilSignal } from '../service/run-until-signal.js';
import { findPostgresBinaries } from '../stack/postgres-binaries.js';
import { resolveServiceUser } from '../stack/service-user.js';
import { BackupDaemon } from './backup-daemon.js';

const NODE_ROUTE = /^\/backup\/nodes\/([a-z0-9_-]{1,63})\/(hold|release|backup)$/;

/** The backup process (`distrag backup --watch`): continuous WAL, scheduled verified backups, restore points. */
export async function runBackupDaemon(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('backup', config.DISTRAG_LOG_LEVEL);
  try {
    const port = config.DISTRAG_SERVICE_PORT ?? config.DISTRAG_BACKUP_PORT;
    const adminUrl = required(config.DISTRAG_DATABASE_URL, 'DISTRAG_DATABASE_URL');
    const verifier = new ForwardedIdentityVerifier(required(config.DISTRAG_INTERNAL_SECRET, 'DISTRAG_INTERNAL_SECRET'));
    const metrics = createMetrics('backup');
    const bus = config.DISTRAG_REDIS_URL ? new EventBus({ url: config.DISTRAG_REDIS_URL, maxLen: config.DISTRAG_EVENT_STREAM_MAXLEN, log }) : null;
    const notifier = new ClusterNotifier(bus, log);
    const daemon = new BackupDaemon({
      adminUrl,
      binDir: findPostgresBinaries(config).binDir,
      backupRoot: path.join(config.home, 'backups'),
      keep: config.DISTRAG_BACKUP_KEEP,
      scheduled: config.DISTRAG_BACKUP_SCHEDULED,
      intervalSeconds: config.DISTRAG_BACKUP_INTERVAL,
      restorePointIntervalSeconds: config.DISTRAG_RESTORE_POINT_INTERVAL,
      restoreTest: config.DISTRAG_BACKUP_RESTORE_TEST,
      synchronous: config.DISTRAG_BACKUP_SYNC,
      runAs: resolveServiceUser(config.DISTRAG_SERVICE_USER),
      initialNodes: parseNodeList('DISTRAG_BACKUP_NODES', config.DISTRAG_BACKUP_NODES ?? ''),
      notifier,
      log,
      registry: metrics.registry,
    });
    await daemon.start();
    const http = createServiceHttpServer({
      metrics,
      // Ready once every node streams its WAL: with synchronous commit nothing commits before.
      readiness: async () => daemon.readiness(false),
      mayReadMetrics: (req) => isSignedAdmin(verifier, req),
      routes: {
        '/status': async () => ({ nodes: daemon.status(), ready: daemon.readiness(config.DISTRAG_READY_NEEDS_BACKUP) }),
      },
      handle: async (req, res) => {
        const match = NODE_ROUTE.exec((req.url ?? '').split('?')[0]!);
        if (!match || req.method !== 'POST') return false;
        if (!isSignedAdmin(verifier, req)) {
          sendJson(res, 401, { error: { code: 'UNAUTHENTICATED', message: 'this route needs an admin identity signed with the internal secret' } });
          return true;
        }
        const [, node, action] = match as unknown as [string, string, 'hold' | 'release' | 'backup'];
        if (!daemon.knows(node)) {
          sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `unknown node "${node}"` } });
          return true;
        }
        try {
          const body = await readJsonBody(req);
          if (action === 'hold') await daemon.hold(node);
          if (action === 'release') await daemon.release(node, body.newTimeline === true);
          const record = action === 'backup' ? await daemon.backup(node, 'requested') : null;
          sendJson(res, 200, record ?? { ok: true });
        } catch (error) {
          sendJson(res, 500, { error: { code: 'INTERNAL', message: (error as Error).message } });
        }
        return true;
      },
    });
    await listen(http, port, config.DISTRAG_HOST);
    log.info({ port, host: config.DISTRAG_HOST, synchronous: config.DISTRAG_BACKUP_SYNC }, 'backup process listening');
    runUntilSignal(log, async () => {
      await closeHttpServer(http);
      await daemon.stop();
      await notifier.drain(2_000);
      notifier.close();
      await bus?.close();
    });
  } catch (error) {
    log.fatal({ err: error }, `backup process failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
