import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PostgresBinaries } from '../stack/postgres-binaries.js';
import type { CitusSource, SystemFacts } from './install-plan.js';

/** Reads what the install plan depends on: the OS release and the PostgreSQL server to match. */
export function readSystemFacts(binaries: PostgresBinaries): SystemFacts {
  const release = readOsRelease();
  const pgConfig = path.join(binaries.binDir, 'pg_config');
  const ask = (flag: string) => execFileSync(pgConfig, [flag], { encoding: 'utf8' }).trim();
  return {
    os: { id: release.ID ?? '', codename: release.VERSION_CODENAME ?? release.UBUNTU_CODENAME ?? '' },
    postgres: {
      major: binaries.major,
      pgConfig,
      sharedir: ask('--sharedir'),
      includedirServer: ask('--includedir-server'),
      debianPackageVersion: debianPackageVersion(`postgresql-${binaries.major}`),
    },
    cpus: Math.max(1, os.availableParallelism()),
  };
}

function readOsRelease(): Record<string, string> {
  try {
    const text = fs.readFileSync('/etc/os-release', 'utf8');
    return Object.fromEntries(
      text.split('\n').flatMap((line) => {
        const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
        return match ? [[match[1]!, match[2]!.replace(/^"(.*)"$/, '$1')]] : [];
      }),
    );
  } catch {
    return {};
  }
}

/** The installed version of a Debian package (`15.18-0+deb12u1`), or null without dpkg or the package. */
function debianPackageVersion(name: string): string | null {
  try {
    const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return version || null;
  } catch {
    return null;
  }
}

/** Whether the server headers declare have_createdb_privilege() (later PostgreSQL 15 minors do). */
export function headersDeclareCreatedbPrivilege(includedirServer: string): boolean {
  try {
    return fs.readFileSync(path.join(includedirServer, 'commands', 'dbcommands.h'), 'utf8').includes('have_createdb_privilege');
  } catch {
    return false;
  }
}

/** Checks that `dir` is a Citus source tree and reads its version; throws a one-line reason otherwise. */
export function readCitusSource(dir: string): CitusSource {
  const absolute = path.resolve(dir);
  const configure = path.join(absolute, 'configure');
  if (!fs.existsSync(configure) || !fs.existsSync(path.join(absolute, 'src', 'backend', 'distributed', 'citus.control'))) {
    throw new Error(`${absolute} is not a Citus source tree (no configure script and src/backend/distributed/citus.control); unpack a Citus release there, e.g. \`git archive v13.2.2\` of citusdata/citus`);
  }
  const version = /^PACKAGE_VERSION='([^']+)'/m.exec(fs.readFileSync(configure, 'utf8'))?.[1];
  if (!version) throw new Error(`${configure} names no PACKAGE_VERSION; is this a Citus release tree?`);
  let compat = '';
  try {
    compat = fs.readFileSync(path.join(absolute, 'src', 'include', 'pg_version_compat.h'), 'utf8');
  } catch {
    // older trees: nothing to rename
  }
  return { dir: absolute, version, definesCreatedbPrivilege: /have_createdb_privilege\s*\(void\)/.test(compat) };
}
