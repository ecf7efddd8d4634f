import pg from 'pg';
import type { ApiColumn } from '../api-model/api-model.js';
import { TENANT_PATTERN } from '../../../src/auth/identity.js';
import { forbidden } from '../../../src/errors/safe-error.js';
import { isInt8, UUID } from '../graphql/scalars.js';
import { TENANT_SETTING } from '../security/secure-tables.js';
import { restoreCitusErrorFields } from './citus-error-fields.js';
import { mapPgError } from './map-pg-error.js';

export interface StatementScope {
  /** The caller's tenant; null for admins (whose role bypasses row-level security). */
  tenant: string | null;
  /** Query operations run in a READ ONLY transaction. */
  readOnly: boolean;
  /**
   * A Citus coordinator: it forwards a SET LOCAL's whole query string to the workers, so BEGIN and
   * each setting must travel as queries of their own (a round trip more each) or every worker warns
   * "there is already a transaction in progress".
   */
  citus: boolean;
  /** Constraint names of the exposed tables (a Citus worker's errors name shard constraints). */
  constraintNames: ReadonlySet<string>;
}

/**
 * The literal `SET LOCAL` that scopes a transaction to a tenant. It cannot be a bind parameter:
 * Citus forwards the setting to the workers only as a literal SET LOCAL (with
 * `citus.propagate_set_commands = 'local'`), and not when set through set_config(). So the value
 * is checked against the tenant column's type first, then quoted.
 */
export function tenantSetStatement(tenant: string, tenantColumns: ApiColumn[]): string {
  for (const column of tenantColumns) {
    if (!fitsColumn(tenant, column)) throw forbidden(`your token's tenant "${tenant.slice(0, 64)}" is not a valid ${column.sqlName}`);
  }
  return `SET LOCAL ${TENANT_SETTING} = ${pg.escapeLiteral(tenant)}`;
}

function fitsColumn(tenant: string, column: ApiColumn): boolean {
  switch (column.type.kind) {
    case 'int':
      return isInt8(tenant) && Math.abs(Number(tenant)) <= 2 ** 31 - 1;
    case 'bigint':
      return isInt8(tenant);
    case 'uuid':
      return UUID.test(tenant);
    default:
      return TENANT_PATTERN.test(tenant);
  }
}

/**
 * Citus refuses to write a reference table in a transaction that has read distributed tables over
 * parallel connections ("cannot modify table … because there was a parallel operation on a
 * distributed table"), which one statement does when its WHERE goes through a relation to a
 * distributed table. Writes to a reference table therefore run with one connection per node.
 */
export const SEQUENTIAL_MODIFY = `SET LOCAL citus.multi_shard_modify_mode TO 'sequential'`;

/**
 * Runs one statement in its own transaction, scoped to the caller: `BEGIN` and the settings (the
 * tenant's SET LOCAL; in one round trip on a single node), then the statement, then `COMMIT`. Any
 * failure rolls back and is mapped to a public error; a client whose connection broke is
 * destroyed, not reused.
 */
export async function runScoped(pool: pg.Pool, scope: StatementScope, settings: readonly string[], statement: pg.QueryConfig): Promise<pg.QueryResult> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw mapPgError(error);
  }
  try {
    const begin = `BEGIN${scope.readOnly ? ' READ ONLY' : ''}`;
    if (scope.citus) {
      for (const text of [begin, ...settings]) await client.query(text);
    } else {
      await client.query([begin, ...settings].join('; '));
    }
    const result = await corked(client, () => client.query(statement));
    if (scope.readOnly) {
      // Nothing to make durable: answer now, and hand the client back once COMMIT is through.
      client.query('COMMIT').then(() => client.release(), (error: Error) => client.release(error));
    } else {
      await client.query('COMMIT');
      client.release();
    }
    return result;
  } catch (error) {
    let broken: Error | undefined;
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    client.release(broken);
    throw mapPgError(scope.citus ? restoreCitusErrorFields(error as object, scope.constraintNames) : error);
  }
}

/**
 * pg writes each message of an extended-protocol query (parse, bind, describe, execute, sync)
 * to the socket separately: one system call each. Corking the socket while the query is handed
 * to the idle client sends them in one write. (pg submits synchronously when the client is idle;
 * if it does not, uncorking still flushes whatever was buffered.)
 */
function corked<T>(client: pg.PoolClient, submit: () => T): T {
  const stream = (client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } }).connection?.stream;
  if (!stream?.cork || !stream.uncork) return submit();
  stream.cork();
  try {
    return submit();
  } finally {
    stream.uncork();
  }
}
