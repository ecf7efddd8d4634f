import type pg from 'pg';
import type { CitusTableType } from './tenancy.js';

/**
 * Under Citus the rows live in the shards: every node reports the planner's estimate of each shard
 * placement it holds, in one fan-out (run_command_on_all_nodes, one round trip whatever the table
 * count), and each table's estimate is the sum over its shards (one placement per shard; reference
 * tables have one shard). Tables with a shard never analysed (or not reported) get no estimate.
 */
export async function readCitusEstimates(client: pg.ClientBase, citus: ReadonlyMap<string, { type: CitusTableType }>): Promise<Map<string, number>> {
  if (![...citus.values()].some((t) => t.type !== 'local')) return new Map();
  const { rows } = await client.query<{ relid: string; total: number | null; unknown: boolean }>(CITUS_ESTIMATES_SQL);
  return new Map(rows.filter((r) => !r.unknown && r.total !== null).map((r) => [r.relid, Number(r.total)]));
}

const CITUS_ESTIMATES_SQL = `
WITH reported AS (
  SELECT (json_each_text(result::json)).* FROM pg_catalog.run_command_on_all_nodes($cmd$
    SELECT coalesce(json_object_agg(s.shardid, c.reltuples), '{}')
    FROM pg_catalog.pg_dist_shard s
    JOIN pg_catalog.pg_dist_placement p ON p.shardid = s.shardid AND p.groupid = (SELECT groupid FROM pg_catalog.pg_dist_local_group)
    JOIN pg_catalog.pg_class c ON c.oid = to_regclass(pg_catalog.shard_name(s.logicalrelid, s.shardid))
  $cmd$) WHERE success
), per_shard AS (
  SELECT key::bigint AS shardid, max(value::float8) AS reltuples FROM reported GROUP BY 1
)
SELECT s.logicalrelid::oid::text AS relid, sum(greatest(ps.reltuples, 0)) AS total,
       bool_or(ps.reltuples IS NULL OR ps.reltuples < 0) AS unknown
FROM pg_catalog.pg_dist_shard s
JOIN pg_catalog.pg_dist_partition d ON d.logicalrelid = s.logicalrelid AND (d.partkey IS NOT NULL OR d.repmodel = 't')
LEFT JOIN per_shard ps ON ps.shardid = s.shardid
GROUP BY s.logicalrelid`;
