import type { ApiRelation } from '../api-model/api-model.js';
import type { AggregatePlan, FieldPlan, RootPlan, SelectPlan } from '../plan/plan-types.js';
import { compileWhere, orderDirection, orderExpression } from './compile-where.js';
import { columnRef, joinConditions, jsonObject, outputExpression, outputOf, sql, tableRef, tenantConditions, whereClause, type SQL, type SqlScope } from './sql-parts.js';

/** How a nested subquery is tied to its parent row. */
interface ParentLink {
  alias: symbol;
  relation: ApiRelation;
}

/**
 * One root field as a scalar subquery yielding its JSON value. Nested selections become
 * correlated subqueries aggregating to JSON inside it, so a whole operation is one statement.
 */
export function compileRoot(plan: RootPlan, scope: SqlScope): SQL {
  switch (plan.kind) {
    case 'list':
      return compileList(plan.select, scope, null);
    case 'object':
      return compileObject(plan.select, scope, null);
    case 'aggregate':
      return compileAggregate(plan.aggregate, scope, null);
  }
}

/** Several root fields as one statement: `SELECT (q0) AS "0", (q1) AS "1", …`. */
export function compileRoots(plans: RootPlan[], scope: SqlScope): SQL {
  return sql.query`SELECT ${sql.join(plans.map((plan, i) => sql.fragment`${compileRoot(plan, scope)} AS ${sql.identifier(String(i))}`), ', ')}`;
}

/** A whole `data` object as one JSON text: `SELECT json_build_object('key', (q), …)::text`. */
export function compileDocument(entries: Array<{ key: string; plan: RootPlan | string }>, scope: SqlScope): SQL {
  const pairs = entries.map(({ key, plan }): [string, SQL] => [key, typeof plan === 'string' ? sql.fragment`${sql.literal(plan)}::text` : compileRoot(plan, scope)]);
  return sql.query`SELECT ${jsonObject(pairs)}::text AS data`;
}

/** The JSON object of one row: its selected columns and nested relations (json_build_object). */
export function rowObject(fields: FieldPlan[], alias: symbol, scope: SqlScope): SQL {
  return jsonObject(fields.map((field) => [field.key, fieldExpression(field, alias, scope)]));
}

/**
 * The selected fields of one row as `expression AS "key"` columns: the record PostgreSQL turns
 * into the row's JSON (json_agg / row_to_json), which costs about a third less than
 * json_build_object. A response key longer than an SQL identifier (63 bytes) cannot be a column
 * name: such rows are built with json_build_object instead.
 */
function rowColumns(fields: FieldPlan[], alias: symbol, scope: SqlScope): SQL | null {
  if (fields.some((f) => Buffer.byteLength(f.key) > MAX_IDENTIFIER_BYTES)) return null;
  return sql.join(fields.map((field) => sql.fragment`${fieldExpression(field, alias, scope)} AS ${sql.identifier(field.key)}`), ', ');
}

const MAX_IDENTIFIER_BYTES = 63;

function fieldExpression(field: FieldPlan, alias: symbol, scope: SqlScope): SQL {
  switch (field.kind) {
    case 'typename':
      return sql.fragment`${sql.literal(field.typeName)}::text`;
    case 'column':
      return outputExpression(alias, field.column);
    case 'object':
      return compileObject(field.select, scope, { alias, relation: field.relation });
    case 'array':
      return compileList(field.select, scope, { alias, relation: field.relation });
    case 'aggregate':
      return compileAggregate(field.aggregate, scope, { alias, relation: field.relation });
  }
}

/**
 * The rows of `from` (a FROM clause naming its row `alias`, with conditions, order and paging)
 * as a JSON array. json_agg reads the rows in the order the subquery sorted them — PostgreSQL
 * feeds an aggregate over a plain sorted subquery in that order (PostGraphile relies on the same).
 */
export function jsonRows(fields: FieldPlan[], alias: symbol, scope: SqlScope, from: SQL): SQL {
  const rows = Symbol('rows');
  const columns = rowColumns(fields, alias, scope);
  if (columns) return sql.fragment`(SELECT coalesce(json_agg(${sql.identifier(rows)}), '[]'::json) FROM (SELECT ${columns}${from}) AS ${sql.identifier(rows)})`;
  return sql.fragment`(SELECT coalesce(json_agg(${sql.identifier(rows, 'j')}), '[]'::json) FROM (SELECT ${rowObject(fields, alias, scope)} AS j${from}) AS ${sql.identifier(rows)})`;
}

function conditionsFor(select: { table: SelectPlan['table']; where: SelectPlan['where'] }, alias: symbol, scope: SqlScope, link: ParentLink | null): SQL[] {
  return [
    ...(link ? joinConditions(link.relation, link.alias, alias) : []),
    ...tenantConditions(select.table, alias, scope),
    ...(select.where ? [compileWhere(select.where, select.table, alias, scope)] : []),
  ];
}

/** A list: the rows filtered, ordered and paged, as a JSON array. */
function compileList(select: SelectPlan, scope: SqlScope, link: ParentLink | null): SQL {
  const alias = Symbol(select.table.names.type);
  const order = select.orderBy.length === 0
    ? sql.blank
    : sql.fragment` ORDER BY ${sql.join(select.orderBy.map((o) => sql.fragment`${orderExpression(o, select.table, alias, scope)}${orderDirection(o)}`), ', ')}`;
  const page = sql.fragment`${select.limit === null ? sql.blank : sql.fragment` LIMIT ${sql.value(select.limit)}`}${select.offset > 0 ? sql.fragment` OFFSET ${sql.value(select.offset)}` : sql.blank}`;
  const from = sql.fragment` FROM ${tableRef(select.table)} AS ${sql.identifier(alias)}${whereClause(conditionsFor(select, alias, scope, link))}${order}${page}`;
  return jsonRows(select.fields, alias, scope, from);
}

/** At most one row: a byPk lookup, an entity, or an object relation. */
function compileObject(select: SelectPlan, scope: SqlScope, link: ParentLink | null): SQL {
  const alias = Symbol(select.table.names.type);
  const from = sql.fragment` FROM ${tableRef(select.table)} AS ${sql.identifier(alias)}${whereClause(conditionsFor(select, alias, scope, link))} LIMIT 1`;
  const columns = rowColumns(select.fields, alias, scope);
  if (!columns) return sql.fragment`(SELECT ${rowObject(select.fields, alias, scope)}${from})`;
  const row = Symbol('row');
  return sql.fragment`(SELECT row_to_json(${sql.identifier(row)}) FROM (SELECT ${columns}${from}) AS ${sql.identifier(row)})`;
}

function compileAggregate(aggregate: AggregatePlan, scope: SqlScope, link: ParentLink | null): SQL {
  const alias = Symbol(aggregate.table.names.type);
  const pairs = aggregate.fields.map((field): [string, SQL] => {
    if (field.kind === 'typename') return [field.key, sql.fragment`${sql.literal(field.typeName)}::text`];
    if (field.kind === 'count') return [field.key, sql.fragment`count(*)::int`];
    return [field.key, jsonObject(field.columns.map((entry): [string, SQL] => {
      if ('typeName' in entry) return [entry.key, sql.fragment`${sql.literal(entry.typeName)}::text`];
      const { key, column } = entry;
      const ref = columnRef(alias, column);
      const fn = sql.raw(field.kind);
      // sum(int) is bigint and sum/avg of exact types numeric: text, so no precision is lost.
      const exact = column.type.kind !== 'float';
      if (field.kind === 'sum' || field.kind === 'avg') return [key, exact ? sql.fragment`${fn}(${ref})::text` : sql.fragment`${fn}(${ref})`];
      return [key, outputOf(sql.fragment`${fn}(${ref})`, column)];
    }))];
  });
  return sql.fragment`(SELECT ${jsonObject(pairs)} FROM ${tableRef(aggregate.table)} AS ${sql.identifier(alias)}${whereClause(conditionsFor(aggregate, alias, scope, link))})`;
}

