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

/** The JSON object of one row: its selected columns and nested relations. */
export function rowObject(fields: FieldPlan[], alias: symbol, scope: SqlScope): SQL {
  return jsonObject(fields.map((field): [string, SQL] => {
    switch (field.kind) {
      case 'typename':
        return [field.key, sql.fragment`${sql.literal(field.typeName)}::text`];
      case 'column':
        return [field.key, outputExpression(alias, field.column)];
      case 'object':
        return [field.key, compileObject(field.select, scope, { alias, relation: field.relation })];
      case 'array':
        return [field.key, compileList(field.select, scope, { alias, relation: field.relation })];
      case 'aggregate':
        return [field.key, compileAggregate(field.aggregate, scope, { alias, relation: field.relation })];
    }
  }));
}

function conditionsFor(select: { table: SelectPlan['table']; where: SelectPlan['where'] }, alias: symbol, scope: SqlScope, link: ParentLink | null): SQL[] {
  return [
    ...(link ? joinConditions(link.relation, link.alias, alias) : []),
    ...tenantConditions(select.table, alias, scope),
    ...(select.where ? [compileWhere(select.where, select.table, alias, scope)] : []),
  ];
}

/**
 * A list: the rows ordered and paged in an inner query, aggregated with `json_agg` in the same
 * order (the sort keys are carried out of the inner query, since aggregation order is otherwise
 * not guaranteed).
 */
function compileList(select: SelectPlan, scope: SqlScope, link: ParentLink | null): SQL {
  const alias = Symbol(select.table.names.type);
  const rows = Symbol('rows');
  const keys = select.orderBy.map((order, i) => ({ order, name: `o${i}`, expression: orderExpression(order, select.table, alias, scope) }));
  const sortColumns = keys.map((k) => sql.fragment`, ${k.expression} AS ${sql.identifier(k.name)}`);
  const innerOrder = keys.length === 0 ? sql.blank : sql.fragment` ORDER BY ${sql.join(keys.map((k) => sql.fragment`${k.expression}${orderDirection(k.order)}`), ', ')}`;
  const outerOrder = keys.length === 0 ? sql.blank : sql.fragment` ORDER BY ${sql.join(keys.map((k) => sql.fragment`${sql.identifier(rows, k.name)}${orderDirection(k.order)}`), ', ')}`;
  const page = sql.fragment`${select.limit === null ? sql.blank : sql.fragment` LIMIT ${sql.value(select.limit)}`}${select.offset > 0 ? sql.fragment` OFFSET ${sql.value(select.offset)}` : sql.blank}`;
  const inner = sql.fragment`SELECT ${rowObject(select.fields, alias, scope)} AS j${sql.join(sortColumns, '')} FROM ${tableRef(select.table)} AS ${sql.identifier(alias)}${whereClause(conditionsFor(select, alias, scope, link))}${innerOrder}${page}`;
  return sql.fragment`(SELECT coalesce(json_agg(${sql.identifier(rows, 'j')}${outerOrder}), '[]'::json) FROM (${inner}) AS ${sql.identifier(rows)})`;
}

/** At most one row: a byPk lookup, an entity, or an object relation. */
function compileObject(select: SelectPlan, scope: SqlScope, link: ParentLink | null): SQL {
  const alias = Symbol(select.table.names.type);
  return sql.fragment`(SELECT ${rowObject(select.fields, alias, scope)} FROM ${tableRef(select.table)} AS ${sql.identifier(alias)}${whereClause(conditionsFor(select, alias, scope, link))} LIMIT 1)`;
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

