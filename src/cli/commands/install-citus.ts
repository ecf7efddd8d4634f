import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../config/config.js';
import { planFromRepository, planFromSource, renderPlan, type InstallPlan } from '../../citus-install/install-plan.js';
import { runInstallPlan } from '../../citus-install/run-install-plan.js';
import { headersDeclareCreatedbPrivilege, readCitusSource, readSystemFacts } from '../../citus-install/system-facts.js';
import { findPostgresBinaries } from '../../stack/postgres-binaries.js';
import { stackLayout } from '../../stack/stack-layout.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';

/** The Citus release `install-citus` asks the package repository for (`--version` overrides). */
export const DEFAULT_CITUS_VERSION = '13.2';

/**
 * `distrag install-citus [--from-source DIR] [--version X.Y] [--dry-run]`: installs the citus
 * extension for the PostgreSQL server DistRAG runs. As root it does it; otherwise (or with
 * --dry-run) it prints the commands and exits 1 (0 for --dry-run).
 */
export async function installCitusCommand(args: string[], config: Config): Promise<number> {
  const { values } = parseFlags('install-citus', args, { 'from-source': { type: 'string' }, version: { type: 'string' }, 'dry-run': { type: 'boolean' } });
  const version = values.version ?? DEFAULT_CITUS_VERSION;
  if (!/^\d+\.\d+$/.test(version)) throw new CliError('distrag install-citus: --version is a Citus release series such as 13.2', 2);
  if (values['from-source'] !== undefined && values.version !== undefined) throw new CliError('distrag install-citus: --version applies to the package repository; a source tree has its own version', 2);
  const report = (line: string) => console.error(`distrag: ${line}`);

  let plan: InstallPlan;
  const binaries = findPostgresBinaries(config);
  try {
    const facts = readSystemFacts(binaries);
    if (values['from-source'] !== undefined) {
      const source = readCitusSource(values['from-source']);
      const buildDir = path.join(os.tmpdir(), `distrag-citus-build-${source.version}`);
      plan = planFromSource(facts, source, buildDir, headersDeclareCreatedbPrivilege(facts.postgres.includedirServer));
    } else {
      plan = planFromRepository(facts, version);
    }
  } catch (error) {
    throw new CliError(`distrag install-citus: ${(error as Error).message}`);
  }

  const root = process.getuid?.() === 0;
  if (values['dry-run'] || !root) {
    if (!root && !values['dry-run']) report(`installing ${plan.summary} needs root; run these commands (or this command with sudo):`);
    else report(`would install ${plan.summary}:`);
    for (const line of renderPlan(plan, root)) console.log(line);
    return values['dry-run'] ? 0 : 1;
  }
  if (binaries.citusAvailable) report(`citus is already installed for PostgreSQL ${binaries.major}; installing ${plan.summary} over it`);
  else report(`installing ${plan.summary}`);
  const logFile = path.join(stackLayout(config.home).logDir, 'install-citus.log');
  try {
    await runInstallPlan(plan, logFile, report);
  } catch (error) {
    throw new CliError(`distrag install-citus: ${(error as Error).message}`);
  }
  report(`Citus is installed (${plan.verify}); \`npx distrag up\` now runs in CITUS mode (DISTRAG_CITUS=off keeps SINGLE)`);
  report(`a stack created in SINGLE mode keeps its mode: start CITUS with a new DISTRAG_HOME`);
  return 0;
}
