import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A login role of the eval's own: `url` connects as it; `drop` removes it and its grants. */
export interface EvalReader {
  role: string;
  url: string;
  drop: () => Promise<void>;
}

/**
 * Creates a role that may only read the given tables (`schema.table`: USAGE on their schemas and
 * SELECT on them, nothing else),
 * so that SQL the evals did not write — a model's or a hostile corpus's — runs unprivileged, as
 * the RAG path runs it. The name has a random suffix: roles are cluster-wide and runs may overlap.
 */
export async function createEvalReader(admin: pg.ClientBase, adminUrl: string, tables: readonly string[]): Promise<EvalReader> {
  const role = `distrag_eval_reader_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  const q = pg.escapeIdentifier(role);
  await admin.query(`CREATE ROLE ${q} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD ${pg.escapeLiteral(password)}`);
  const split = tables.map((t) => t.split('.') as [string, string]);
  for (const schema of new Set(split.map(([schema]) => schema))) await admin.query(`GRANT USAGE ON SCHEMA ${pg.escapeIdentifier(schema)} TO ${q}`);
  for (const [schema, table] of split) await admin.query(`GRANT SELECT ON ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)} TO ${q}`);
  const url = new URL(adminUrl);
  url.username = role;
  url.password = encodeURIComponent(password);
  return {
    role,
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP OWNED BY ${q}`);
      await admin.query(`DROP ROLE ${q}`);
    },
  };
}
