import type { Logger } from 'pino';
import { opsUnavailable } from './ops-error.js';
import { withClient } from '../db/with-client.js';

interface LoopbackRow {
  host: string;
  port: number;
  ok: boolean;
  registered: string | null;
}

const CHECK = `
  SELECT current_setting('citus.local_hostname') AS host, current_setting('port')::int AS port,
         citus_check_connection_to_node(current_setting('citus.local_hostname'), current_setting('port')::int) AS ok,
         (SELECT nodename FROM pg_dist_node WHERE groupid = 0 AND noderole = 'primary') AS registered`;

/**
 * Citus's rebalancer and drain connect from the coordinator back to itself, at
 * `citus.local_hostname` (default `localhost`), as the role running them, with a password from
 * pg_dist_authinfo or the server's libpq password file. The embedded stack's password file names
 * the stack's host (127.0.0.1), not `localhost`, so there that connection fails ("fe_sendauth: no
 * password supplied") and no shard can move. When it fails and the address the coordinator is
 * registered under (pg_dist_node) does answer, `citus.local_hostname` is pointed at that address
 * (ALTER SYSTEM, reload): a documented Citus setting, and no password is stored anywhere new.
 * Deployments where the loopback works (compose: PGPASSWORD) are left as they are.
 */
export async function ensureCoordinatorLoopback(adminUrl: string, log: Logger): Promise<void> {
  const first = await withClient(adminUrl, async (client) => (await client.query<LoopbackRow>(CHECK)).rows[0]!);
  if (first.ok) return;
  const advice = `Citus moves shards over a connection from the coordinator to itself at ${first.host}:${first.port} (citus.local_hostname), which fails; allow it (pg_hba.conf, the server's password file) or set citus.local_hostname to an address that works`;
  if (!first.registered || first.registered === first.host) throw opsUnavailable(advice);
  await withClient(adminUrl, async (client) => {
    const { rows } = await client.query<{ ok: boolean }>(`SELECT citus_check_connection_to_node($1, current_setting('port')::int) AS ok`, [first.registered]);
    if (!rows[0]?.ok) throw opsUnavailable(advice);
    // ALTER SYSTEM takes no parameters; the value is quoted as a literal.
    await client.query(`ALTER SYSTEM SET citus.local_hostname = ${client.escapeLiteral(first.registered!)}`);
    await client.query('SELECT pg_reload_conf()');
  });
  // The reload reaches new sessions within moments.
  for (let attempt = 0; attempt < 50; attempt++) {
    const now = await withClient(adminUrl, async (client) => (await client.query<LoopbackRow>(CHECK)).rows[0]!);
    if (now.ok) {
      log.info({ from: first.host, to: now.host }, 'citus.local_hostname set so that Citus can connect to the coordinator from itself (shard moves need it)');
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw opsUnavailable(advice);
}
