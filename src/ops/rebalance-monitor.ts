import pg from 'pg';
import type { Logger } from 'pino';
import type { EventBus } from '../events/event-bus.js';
import { groupOfNodeName } from './node-names.js';
import { publishClusterEvent } from './publish-cluster-event.js';
import { isActive, readRebalanceStatus, type RebalanceStatus } from './rebalance-status.js';
import { readShardCounts } from './shard-placements.js';

export interface RebalanceMonitorOptions {
  adminUrl: string;
  bus: EventBus;
  log: Logger;
  /** How often a job's state is read (ms). */
  pollMs?: number;
}

interface Followed {
  jobId: string;
  /** The drained node, for a drain. */
  drain: string | null;
}

/**
 * Follows Citus background rebalance jobs and publishes their course as cluster events:
 * REBALANCE_STARTED, REBALANCE_PROGRESS (each time tasks finish: "4/11 tasks done"),
 * REBALANCE_COMPLETED or REBALANCE_FAILED, and NODE_DRAINED after a drain that left the node
 * without shards. A drain's events name the node. On start (`resume`) a job still running —
 * started before this process restarted — is followed again (as a rebalance: which node a drain
 * was for is not recorded).
 */
export class RebalanceMonitor {
  private phase: 'running' | 'closed' = 'running';
  private readonly followed = new Map<string, Promise<void>>();

  constructor(private readonly options: RebalanceMonitorOptions) {}

  follow(jobId: string, options: { drain: string | null }): void {
    if (this.phase !== 'running' || this.followed.has(jobId)) return;
    const run = this.run({ jobId, drain: options.drain }).finally(() => this.followed.delete(jobId));
    this.followed.set(jobId, run);
  }

  /** Follows the newest job if it is still running. */
  async resume(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.adminUrl, application_name: 'distrag-ops' });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ citus: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus`);
      if (!rows[0]?.citus) return;
      const status = await readRebalanceStatus(client);
      if (isActive(status) && status.jobId) this.follow(status.jobId, { drain: null });
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** The jobs being followed now. */
  jobs(): string[] {
    return [...this.followed.keys()];
  }

  async close(): Promise<void> {
    this.phase = 'closed';
    await Promise.all(this.followed.values());
  }

  private async run(job: Followed): Promise<void> {
    const { log, bus } = this.options;
    const pollMs = this.options.pollMs ?? 1_000;
    const about = job.drain ? `drain of ${job.drain}` : 'rebalance';
    let client: pg.Client | null = null;
    let last: RebalanceStatus | null = null;
    let failures = 0;
    try {
      while (this.phase === 'running') {
        try {
          client ??= await this.connect();
          const status = await readRebalanceStatus(client, job.jobId);
          failures = 0;
          if (last === null) await publishClusterEvent(bus, log, 'REBALANCE_STARTED', job.drain, `${about} started as Citus job ${job.jobId}: ${status.total} tasks`);
          if (status.done !== (last?.done ?? 0)) await publishClusterEvent(bus, log, 'REBALANCE_PROGRESS', job.drain, `${about}: ${status.detail}`);
          last = status;
          if (status.state === 'FINISHED') {
            await publishClusterEvent(bus, log, 'REBALANCE_COMPLETED', job.drain, `${about} finished: ${status.detail}`);
            if (job.drain) await this.reportDrained(client, job.drain);
            return;
          }
          if (!isActive(status)) {
            await this.reportFailure(client, job, status, about);
            return;
          }
        } catch (error) {
          failures++;
          log.warn({ err: error, job: job.jobId, failures }, 'reading the rebalance job failed; retrying');
          await client?.end().catch(() => undefined);
          client = null;
        }
        await new Promise((r) => setTimeout(r, Math.min(pollMs * 2 ** Math.min(failures, 5), 30_000)).unref());
      }
    } finally {
      await client?.end().catch(() => undefined);
    }
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.options.adminUrl, application_name: 'distrag-ops-monitor', connectionTimeoutMillis: 10_000 });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  private async reportDrained(client: pg.Client, node: string): Promise<void> {
    const groupid = groupOfNodeName(node);
    const left = groupid === null ? 0 : ((await readShardCounts(client)).get(groupid) ?? 0);
    if (left === 0) await publishClusterEvent(this.options.bus, this.options.log, 'NODE_DRAINED', node, `${node} holds no shards now; removeNode can take it out`);
    else await publishClusterEvent(this.options.bus, this.options.log, 'REBALANCE_FAILED', node, `the drain finished but ${node} still holds ${left} shards; drain it again`);
  }

  /** The failed task's error goes to the log (it may name hosts and roles), the event says where to look. */
  private async reportFailure(client: pg.Client, job: Followed, status: RebalanceStatus, about: string): Promise<void> {
    const { rows } = await client.query<{ task_id: string; message: string | null }>(
      `SELECT task_id::text, message FROM pg_dist_background_task WHERE job_id = $1::bigint AND status IN ('error', 'cancelled') ORDER BY task_id DESC LIMIT 1`,
      [job.jobId],
    );
    this.options.log.error({ job: job.jobId, state: status.state, task: rows[0]?.task_id, message: rows[0]?.message }, `${about} ended ${status.state.toLowerCase()}`);
    await publishClusterEvent(
      this.options.bus,
      this.options.log,
      'REBALANCE_FAILED',
      job.drain,
      `${about} (Citus job ${job.jobId}) ended ${status.state.toLowerCase()}: ${status.detail}; citus_rebalance_status() on the coordinator and the recovery process's log have the details; run it again to resume`,
    );
  }
}
