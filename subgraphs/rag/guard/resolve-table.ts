import type { GuardScope } from './guard-sql.js';
import { GuardRefusal } from './guard-refusal.js';

/** A table reference as the parser gives it (a RangeVar). */
export interface TableReference {
  catalogname?: string;
  schemaname?: string;
  relname: string;
}

/** Schemas of the system catalogs (plus each session's temporary schemas, by prefix below). */
const SYSTEM_SCHEMAS: ReadonlySet<string> = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

function isSystemSchema(schema: string): boolean {
  return SYSTEM_SCHEMAS.has(schema) || schema.startsWith('pg_temp') || schema.startsWith('pg_toast_temp');
}

/**
 * The qualified `schema.table` a reference (not a CTE name) reads, or a refusal: a qualified name
 * must be readable itself; an unqualified one takes the first search-path schema under which it is
 * readable. System catalogs are refused unless readable.
 */
export function resolveTable(ref: TableReference, scope: GuardScope): string {
  const written = [ref.catalogname, ref.schemaname, ref.relname].filter((part) => part !== undefined).join('.');
  if (ref.catalogname !== undefined) throw new GuardRefusal('unknown-table', written);
  if (ref.schemaname !== undefined) {
    const qualified = `${ref.schemaname}.${ref.relname}`;
    if (scope.readableTables.has(qualified)) return qualified;
    throw new GuardRefusal(isSystemSchema(ref.schemaname) ? 'system-catalog' : 'unknown-table', qualified);
  }
  // PostgreSQL searches pg_catalog before the search path unless the path names it, so an
  // unqualified pg_* name may be a catalog whatever the readable tables say.
  if (ref.relname.startsWith('pg_')) throw new GuardRefusal('system-catalog', ref.relname);
  for (const schema of scope.searchPath) {
    const qualified = `${schema}.${ref.relname}`;
    if (scope.readableTables.has(qualified)) return qualified;
  }
  throw new GuardRefusal('unknown-table', ref.relname);
}
