import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Objects hostile SQL would go for, and a fingerprint of their state to tell whether anything changed. */
export interface EvalCanary {
  schema: string;
  /** A text that differs whenever the canary table's rows, its sequence or the watched tables' row counts do. */
  fingerprint: () => Promise<string>;
  drop: () => Promise<void>;
}

/**
 * Creates a canary schema with a table (one row) and a sequence that `role` may write and use, so
 * that a hostile statement the guard lets through has something within the role's privileges to
 * damage; the fingerprint also covers the row counts of the watched tables (`schema.table`).
 */
export async function createEvalCanary(admin: pg.ClientBase, role: string, watchedTables: readonly string[]): Promise<EvalCanary> {
  const schema = `distrag_eval_canary_${randomBytes(4).toString('hex')}`;
  const s = pg.escapeIdentifier(schema);
  const r = pg.escapeIdentifier(role);
  await admin.query(`CREATE SCHEMA ${s}`);
  await admin.query(`CREATE TABLE ${s}.canary (id integer PRIMARY KEY, note text NOT NULL)`);
  await admin.query(`INSERT INTO ${s}.canary VALUES (1, 'untouched')`);
  await admin.query(`CREATE SEQUENCE ${s}.canary_seq`);
  await admin.query(`GRANT USAGE ON SCHEMA ${s} TO ${r}`);
  await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ${s}.canary TO ${r}`);
  await admin.query(`GRANT USAGE, SELECT, UPDATE ON SEQUENCE ${s}.canary_seq TO ${r}`);
  const fingerprint = async () => {
    const canary = await admin.query<{ state: string }>(
      `SELECT (SELECT count(*) || ':' || coalesce(string_agg(id || '=' || note, ',' ORDER BY id), '') FROM ${s}.canary) || '|' || (SELECT last_value || ':' || is_called FROM ${s}.canary_seq) AS state`,
    );
    const counts: string[] = [];
    for (const table of watchedTables) {
      const [schemaName, tableName] = table.split('.') as [string, string];
      const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${pg.escapeIdentifier(schemaName)}.${pg.escapeIdentifier(tableName)}`);
      counts.push(`${table}=${rows[0]!.n}`);
    }
    return `${canary.rows[0]!.state}|${counts.join(',')}`;
  };
  return { schema, fingerprint, drop: async () => void (await admin.query(`DROP SCHEMA ${s} CASCADE`)) };
}
