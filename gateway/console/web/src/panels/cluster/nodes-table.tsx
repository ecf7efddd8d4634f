import { useCallback, useState } from 'react';
import { useAction } from '../../api/use-query';
import { ErrorNote } from '../../components/error-note';
import { useConsole } from '../../console-context';
import { clusterApi, type NodeView } from './cluster-api';
import { ConfirmStep } from '../../components/confirm-step';
import { age, humanBytes, shortTime } from '../../format';

const COLUMNS = ['Node', 'Address', 'Role', 'Status', 'Shards', 'Size', 'Last backup', 'Actions'];

/**
 * The nodes with their health, shards, size and newest backup; per node: back up now, and for
 * workers drain and remove (each asks first). `citusOnly` says why drain/remove cannot run (SINGLE
 * mode), `moving` that a rebalance or drain is under way.
 */
export function NodesTable({ nodes, citusOnly, moving, onChanged }: { nodes: NodeView[]; citusOnly: string | null; moving: boolean; onChanged: () => void }) {
  return (
    <div className="table-box">
      <table data-testid="nodes-table">
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {nodes.map((node) => (
            <NodeRow key={node.name} node={node} citusOnly={citusOnly} moving={moving} onChanged={onChanged} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

type NodeAction = 'backup' | 'drain' | 'remove';

function NodeRow({ node, citusOnly, moving, onChanged }: { node: NodeView; citusOnly: string | null; moving: boolean; onChanged: () => void }) {
  const { client } = useConsole();
  // The destructive action waiting for its confirmation, and the action run last (whose outcome shows).
  const [asking, setAsking] = useState<'drain' | 'remove' | null>(null);
  const [last, setLast] = useState<NodeAction | null>(null);
  // Whatever the answer, the cluster is read again (a refused call may still mean a change elsewhere).
  const backup = useAction(useCallback(() => clusterApi.createBackup(client, node.name).finally(onChanged), [client, node.name, onChanged]));
  const drain = useAction(useCallback(() => clusterApi.drainNode(client, node.name).finally(onChanged), [client, node.name, onChanged]));
  const remove = useAction(useCallback(() => clusterApi.removeNode(client, node.name).finally(onChanged), [client, node.name, onChanged]));
  const actions = { backup, drain, remove };
  const run = (action: NodeAction) => {
    setAsking(null);
    setLast(action);
    void actions[action].run();
  };
  const worker = node.role === 'WORKER';
  const busy = backup.pending || drain.pending || remove.pending;
  const drainBlocked = citusOnly ?? (moving ? 'a rebalance or drain is running' : null);
  const removeBlocked = citusOnly ?? (node.shardCount > 0 ? `${node.name} holds ${node.shardCount} shards: drain it first` : moving ? 'a rebalance or drain is running' : null);
  const outcome = last ? actions[last] : null;
  const note = asking ? (
    <ConfirmStep testId={`${asking}-${node.name}`} confirmLabel={asking === 'drain' ? `Drain ${node.name}` : `Remove ${node.name}`} onConfirm={() => run(asking)} onCancel={() => setAsking(null)}>
      {asking === 'drain'
        ? `Drain ${node.name}: every shard moves off it, in the background, and it takes no new shards.`
        : `Remove ${node.name}: it is taken out of the cluster (it holds no shards).`}
    </ConfirmStep>
  ) : outcome?.error ? (
    <ErrorNote error={outcome.error} />
  ) : last === 'backup' && backup.result ? (
    <span className="muted">
      Backup {backup.result.id} of {node.name} taken ({humanBytes(backup.result.sizeBytes)}, {backup.result.verified ? 'verified' : 'not verified'}).
    </span>
  ) : last === 'drain' && drain.result ? (
    <span className="muted">
      Drain of {node.name}: {drain.result.state.toLowerCase()}, {drain.result.detail}. Progress shows under Rebalance.
    </span>
  ) : last === 'remove' && remove.result ? (
    <span className="muted">{node.name} was removed.</span>
  ) : null;
  return (
    <>
      <tr data-testid={`node-row-${node.name}`}>
        <td className="cluster-node-name">{node.name}</td>
        <td>
          <code>
            {node.host}:{node.port}
          </code>
        </td>
        <td>{node.role.toLowerCase()}</td>
        <td>
          <span className={`badge ${node.status === 'UP' ? 'up' : 'down'}`} data-testid="node-status">
            {node.status}
          </span>
        </td>
        <td className="num" data-testid="node-shards">
          {node.shardCount}
        </td>
        <td className="num" data-testid="node-size" title={node.sizeBytes === null || node.sizeBytes === undefined ? 'not measured: the node did not answer' : `${node.sizeBytes} bytes`}>
          {humanBytes(node.sizeBytes)}
        </td>
        <td data-testid="node-last-backup">
          {node.lastBackup ? (
            <span title={`backup ${node.lastBackup.id}, finished ${shortTime(node.lastBackup.finishedAt)}`}>
              {age(node.lastBackup.finishedAt)} <span className={`badge ${node.lastBackup.verified ? 'ok' : 'warn'}`}>{node.lastBackup.verified ? 'verified' : 'unverified'}</span>
            </span>
          ) : (
            <span className="muted">none</span>
          )}
        </td>
        <td>
          <div className="cluster-actions">
            <button type="button" className="secondary" disabled={busy} title={`Take a verified base backup of ${node.name} now`} data-testid={`backup-${node.name}`} onClick={() => run('backup')}>
              {backup.pending ? 'Backing up…' : 'Back up'}
            </button>
            {worker && (
              <>
                <button
                  type="button"
                  className="secondary"
                  disabled={drainBlocked !== null || busy || asking !== null}
                  title={drainBlocked ?? `Move every shard off ${node.name} (asks first)`}
                  data-testid={`drain-${node.name}`}
                  onClick={() => setAsking('drain')}
                >
                  {drain.pending ? 'Draining…' : 'Drain'}
                </button>
                <button
                  type="button"
                  className="secondary"
                  disabled={removeBlocked !== null || busy || asking !== null}
                  title={removeBlocked ?? `Take ${node.name} out of the cluster (asks first)`}
                  data-testid={`remove-${node.name}`}
                  onClick={() => setAsking('remove')}
                >
                  {remove.pending ? 'Removing…' : 'Remove'}
                </button>
              </>
            )}
          </div>
        </td>
      </tr>
      {note && (
        <tr className="cluster-row-note" data-testid={`node-note-${node.name}`}>
          <td colSpan={COLUMNS.length}>{note}</td>
        </tr>
      )}
    </>
  );
}
