import pg from 'pg';
import type { Logger } from 'pino';
import type { Role } from '../../../src/auth/identity.js';

export interface ApiPoolOptions {
  /** Each API role's connection URL (the data subgraph is given these, never the admin URL). */
  urls: Readonly<Record<Role, string>>;
  /** Connections per role. */
  max: number;
  statementTimeoutMs: number;
  applicationName: string;
}

/**
 * One connection pool per API role (reader, writer, admin → distrag_reader, distrag_writer,
 * distrag_operator), created on first use. Sessions run in UTC, so timestamptz values render with
 * a `+00:00` offset, under the statement timeout.
 */
export class ApiPools {
  private readonly pools = new Map<Role, pg.Pool>();

  constructor(private readonly options: ApiPoolOptions, private readonly log: Logger) {}

  for(role: Role): pg.Pool {
    let pool = this.pools.get(role);
    if (!pool) {
      pool = new pg.Pool({
        connectionString: this.options.urls[role],
        max: this.options.max,
        application_name: this.options.applicationName,
        statement_timeout: this.options.statementTimeoutMs,
        options: '-c TimeZone=UTC',
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: 5_000,
        // Each connection keeps the statements it prepared (one per operation shape): a fresh
        // connection now and then bounds that memory on both sides.
        maxUses: 2_000,
      });
      pool.on('error', (error) => this.log.warn({ err: error, role }, 'idle PostgreSQL client failed; it was discarded'));
      this.pools.set(role, pool);
    }
    return pool;
  }

  async end(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end()));
    this.pools.clear();
  }
}
