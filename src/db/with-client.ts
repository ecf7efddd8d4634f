import pg from 'pg';

/** Runs `fn` on a connection of its own, closed afterwards whatever happens. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>, options: { connectTimeoutMs?: number } = {}): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'distrag-ops', connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000 });
  client.on('error', () => undefined); // a connection dying mid-call fails the query instead
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The admin URL of another node: the coordinator's credentials, that node's address, `database`. */
export function nodeUrl(coordinatorUrl: string, address: { host: string; port: number }, database?: string): string {
  const url = new URL(coordinatorUrl);
  url.hostname = address.host.includes(':') ? `[${address.host}]` : address.host;
  url.port = String(address.port);
  if (database !== undefined) url.pathname = `/${database}`;
  return url.toString();
}
