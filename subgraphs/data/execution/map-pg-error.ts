import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../../src/errors/error-codes.js';
import { SafeError } from '../../../src/errors/safe-error.js';

/** The fields of a PostgreSQL error that may be named to a client (never its message or the SQL). */
interface PgErrorLike {
  code?: string;
  constraint?: string;
  column?: string;
  table?: string;
  message?: string;
}

/**
 * A driver error as a public error, at the subgraph boundary: the class of problem, the
 * constraint or column it concerns, what to do — never the raw message, a value or the SQL.
 * Errors already public pass through; anything unrecognised stays private (INTERNAL).
 */
export function mapPgError(error: unknown): Error {
  if (error instanceof GraphQLError) return error;
  const pg = error as PgErrorLike;
  const code = typeof pg.code === 'string' ? pg.code : '';
  const details = { ...(pg.constraint ? { constraint: pg.constraint } : {}), ...(pg.column ? { column: pg.column } : {}) };
  const safe = (publicCode: ErrorCode, message: string) => new SafeError(publicCode, message, { cause: error, details: { ...details, sqlState: code } });
  switch (code) {
    case '23505':
      return safe(ErrorCode.BAD_USER_INPUT, `a row with the same ${pg.constraint ? `key already exists (unique constraint ${pg.constraint})` : 'unique key already exists'}`);
    case '23503':
      return safe(ErrorCode.BAD_USER_INPUT, `the row refers to a row that does not exist, or is still referred to (foreign key ${pg.constraint ?? 'constraint'})`);
    case '23502':
      return safe(ErrorCode.BAD_USER_INPUT, `${pg.column ?? 'a column'} must not be null`);
    case '23514':
      return safe(ErrorCode.BAD_USER_INPUT, `a value breaks the check constraint ${pg.constraint ?? ''}`.trim());
    case '23P01':
      return safe(ErrorCode.BAD_USER_INPUT, `the row conflicts with another (exclusion constraint ${pg.constraint ?? ''})`.trim());
    case '22001':
      return safe(ErrorCode.BAD_USER_INPUT, 'a value is too long for its column');
    case '22003':
      return safe(ErrorCode.BAD_USER_INPUT, 'a number is out of range for its column');
    case '22007':
    case '22008':
      return safe(ErrorCode.BAD_USER_INPUT, 'a date or time value is invalid or out of range');
    case '22P02':
    case '22P05':
    case '22023':
    case '22021':
      return safe(ErrorCode.BAD_USER_INPUT, 'a value is not valid for its column type');
    case '22025':
    case '2201B':
      return safe(ErrorCode.BAD_USER_INPUT, 'a LIKE pattern or regular expression is invalid');
    case '22012':
      return safe(ErrorCode.BAD_USER_INPUT, 'division by zero');
    case '42883':
      return safe(ErrorCode.BAD_USER_INPUT, 'this comparison is not supported for the column type');
    case '42501':
      // Row-level security WITH CHECK failures and missing privileges share this code.
      return /row-level security/i.test(pg.message ?? '')
        ? safe(ErrorCode.FORBIDDEN, 'the row belongs to another tenant: a tenant token writes only its own rows')
        : safe(ErrorCode.FORBIDDEN, 'your role may not do this on this table');
    case '57014':
      return safe(ErrorCode.QUERY_TIMEOUT, 'the statement ran longer than the statement timeout; narrow the query (where, limit) and retry');
    case '40001':
    case '40P01':
      return safe(ErrorCode.CLUSTER_UNAVAILABLE, 'the statement collided with a concurrent one; retry');
    case '53300':
    case '57P01':
    case '57P02':
    case '57P03':
      return safe(ErrorCode.CLUSTER_UNAVAILABLE, 'the database is unavailable or restarting; retry shortly');
    case '25006':
      return safe(ErrorCode.FORBIDDEN, 'this operation may not write');
  }
  if (code.startsWith('08') || isConnectionError(error)) return safe(ErrorCode.CLUSTER_UNAVAILABLE, 'the database cannot be reached; retry shortly');
  return error instanceof Error ? error : new Error(String(error));
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|connection to the remote node/i.test(message);
}
