import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const MIN_PG_MAJOR = 15;
const REQUIRED = ['postgres', 'initdb', 'pg_basebackup', 'pg_config'] as const;

export interface PostgresBinaries {
  binDir: string;
  major: number;
  /** True when the citus extension is installed for this PostgreSQL. */
  citusAvailable: boolean;
}

/** Finds PostgreSQL ≥ 15 server binaries: DISTRAG_PG_BIN, else the newest /usr/lib/postgresql/<v>/bin, else PATH. */
export function findPostgresBinaries(configured?: string): PostgresBinaries {
  const candidates = configured ? [configured] : [...debianBinDirs(), ...pathBinDir()];
  for (const binDir of candidates) {
    if (!REQUIRED.every((tool) => fs.existsSync(path.join(binDir, tool)))) continue;
    const version = execFileSync(path.join(binDir, 'pg_config'), ['--version'], { encoding: 'utf8' });
    const major = Number(/PostgreSQL (\d+)/.exec(version)?.[1] ?? 0);
    if (major < MIN_PG_MAJOR) continue;
    const sharedir = execFileSync(path.join(binDir, 'pg_config'), ['--sharedir'], { encoding: 'utf8' }).trim();
    return { binDir, major, citusAvailable: fs.existsSync(path.join(sharedir, 'extension', 'citus.control')) };
  }
  throw new Error(
    `PostgreSQL ${MIN_PG_MAJOR}+ server binaries (postgres, initdb, pg_basebackup) were not found${configured ? ` in DISTRAG_PG_BIN=${configured}` : ''}; run \`npm start\` as root to install them, or \`sudo apt-get install postgresql postgresql-contrib\``,
  );
}

function debianBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(root, v, 'bin'));
}

function pathBinDir(): string[] {
  return (process.env.PATH ?? '').split(':').filter((dir) => dir && fs.existsSync(path.join(dir, 'postgres')));
}
