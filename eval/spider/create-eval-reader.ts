import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A login role of the eval's own: `url` connects as it; `drop` removes it and its grants. */
export interface EvalReader {
  role: string;
  url: string;
  drop: () => Promise<void>;
}

/**
 * Creates a role that may only read the given schemas' tables (USAGE and SELECT, nothing else),
 * so that SQL the evals did not write — a model's or a hostile corpus's — runs unprivileged, as
 * the RAG path runs it. The name has a random suffix: roles are cluster-wide and runs may overlap.
 */
export async function createEvalReader(admin: pg.ClientBase, adminUrl: string, schemas: readonly string[]): Promise<EvalReader> {
  const role = `distrag_eval_reader_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  const q = pg.escapeIdentifier(role);
  await admin.query(`CREATE ROLE ${q} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD ${pg.escapeLiteral(password)}`);
  for (const schema of schemas) {
    await admin.query(`GRANT USAGE ON SCHEMA ${pg.escapeIdentifier(schema)} TO ${q}`);
    await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${pg.escapeIdentifier(schema)} TO ${q}`);
  }
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
