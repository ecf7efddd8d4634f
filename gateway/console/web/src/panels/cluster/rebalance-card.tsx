import { useCallback } from 'react';
import type { LiveEvent } from '../../api/live-feed';
import { useAction } from '../../api/use-query';
import { ErrorNote } from '../../components/error-note';
import { useConsole } from '../../console-context';
import { clusterApi, isMoving, type RebalanceView } from './cluster-api';
import { shortTime } from '../../format';

const BADGES: Record<RebalanceView['state'], string> = { IDLE: '', SCHEDULED: 'warn', RUNNING: 'warn', FINISHED: 'ok', FAILED: 'bad', CANCELLED: 'bad' };

/**
 * The newest shard-moving job (a rebalance or a drain) and the Rebalance button. When Citus had
 * nothing to move, the mutation answers FINISHED without a job, and `cluster.rebalance` still
 * shows the job before: that answer is shown until the cluster reports a newer job.
 */
export function RebalanceCard({ rebalance, citusOnly, lastEvent, onChanged }: { rebalance: RebalanceView; citusOnly: string | null; lastEvent: LiveEvent | null; onChanged: () => void }) {
  const { client } = useConsole();
  const start = useAction(
    useCallback(() => {
      const before = rebalance.jobId ?? null;
      return clusterApi
        .rebalance(client)
        .then((answer) => ({ answer, before }))
        .finally(onChanged);
    }, [client, rebalance.jobId, onChanged]),
  );
  const shown = start.result && (rebalance.jobId ?? null) === start.result.before ? start.result.answer : rebalance;
  const moving = isMoving(shown);
  const blocked = citusOnly ?? (moving ? 'A rebalance or drain is running; its progress is shown here.' : null);
  const percent = Math.round(Math.max(0, Math.min(1, shown.progress)) * 100);
  return (
    <>
      <div className="row cluster-rebalance">
        <span className={`badge ${BADGES[shown.state]}`} data-testid="rebalance-state">
          {shown.state}
        </span>
        <div className="progress grow" data-testid="rebalance-progress" title={`${percent}%`} role="progressbar" aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100}>
          <div style={{ width: `${percent}%` }} />
        </div>
        <span className="cluster-percent">{percent}%</span>
        <button
          type="button"
          disabled={blocked !== null || start.pending}
          onClick={() => void start.run()}
          data-testid="rebalance-button"
          title={blocked ?? 'Spread the shards evenly over the workers'}
        >
          {start.pending ? 'Starting…' : 'Rebalance'}
        </button>
      </div>
      {citusOnly && (
        <p className="muted cluster-reason" data-testid="rebalance-disabled-reason">
          {citusOnly}
        </p>
      )}
      <dl className="cluster-facts">
        <dt>Detail</dt>
        <dd data-testid="rebalance-detail">{shown.detail}</dd>
        <dt>Job</dt>
        <dd>{shown.jobId ?? '—'}</dd>
        <dt>Started</dt>
        <dd title={shown.startedAt ?? undefined}>{shortTime(shown.startedAt)}</dd>
        <dt>Finished</dt>
        <dd title={shown.finishedAt ?? undefined}>{shortTime(shown.finishedAt)}</dd>
        {lastEvent && (
          <>
            <dt>Last event</dt>
            <dd data-testid="cluster-last-event">
              <code>{lastEvent.what}</code> {lastEvent.detail} <span className="muted">({shortTime(lastEvent.at)})</span>
            </dd>
          </>
        )}
      </dl>
      <ErrorNote error={start.error} />
    </>
  );
}
