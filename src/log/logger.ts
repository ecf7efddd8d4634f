import pino, { type Logger } from 'pino';

/** One JSON-lines logger per process; `service` names the process in every line. */
export function createLogger(service: string, level: string = process.env.DISTRAG_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['*.authorization', '*.password', 'req.headers.authorization'], censor: '[redacted]' },
  });
}

export type { Logger };
