import pg from 'pg';

/** The publication the feed decodes: every table of the exposed schemas, tables created later included. */
export const PUBLICATION = 'distrag_changes';
/** Prefix of every replication slot DistRAG owns; anything else is left alone. */
export const SLOT_PREFIX = 'distrag_feed_';

export function slotName(node: string): string {
  return `${SLOT_PREFIX}${node.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
}

export interface SlotState {
  exists: boolean;
  /** WAL the slot keeps on the node, in bytes. */
  retainedBytes: number;
  /** pg_replication_slots.wal_status: `lost` means the node dropped WAL the slot needed. */
  walStatus: string | null;
  active: boolean;
  /** Where the slot's consumer has confirmed up to: a position that is always safe to acknowledge again. */
  confirmedFlush: string | null;
}

/**
 * Makes sure the node publishes the exposed schemas (bootstrap, as the admin role: creating a
 * publication of whole schemas takes a superuser), with a publication of its own: under Citus a
 * CREATE PUBLICATION on the coordinator would be propagated to the workers, where the feed makes
 * each node's own (a race the coordinator then loses forever: "already exists"). So every node's
 * publication is made with DDL propagation off.
 */
export async function ensurePublication(client: pg.ClientBase, schemas: string[]): Promise<void> {
  const { rows: published } = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_publication p
       JOIN pg_publication_namespace pn ON pn.pnpubid = p.oid
       JOIN pg_namespace n ON n.oid = pn.pnnspid
      WHERE p.pubname = $1`,
    [PUBLICATION],
  );
  const { rowCount: exists } = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [PUBLICATION]);
  const { rows: present } = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[])', [schemas]);
  const wanted = present.map((r) => r.nspname).sort();
  if (wanted.length === 0) return;
  if ((exists ?? 0) > 0 && published.map((r) => r.nspname).sort().join(',') === wanted.join(',')) return;
  const list = wanted.map((s) => client.escapeIdentifier(s)).join(', ');
  await client.query('BEGIN');
  try {
    // Without Citus this only sets a placeholder setting, harmlessly.
    await client.query(`SET LOCAL citus.enable_ddl_propagation TO off`);
    await client.query(`SET LOCAL distrag.internal_ddl = 'on'`);
    if ((exists ?? 0) === 0) await client.query(`CREATE PUBLICATION ${PUBLICATION} FOR TABLES IN SCHEMA ${list}`);
    else await client.query(`ALTER PUBLICATION ${PUBLICATION} SET TABLES IN SCHEMA ${list}`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export async function publicationExists(client: pg.ClientBase): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [PUBLICATION]);
  return (rowCount ?? 0) > 0;
}

export async function readSlot(client: pg.ClientBase, slot: string): Promise<SlotState> {
  const { rows } = await client.query<{ retained: string | null; wal_status: string | null; active: boolean; confirmed: string | null }>(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text AS retained, wal_status, active, confirmed_flush_lsn::text AS confirmed
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const row = rows[0];
  if (!row) return { exists: false, retainedBytes: 0, walStatus: null, active: false, confirmedFlush: null };
  return { exists: true, retainedBytes: Number(row.retained ?? 0), walStatus: row.wal_status, active: row.active, confirmedFlush: row.confirmed };
}

/** Creates the node's pgoutput slot; resolves false when it already existed. */
export async function createSlot(client: pg.ClientBase, slot: string): Promise<boolean> {
  const { rows } = await client.query<{ created: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1) AS created`,
    [slot],
  );
  if (!rows[0]?.created) return false;
  await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  return true;
}

export async function dropSlot(client: pg.ClientBase, slot: string): Promise<void> {
  await client.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, [slot]);
}

/** DistRAG's slots on a node other than `keep` (left behind by a renamed node): dropped when idle. */
export async function dropStaleSlots(client: pg.ClientBase, keep: string): Promise<string[]> {
  const { rows } = await client.query<{ slot_name: string }>(
    `SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1 AND slot_name <> $2 AND NOT active AND database = current_database()`,
    [`${SLOT_PREFIX}%`, keep],
  );
  for (const row of rows) await dropSlot(client, row.slot_name);
  return rows.map((r) => r.slot_name);
}
