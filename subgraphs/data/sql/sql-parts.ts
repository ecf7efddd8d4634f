import * as sql from 'pg-sql2';
import type { ApiColumn, ApiRelation, ApiTable } from '../api-model/api-model.js';

export type SQL = sql.SQL;
export { sql };

/** Who a statement runs for. A tenant adds its own filter to every tenant table it reads. */
export interface SqlScope {
  tenant: string | null;
  /** The database is a Citus coordinator: relations out of recurring rows are joined (RowRef). */
  citus: boolean;
}

/** The row a part of a statement is built around. */
export interface RowRef {
  alias: symbol;
  /**
   * Citus treats the row's FROM as "recurring" (a reference or local table, or a CTE such as a
   * mutation's changed rows) and refuses correlated subqueries below it that reach distributed
   * tables: its relations are joined to it instead of correlated.
   */
  recurring: boolean;
  /** For rows of a CTE: `SELECT <columns> FROM <cte>`, to narrow related rows to the parents' keys. */
  keysFrom?: (columns: string[]) => SQL;
}

/** Whether rows of `table` are recurring for Citus (always false on a single node). */
export function isRecurring(table: ApiTable, scope: SqlScope): boolean {
  return scope.citus && table.catalog.citus !== 'distributed';
}

/** A new row of `table`, aliased by a fresh symbol. */
export function rowRef(table: ApiTable, scope: SqlScope): RowRef {
  return { alias: Symbol(table.names.type), recurring: isRecurring(table, scope) };
}

/** json_build_object takes at most 100 arguments: wider objects are built from jsonb pieces. */
const MAX_PAIRS = 50;

export function tableRef(table: ApiTable): SQL {
  return sql.identifier(table.catalog.schema, table.catalog.name);
}

export function columnRef(alias: symbol, column: ApiColumn | string): SQL {
  return sql.identifier(alias, typeof column === 'string' ? column : column.sqlName);
}

/** The column's type as written by format_type() in the catalog: trusted SQL, never user input. */
export function sqlType(column: ApiColumn, arrayOf = false): SQL {
  return sql.raw(arrayOf ? `${column.type.sqlType}[]` : column.type.sqlType);
}

/**
 * A value bound as a parameter and cast to the column's type: JSON documents serialised, GraphQL
 * enum value names turned back into their PostgreSQL labels.
 */
export function valueFor(column: ApiColumn, value: unknown, arrayOf = false): SQL {
  const isJson = (column.type.kind === 'json' || column.type.kind === 'jsonb') && !column.type.isArray && !arrayOf;
  let bound = isJson ? JSON.stringify(value) : value;
  const enumValues = column.enumValues;
  if (enumValues) {
    const label = (name: unknown) => (typeof name === 'string' ? (enumValues.labelOf.get(name) ?? name) : name);
    bound = Array.isArray(value) ? value.map(label) : label(value);
  }
  return sql.fragment`${sql.value(bound)}::${sqlType(column, arrayOf)}`;
}

/**
 * A column as GraphQL wants it in JSON: int8, numeric and unknown types as text, enum labels as
 * their GraphQL value names. What the SQL returns needs no further serialisation.
 */
export function outputExpression(alias: symbol, column: ApiColumn): SQL {
  return outputOf(columnRef(alias, column), column);
}

/** `outputExpression` for any expression of the column's type (e.g. `max(col)`). */
export function outputOf(expression: SQL, column: ApiColumn): SQL {
  const enumValues = column.enumValues;
  if (enumValues?.renamed) {
    const rename = (value: SQL) =>
      sql.fragment`CASE ${value}::text ${sql.join(enumValues.values.map((v) => sql.fragment`WHEN ${sql.literal(v.label)} THEN ${sql.literal(v.name)}`), ' ')} END`;
    if (!column.type.isArray) return rename(expression);
    const element = Symbol('element');
    return sql.fragment`CASE WHEN ${expression} IS NULL THEN NULL ELSE coalesce((SELECT array_agg(${rename(sql.identifier(element, 'e'))} ORDER BY ${sql.identifier(element, 'n')}) FROM unnest(${expression}) WITH ORDINALITY AS ${sql.identifier(element)}(e, n)), '{}') END`;
  }
  if (!column.type.castToText) return expression;
  return column.type.isArray ? sql.fragment`${expression}::text[]` : sql.fragment`${expression}::text`;
}

export function jsonObject(pairs: Array<[string, SQL]>): SQL {
  const build = (chunk: Array<[string, SQL]>, fn: string) =>
    sql.fragment`${sql.raw(fn)}(${sql.join(chunk.map(([key, value]) => sql.fragment`${sql.literal(key)}::text, ${value}`), ', ')})`;
  if (pairs.length <= MAX_PAIRS) return build(pairs, 'json_build_object');
  const chunks: SQL[] = [];
  for (let i = 0; i < pairs.length; i += MAX_PAIRS) chunks.push(build(pairs.slice(i, i + MAX_PAIRS), 'jsonb_build_object'));
  return sql.fragment`(${sql.join(chunks, ' || ')})::json`;
}

/**
 * A relation joined to its parent row by its key instead of correlated (Citus refuses correlated
 * subqueries below recurring rows): ` LEFT JOIN (<subquery>) AS j ON j.k0 = parent.<source> AND …`.
 * `subquery` is given the related row's key columns (`child.<target> AS k0, …`) and their names
 * (`k0, …`), and yields one row per key with the relation's value in `v`, read as `j.v`.
 */
export function keyedJoin(relation: ApiRelation, parent: symbol, child: symbol, subquery: (keyColumns: SQL, keys: SQL) => SQL): { join: SQL; value: SQL } {
  const joined = Symbol(`${relation.field}_joined`);
  const keys = relation.joins.map((_, i) => sql.identifier(`k${i}`));
  const keyColumns = sql.join(relation.joins.map((j, i) => sql.fragment`${columnRef(child, j.target)} AS ${keys[i]!}`), ', ');
  const on = relation.joins.map((j, i) => sql.fragment`${sql.identifier(joined)}.${keys[i]!} = ${columnRef(parent, j.source)}`);
  return {
    join: sql.fragment` LEFT JOIN (${subquery(keyColumns, sql.join(keys, ', '))}) AS ${sql.identifier(joined)} ON ${sql.join(on, ' AND ')}`,
    value: sql.identifier(joined, 'v'),
  };
}

/** `child.<target> = parent.<source>` for each column pair of the relation. */
export function joinConditions(relation: ApiRelation, parent: symbol, child: symbol): SQL[] {
  return relation.joins.map((j) => sql.fragment`${columnRef(child, j.target)} = ${columnRef(parent, j.source)}`);
}

/**
 * A tenant caller's explicit filter on a tenant table. Row-level security already hides other
 * tenants' rows; saying it in the statement as well lets Citus route it to one shard instead of
 * asking every shard (an RLS qual alone does not prune shards).
 */
export function tenantConditions(table: ApiTable, alias: symbol, scope: SqlScope): SQL[] {
  if (scope.tenant === null || !table.tenantColumn) return [];
  return [sql.fragment`${columnRef(alias, table.tenantColumn)} = ${valueFor(table.tenantColumn, scope.tenant)}`];
}

export function whereClause(conditions: SQL[]): SQL {
  return conditions.length === 0 ? sql.blank : sql.fragment` WHERE ${sql.join(conditions.map((c) => sql.fragment`(${c})`), ' AND ')}`;
}
