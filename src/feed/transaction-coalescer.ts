import type { DataChangeEvent, DataOp } from '../events/event-types.js';

/** One row change as logical decoding reports it, reduced to what events carry. */
export interface RowChange {
  /** `schema.table` */
  table: string;
  op: Exclude<DataOp, 'MIXED'>;
  /** Tenant-column value; null for reference tables and TRUNCATE. */
  tenant: string | null;
}

/**
 * Collects the row changes of one transaction and turns them into one event per (table,
 * tenant): a transaction that writes 10 000 rows of one tenant is one event. Several kinds of
 * change to the same rows make the op MIXED.
 */
export class TransactionCoalescer {
  private readonly changes = new Map<string, { table: string; tenant: string | null; ops: Set<RowChange['op']> }>();

  add(change: RowChange): void {
    const key = `${change.table}\u0000${change.tenant ?? ''}\u0000${change.tenant === null ? 'null' : 'value'}`;
    let entry = this.changes.get(key);
    if (!entry) this.changes.set(key, (entry = { table: change.table, tenant: change.tenant, ops: new Set() }));
    entry.ops.add(change.op);
  }

  get size(): number {
    return this.changes.size;
  }

  /** The transaction's events, and a clean slate for the next one. */
  flush(at: string, node: string): DataChangeEvent[] {
    const events = [...this.changes.values()].map((c): DataChangeEvent => ({
      type: 'change',
      table: c.table,
      op: c.ops.size === 1 ? [...c.ops][0]! : 'MIXED',
      tenant: c.tenant,
      at,
      node,
    }));
    this.changes.clear();
    return events;
  }

  reset(): void {
    this.changes.clear();
  }
}
