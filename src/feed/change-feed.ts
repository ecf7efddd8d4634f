import pg from 'pg';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { readTenantColumns } from '../db/tenancy.js';
import type { EventBus } from '../events/event-bus.js';
import { CitusTableWatcher } from './citus-table-watcher.js';
import { readDataNodes } from './data-nodes.js';
import type { FeedPositions } from './feed-positions.js';
import { dropSlot, readSlot, slotName } from './feed-slots.js';
import { NodeChangeReader, type DataNode } from './node-change-reader.js';
import { SchemaChangeForwarder } from './schema-change-forwarder.js';

export interface ChangeFeedOptions {
  /** The feed's replication role on the coordinator; the same role and password reach the workers. */
  url: string;
  schemas: string[];
  tenantColumn: string;
  bus: EventBus;
  positions: FeedPositions;
  log: Logger;
  registry: Registry;
  /** How often cluster membership and slot sizes are read (ms). */
  pollMs: number;
}

export interface FeedStatus {
  schemaListener: boolean;
  nodes: Array<{ name: string; slot: string; state: string; retainedWalBytes: number | null; walStatus: string | null }>;
}

type Phase = 'idle' | 'running' | 'stopped';

/**
 * The change feed: DDL from the coordinator's event trigger, and row changes by logical
 * decoding from every node that holds data, followed as nodes join and leave, all published on
 * the event bus. It owns its replication slots (`distrag_feed_<node>`) and reports the WAL they
 * hold (bounded on every node by max_slot_wal_keep_size).
 */
export class ChangeFeed {
  private phase: Phase = 'idle';
  private readonly readers = new Map<string, { node: DataNode; reader: NodeChangeReader }>();
  private readonly forwarder: SchemaChangeForwarder;
  private readonly citusTables: CitusTableWatcher;
  private tenancy = new Map<string, string | null>();
  private tenancyReadAt = 0;
  private tenancyRefresh: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly retained: Gauge<'node'>;
  private readonly published: Counter<'kind'>;
  private readonly slotStatus = new Map<string, { retainedWalBytes: number; walStatus: string | null }>();

  constructor(private readonly options: ChangeFeedOptions) {
    this.retained = new Gauge({ name: 'distrag_feed_slot_retained_wal_bytes', help: 'WAL each node keeps for the change feed\'s replication slot', labelNames: ['node'], registers: [options.registry] });
    this.published = new Counter({ name: 'distrag_feed_events_published_total', help: 'Events the change feed published, by kind', labelNames: ['kind'], registers: [options.registry] });
    this.forwarder = new SchemaChangeForwarder(options.url, options.bus, options.positions, options.log, (n) => {
      this.published.inc({ kind: 'schema' }, n);
      // A table may have become tenant-scoped, shared, or new: read tenancy again.
      this.tenancyReadAt = 0;
    });
    this.citusTables = new CitusTableWatcher(options.url, options.positions, options.log);
  }

  async start(): Promise<void> {
    if (this.phase !== 'idle') throw new Error(`ChangeFeed cannot start from phase ${this.phase}`);
    this.phase = 'running';
    await this.refreshTenancy();
    this.forwarder.start();
    // What Citus did to tables while the feed was away (and the state to compare hints with).
    await this.citusTables.hint();
    await this.syncNodes();
    this.timer = setInterval(() => void this.maintain(), this.options.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.phase = 'stopped';
    if (this.timer) clearInterval(this.timer);
    await Promise.all([this.forwarder.stop(), this.citusTables.stop(), ...[...this.readers.values()].map((r) => r.reader.stop())]);
  }

  status(): FeedStatus {
    return {
      schemaListener: this.forwarder.listening,
      nodes: [...this.readers.values()].map(({ node, reader }) => ({
        name: node.name,
        slot: slotName(node.name),
        state: reader.state,
        retainedWalBytes: this.slotStatus.get(node.name)?.retainedWalBytes ?? null,
        walStatus: this.slotStatus.get(node.name)?.walStatus ?? null,
      })),
    };
  }

  /** Ready when DDL is listened to and every node's changes stream. */
  readiness(): string | null {
    if (!this.forwarder.listening) return 'not listening for schema changes';
    const behind = [...this.readers.values()].filter((r) => r.reader.state !== 'streaming').map((r) => r.node.name);
    return behind.length === 0 ? null : `change stream not running for ${behind.join(', ')}`;
  }

  private async maintain(): Promise<void> {
    if (this.phase !== 'running') return;
    try {
      await this.syncNodes();
      await this.readSlotSizes();
    } catch (error) {
      this.options.log.warn({ err: error }, 'change feed maintenance failed; will retry');
    }
  }

  /** Starts a reader for every node that holds data, stops those of nodes that left. */
  private async syncNodes(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url });
    await client.connect();
    let nodes: DataNode[];
    try {
      nodes = await readDataNodes(client, this.options.url);
    } finally {
      await client.end();
    }
    for (const node of nodes) {
      if (this.readers.has(node.name) || this.phase !== 'running') continue;
      const reader = new NodeChangeReader({
        node,
        schemas: this.options.schemas,
        bus: this.options.bus,
        positions: this.options.positions,
        tenantColumn: (table) => this.tenantColumn(table),
        log: this.options.log,
        onPublished: (_node, count) => this.published.inc({ kind: 'data' }, count),
        onCitusShards: () => void this.citusTables.hint(),
      });
      this.readers.set(node.name, { node, reader });
      reader.start();
      this.options.log.info({ node: node.name }, 'following the node\'s changes');
    }
    for (const [name, { node, reader }] of this.readers) {
      if (nodes.some((n) => n.name === name)) continue;
      this.readers.delete(name);
      await reader.stop();
      this.retained.remove({ node: name });
      await this.dropSlotOf(node);
      this.options.log.info({ node: name }, 'node left the cluster; its change stream stopped');
    }
  }

  /** A departed node's slot would hold its WAL forever: dropped if the node can still be reached. */
  private async dropSlotOf(node: DataNode): Promise<void> {
    const client = new pg.Client({ connectionString: node.url, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await dropSlot(client, slotName(node.name));
    } catch (error) {
      this.options.log.warn({ err: error, node: node.name }, 'could not drop the slot of a node that left; drop it there by hand if it comes back');
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async readSlotSizes(): Promise<void> {
    for (const { node } of this.readers.values()) {
      const client = new pg.Client({ connectionString: node.url });
      try {
        await client.connect();
        const state = await readSlot(client, slotName(node.name));
        this.retained.set({ node: node.name }, state.retainedBytes);
        this.slotStatus.set(node.name, { retainedWalBytes: state.retainedBytes, walStatus: state.walStatus });
      } catch {
        this.slotStatus.delete(node.name);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }

  /** A table's tenant column (null: shared), or undefined when the table is not exposed. */
  private async tenantColumn(table: string): Promise<string | null | undefined> {
    if (!this.tenancy.has(table) || this.tenancyReadAt === 0) await this.refreshTenancy(1_000);
    return this.tenancy.get(table);
  }

  private refreshTenancy(minAgeMs = 0): Promise<void> {
    if (this.tenancyReadAt !== 0 && Date.now() - this.tenancyReadAt < minAgeMs) return Promise.resolve();
    this.tenancyRefresh ??= (async () => {
      const client = new pg.Client({ connectionString: this.options.url });
      await client.connect();
      try {
        this.tenancy = await readTenantColumns(client, this.options.schemas, this.options.tenantColumn);
        this.tenancyReadAt = Date.now();
      } finally {
        await client.end();
        this.tenancyRefresh = null;
      }
    })();
    return this.tenancyRefresh;
  }
}
