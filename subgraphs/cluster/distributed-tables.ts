import type pg from 'pg';
import type { DistributedTable } from '../../schema/generated/cluster-types.js';

/**
 * The distributed and reference tables of the exposed schemas, from Citus's metadata
 * (pg_dist_partition, as src/db/tenancy.ts reads it: the citus_tables view varies between installs).
 */
export async function readDistributedTables(client: pg.ClientBase, schemas: readonly string[]): Promise<DistributedTable[]> {
  const { rows } = await client.query<{ name: string; column: string | null; kind: 'DISTRIBUTED' | 'REFERENCE'; colocation: number; shards: number }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name,
            column_to_column_name(p.logicalrelid, p.partkey) AS column,
            CASE WHEN p.repmodel = 't' THEN 'REFERENCE' ELSE 'DISTRIBUTED' END AS kind,
            p.colocationid AS colocation,
            (SELECT count(*)::int FROM pg_dist_shard s WHERE s.logicalrelid = p.logicalrelid) AS shards
       FROM pg_dist_partition p
       JOIN pg_class c ON c.oid = p.logicalrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[])
        AND (p.partkey IS NOT NULL OR p.repmodel = 't' OR p.colocationid <> 0) -- not Citus-managed local tables
      ORDER BY n.nspname, c.relname`,
    [schemas],
  );
  return rows.map((r) => ({ name: r.name, distributionColumn: r.column, kind: r.kind, colocationGroup: r.colocation, shardCount: r.shards }));
}
