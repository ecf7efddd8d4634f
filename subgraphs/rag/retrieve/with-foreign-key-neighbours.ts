import type { TableInfo } from './table-info.js';

/**
 * The retrieved tables, then the tables they reference and the tables that reference them (the
 * join partners a question often needs without naming them), in that order, without repeats, at
 * most `limit` in all. Retrieved names the catalog does not know are kept as they are.
 */
export function withForeignKeyNeighbours(names: string[], tables: ReadonlyMap<string, TableInfo> | TableInfo[], limit = Number.POSITIVE_INFINITY): string[] {
  const all = Array.isArray(tables) ? tables : [...tables.values()];
  const byName = new Map(all.map((t) => [t.name, t]));
  const out = new Set<string>();
  const add = (name: string) => {
    if (out.size < limit) out.add(name);
  };
  for (const name of names) add(name);
  for (const name of names) for (const fk of byName.get(name)?.foreignKeys ?? []) if (byName.has(fk.references)) add(fk.references);
  for (const name of names) for (const t of all) if (t.foreignKeys.some((fk) => fk.references === name)) add(t.name);
  return [...out];
}
