import type { SqlValue } from 'sql.js';
import type { StorageClass } from './read-sqlite-table.js';

export type PostgresColumnType = 'integer' | 'bigint' | 'double precision' | 'text';

const INT32 = 2 ** 31;
/** Numbers written as their canonical text: no leading zero, no `+`, no exponent (`02647` is a code, not a number). */
const CANONICAL_INTEGER = /^-?(0|[1-9]\d*)$/;
const CANONICAL_DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/**
 * The PostgreSQL type for one column, from the values SQLite holds rather than the declared type
 * (SQLite stores anything anywhere): integers → integer (bigint beyond 32 bits); integers and
 * reals → double precision; text that is all canonical integers or decimals → the same numeric
 * types, because Spider's gold SQL joins, sums and compares such columns as numbers (SQLite's
 * affinity rules let it); any other text, mixtures and empty columns → text. Dates stay text:
 * Spider's timestamps are ISO strings that compare and sort the same as text, as SQLite treats them.
 */
export function postgresColumnType(values: readonly SqlValue[], storage: readonly StorageClass[]): PostgresColumnType {
  const present = values.filter((_, i) => storage[i] !== 'null');
  const classes = new Set(storage.filter((s) => s !== 'null'));
  if (present.length === 0) return 'text';
  if (classes.size === 1 && classes.has('integer')) return integerType(present as number[]);
  if ([...classes].every((c) => c === 'integer' || c === 'real')) return 'double precision';
  if (classes.size === 1 && classes.has('text')) {
    const texts = present as string[];
    if (texts.every((t) => CANONICAL_INTEGER.test(t) && Number.isSafeInteger(Number(t)))) return integerType(texts.map(Number));
    if (texts.every((t) => CANONICAL_DECIMAL.test(t))) return 'double precision';
  }
  return 'text';
}

function integerType(values: readonly number[]): PostgresColumnType {
  return values.every((v) => v >= -INT32 && v < INT32) ? 'integer' : 'bigint';
}
