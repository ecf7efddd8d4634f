/**
 * What the data subgraph knows of the database: plain data read from pg_catalog (and Citus
 * metadata), from which the GraphQL API is derived. Names here are SQL names.
 */

/** How a column's values travel: decides the GraphQL scalar, the output cast and the operators. */
export type ValueKind =
  | 'int' // int2, int4: GraphQL Int
  | 'bigint' // int8: BigInt (a string: JSON numbers lose precision above 2^53)
  | 'float' // float4, float8: Float
  | 'decimal' // numeric: Decimal (a string, exact)
  | 'boolean'
  | 'string' // text, varchar, char, name, citext and anything without a better mapping (sent as text)
  | 'uuid'
  | 'date'
  | 'datetime' // timestamp, timestamptz: ISO 8601 strings
  | 'json' // json: any JSON value, no equality operator in PostgreSQL
  | 'jsonb' // jsonb: any JSON value, comparable and searchable
  | 'enum'; // a PostgreSQL enum: a GraphQL enum

export interface CatalogType {
  kind: ValueKind;
  /** The SQL type parameters are cast to: `format_type(oid, NULL)`, from the catalog. */
  sqlType: string;
  /** Array of `kind` (one dimension as far as GraphQL is concerned). */
  isArray: boolean;
  /** True when the value must be cast to text to survive JSON (numeric, int8, money, …). */
  castToText: boolean;
  /** For enums: the type's qualified name and its labels in sort order. */
  enumType?: { schema: string; name: string; labels: string[] };
}

export interface CatalogColumn {
  name: string;
  type: CatalogType;
  notNull: boolean;
  hasDefault: boolean;
  /** Generated (`GENERATED ALWAYS AS`) or `GENERATED ALWAYS AS IDENTITY`: never written by the API. */
  readOnly: boolean;
  comment: string | null;
}

export interface CatalogKey {
  name: string;
  columns: string[];
}

export interface CatalogForeignKey extends CatalogKey {
  /** The referenced table, as `schema.table`. */
  references: string;
  referencedColumns: string[];
}

/** How the table's rows are shared between tenants. */
export type Tenancy = { kind: 'tenant'; column: string } | { kind: 'reference' };

/** Citus's own view of the table, null in single-node mode. */
export type CitusTableType = 'distributed' | 'reference' | 'local' | null;

export interface CatalogTable {
  oid: number;
  schema: string;
  name: string;
  /** `schema.table`, the key other tables' foreign keys use. */
  qualifiedName: string;
  comment: string | null;
  columns: CatalogColumn[];
  primaryKey: CatalogKey | null;
  /** Unique constraints and the primary key: the targets `onConflict` may name. */
  uniqueKeys: CatalogKey[];
  foreignKeys: CatalogForeignKey[];
  /** Every constraint's name (check and exclusion constraints too): errors name them. */
  constraintNames: string[];
  tenancy: Tenancy;
  citus: CitusTableType;
  /** Planner estimate of the row count (summed over shards under Citus); null when never analysed. */
  estimatedRows: number | null;
}

export interface Catalog {
  mode: 'SINGLE' | 'CITUS';
  tables: CatalogTable[];
  /** A digest of the catalog rows the API depends on; changes with any relevant DDL. */
  fingerprint: string;
}
