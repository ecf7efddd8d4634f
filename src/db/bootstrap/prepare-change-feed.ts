import pg from 'pg';
import { ensurePublication } from '../../feed/feed-slots.js';
import { ensureWorkerEventTriggers } from './worker-event-triggers.js';

/**
 * Sets a node up for the change feed with the admin credentials the feed does not hold: the
 * node's own publication of the exposed schemas and, on a Citus worker, the event triggers that
 * report shard DDL. Idempotent; `up` runs it for every node at every start.
 */
export async function prepareNodeForChangeFeed(adminUrl: string, options: { schemas: string[]; worker: boolean }): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'distrag-bootstrap' });
  await client.connect();
  try {
    await ensurePublication(client, options.schemas);
    if (options.worker) await ensureWorkerEventTriggers(client);
  } finally {
    await client.end();
  }
}
