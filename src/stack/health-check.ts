import net from 'node:net';
import pg from 'pg';

/** How a process proves it is up; plain data so the state file can carry it to `status`. */
export type HealthCheck =
  | { kind: 'http'; url: string }
  | { kind: 'postgres'; url: string }
  | { kind: 'redis'; host: string; port: number };

export async function checkHealth(check: HealthCheck, timeoutMs = 2_000): Promise<boolean> {
  switch (check.kind) {
    case 'http':
      return fetch(check.url, { signal: AbortSignal.timeout(timeoutMs) }).then((r) => r.ok, () => false);
    case 'postgres':
      return (await queryPostgres(check.url, timeoutMs)) === null;
    case 'redis':
      return redisPing(check.host, check.port, timeoutMs);
  }
}

/** Connects and runs `SELECT 1`: null when it answered, else the error's SQLSTATE (or '' without one). */
export async function queryPostgres(url: string, timeoutMs: number): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? '';
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redisPing(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString('latin1').startsWith('+PONG')));
  });
}
