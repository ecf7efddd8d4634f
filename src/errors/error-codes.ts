/** The public error codes of CONTRACT §5: the only values `extensions.code` ever takes. */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  UNSAFE_SQL: 'UNSAFE_SQL',
  QUERY_TIMEOUT: 'QUERY_TIMEOUT',
  LLM_NOT_CONFIGURED: 'LLM_NOT_CONFIGURED',
  LLM_UNAVAILABLE: 'LLM_UNAVAILABLE',
  CLUSTER_UNAVAILABLE: 'CLUSTER_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const PUBLIC_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));
