import type { Redis } from 'ioredis';
import type { CitusTableState } from './citus-table-watcher.js';

/**
 * Where the change feed stands, kept in Redis next to the events it publishes: the commit
 * position of the last transaction published per slot (replays up to it are duplicates), the
 * last schema change version published, and Citus's table metadata as last compared.
 */
export class FeedPositions {
  private readonly commits = new Map<string, string | null>();

  constructor(private readonly redis: Redis) {}

  async lastCommit(slot: string): Promise<string | null> {
    if (!this.commits.has(slot)) this.commits.set(slot, await this.redis.get(`distrag:feed:commit:${slot}`));
    return this.commits.get(slot) ?? null;
  }

  async setLastCommit(slot: string, lsn: string): Promise<void> {
    await this.redis.set(`distrag:feed:commit:${slot}`, lsn);
    this.commits.set(slot, lsn);
  }

  async forget(slot: string): Promise<void> {
    await this.redis.del(`distrag:feed:commit:${slot}`);
    this.commits.set(slot, null);
  }

  async schemaVersion(): Promise<number | null> {
    const value = await this.redis.get('distrag:feed:schema-version');
    return value === null ? null : Number(value);
  }

  async setSchemaVersion(version: number): Promise<void> {
    await this.redis.set('distrag:feed:schema-version', String(version));
  }

  async citusTables(): Promise<Record<string, CitusTableState> | null> {
    const value = await this.redis.get('distrag:feed:citus-tables');
    return value === null ? null : (JSON.parse(value) as Record<string, CitusTableState>);
  }

  async setCitusTables(tables: Record<string, CitusTableState>): Promise<void> {
    await this.redis.set('distrag:feed:citus-tables', JSON.stringify(tables));
  }
}
