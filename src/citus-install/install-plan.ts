/**
 * How to install Citus on this machine, as plain data: printed as shell commands for a user who
 * is not root (or asked for `--dry-run`), executed step by step otherwise.
 */

export type InstallStep =
  | { kind: 'run'; title: string; command: string; args: string[]; cwd?: string; root: boolean; env?: Record<string, string> }
  | { kind: 'fetch'; title: string; url: string; path: string }
  | { kind: 'write-file'; title: string; path: string; content: string }
  | { kind: 'copy-tree'; title: string; from: string; to: string }
  | { kind: 'rename-symbol'; title: string; files: string[]; from: string; to: string };

export interface InstallPlan {
  /** What will be installed, for the first progress line. */
  summary: string;
  steps: InstallStep[];
  /** The extension control file that proves the install worked. */
  verify: string;
}

/** What the machine has, as far as installing Citus is concerned. */
export interface SystemFacts {
  /** /etc/os-release ID (`debian`, `ubuntu`) and VERSION_CODENAME (`bookworm`). */
  os: { id: string; codename: string };
  /** The PostgreSQL server Citus must match. */
  postgres: { major: number; pgConfig: string; sharedir: string; includedirServer: string; debianPackageVersion: string | null };
  cpus: number;
}

/** Citus's own Debian/Ubuntu package repository (what its install script sets up). */
export const CITUS_REPOSITORY = 'https://repos.citusdata.com/community';
export const CITUS_KEYRING = '/etc/apt/keyrings/citusdata-community.asc';
export const CITUS_SOURCES = '/etc/apt/sources.list.d/citusdata-community.list';

/** Build dependencies of a Citus source tree, besides the PostgreSQL server headers. */
const BUILD_PACKAGES = ['gcc', 'make', 'libkrb5-dev', 'libcurl4-openssl-dev', 'liblz4-dev', 'libzstd-dev', 'libssl-dev'];

const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };

function apt(title: string, args: string[]): InstallStep {
  return { kind: 'run', title, command: 'apt-get', args, root: true, env: APT_ENV };
}

/** From Citus's package repository: the package `postgresql-<major>-citus-<X.Y>`. */
export function planFromRepository(facts: SystemFacts, citusVersion: string): InstallPlan {
  if (!['debian', 'ubuntu'].includes(facts.os.id)) throw new Error(`Citus's package repository serves Debian and Ubuntu; this is ${facts.os.id || 'an unknown system'}: build from source with --from-source DIR`);
  const packageName = `postgresql-${facts.postgres.major}-citus-${citusVersion}`;
  return {
    summary: `Citus ${citusVersion} for PostgreSQL ${facts.postgres.major} from ${CITUS_REPOSITORY} (${facts.os.id} ${facts.os.codename})`,
    steps: [
      apt('installing the tools to reach the repository', ['install', '-y', '--no-install-recommends', 'ca-certificates']),
      { kind: 'fetch', title: 'fetching the repository signing key', url: `${CITUS_REPOSITORY}/gpgkey`, path: CITUS_KEYRING },
      {
        kind: 'write-file',
        title: 'adding the Citus package repository',
        path: CITUS_SOURCES,
        content: `deb [signed-by=${CITUS_KEYRING}] ${CITUS_REPOSITORY}/${facts.os.id}/ ${facts.os.codename} main\n`,
      },
      apt('reading the package lists', ['update']),
      apt(`installing ${packageName}`, ['install', '-y', '--no-install-recommends', packageName]),
    ],
    verify: `${facts.postgres.sharedir}/extension/citus.control`,
  };
}

/** A Citus source tree: its version, read from its configure script. */
export interface CitusSource {
  dir: string;
  version: string;
  /** Citus defines its own have_createdb_privilege() for PostgreSQL < 16 (src/include/pg_version_compat.h). */
  definesCreatedbPrivilege: boolean;
}

/**
 * Building a Citus source tree against the installed server: the build packages from apt, the
 * server headers pinned to the installed server's exact version (headers of another minor release
 * can differ), a copy of the tree (the user's stays untouched), configure, make, make install.
 * Recent PostgreSQL 15 minor releases (15.20) declare have_createdb_privilege() in their headers,
 * which clashes with Citus's own copy for PostgreSQL < 16: when both exist, Citus's copy is
 * renamed in the build tree.
 */
export function planFromSource(facts: SystemFacts, source: CitusSource, buildDir: string, headersDeclareCreatedbPrivilege: boolean): InstallPlan {
  const headers = `postgresql-server-dev-${facts.postgres.major}${facts.postgres.debianPackageVersion ? `=${facts.postgres.debianPackageVersion}` : ''}`;
  const steps: InstallStep[] = [
    apt('reading the package lists', ['update']),
    apt(`installing the build packages and ${headers}`, ['install', '-y', '--no-install-recommends', headers, ...BUILD_PACKAGES]),
    { kind: 'copy-tree', title: `copying ${source.dir} to ${buildDir}`, from: source.dir, to: buildDir },
  ];
  if (facts.postgres.major < 16 && source.definesCreatedbPrivilege && headersDeclareCreatedbPrivilege) {
    steps.push({
      kind: 'rename-symbol',
      title: "renaming Citus's own have_createdb_privilege() (the server headers declare one)",
      files: [`${buildDir}/src/include/pg_version_compat.h`, `${buildDir}/src/backend/distributed/commands/serialize_distributed_ddls.c`],
      from: 'have_createdb_privilege',
      to: 'citus_have_createdb_privilege',
    });
  }
  steps.push(
    { kind: 'run', title: 'configuring', command: './configure', args: [`PG_CONFIG=${facts.postgres.pgConfig}`], cwd: buildDir, root: false },
    { kind: 'run', title: `compiling (make -j${facts.cpus})`, command: 'make', args: [`-j${facts.cpus}`], cwd: buildDir, root: false },
    { kind: 'run', title: 'installing', command: 'make', args: ['install'], cwd: buildDir, root: true },
  );
  return { summary: `Citus ${source.version} from ${source.dir} for PostgreSQL ${facts.postgres.major}`, steps, verify: `${facts.postgres.sharedir}/extension/citus.control` };
}

/** The plan as shell commands a user can run (`sudo` where root is needed). */
export function renderPlan(plan: InstallPlan, asRoot: boolean): string[] {
  const sudo = asRoot ? '' : 'sudo ';
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
  return plan.steps.map((step) => {
    switch (step.kind) {
      case 'run': {
        const env = Object.entries(step.env ?? {}).map(([k, v]) => `${k}=${quote(v)} `).join('');
        const line = `${step.root ? sudo : ''}${env}${[step.command, ...step.args].map(quote).join(' ')}`;
        return step.cwd ? `(cd ${quote(step.cwd)} && ${line})` : line;
      }
      case 'fetch':
        return `curl -fsSL ${quote(step.url)} | ${sudo}install -D -m 0644 /dev/stdin ${quote(step.path)}`;
      case 'write-file':
        return `echo ${quote(step.content.trimEnd())} | ${sudo}tee ${quote(step.path)}`;
      case 'copy-tree':
        return `rm -rf ${quote(step.to)} && cp -a ${quote(step.from)} ${quote(step.to)}`;
      case 'rename-symbol':
        return `sed -i 's/\\b${step.from}\\b/${step.to}/g' ${step.files.map(quote).join(' ')}`;
    }
  });
}
