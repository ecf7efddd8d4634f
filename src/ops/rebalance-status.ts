import type pg from 'pg';

/** The newest shard-moving job's state (CONTRACT §5 `cluster { rebalance { state progress } }`). */
export type RebalanceState = 'IDLE' | 'SCHEDULED' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELLED';

export interface RebalanceStatus {
  state: RebalanceState;
  /** Share of the job's tasks done, 0..1. */
  progress: number;
  /** Citus's background job id; null when no job ran (or nothing had to move). */
  jobId: string | null;
  /** E.g. `4/11 tasks done`. */
  detail: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Tasks done and in all (for progress events). */
  done: number;
  total: number;
}

/** Citus's citus_job_status states, as ours. */
const STATES: Record<string, RebalanceState> = {
  scheduled: 'SCHEDULED',
  running: 'RUNNING',
  finished: 'FINISHED',
  failing: 'FAILED',
  failed: 'FAILED',
  cancelling: 'CANCELLED',
  cancelled: 'CANCELLED',
};

/** True while Citus has the job in hand (a second rebalance or drain must wait). */
export function isActive(status: Pick<RebalanceStatus, 'state'>): boolean {
  return status.state === 'SCHEDULED' || status.state === 'RUNNING';
}

export const IDLE: RebalanceStatus = { state: 'IDLE', progress: 0, jobId: null, detail: 'no rebalance has run', startedAt: null, finishedAt: null, done: 0, total: 0 };

interface JobRow {
  job_id: string;
  state: string;
  started_at: Date | null;
  finished_at: Date | null;
  details: { task_state_counts?: Record<string, number> } | null;
}

/**
 * The newest rebalance job (drains included: drainNode runs the rebalancer drain-only), read with
 * citus_rebalance_status() — or one job by id with citus_job_status(). The catalog role may call both.
 */
export async function readRebalanceStatus(client: pg.ClientBase, jobId?: string): Promise<RebalanceStatus> {
  const { rows } = jobId === undefined
    ? await client.query<JobRow>(`SELECT job_id::text, state::text, started_at, finished_at, details FROM citus_rebalance_status()`)
    : await client.query<JobRow>(`SELECT job_id::text, state::text, started_at, finished_at, details FROM citus_job_status($1::bigint)`, [jobId]);
  const job = rows[0];
  if (!job) return IDLE;
  const counts = job.details?.task_state_counts ?? {};
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const done = counts.done ?? 0;
  const state = STATES[job.state] ?? 'RUNNING';
  return {
    state,
    progress: state === 'FINISHED' ? 1 : total === 0 ? 0 : done / total,
    jobId: job.job_id,
    detail: `${done}/${total} tasks done${state === 'FAILED' ? `, ${counts.error ?? 0} failed` : ''}`,
    startedAt: job.started_at?.toISOString() ?? null,
    finishedAt: job.finished_at?.toISOString() ?? null,
    done,
    total,
  };
}
