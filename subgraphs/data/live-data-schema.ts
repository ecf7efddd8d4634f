import type pg from 'pg';
import type { Logger } from 'pino';
import type { SubgraphSchemaSource } from '../../src/service/subgraph-schema.js';
import { readCatalogFingerprint } from './catalog/catalog-fingerprint.js';
import { readCatalog, readRowEstimates, type ReadCatalogOptions } from './catalog/read-catalog.js';
import { buildDataSchema, type DataSchema, type DataSchemaOptions } from './graphql/build-data-schema.js';
import { secureTables } from './security/secure-tables.js';

export interface LiveDataSchemaOptions extends ReadCatalogOptions {
  schemaOptions: DataSchemaOptions;
  /** How often the catalog fingerprint is compared (ms). */
  pollMs: number;
  /** How often row estimates (cost limits) are re-read (ms). */
  estimatesMs: number;
}

type Phase = 'idle' | 'running' | 'stopped';

const SECURING_RETRY_FIRST_MS = 1_000;
const SECURING_RETRY_MAX_MS = 30_000;

/**
 * The data subgraph's schema, kept in step with the database: the catalog fingerprint is polled,
 * and on a change every table is secured (row-level security, grants) before the API is rebuilt
 * from the catalog and listeners are told. A build that fails keeps the previous schema and is not
 * retried until the catalog changes again. A table that could not be secured because another
 * transaction held a lock on it (see secureTables) is tried again after a short, growing delay.
 */
export class LiveDataSchema implements SubgraphSchemaSource {
  private phase: Phase = 'idle';
  private built: DataSchema | null = null;
  private fingerprint: string | null = null;
  private failedFingerprint: string | null = null;
  private mode: 'SINGLE' | 'CITUS' = 'SINGLE';
  private readonly listeners: Array<() => void> = [];
  private timers: NodeJS.Timeout[] = [];
  private busy: Promise<void> = Promise.resolve();
  private securingRetry: NodeJS.Timeout | null = null;
  private securingDelayMs = SECURING_RETRY_FIRST_MS;

  constructor(private readonly catalog: pg.Pool, private readonly options: LiveDataSchemaOptions, private readonly log: Logger) {}

  /** Builds the first schema (throws if it cannot), then watches. */
  async start(): Promise<void> {
    if (this.phase !== 'idle') throw new Error(`LiveDataSchema cannot start from phase ${this.phase}`);
    await this.refresh();
    this.phase = 'running';
    this.timers = [
      setInterval(() => void this.serialised(() => this.checkForChanges()), this.options.pollMs),
      setInterval(() => void this.serialised(() => this.refreshEstimates()), this.options.estimatesMs),
    ];
    for (const timer of this.timers) timer.unref();
  }

  async stop(): Promise<void> {
    this.phase = 'stopped';
    for (const timer of this.timers) clearInterval(timer);
    if (this.securingRetry) clearTimeout(this.securingRetry);
    await this.busy;
  }

  current(): DataSchema {
    if (!this.built) throw new Error('the data schema has not been built yet');
    return this.built;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Checks the catalog once now (tests; normally the poll does it). */
  checkNow(): Promise<void> {
    return this.serialised(() => this.checkForChanges());
  }

  private serialised(step: () => Promise<void>): Promise<void> {
    this.busy = this.busy.then(async () => {
      if (this.phase === 'stopped') return;
      try {
        await step();
      } catch (error) {
        this.log.warn({ err: error }, 'data schema check failed; will try again');
      }
    });
    return this.busy;
  }

  private async checkForChanges(): Promise<void> {
    const client = await this.catalog.connect();
    let fingerprint: string;
    try {
      fingerprint = await readCatalogFingerprint(client, this.options.schemas, this.mode === 'CITUS');
    } finally {
      client.release();
    }
    if (fingerprint === this.fingerprint || fingerprint === this.failedFingerprint) return;
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    const client = await this.catalog.connect();
    let catalog;
    try {
      // Secure, then read again, until the catalog read is one that needs no securing: DDL may
      // land between the read and the securing (a table registered as reference meanwhile).
      for (let round = 1; ; round++) {
        catalog = await readCatalog(client, this.options);
        const secured = await secureTables(client, catalog.tables, this.log);
        this.afterSecuring(secured.deferred);
        if (secured.changed.length === 0) break;
        if (round === 5) {
          catalog = await readCatalog(client, this.options);
          break;
        }
      }
    } finally {
      client.release();
    }
    this.mode = catalog.mode;
    let next: DataSchema;
    try {
      next = buildDataSchema(catalog, this.options.schemaOptions);
    } catch (error) {
      this.failedFingerprint = catalog.fingerprint;
      if (!this.built) throw error;
      this.log.error({ err: error }, 'could not build the data API for the new catalog; still serving the previous one');
      return;
    }
    this.fingerprint = catalog.fingerprint;
    this.failedFingerprint = null;
    for (const skipped of next.model.skipped) this.log.warn(skipped, 'table left out of the data API');
    // Also when the SDL is the same (a policy, a grant, Citus metadata changed): the resolvers and
    // dataCatalog read the new model. The gateway recomposes only when the SDL version changes.
    this.built = next;
    this.log.info({ version: next.version.slice(0, 12), tables: next.model.tables.length, mode: catalog.mode }, 'data API built from the catalog');
    for (const listener of this.listeners) listener();
  }

  /** Schedules another refresh while some table could not be secured (1 s, doubling up to 30 s). */
  private afterSecuring(deferred: string[]): void {
    if (deferred.length === 0) {
      this.securingDelayMs = SECURING_RETRY_FIRST_MS;
      return;
    }
    if (this.securingRetry || this.phase === 'stopped') return;
    const delay = this.securingDelayMs;
    this.securingDelayMs = Math.min(SECURING_RETRY_MAX_MS, delay * 2);
    this.securingRetry = setTimeout(() => {
      this.securingRetry = null;
      void this.serialised(() => this.refresh());
    }, delay);
    this.securingRetry.unref();
  }

  private async refreshEstimates(): Promise<void> {
    if (!this.built) return;
    const client = await this.catalog.connect();
    try {
      const estimates = await readRowEstimates(client, this.built.model.tables.map((t) => t.catalog));
      for (const table of this.built.model.tables) {
        if (estimates.has(table.catalog.oid)) table.catalog.estimatedRows = estimates.get(table.catalog.oid) ?? null;
      }
    } finally {
      client.release();
    }
  }
}
