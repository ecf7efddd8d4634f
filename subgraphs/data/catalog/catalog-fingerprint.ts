import type pg from 'pg';

/**
 * A digest of every catalog row the data API is derived from or secures: tables, columns, keys,
 * comments, enum labels, tenancy (Citus metadata, the reference-table registry), row-level
 * security flags, policies and grants. Any DDL that matters changes it; nothing else does.
 * Cheap enough to poll every second (the change-feed issue replaces polling with events).
 */
export async function readCatalogFingerprint(client: pg.ClientBase, schemas: string[], citus: boolean): Promise<string> {
  const { rows } = await client.query<{ fingerprint: string | null }>(citus ? `${FINGERPRINT_SQL}${CITUS_PART}${TAIL}` : `${FINGERPRINT_SQL}${TAIL}`, [schemas]);
  return rows[0]?.fingerprint ?? 'empty';
}

const FINGERPRINT_SQL = `
WITH rel AS (
  SELECT c.oid, c.relname, n.nspname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, c.relacl
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
), parts AS (
  SELECT format('t %s %s %s %s %s %s %s %s', oid, nspname, relname, relkind, relrowsecurity, relforcerowsecurity, relacl, obj_description(oid, 'pg_class')) AS part FROM rel
  UNION ALL
  SELECT format('a %s %s %s %s %s %s %s %s %s', a.attrelid, a.attnum, a.attname, a.atttypid, a.attnotnull, a.atthasdef, a.attgenerated, a.attidentity, col_description(a.attrelid, a.attnum))
  FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT format('c %s %s %s %s %s %s', con.conrelid, con.conname, con.contype, con.conkey, con.confrelid, con.confkey)
  FROM pg_constraint con JOIN rel ON rel.oid = con.conrelid WHERE con.contype IN ('p', 'u', 'f')
  UNION ALL
  SELECT format('p %s %s %s', pol.polrelid, pol.polname, pg_get_expr(pol.polqual, pol.polrelid))
  FROM pg_policy pol JOIN rel ON rel.oid = pol.polrelid
  UNION ALL
  SELECT format('e %s %s %s', e.enumtypid, e.enumsortorder, e.enumlabel) FROM pg_enum e
  UNION ALL
  SELECT format('r %s', r.relid) FROM distrag_meta.reference_tables r WHERE to_regclass('distrag_meta.reference_tables') IS NOT NULL`;

const CITUS_PART = `
  UNION ALL
  SELECT format('d %s %s %s %s', p.logicalrelid::oid, p.partmethod, p.partkey, p.repmodel) FROM pg_catalog.pg_dist_partition p`;

const TAIL = `
)
SELECT md5(string_agg(part, E'\\n' ORDER BY part)) AS fingerprint FROM parts`;
