import type { CatalogColumn, CatalogTable, CatalogType } from '../catalog/catalog-model.js';

/**
 * The GraphQL view of the catalog: every name the generated API uses, resolved once per schema
 * version, with the links back to SQL names. The SDL renderer, the planner and the SQL compiler
 * all read this; none of them derives a name of its own.
 */

export interface ApiColumn {
  /** GraphQL field name. */
  field: string;
  /** SQL column name. */
  sqlName: string;
  type: CatalogType;
  /** GraphQL named type of one value (scalar or enum), without list or non-null wrappers. */
  graphqlType: string;
  /** Input type of this column in `where`. */
  comparisonType: string;
  notNull: boolean;
  readOnly: boolean;
  comment: string | null;
  /** Comparable with `<`/`>` and usable in min/max. */
  ordered: boolean;
  /** Summable (sum/avg). */
  numeric: boolean;
  /** A PostgreSQL enum column: its GraphQL type's values and labels (translated at the SQL boundary). */
  enumValues: ApiEnum | null;
  catalog: CatalogColumn;
}

export interface ApiRelation {
  /** GraphQL field name on the source type. */
  field: string;
  /** `object`: at most one target row (many-to-one, or a unique reverse key); `array`: a list. */
  kind: 'object' | 'array';
  /** `<field>Aggregate` for array relations. */
  aggregateField: string | null;
  target: ApiTable;
  /** `source.<source> = target.<target>` for each pair (SQL names). */
  joins: Array<{ source: string; target: string }>;
  /** The foreign key behind the relation. */
  constraint: string;
}

export interface ApiTableNames {
  type: string;
  list: string;
  byPk: string | null;
  aggregate: string;
  aggregateType: string;
  insert: string;
  update: string;
  delete: string;
  boolExp: string;
  orderBy: string;
  insertInput: string;
  setInput: string;
  onConflict: string | null;
  constraintEnum: string | null;
  updateColumnEnum: string;
  mutationResponse: string;
  sumFields: string;
  avgFields: string;
  minFields: string;
  maxFields: string;
}

export interface ApiTable {
  catalog: CatalogTable;
  names: ApiTableNames;
  columns: ApiColumn[];
  columnsByField: Map<string, ApiColumn>;
  columnsBySql: Map<string, ApiColumn>;
  /** Relations, filled in once every table has its names. */
  relations: ApiRelation[];
  relationsByField: Map<string, ApiRelation>;
  primaryKey: ApiColumn[] | null;
  /** The tenant column of a tenant table; null for reference tables. */
  tenantColumn: ApiColumn | null;
  /** `onConflict.constraint` enum value → SQL constraint name. */
  constraintsByValue: Map<string, string>;
}

export interface ApiEnum {
  typeName: string;
  comparisonType: string;
  values: Array<{ name: string; label: string }>;
  /** GraphQL value name → PostgreSQL label. */
  labelOf: Map<string, string>;
  /** True when some label differs from its GraphQL name (the SQL then translates). */
  renamed: boolean;
}

export interface ApiModel {
  mode: 'SINGLE' | 'CITUS';
  fingerprint: string;
  tables: ApiTable[];
  tablesByType: Map<string, ApiTable>;
  enums: ApiEnum[];
  /** Tables left out of the API, with the reason (logged, and listed by `dataTables`). */
  skipped: Array<{ table: string; reason: string }>;
}
