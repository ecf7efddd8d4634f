import { ErrorCode } from '../errors/error-codes.js';

/** The public codes the operations API answers with (a subset of CONTRACT §5's). */
export type OpsErrorCode =
  | typeof ErrorCode.BAD_USER_INPUT
  | typeof ErrorCode.UNAUTHENTICATED
  | typeof ErrorCode.FORBIDDEN
  | typeof ErrorCode.NOT_FOUND
  | typeof ErrorCode.CLUSTER_UNAVAILABLE
  | typeof ErrorCode.INTERNAL;

const STATUS: Record<OpsErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CLUSTER_UNAVAILABLE: 503,
  INTERNAL: 500,
};

/**
 * An error of the operations API whose message is written for the caller (the cluster subgraph
 * passes it on to clients as a SafeError): `{ "error": { "code", "message" } }` with `status`.
 * Anything else thrown in a route is answered as INTERNAL, its message kept in the log only.
 */
export class OpsError extends Error {
  override name = 'OpsError';
  readonly status: number;

  constructor(readonly code: OpsErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status ?? STATUS[code];
  }
}

export const opsBadInput = (message: string, status = 400) => new OpsError(ErrorCode.BAD_USER_INPUT, message, { status });
export const opsNotFound = (message: string) => new OpsError(ErrorCode.NOT_FOUND, message);
export const opsUnavailable = (message: string, cause?: unknown) => new OpsError(ErrorCode.CLUSTER_UNAVAILABLE, message, { cause });
