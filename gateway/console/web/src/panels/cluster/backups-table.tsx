import type { GraphqlRequestError } from '../../api/graphql-client';
import { ErrorNote } from '../../components/error-note';
import type { BackupView } from './cluster-api';
import { humanBytes, shortTime } from '../../format';

/** The complete backups, newest first (as `backups` answers). */
export function BackupsTable({ backups, error }: { backups: BackupView[] | null; error: GraphqlRequestError | null }) {
  return (
    <>
      <ErrorNote error={error} />
      {backups === null ? (
        !error && <p className="muted">Loading the backups…</p>
      ) : backups.length === 0 ? (
        <p className="muted" data-testid="no-backups">
          No backups yet.
        </p>
      ) : (
        <div className="table-box">
          <table data-testid="backups-table">
            <thead>
              <tr>
                <th>Backup</th>
                <th>Node</th>
                <th>Started</th>
                <th>Finished</th>
                <th>Size</th>
                <th>WAL</th>
                <th>Verified</th>
              </tr>
            </thead>
            <tbody>
              {backups.map((b) => (
                <tr key={`${b.node}/${b.id}`} data-testid={`backup-row-${b.node}-${b.id}`}>
                  <td>
                    <code>{b.id}</code>
                  </td>
                  <td>{b.node}</td>
                  <td title={b.startedAt}>{shortTime(b.startedAt)}</td>
                  <td title={b.finishedAt}>{shortTime(b.finishedAt)}</td>
                  <td className="num" title={`${b.sizeBytes} bytes`}>
                    {humanBytes(b.sizeBytes)}
                  </td>
                  <td>
                    <code>
                      {b.walStart} – {b.walEnd}
                    </code>
                  </td>
                  <td>
                    <span className={`badge ${b.verified ? 'ok' : 'warn'}`} data-testid="backup-verified">
                      {b.verified ? 'verified' : 'unverified'}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
