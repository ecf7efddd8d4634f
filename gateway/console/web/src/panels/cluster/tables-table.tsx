import type { TableView } from './cluster-api';

/** Citus's distributed and reference tables (none in SINGLE mode). */
export function TablesTable({ tables, single }: { tables: TableView[]; single: boolean }) {
  if (tables.length === 0) return <p className="muted">{single ? 'No distributed tables: SINGLE mode does not shard.' : 'No distributed tables.'}</p>;
  return (
    <div className="table-box">
      <table data-testid="tables-table">
        <thead>
          <tr>
            <th>Table</th>
            <th>Kind</th>
            <th>Distribution column</th>
            <th>Colocation group</th>
            <th>Shards</th>
          </tr>
        </thead>
        <tbody>
          {tables.map((t) => (
            <tr key={t.name} data-testid={`table-row-${t.name}`}>
              <td>{t.name}</td>
              <td>
                <span className={`badge ${t.kind === 'DISTRIBUTED' ? 'miss' : ''}`}>{t.kind.toLowerCase()}</span>
              </td>
              <td className={t.distributionColumn ? undefined : 'null'}>{t.distributionColumn ?? 'none (copied to every node)'}</td>
              <td className="num">{t.colocationGroup}</td>
              <td className="num">{t.shardCount}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
