import type { EvalStamp } from '../eval-stamp.js';

/** What the guard is told about the caller: the tables it may read (`schema.table`) and its search path. */
export interface EvalGuardScope {
  readableTables: ReadonlySet<string>;
  searchPath: readonly string[];
}

/** The SQL guard under evaluation (the ask path's `guardSql` has this shape). */
export type EvalSqlGuard = (sql: string, scope: EvalGuardScope) => Promise<{ safe: true; tables: string[] } | { safe: false; rule: string; reason: string }>;

/** One statement of a hostile corpus. */
export interface HostileCase {
  id: string;
  category: string;
  sql: string;
}

/** Version of the layout below. */
export const GUARD_EVAL_FORMAT = 1;

/** A gold query the guard refused (a false rejection), or threw on (rule `guard-error`). */
export interface GoldRefusal {
  db: string;
  sql: string;
  rule: string;
  reason: string;
}

export interface HostileCounts {
  cases: number;
  refused: number;
  /** Passed by the guard: PostgreSQL was then asked to run them. */
  passed: number;
  /** Passed and run by PostgreSQL without error. */
  executed: number;
}

/** A hostile statement the guard let through, and what running it did. */
export interface HostileLeak {
  id: string;
  category: string;
  sql: string;
  /** PostgreSQL ran it without error. */
  executed: boolean;
  /** PostgreSQL's error when it did not. */
  error: string | null;
  /** The canary (a table, a sequence, the schema's row counts) differed afterwards. */
  canaryChanged: boolean;
}

/** What one `npx distrag eval guard` measured: bench/results/guard-eval.json. */
export interface GuardEvalResult extends EvalStamp {
  format: typeof GUARD_EVAL_FORMAT;
  eval: 'guard';
  gold: {
    queries: number;
    refused: number;
    byDatabase: Record<string, { queries: number; refused: number }>;
    refusals: GoldRefusal[];
  };
  hostile: HostileCounts & {
    /** Passed statements after which the canary differed. */
    canaryChanged: number;
    /** The tables and search path the hostile statements were judged and run with. */
    scope: { readableTables: string[]; searchPath: string[] };
    byCategory: Record<string, HostileCounts>;
    leaks: HostileLeak[];
  };
  /** How the eval measures: no figure. */
  method: string[];
}
