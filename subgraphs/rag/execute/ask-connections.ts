import type pg from 'pg';
import type { Logger } from 'pino';
import { createPgPool } from '../../../src/db/pg-pool.js';
import { LruMap } from '../../../src/lru-map.js';
import { askRoleName } from './ask-role-name.js';
import { askRolePassword } from './ask-role-password.js';

/** PostgreSQL's codes for a login that failed because the role or its password is not (yet) there. */
const LOGIN_REFUSED = new Set(['28P01', '28000']);

export interface AskConnectionsOptions {
  /** The RAG service's own role: makes tenants' ask roles (distrag_meta.ensure_ask_role). */
  ragUrl: string;
  /** The role an admin's ask of every tenant runs as. */
  askAllUrl: string;
  log: Logger;
  /** Tenants whose pools stay open; the least recently used beyond it are closed. */
  maxTenantPools?: number;
  /** Connections per tenant pool. */
  connectionsPerTenant?: number;
}

/**
 * Connections for the SQL of `ask`: one small pool per tenant, logged in as that tenant's ask role
 * (whose row-level security cannot be widened from inside a session), and one as the ask-all role
 * for an admin's question about every tenant. A tenant's role is made the first time its login is
 * refused, then the login is tried again.
 */
export class AskConnections {
  readonly #rag: pg.Pool;
  readonly #askAll: pg.Pool;
  readonly #tenants: LruMap<string, Promise<pg.Pool>>;
  readonly #ragPassword: string;

  constructor(private readonly options: AskConnectionsOptions) {
    this.#rag = createPgPool(options.ragUrl, options.log, { max: 2, applicationName: 'distrag-rag' });
    this.#askAll = createPgPool(options.askAllUrl, options.log, { max: 4, applicationName: 'distrag-ask' });
    this.#ragPassword = decodeURIComponent(new URL(options.ragUrl).password);
    this.#tenants = new LruMap(options.maxTenantPools ?? 64, (_tenant, pool) => void pool.then((p) => p.end()).catch(() => undefined));
  }

  /** The RAG service's own pool (catalog reads). */
  get rag(): pg.Pool {
    return this.#rag;
  }

  /** A client for one tenant's asks, or (tenant null) for every tenant's rows. Release it when done. */
  async connect(tenant: string | null): Promise<pg.PoolClient> {
    if (tenant === null) return this.#askAll.connect();
    const role = askRoleName(tenant);
    const pending = this.#tenants.remember(tenant, () => Promise.resolve(this.#tenantPool(tenant, role)));
    const pool = await pending;
    try {
      return await pool.connect();
    } catch (error) {
      if (!LOGIN_REFUSED.has((error as { code?: string }).code ?? '')) throw error;
      await this.#ensureRole(tenant);
      return pool.connect();
    }
  }

  async close(): Promise<void> {
    const tenantPools = await Promise.all([...this.#tenants.values()].map((p) => p.catch(() => null)));
    this.#tenants.clear();
    await Promise.all([this.#rag.end(), this.#askAll.end(), ...tenantPools.map((p) => p?.end())]);
  }

  #tenantPool(tenant: string, role: string): pg.Pool {
    const url = new URL(this.options.askAllUrl);
    url.username = role;
    url.password = encodeURIComponent(askRolePassword(this.#ragPassword, tenant));
    return createPgPool(url.toString(), this.options.log, { max: this.options.connectionsPerTenant ?? 2, applicationName: 'distrag-ask' });
  }

  async #ensureRole(tenant: string): Promise<void> {
    await this.#rag.query('SELECT distrag_meta.ensure_ask_role($1, $2)', [tenant, askRolePassword(this.#ragPassword, tenant)]);
    this.options.log.info({ tenant }, 'ask role made for the tenant');
  }
}
