import type pg from 'pg';

/** One ordinary or partitioned table of the exposed schemas, as the catalog readers start from it. */
export interface ExposedTableRow {
  relid: string;
  schema: string;
  name: string;
  /** COMMENT ON TABLE (the admin-written description). */
  comment: string | null;
  /** The planner's row estimate on this node (-1: never analysed; 0 on a Citus coordinator). */
  reltuples: number;
}

/** The tables of `schemas` (partitions are reached through their parent), ordered by schema and name. */
export async function readExposedTables(client: pg.ClientBase, schemas: readonly string[]): Promise<ExposedTableRow[]> {
  const { rows } = await client.query<ExposedTableRow>(
    `SELECT c.oid::text AS relid, n.nspname AS schema, c.relname AS name,
            obj_description(c.oid, 'pg_class') AS comment, c.reltuples::float8 AS reltuples
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     ORDER BY n.nspname, c.relname`,
    [schemas],
  );
  return rows;
}
