import pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import type { Logger } from 'pino';
import type { EventBus } from '../events/event-bus.js';
import { createSlot, dropStaleSlots, publicationExists, PUBLICATION, readSlot, slotName } from './feed-slots.js';
import type { FeedPositions } from './feed-positions.js';
import { TransactionCoalescer } from './transaction-coalescer.js';
import type { DataChangeEvent } from '../events/event-types.js';

export interface DataNode {
  /** `coordinator`, `worker-<group>`. */
  name: string;
  /** Admin connection URL of the node. */
  url: string;
  /** A Citus worker: the feed gives it the event triggers that report Citus's shard DDL. */
  worker: boolean;
}

export interface NodeChangeReaderOptions {
  node: DataNode;
  schemas: string[];
  bus: EventBus;
  positions: FeedPositions;
  /** `schema.table` → tenant column (null: reference table); undefined for a table it does not know. */
  tenantColumn: (table: string) => Promise<string | null | undefined>;
  log: Logger;
  onPublished?: (node: string, events: number) => void;
  /** A committed transaction on this node created or dropped Citus shards (`distrag.citus_shards`). */
  onCitusShards?: (node: string) => void;
}

/** The logical-decoding message prefix of the event triggers' shard hints (007_citus_aware_ddl_events.sql). */
export const CITUS_SHARDS_MESSAGE = 'distrag.citus_shards';

type Phase = 'idle' | 'streaming' | 'retrying' | 'stopped';

const MAX_BACKOFF_MS = 10_000;

/**
 * Follows one node's changes by logical decoding (pgoutput) and publishes them as data events,
 * one per (table, tenant) per transaction, once the transaction has committed. A transaction is
 * acknowledged to PostgreSQL only after its events are on the bus, so a crash or a lost
 * connection replays it (at least once); replays of what was already published are skipped by
 * commit position. When the slot had to be created anew (lost, dropped, or a node restored from a
 * backup, which holds no slots), changes in between cannot be read: a `resync` event says so.
 */
export class NodeChangeReader {
  private phase: Phase = 'idle';
  private service: LogicalReplicationService | null = null;
  private readonly coalescer = new TransactionCoalescer();
  private commitLsn: string | null = null;
  private lastAcknowledged: string | null = null;
  /** The slot's confirmed position when the stream (re)started: safe to acknowledge again. */
  private confirmedAtStart: string | null = null;
  /** The transaction being decoded carried a Citus shard hint. */
  private shardsHinted = false;
  /** Set when handling a message failed: nothing after it may be published or acknowledged. */
  private broken = false;
  /** Committed transactions' events not yet on the bus, and the last commit they cover. */
  private batch: { events: DataChangeEvent[]; position: string | null; endLsn: string | null } = { events: [], position: null, endLsn: null };
  private highestQueued: string | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private flushScheduled = false;
  private flushFailed: ((error: Error) => void) | null = null;
  private readonly slot: string;
  private loop: Promise<void> | null = null;

  constructor(private readonly options: NodeChangeReaderOptions) {
    this.slot = slotName(options.node.name);
  }

  get state(): Phase {
    return this.phase;
  }

  start(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'retrying';
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.phase = 'stopped';
    await this.service?.stop().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = 200;
    while (!this.stopped()) {
      try {
        await this.prepare();
        await this.stream();
        backoff = 200;
      } catch (error) {
        if (this.stopped()) break;
        this.options.log.warn({ err: error, node: this.options.node.name }, `change stream of ${this.options.node.name} interrupted; reconnecting in ${backoff} ms`);
      }
      if (this.stopped()) break;
      this.phase = 'retrying';
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  private stopped(): boolean {
    return this.phase === 'stopped';
  }

  /** Publication and slot in place; a slot that had to be (re)created means a resync. */
  private async prepare(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.node.url });
    await client.connect();
    try {
      // The feed's role may not create publications: `up` prepares every node with the admin role.
      if (!(await publicationExists(client))) {
        throw new Error(`${this.options.node.name} has no publication ${PUBLICATION}; run \`npx distrag up\` (it prepares every node for the change feed)`);
      }
      const stale = await dropStaleSlots(client, this.slot);
      if (stale.length > 0) this.options.log.info({ node: this.options.node.name, slots: stale }, 'dropped replication slots DistRAG no longer uses');
      const state = await readSlot(client, this.slot);
      if (state.exists && state.walStatus === 'lost') {
        await client.query('SELECT pg_drop_replication_slot($1)', [this.slot]);
      }
      const created = await createSlot(client, this.slot);
      const known = await this.options.positions.lastCommit(this.slot);
      if (created && known !== null) {
        await this.options.bus.publish('data', { type: 'resync', node: this.options.node.name, reason: `the change stream of ${this.options.node.name} restarted without its position (slot lost or node restored)`, at: new Date().toISOString() });
      }
      if (created) await this.options.positions.forget(this.slot);
      this.confirmedAtStart = (await readSlot(client, this.slot)).confirmedFlush;
    } finally {
      await client.end();
    }
  }

  private async stream(): Promise<void> {
    const url = new URL(this.options.node.url);
    const service = new LogicalReplicationService(
      { host: url.hostname, port: Number(url.port || 5432), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: url.pathname.slice(1), application_name: 'distrag-feed' },
      // Acknowledged by hand once events are published; timeoutSeconds 0: the library must not
      // acknowledge what it merely received.
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    );
    this.service = service;
    this.broken = false;
    this.batch = { events: [], position: null, endLsn: null };
    this.highestQueued = null;
    this.flushing = Promise.resolve();
    this.flushScheduled = false;
    const failed = new Promise<never>((_, reject) => {
      service.on('error', (error: Error) => reject(error));
      this.flushFailed = reject;
    });
    service.on('data', (lsn: string, message: Pgoutput.Message) => this.handle(service, lsn, message));
    service.on('heartbeat', (_lsn: string, _timestamp: number, shouldRespond: boolean) => {
      // Answered even before the first transaction was acknowledged (a quiet node would otherwise
      // end the stream at wal_sender_timeout), with a position already confirmed: never ahead
      // of what is on the bus.
      const position = this.lastAcknowledged ?? this.confirmedAtStart;
      if (shouldRespond && position) void service.acknowledge(position).catch(() => undefined);
    });
    service.on('start', () => {
      this.phase = 'streaming';
      this.options.log.info({ node: this.options.node.name, slot: this.slot }, 'change stream started');
    });
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [PUBLICATION], messages: true });
    try {
      await Promise.race([service.subscribe(plugin, this.slot), failed]);
    } finally {
      this.flushFailed = null;
      await service.stop().catch(() => undefined);
      this.coalescer.reset();
    }
  }

  private async handle(service: LogicalReplicationService, lsn: string, message: Pgoutput.Message): Promise<void> {
    if (this.broken) return;
    try {
      await this.apply(service, lsn, message);
    } catch (error) {
      // The library goes on with the next message after an error: stop everything here, so that
      // no later transaction is acknowledged past this one. The reconnection replays it.
      this.broken = true;
      throw error;
    }
  }

  private async apply(service: LogicalReplicationService, lsn: string, message: Pgoutput.Message): Promise<void> {
    switch (message.tag) {
      case 'begin':
        this.coalescer.reset();
        this.shardsHinted = false;
        this.commitLsn = message.commitLsn;
        return;
      case 'message':
        if (message.transactional && message.prefix === CITUS_SHARDS_MESSAGE) this.shardsHinted = true;
        return;
      case 'insert':
        return this.record(message.relation, 'INSERT', [message.new]);
      case 'update':
        // The old row's tenant too: an admin may move a row to another tenant.
        return this.record(message.relation, 'UPDATE', [message.new, message.old ?? message.key]);
      case 'delete':
        return this.record(message.relation, 'DELETE', [message.old ?? message.key]);
      case 'truncate':
        for (const relation of message.relations) this.coalescer.add({ table: `${relation.schema}.${relation.name}`, op: 'TRUNCATE', tenant: null });
        return;
      case 'commit':
        return this.commit(service, message.commitEndLsn ?? lsn, message.commitTime);
      default:
        return;
    }
  }

  private async record(relation: Pgoutput.MessageRelation, op: 'INSERT' | 'UPDATE' | 'DELETE', rows: Array<Record<string, unknown> | null>): Promise<void> {
    const table = `${relation.schema}.${relation.name}`;
    const column = await this.options.tenantColumn(table);
    if (column === undefined) return; // not an exposed table
    const tenants = new Set<string | null>();
    for (const row of rows) {
      if (!row) continue;
      const value = column === null ? null : row[column];
      tenants.add(value === null || value === undefined ? null : String(value));
    }
    for (const tenant of tenants) this.coalescer.add({ table, op, tenant });
  }

  /**
   * A committed transaction: its events join the batch being published. Batches go out in order,
   * one pipeline each, and the last commit of a batch is acknowledged only once the batch is on
   * the bus; meanwhile decoding goes on, up to MAX_BATCH_EVENTS waiting (then it waits too).
   */
  private async commit(service: LogicalReplicationService, endLsn: string, commitTime: unknown): Promise<void> {
    if (this.shardsHinted) {
      this.shardsHinted = false;
      this.options.onCitusShards?.(this.options.node.name);
    }
    const position = this.commitLsn ?? endLsn;
    const last = this.highestQueued ?? (await this.options.positions.lastCommit(this.slot));
    if (this.coalescer.size > 0 && (last === null || compareLsn(position, last) > 0)) {
      // pg-logical-replication reports commit times in microseconds since the Unix epoch.
      const at = typeof commitTime === 'bigint' ? new Date(Number(commitTime / 1000n)).toISOString() : new Date().toISOString();
      this.batch.events.push(...this.coalescer.flush(at, this.options.node.name));
      this.batch.position = position;
      this.highestQueued = position;
    }
    this.coalescer.reset();
    this.batch.endLsn = endLsn;
    this.scheduleFlush(service);
    if (this.batch.events.length >= MAX_BATCH_EVENTS) await this.flushing;
  }

  private scheduleFlush(service: LogicalReplicationService): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.flushing = this.flushing
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => this.flush(service))
      .catch((error: unknown) => {
        this.broken = true;
        this.flushFailed?.(error instanceof Error ? error : new Error(String(error)));
      });
  }

  private async flush(service: LogicalReplicationService): Promise<void> {
    this.flushScheduled = false;
    const batch = this.batch;
    this.batch = { events: [], position: null, endLsn: null };
    if (this.broken) return;
    if (batch.events.length > 0) {
      await this.options.bus.publish('data', ...batch.events);
      await this.options.positions.setLastCommit(this.slot, batch.position!);
      this.options.onPublished?.(this.options.node.name, batch.events.length);
    }
    if (batch.endLsn) {
      this.lastAcknowledged = batch.endLsn;
      await service.acknowledge(batch.endLsn);
    }
  }
}

/** Events waiting to be published before decoding waits for the bus. */
const MAX_BATCH_EVENTS = 5_000;

/** Orders `X/Y` LSNs. */
export function compareLsn(a: string, b: string): number {
  const value = (lsn: string) => {
    const [high, low] = lsn.split('/');
    return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
  };
  const diff = value(a) - value(b);
  return diff === 0n ? 0 : diff > 0n ? 1 : -1;
}
