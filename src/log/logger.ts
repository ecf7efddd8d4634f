import pino, { type Logger } from 'pino';

/**
 * One JSON-lines logger per process; `service` names the process in every line. Lines go to
 * stdout, or to stderr (`fd` 2) for a command whose stdout is its result (`eval … --json`).
 */
export function createLogger(service: string, level: string = process.env.DISTRAG_LOG_LEVEL ?? 'info', fd: 1 | 2 = 1): Logger {
  const options = {
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['*.authorization', '*.password', 'req.headers.authorization'], censor: '[redacted]' },
  };
  return fd === 1 ? pino(options) : pino(options, pino.destination({ fd, sync: true }));
}

export type { Logger };
