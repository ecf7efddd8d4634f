import pg from 'pg';
import type { Logger } from 'pino';
import type { EventBus } from '../events/event-bus.js';
import type { DdlEvent } from '../events/event-types.js';
import type { FeedPositions } from './feed-positions.js';

/** Versions kept in distrag_meta.schema_changes; older rows are pruned. */
const KEEP_VERSIONS = 10_000;
const MAX_BACKOFF_MS = 10_000;

interface SchemaChangeRow {
  version: string;
  command_tag: string;
  object_type: string;
  object_identity: string;
  at: Date;
}

/**
 * Forwards DDL to the event bus. The event trigger records every DDL command in
 * distrag_meta.schema_changes with a version and NOTIFYs `distrag_schema`; a notification only
 * says "read on". Reading by version from the last one published makes the forwarder lose nothing
 * across a dropped LISTEN connection or its own restart; only when the versions it needs are gone
 * (pruned, or its position lost with the bus) does it publish a `resync`.
 */
export class SchemaChangeForwarder {
  private stopped = false;
  private client: pg.Client | null = null;
  private pending: Promise<void> = Promise.resolve();
  private loop: Promise<void> | null = null;
  private connected = false;

  constructor(
    private readonly url: string,
    private readonly bus: EventBus,
    private readonly positions: FeedPositions,
    private readonly log: Logger,
    private readonly onPublished?: (events: number) => void,
  ) {}

  get listening(): boolean {
    return this.connected;
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
    await this.loop;
    await this.pending;
  }

  private async run(): Promise<void> {
    let backoff = 200;
    while (!this.stopped) {
      const client = new pg.Client({ connectionString: this.url, application_name: 'distrag-feed-schema' });
      this.client = client;
      try {
        const ended = new Promise<void>((resolve) => {
          client.on('end', () => resolve());
          client.on('error', (error) => {
            this.log.warn({ err: error }, 'schema change connection failed');
            resolve();
          });
        });
        await client.connect();
        client.on('notification', () => this.catchUp());
        await client.query('LISTEN distrag_schema');
        this.connected = true;
        backoff = 200;
        // Whatever happened while nobody listened.
        await this.catchUp();
        await ended;
      } catch (error) {
        if (!this.stopped) this.log.warn({ err: error }, `schema change listener disconnected; reconnecting in ${backoff} ms`);
      } finally {
        this.connected = false;
        await client.end().catch(() => undefined);
      }
      if (this.stopped) break;
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  /** Publishes every recorded change after the last one published, in version order (serialised). */
  catchUp(): Promise<void> {
    this.pending = this.pending.then(() => this.publishNew()).catch((error: unknown) => {
      this.log.warn({ err: error }, 'publishing schema changes failed; will retry on the next notification or reconnection');
      // Retry soon even without a notification: the bus may just be restarting.
      if (!this.stopped) setTimeout(() => void this.catchUp(), 1_000).unref();
    });
    return this.pending;
  }

  private async publishNew(): Promise<void> {
    const client = this.client;
    if (!client || !this.connected) return;
    const { rows: bounds } = await client.query<{ min: string | null; max: string | null }>('SELECT min(version)::text AS min, max(version)::text AS max FROM distrag_meta.schema_changes');
    const oldest = bounds[0]?.min === null ? null : Number(bounds[0]!.min);
    const newest = bounds[0]?.max === null ? 0 : Number(bounds[0]!.max);
    const stored = await this.positions.schemaVersion();
    if (stored === null || (oldest !== null && stored < oldest - 1) || stored > newest) {
      // No position, one from before what the table still holds, or one from the future (a
      // restored database): continuity cannot be shown.
      if (stored !== null || newest > 0) {
        await this.bus.publish('schema', { type: 'resync', reason: 'schema change history is incomplete; the position of the schema feed was lost', at: new Date().toISOString() });
      }
      await this.positions.setSchemaVersion(newest);
      return;
    }
    let last: number = stored;
    for (;;) {
      const { rows }: { rows: SchemaChangeRow[] } = await client.query<SchemaChangeRow>(
        'SELECT version::text AS version, command_tag, object_type, object_identity, at FROM distrag_meta.schema_changes WHERE version > $1 ORDER BY version LIMIT 500',
        [last],
      );
      if (rows.length === 0) break;
      const events: DdlEvent[] = rows.map((r): DdlEvent => ({
        type: 'ddl',
        version: Number(r.version),
        commandTag: r.command_tag,
        objectType: r.object_type,
        objectIdentity: r.object_identity,
        at: r.at.toISOString(),
      }));
      await this.bus.publish('schema', ...events);
      last = events.at(-1)!.version;
      await this.positions.setSchemaVersion(last);
      this.onPublished?.(events.length);
    }
    // Bounded history, trimmed in batches.
    if (oldest !== null && newest - oldest > KEEP_VERSIONS + 1_000) {
      await client.query('DELETE FROM distrag_meta.schema_changes WHERE version <= $1', [newest - KEEP_VERSIONS]);
    }
  }
}
