import { createHash } from 'node:crypto';
import DataLoader from 'dataloader';
import type pg from 'pg';
import type { Identity } from '../../../src/auth/identity.js';
import { badInput, forbidden } from '../../../src/errors/safe-error.js';
import type { ApiModel } from '../api-model/api-model.js';
import { estimateRootCost } from '../plan/estimate-cost.js';
import type { MutationPlan, RootPlan } from '../plan/plan-types.js';
import { compileMutation } from '../sql/compile-mutation.js';
import { compileDocument, compileRoots } from '../sql/compile-select.js';
import { sql, type SqlScope } from '../sql/sql-parts.js';
import type { ApiPools } from './api-pools.js';
import { emptyMutationResult, isCitusZeroShardModifyError } from './citus-empty-modify.js';
import { runScoped, SEQUENTIAL_MODIFY, tenantSetStatement, type StatementScope } from './run-scoped.js';

export interface RunnerDeps {
  model: ApiModel;
  pools: ApiPools;
  maxCost: number;
  /** Counts statements sent, by kind (metrics). */
  onStatement?: (kind: 'query' | 'mutation', seconds: number) => void;
}

/**
 * Runs one GraphQL request's SQL. Query fields asked for in the same tick (every root field of
 * an operation, every `_entities` representation) are batched into ONE statement; each mutation
 * field is one statement of its own. Everything runs as the caller's database role, under its
 * tenant, and the operation's estimated rows are held to the cost limit before anything runs.
 */
export class OperationRunner {
  private cost = 0;
  private readonly loader: DataLoader<RootPlan, unknown>;
  private readonly tenant: string | null;
  private setStatement: string | null | undefined;

  constructor(private readonly deps: RunnerDeps, private readonly identity: Identity) {
    // Admins act across tenants (their role bypasses row-level security); a tenant claim on an
    // admin token does not narrow the data API.
    this.tenant = identity.role === 'admin' ? null : identity.tenant;
    this.loader = new DataLoader((plans) => this.runQueries(plans), { cache: false, maxBatchSize: 100 });
  }

  /** Whether these query fields stay within the cost limit (counted towards this request). */
  withinCost(plans: RootPlan[]): boolean {
    for (const plan of plans) this.cost += estimateRootCost(plan);
    return this.cost <= this.deps.maxCost;
  }

  /**
   * A whole `data` object as JSON text, in one statement: each entry a root field (or the
   * `__typename` of Query, given as a string).
   */
  async loadDocument(entries: Array<{ key: string; plan: RootPlan | string }>): Promise<string> {
    const started = process.hrtime.bigint();
    const statement = prepared(sql.compile(compileDocument(entries, this.sqlScope())));
    const result = await runScoped(this.pool(), this.scope(true), this.settings(), statement);
    this.deps.onStatement?.('query', Number(process.hrtime.bigint() - started) / 1e9);
    return (result.rows[0] as { data: string }).data;
  }

  /** A query field's JSON value. */
  load(plan: RootPlan): Promise<unknown> {
    if (!this.withinCost([plan])) {
      return Promise.reject(badInput(`this operation may return about ${Math.round(this.cost)} rows, over the limit of ${this.deps.maxCost}; lower the limits of nested lists or split the operation`));
    }
    return this.loader.load(plan);
  }

  /** A mutation field's JSON value (`affectedRows`, `returning`). */
  async mutate(plan: MutationPlan): Promise<unknown> {
    const started = process.hrtime.bigint();
    const statement = prepared(sql.compile(compileMutation(plan, this.sqlScope())));
    const scope = this.scope(false);
    let result: pg.QueryResult;
    try {
      const writesReference = scope.citus && plan.table.catalog.citus !== 'distributed';
      result = await runScoped(this.pool(), scope, writesReference ? [...this.settings(), SEQUENTIAL_MODIFY] : this.settings(), statement);
    } catch (error) {
      if (scope.citus && plan.kind !== 'insert' && isCitusZeroShardModifyError(error)) return emptyMutationResult(plan);
      throw error;
    }
    this.deps.onStatement?.('mutation', Number(process.hrtime.bigint() - started) / 1e9);
    return (result.rows[0] as { result: unknown }).result;
  }

  private async runQueries(plans: readonly RootPlan[]): Promise<unknown[]> {
    const started = process.hrtime.bigint();
    const statement = prepared(sql.compile(compileRoots([...plans], this.sqlScope())));
    const result = await runScoped(this.pool(), this.scope(true), this.settings(), statement);
    this.deps.onStatement?.('query', Number(process.hrtime.bigint() - started) / 1e9);
    const row = result.rows[0] as Record<string, unknown>;
    return plans.map((_, i) => row[String(i)] ?? null);
  }

  private sqlScope(): SqlScope {
    return { tenant: this.tenant, citus: this.deps.model.mode === 'CITUS' };
  }

  private scope(readOnly: boolean): StatementScope {
    return { ...this.sqlScope(), readOnly, constraintNames: constraintNamesOf(this.deps.model) };
  }

  private pool(): pg.Pool {
    return this.deps.pools.for(this.identity.role);
  }

  /** What each transaction sets first: the tenant's SET LOCAL (none for admins). */
  private settings(): string[] {
    const set = this.tenantSet();
    return set === null ? [] : [set];
  }

  private tenantSet(): string | null {
    if (this.setStatement !== undefined) return this.setStatement;
    if (this.identity.role === 'admin') return (this.setStatement = null);
    if (this.tenant === null) throw forbidden('a reader or writer token must name a tenant');
    const tenantColumns = this.deps.model.tables.map((t) => t.tenantColumn).filter((c) => c !== null);
    return (this.setStatement = tenantSetStatement(this.tenant, tenantColumns));
  }
}

/**
 * Names a statement after its text, so that each pooled connection parses and plans one shape
 * once (values are parameters: one GraphQL operation shape is one text). Connections are
 * recycled after a bounded number of uses (ApiPools), which bounds the statements they keep.
 */
function prepared(statement: pg.QueryConfig): pg.QueryConfig {
  let name = statementNames.get(statement.text);
  if (!name) {
    name = `distrag_${createHash('sha1').update(statement.text).digest('base64url')}`;
    if (statementNames.size >= 2_000) statementNames.delete(statementNames.keys().next().value!);
    statementNames.set(statement.text, name);
  }
  return { ...statement, name };
}

/** Every constraint name of a model's tables, computed once per model. */
function constraintNamesOf(model: ApiModel): ReadonlySet<string> {
  let names = constraintNames.get(model);
  if (!names) constraintNames.set(model, (names = new Set(model.tables.flatMap((t) => t.catalog.constraintNames))));
  return names;
}

const constraintNames = new WeakMap<ApiModel, ReadonlySet<string>>();

/** Statement text → name: hashing a long text once instead of per request. */
const statementNames = new Map<string, string>();
