import { performance } from 'node:perf_hooks';
import pg from 'pg';

/** The table fault drills write to: one row per acknowledged commit, spread over tenants (shards). */
export const DRILL_TABLE = 'distrag_drill.acked_writes';

export interface WriterSummary {
  acknowledged: number;
  failed: number;
  /** Commit latencies of the acknowledged writes, in ms. */
  latenciesMs: number[];
  /** The longest stretch without an acknowledged commit while failures occurred (ms): the outage as a client saw it. */
  longestOutageMs: number;
}

/** Creates the drill table (distributed by tenant under Citus, so that every worker holds some of it). */
export async function createDrillTable(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS distrag_drill`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${DRILL_TABLE} (tenant int NOT NULL, seq bigint NOT NULL, PRIMARY KEY (tenant, seq))`);
    const { rows } = await client.query<{ citus: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus`);
    if (!rows[0]?.citus) return;
    const { rows: distributed } = await client.query(`SELECT 1 FROM pg_dist_partition WHERE logicalrelid = to_regclass($1)`, [DRILL_TABLE]);
    if (distributed.length === 0) await client.query(`SELECT create_distributed_table($1, 'tenant')`, [DRILL_TABLE]);
  } finally {
    await client.end();
  }
}

/**
 * Writes rows as fast as `concurrency` connections allow and remembers exactly which commits the
 * server acknowledged, so that after a fault the rows can be compared: every acknowledged commit
 * must be there (a write that failed or whose answer was lost may or may not be).
 */
export class AcknowledgedWriter {
  private readonly acknowledged: number[] = [];
  private readonly latencies: number[] = [];
  private failed = 0;
  /** Sequence numbers unique across writers on the same table (runs of a bench, earlier drills). */
  private next = Date.now() * 1000;
  private running = false;
  private workers: Array<Promise<void>> = [];
  private lastAck = 0;
  private outageStart: number | null = null;
  private longestOutage = 0;
  private readonly pool: pg.Pool;

  constructor(adminUrl: string, private readonly concurrency = 4, private readonly tenants = 32) {
    this.pool = new pg.Pool({ connectionString: adminUrl, max: concurrency, connectionTimeoutMillis: 2_000, idleTimeoutMillis: 1_000 });
    this.pool.on('error', () => undefined);
  }

  start(): void {
    this.running = true;
    this.lastAck = performance.now();
    this.workers = Array.from({ length: this.concurrency }, () => this.loop());
  }

  /** Resolves once at least `count` more commits have been acknowledged (writes are flowing again). */
  async waitForAcks(count: number, timeoutMs: number): Promise<void> {
    const target = this.acknowledged.length + count;
    const deadline = Date.now() + timeoutMs;
    while (this.acknowledged.length < target) {
      if (Date.now() > deadline) throw new Error(`only ${this.acknowledged.length - target + count} of ${count} writes acknowledged within ${timeoutMs} ms (${this.failed} failed so far)`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<WriterSummary> {
    this.running = false;
    await Promise.all(this.workers);
    await this.pool.end();
    return { acknowledged: this.acknowledged.length, failed: this.failed, latenciesMs: [...this.latencies], longestOutageMs: this.longestOutage };
  }

  /** The acknowledged commits missing from the table now (reads through `adminUrl`, retrying until it answers). */
  async missing(adminUrl: string, timeoutMs = 120_000): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        // Only commits acknowledged before the read began can be expected in its snapshot.
        const expected = this.acknowledged.slice();
        const { rows } = await client.query<{ seq: string }>(`SELECT seq::text FROM ${DRILL_TABLE}`);
        const present = new Set(rows.map((r) => Number(r.seq)));
        return expected.filter((seq) => !present.has(seq));
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const seq = ++this.next;
      const began = performance.now();
      try {
        await this.pool.query(`INSERT INTO ${DRILL_TABLE} (tenant, seq) VALUES ($1, $2)`, [seq % this.tenants, seq]);
        const now = performance.now();
        this.acknowledged.push(seq);
        this.latencies.push(now - began);
        if (this.outageStart !== null) this.longestOutage = Math.max(this.longestOutage, now - this.outageStart);
        this.outageStart = null;
        this.lastAck = now;
      } catch {
        this.failed++;
        this.outageStart ??= this.lastAck;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}
