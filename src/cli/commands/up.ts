import type { Config } from '../../config/config.js';
import { signUserToken } from '../../auth/user-token.js';
import { formatDuration } from '../../config/duration.js';
import { CONSOLE_LINK_TTL_SECONDS, consoleLink } from '../../stack/console-link.js';
import { managerFor, stopStack } from '../../stack/stack-control.js';
import { startStack, StackError } from '../../stack/start-stack.js';
import { CliError } from '../cli-error.js';
import { parseCount, parseFlags } from '../parse-flags.js';
import { loadOrCreateSecrets } from '../../stack/secrets.js';
import { stackLayout } from '../../stack/stack-layout.js';

/** `distrag up [--detach] [--workers N] [--gateways N]` */
export async function upCommand(args: string[], config: Config): Promise<number> {
  const { values } = parseFlags('up', args, { detach: { type: 'boolean' }, workers: { type: 'string' }, gateways: { type: 'string' } });
  const workers = parseCount('up', 'workers', values.workers, config.DISTRAG_WORKERS, 0, 16);
  const gateways = parseCount('up', 'gateways', values.gateways, config.DISTRAG_GATEWAYS, 1, 16);
  const report = (line: string) => console.error(`distrag: ${line}`);

  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let info;
  try {
    info = await startStack({ config, workers, gateways, report, signal: interrupted.signal });
  } catch (error) {
    if (error instanceof StackError) throw new CliError(`distrag up: ${error.message}`);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (interrupted.signal.aborted) {
    await stopStack(config, report);
    return 130;
  }

  const secrets = loadOrCreateSecrets(stackLayout(config.home).secretsFile, config);
  // The dev token lives as long as tokens may (DISTRAG_MAX_TOKEN_TTL) and carries the configured issuer, audience and namespace.
  const { maxTtlSeconds, issuer, audience, claimsNamespace } = config.tokens;
  const token = await signUserToken(secrets.jwtSecret, { sub: 'dev-admin', role: 'admin' }, maxTtlSeconds, { issuer, audience, claimsNamespace });
  const consoleTtl = Math.min(CONSOLE_LINK_TTL_SECONDS, maxTtlSeconds);
  const consoleToken = await signUserToken(secrets.jwtSecret, { sub: 'dev-admin', role: 'admin' }, consoleTtl, { issuer, audience, claimsNamespace });
  const workerNodes = info.nodes.filter((n) => n.role === 'worker');
  const citus = workerNodes.length === 0 ? '' : `: coordinator :${info.nodes[0]!.port}, ${workerNodes.length} worker${workerNodes.length > 1 ? 's' : ''} (${workerNodes.map((w) => `${w.name} :${w.port} ${w.healthy ? 'healthy' : 'NOT REACHABLE'}`).join(', ')})`;
  console.log(`DistRAG is up (mode ${info.mode}${citus}).
  Console:    ${consoleLink(info.urls.console, consoleToken)}
              (signs in as admin for ${formatDuration(consoleTtl)}; then sign in with a token from \`npx distrag token\`)
  GraphQL:    ${info.urls.graphql}${info.urls.nginx ? `\n  via NGINX:  ${info.urls.nginx}` : ''}
  PostgreSQL: ${info.urls.postgres}
  Redis:      ${info.urls.redis}
  Chroma:     ${info.urls.chroma}
  Dev admin token (valid ${formatDuration(maxTtlSeconds)}; another: npx distrag token --role admin):
${token}
Try: curl -s ${info.urls.graphql} -H "authorization: Bearer <token>" -H 'content-type: application/json' -d '{"query":"{ universities { universityId name } }"}'`);
  if (values.detach) return 0;

  console.error('distrag: running; press Ctrl-C to stop everything');
  return new Promise<number>((resolve) => {
    let stopping = false;
    const finish = (code: number) => {
      clearInterval(watch);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(code);
    };
    function stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(watch);
      report('stopping');
      stopStack(config, report).then(() => finish(0), (error: unknown) => {
        report(`stop failed: ${(error as Error).message}`);
        finish(1);
      });
    }
    const manager = managerFor(config);
    const known = new Set(manager.list().map((p) => p.name));
    const watch = setInterval(() => {
      if (stopping) return;
      const recorded = manager.list();
      // `distrag down` from another terminal removes the state file once it has stopped everything.
      if (recorded.length === 0) {
        report('stopped by `distrag down`');
        finish(0);
        return;
      }
      const recordedNames = new Set(recorded.filter((p) => !p.stopping).map((p) => p.name));
      const alive = new Set(manager.running().map((p) => p.name));
      for (const name of known) {
        // A process `down` is stopping (or has stopped) is not a crash.
        if (!recordedNames.has(name)) known.delete(name);
        else if (!alive.has(name)) {
          known.delete(name);
          report(`${name} exited unexpectedly; see ${stackLayout(config.home).logDir}/${name}.log`);
        }
      }
    }, 1_000);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
