import { findPostgres, installAdvice, requirement, type Lookup } from '../../scripts/system-requirements.mjs';

export interface PostgresBinaries {
  binDir: string;
  major: number;
  /** True when the citus extension is installed for this PostgreSQL. */
  citusAvailable: boolean;
}

/**
 * PostgreSQL ≥ 15 server binaries, found by the lookup `prestart` uses too (scripts/system-requirements.mjs):
 * DISTRAG_PG_BIN, else the newest /usr/lib/postgresql/<v>/bin, else the executable search path.
 */
export function findPostgresBinaries(lookup: Lookup): PostgresBinaries {
  const pg = findPostgres(lookup);
  if (!pg.ok) throw new Error(`${pg.problem}; ${installAdvice(requirement('postgresql'))}`);
  return { binDir: pg.binDir, major: pg.major, citusAvailable: pg.citusAvailable };
}
