import type { Logger } from 'pino';
import type { EventBus, Follower } from '../../../src/events/event-bus.js';
import type { SchemaIndex } from '../retrieve/schema-index.js';
import { summarizeTable } from '../retrieve/summarize-table.js';
import type { TableInfo } from '../retrieve/table-info.js';

export interface SchemaCatalogOptions {
  /** Reads the exposed tables from PostgreSQL. */
  read: () => Promise<TableInfo[]>;
  /** Null when no embedder is loaded: tables are then kept, not indexed. */
  index: SchemaIndex | null;
  bus: EventBus;
  log: Logger;
  /** Schema events within this window are handled as one refresh. */
  debounceMs?: number;
}

export type CatalogPhase = 'starting' | 'ready' | 'failed';

/**
 * The tables the ask path knows, kept in line with the database: read at start (the index is
 * rebuilt when its documents differ), then after each schema event (DDL, the data subgraph's new
 * schema once it has secured a table, a resync) re-read and compared by summary, so that only the
 * tables whose summary changed are re-embedded and dropped tables leave the index. A resync (events
 * may have been missed) and the admin's `reindex` rebuild the index in full.
 */
export class SchemaCatalog {
  #tables = new Map<string, TableInfo>();
  #phase: CatalogPhase = 'starting';
  #indexedAt: Date | null = null;
  #follower: Follower | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** A resync arrived since the last refresh: the next one rebuilds the index in full. */
  #fullPending = false;
  #running: Promise<void> = Promise.resolve();

  constructor(private readonly options: SchemaCatalogOptions) {}

  get phase(): CatalogPhase {
    return this.#phase;
  }

  /** When the index was last rebuilt in full. */
  get indexedAt(): Date | null {
    return this.#indexedAt;
  }

  tables(): ReadonlyMap<string, TableInfo> {
    return this.#tables;
  }

  async start(): Promise<void> {
    const after = await this.options.bus.lastId('schema');
    try {
      await this.#serialised(() => this.#refresh(false));
      this.#phase = 'ready';
    } catch (error) {
      this.#phase = 'failed';
      this.options.log.error({ err: error }, 'could not read or index the schema; asks will retry it on the next schema event');
    }
    this.#follower = this.options.bus.follow({
      kinds: ['schema'],
      after: { schema: after },
      onEvents: (events) => {
        const types = events.map((d) => (d.event as { type: string }).type);
        if (types.includes('resync')) this.#schedule(true);
        else if (types.some((t) => t === 'ddl' || t === 'subgraph-schema')) this.#schedule(false);
      },
      // Events may have been missed: everything may have changed.
      onResync: () => this.#schedule(true),
    });
  }

  /** Re-reads every table and rebuilds the index from scratch (admin `reindex`). */
  reindex(): Promise<void> {
    return this.#serialised(() => this.#refresh(true));
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    await this.#follower?.stop();
    await this.#running.catch(() => undefined);
  }

  #schedule(full: boolean): void {
    this.#fullPending ||= full;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const rebuild = this.#fullPending;
      this.#fullPending = false;
      this.#serialised(() => this.#refresh(rebuild)).then(
        () => {
          this.#phase = 'ready';
        },
        (error: unknown) => this.options.log.error({ err: error }, 'schema refresh failed; the next schema event retries it'),
      );
    }, this.options.debounceMs ?? 250);
  }

  /** One refresh at a time, in order. */
  #serialised(work: () => Promise<void>): Promise<void> {
    const next = this.#running.catch(() => undefined).then(work);
    this.#running = next;
    return next;
  }

  async #refresh(full: boolean): Promise<void> {
    const tables = await this.options.read();
    const fresh = new Map(tables.map((t) => [t.name, t]));
    const { index } = this.options;
    if (index) {
      const indexed = new Map(index.tables().map((t) => [t.name, summarizeTable(t)]));
      const changed = tables.filter((t) => indexed.get(t.name) !== summarizeTable(t));
      const gone = [...indexed.keys()].filter((name) => !fresh.has(name));
      if (full || (this.#indexedAt === null && (changed.length > 0 || gone.length > 0))) {
        await index.replaceAll(tables);
        this.#indexedAt = new Date();
        this.options.log.info({ tables: tables.length }, 'schema index rebuilt');
      } else {
        for (const table of changed) await index.upsert(table);
        for (const name of gone) await index.remove(name);
        if (this.#indexedAt === null) this.#indexedAt = new Date();
        if (changed.length + gone.length > 0) this.options.log.info({ changed: changed.map((t) => t.name), removed: gone }, 'schema index updated');
      }
    }
    this.#tables = fresh;
  }
}
