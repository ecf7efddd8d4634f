/** Why a connection to a node failed, in words for an admin (never the driver's raw message). */
export function describeConnectError(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (nothing listens there)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the host does not answer';
    case '28P01':
      return 'password authentication failed (the node must have the coordinator\'s admin user and password)';
    case '28000':
      return 'its pg_hba.conf does not allow the connection';
    case '57P03':
      return 'it is starting up or shutting down';
    default:
      return /timeout/i.test(message ?? '') ? 'the connection timed out' : 'the connection failed';
  }
}
