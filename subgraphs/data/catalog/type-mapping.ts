import type { CatalogType, ValueKind } from './catalog-model.js';

/** A type as pg_type describes it (the element type for arrays, the base type for domains). */
export interface PgTypeRow {
  /** pg_type.typname of the scalar (element / base) type. */
  typname: string;
  /** pg_type.typtype: b base, e enum, d domain (already resolved to its base), … */
  typtype: string;
  /** pg_type.typcategory: S string, N numeric, … */
  typcategory: string;
  isArray: boolean;
  /** format_type(atttypid, NULL): the column's own type, used for casts. */
  sqlType: string;
  enumSchema?: string | null;
  enumName?: string | null;
  enumLabels?: string[] | null;
}

const KIND_BY_TYPNAME: Record<string, ValueKind> = {
  int2: 'int',
  int4: 'int',
  int8: 'bigint',
  float4: 'float',
  float8: 'float',
  numeric: 'decimal',
  bool: 'boolean',
  text: 'string',
  varchar: 'string',
  bpchar: 'string',
  name: 'string',
  citext: 'string',
  uuid: 'uuid',
  date: 'date',
  timestamp: 'datetime',
  timestamptz: 'datetime',
  json: 'json',
  jsonb: 'jsonb',
};

/** Kinds whose JSON rendering by PostgreSQL is what GraphQL expects, without a text cast. */
const NATIVE_JSON: ReadonlySet<ValueKind> = new Set(['int', 'float', 'boolean', 'string', 'uuid', 'date', 'datetime', 'json', 'jsonb', 'enum']);

/**
 * Maps a PostgreSQL type onto how DistRAG carries it. Anything unknown (money, interval, inet,
 * bytea, geometric types, …) travels as its text form: lossless, and comparable in SQL by casting
 * the parameter back to the column's type.
 */
export function mapPgType(row: PgTypeRow): CatalogType {
  if (row.typtype === 'e' && row.enumName && row.enumLabels) {
    return {
      kind: 'enum',
      sqlType: row.sqlType,
      isArray: row.isArray,
      castToText: false,
      enumType: { schema: row.enumSchema ?? 'public', name: row.enumName, labels: row.enumLabels },
    };
  }
  const known = KIND_BY_TYPNAME[row.typname];
  const kind: ValueKind = known ?? 'string';
  // A type we do not know is rendered by its text output function (to_json would pick its own form).
  const castToText = known === undefined || !NATIVE_JSON.has(kind);
  return { kind, sqlType: row.sqlType, isArray: row.isArray, castToText };
}
