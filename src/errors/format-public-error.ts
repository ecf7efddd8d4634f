import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { ErrorCode, PUBLIC_CODES } from './error-codes.js';

/** Apollo's own request-level codes, mapped onto ours. */
const APOLLO_TO_PUBLIC: Record<string, ErrorCode> = {
  GRAPHQL_PARSE_FAILED: ErrorCode.BAD_USER_INPUT,
  GRAPHQL_VALIDATION_FAILED: ErrorCode.BAD_USER_INPUT,
  BAD_REQUEST: ErrorCode.BAD_USER_INPUT,
  OPERATION_RESOLUTION_FAILURE: ErrorCode.BAD_USER_INPUT,
  PERSISTED_QUERY_NOT_FOUND: ErrorCode.BAD_USER_INPUT,
  PERSISTED_QUERY_NOT_SUPPORTED: ErrorCode.BAD_USER_INPUT,
};

/**
 * Keeps only what a client may see. An error carrying a public code (a SafeError, graphql-js
 * validation, or a subgraph's already-formatted error at the gateway) keeps its message without
 * the stack trace; anything else — a driver error, a bug — becomes a generic INTERNAL error.
 */
export function formatPublicError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const raw = formatted.extensions?.code;
  const code = typeof raw === 'string' ? (APOLLO_TO_PUBLIC[raw] ?? raw) : undefined;
  if (code !== undefined && code !== ErrorCode.INTERNAL && PUBLIC_CODES.has(code)) {
    // serviceName (added by @apollo/gateway to subgraph errors) names internal topology.
    const { stacktrace: _dropped, exception: _also, serviceName: _internal, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions: { ...extensions, code } };
  }
  return {
    message: 'Internal error; the server log has the details.',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL },
  };
}

/**
 * Apollo's `formatError`: `formatPublicError`, and every error that becomes INTERNAL is logged
 * with its original cause, since the client is told only that the server log has the details.
 */
export function publicErrorFormatter(log: Logger): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    const result = formatPublicError(formatted);
    if (result.extensions?.code === ErrorCode.INTERNAL) {
      log.error({ err: unwrapResolverError(error), path: formatted.path }, `internal error answered as INTERNAL: ${formatted.message}`);
    }
    return result;
  };
}
