import pg from 'pg';
import type { Logger } from 'pino';
import { hasCitus, readCitusTables } from '../db/tenancy.js';
import type { FeedPositions } from './feed-positions.js';

/** How Citus holds one table, as far as the API cares (distribution decides tenancy and routing). */
export interface CitusTableState {
  /** `schema.table` */
  name: string;
  kind: 'distributed' | 'reference' | 'local';
  column: string | null;
  colocation: number;
}

/** Citus's functions and the schema change each stands for (they fire no event trigger). */
const TAGS = {
  distributed: 'SELECT create_distributed_table',
  reference: 'SELECT create_reference_table',
  local: 'SELECT citus_add_local_table_to_metadata',
  altered: 'SELECT alter_distributed_table',
  undistributed: 'SELECT undistribute_table',
} as const;

/**
 * Turns Citus's own table operations into schema changes. Distributing, converting or
 * undistributing a table runs no DDL the coordinator's event trigger sees, but creates or drops
 * shards, which every node reports as a `distrag.citus_shards` message in its change stream.
 * On such a hint (and at start, for what happened while the feed was away) this compares Citus's
 * metadata with the state it last published, and records a schema change on the coordinator for
 * each table whose distribution changed: the ordinary DDL history then carries it to every
 * consumer, in order. Shard moves and DDL that changes no distribution publish nothing.
 */
export class CitusTableWatcher {
  private running: Promise<void> = Promise.resolve();
  private pending = false;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly positions: FeedPositions,
    private readonly log: Logger,
  ) {}

  /** Something changed shards somewhere: compare (coalesced: one comparison per burst of hints). */
  hint(): Promise<void> {
    if (this.pending || this.stopped) return this.running;
    this.pending = true;
    this.running = this.running.then(async () => {
      this.pending = false;
      if (this.stopped) return;
      try {
        await this.compare();
      } catch (error) {
        this.log.warn({ err: error }, 'could not compare Citus table metadata; the data API still finds the change by polling');
      }
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async compare(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'distrag-feed-citus' });
    await client.connect();
    try {
      const current = await readCitusTableStates(client);
      if (current === null) return; // not a Citus coordinator
      const known = await this.positions.citusTables();
      const changes = known === null ? [] : diffCitusTables(known, current, await existingTables(client, Object.keys(known)));
      for (const change of changes) {
        await client.query('SELECT distrag_meta.publish_schema_change($1, $2, $3)', [change.tag, 'table', change.name]);
        this.log.info({ table: change.name, change: change.tag }, 'Citus changed a table\'s distribution: schema change recorded');
      }
      await this.positions.setCitusTables(current);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** The schema changes between two readings of Citus's metadata (tables keyed by oid). */
export function diffCitusTables(
  known: Record<string, CitusTableState>,
  current: Record<string, CitusTableState>,
  stillExisting: Set<string>,
): Array<{ tag: string; name: string }> {
  const changes: Array<{ tag: string; name: string }> = [];
  for (const [relid, state] of Object.entries(current)) {
    const before = known[relid];
    if (!before) changes.push({ tag: TAGS[state.kind], name: state.name });
    else if (before.kind !== state.kind || before.column !== state.column || before.colocation !== state.colocation) changes.push({ tag: TAGS.altered, name: state.name });
  }
  for (const [relid, state] of Object.entries(known)) {
    // Gone from Citus but still a table: undistributed. Gone altogether: DROP TABLE said so already.
    if (!current[relid] && stillExisting.has(relid)) changes.push({ tag: TAGS.undistributed, name: state.name });
  }
  return changes;
}

async function readCitusTableStates(client: pg.ClientBase): Promise<Record<string, CitusTableState> | null> {
  if (!(await hasCitus(client))) return null;
  const tables = await readCitusTables(client, true);
  return Object.fromEntries([...tables].map(([relid, t]) => [relid, { name: t.name, kind: t.type, column: t.column, colocation: t.colocation }]));
}

async function existingTables(client: pg.ClientBase, relids: string[]): Promise<Set<string>> {
  const { rows } = await client.query<{ relid: string }>(`SELECT oid::text AS relid FROM pg_catalog.pg_class WHERE oid = ANY($1::oid[])`, [relids]);
  return new Set(rows.map((r) => r.relid));
}
