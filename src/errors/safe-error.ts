import { GraphQLError } from 'graphql';
import { ErrorCode } from './error-codes.js';

/**
 * An error whose message is written for clients. Anything else that reaches the error formatter
 * is replaced by a generic INTERNAL error (see `formatPublicError`).
 */
export class SafeError extends GraphQLError {
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { extensions: { code, ...options.details } });
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

export const forbidden = (message: string) => new SafeError(ErrorCode.FORBIDDEN, message);
export const badInput = (message: string, details?: Record<string, unknown>) =>
  new SafeError(ErrorCode.BAD_USER_INPUT, message, { details });
export const clusterUnavailable = (message: string, cause?: unknown) =>
  new SafeError(ErrorCode.CLUSTER_UNAVAILABLE, message, { cause });
