import type pg from 'pg';

/**
 * Placements of distributed-table shards per Citus group (node). Reference tables are left out:
 * every node holds a copy, Citus drops a leaving node's copy itself, and a drained node keeps one.
 */
export async function readShardCounts(client: pg.ClientBase): Promise<Map<number, number>> {
  const { rows } = await client.query<{ groupid: number; shards: number }>(
    `SELECT pl.groupid, count(*)::int AS shards
       FROM pg_dist_placement pl
       JOIN pg_dist_shard s ON s.shardid = pl.shardid
       JOIN pg_dist_partition p ON p.logicalrelid = s.logicalrelid
      WHERE p.repmodel <> 't'
      GROUP BY pl.groupid`,
  );
  return new Map(rows.map((r) => [r.groupid, r.shards]));
}
