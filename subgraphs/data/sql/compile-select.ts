import type { ApiRelation, ApiTable } from '../api-model/api-model.js';
import type { AggregateFieldPlan, AggregatePlan, FieldPlan, RootPlan, SelectPlan } from '../plan/plan-types.js';
import { compileWhere, orderDirection, orderExpression } from './compile-where.js';
import { columnRef, joinConditions, jsonObject, keyedJoin, outputExpression, outputOf, rowRef, sql, tableRef, tenantConditions, whereClause, type RowRef, type SQL, type SqlScope } from './sql-parts.js';

/** How a nested subquery is tied to its parent row. */
interface ParentLink {
  parent: RowRef;
  relation: ApiRelation;
}

/**
 * One root field as a scalar subquery yielding its JSON value. Nested selections become
 * correlated subqueries aggregating to JSON inside it, so a whole operation is one statement.
 * Under Citus, relations out of a recurring row (see `RowRef`) are joined to it as grouped
 * subqueries instead: Citus refuses correlated subqueries below a reference table's rows.
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
function rowObject(fields: FieldPlan[], row: RowRef, scope: SqlScope, joins: SQL[]): SQL {
  return jsonObject(fields.map((field) => [field.key, fieldExpression(field, row, scope, joins)]));
}

/**
 * The selected fields of one row as `expression AS "key"` columns: the record PostgreSQL turns
 * into the row's JSON (json_agg / row_to_json), which costs about a third less than
 * json_build_object. A response key longer than an SQL identifier (63 bytes) cannot be a column
 * name: such rows are built with json_build_object instead.
 */
function rowColumns(fields: FieldPlan[], row: RowRef, scope: SqlScope, joins: SQL[]): SQL | null {
  if (fields.some((f) => Buffer.byteLength(f.key) > MAX_IDENTIFIER_BYTES)) return null;
  return sql.join(fields.map((field) => sql.fragment`${fieldExpression(field, row, scope, joins)} AS ${sql.identifier(field.key)}`), ', ');
}

const MAX_IDENTIFIER_BYTES = 63;

/**
 * One field of a row. A relation is a correlated subquery, or, out of a recurring row, a
 * LEFT JOIN (pushed onto `joins`, the row's FROM clause) of its values grouped by the join key.
 */
function fieldExpression(field: FieldPlan, row: RowRef, scope: SqlScope, joins: SQL[]): SQL {
  switch (field.kind) {
    case 'typename':
      return sql.fragment`${sql.literal(field.typeName)}::text`;
    case 'column':
      return outputExpression(row.alias, field.column);
    case 'object':
      return row.recurring ? joinedObject(field.select, scope, { parent: row, relation: field.relation }, joins) : compileObject(field.select, scope, { parent: row, relation: field.relation });
    case 'array':
      return row.recurring ? joinedList(field.select, scope, { parent: row, relation: field.relation }, joins) : compileList(field.select, scope, { parent: row, relation: field.relation });
    case 'aggregate':
      return row.recurring ? joinedAggregate(field.aggregate, scope, { parent: row, relation: field.relation }, joins) : compileAggregate(field.aggregate, scope, { parent: row, relation: field.relation });
  }
}

/** ` FROM <source> <joins> WHERE … <tail>`: the joins a row's fields added come right after its source. */
function fromClause(source: SQL, joins: SQL[], conditions: SQL[], tail: SQL = sql.blank): SQL {
  return sql.fragment` FROM ${source}${sql.join(joins, '')}${whereClause(conditions)}${tail}`;
}

/**
 * The rows of one source as a JSON array, in the order and page given by `tail`. json_agg reads
 * the rows in the order the subquery sorted them — PostgreSQL feeds an aggregate over a plain
 * sorted subquery in that order (PostGraphile relies on the same).
 */
export function jsonRows(fields: FieldPlan[], row: RowRef, scope: SqlScope, source: SQL, conditions: SQL[], tail: (joins: SQL[]) => SQL): SQL {
  const rows = Symbol('rows');
  const joins: SQL[] = [];
  const columns = rowColumns(fields, row, scope, joins);
  if (columns) {
    const from = fromClause(source, joins, conditions, tail(joins));
    return sql.fragment`(SELECT coalesce(json_agg(${sql.identifier(rows)}), '[]'::json) FROM (SELECT ${columns}${from}) AS ${sql.identifier(rows)})`;
  }
  // (rowColumns gave up before looking at any field: `joins` is still empty.)
  const object = rowObject(fields, row, scope, joins);
  return sql.fragment`(SELECT coalesce(json_agg(${sql.identifier(rows, 'j')}), '[]'::json) FROM (SELECT ${object} AS j${fromClause(source, joins, conditions, tail(joins))}) AS ${sql.identifier(rows)})`;
}

function conditionsFor(select: { table: ApiTable; where: SelectPlan['where'] }, alias: symbol, scope: SqlScope, link: ParentLink | null): SQL[] {
  return [
    ...(link ? joinConditions(link.relation, link.parent.alias, alias) : []),
    ...tenantConditions(select.table, alias, scope),
    ...(select.where ? [compileWhere(select.where, select.table, alias, scope)] : []),
  ];
}

/** ` ORDER BY …` of a list (its sort keys may add joins, like its fields). */
function orderClause(select: SelectPlan, row: RowRef, scope: SqlScope, joins: SQL[]): SQL {
  if (select.orderBy.length === 0) return sql.blank;
  return sql.fragment` ORDER BY ${sql.join(select.orderBy.map((o) => sql.fragment`${orderExpression(o, select.table, row, scope, joins)}${orderDirection(o)}`), ', ')}`;
}

function pageClause(select: SelectPlan): SQL {
  return sql.fragment`${select.limit === null ? sql.blank : sql.fragment` LIMIT ${sql.value(select.limit)}`}${select.offset > 0 ? sql.fragment` OFFSET ${sql.value(select.offset)}` : sql.blank}`;
}

/** A list: the rows filtered, ordered and paged, as a JSON array. */
function compileList(select: SelectPlan, scope: SqlScope, link: ParentLink | null): SQL {
  const row = rowRef(select.table, scope);
  const source = sql.fragment`${tableRef(select.table)} AS ${sql.identifier(row.alias)}`;
  return jsonRows(select.fields, row, scope, source, conditionsFor(select, row.alias, scope, link), (joins) => sql.fragment`${orderClause(select, row, scope, joins)}${pageClause(select)}`);
}

/** At most one row: a byPk lookup, an entity, or an object relation. */
function compileObject(select: SelectPlan, scope: SqlScope, link: ParentLink | null): SQL {
  const row = rowRef(select.table, scope);
  const source = sql.fragment`${tableRef(select.table)} AS ${sql.identifier(row.alias)}`;
  const conditions = conditionsFor(select, row.alias, scope, link);
  const joins: SQL[] = [];
  const columns = rowColumns(select.fields, row, scope, joins);
  if (!columns) {
    const object = rowObject(select.fields, row, scope, joins);
    return sql.fragment`(SELECT ${object}${fromClause(source, joins, conditions, sql.fragment` LIMIT 1`)})`;
  }
  const record = Symbol('row');
  return sql.fragment`(SELECT row_to_json(${sql.identifier(record)}) FROM (SELECT ${columns}${fromClause(source, joins, conditions, sql.fragment` LIMIT 1`)}) AS ${sql.identifier(record)})`;
}

/** The aggregate's JSON object over the rows of `alias` (count, and sum/avg/min/max per column). */
function aggregateObject(fields: AggregateFieldPlan[], alias: symbol): SQL {
  return jsonObject(fields.map((field): [string, SQL] => {
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
  }));
}

/** The aggregate's JSON object over no rows: count 0, every other value null. */
function emptyAggregateObject(fields: AggregateFieldPlan[]): SQL {
  return jsonObject(fields.map((field): [string, SQL] => {
    if (field.kind === 'typename') return [field.key, sql.fragment`${sql.literal(field.typeName)}::text`];
    if (field.kind === 'count') return [field.key, sql.fragment`0`];
    return [field.key, jsonObject(field.columns.map((entry): [string, SQL] => [entry.key, 'typeName' in entry ? sql.fragment`${sql.literal(entry.typeName)}::text` : sql.fragment`NULL::text`]))];
  }));
}

function compileAggregate(aggregate: AggregatePlan, scope: SqlScope, link: ParentLink | null): SQL {
  const alias = Symbol(aggregate.table.names.type);
  return sql.fragment`(SELECT ${aggregateObject(aggregate.fields, alias)} FROM ${tableRef(aggregate.table)} AS ${sql.identifier(alias)}${whereClause(conditionsFor(aggregate, alias, scope, link))})`;
}

/*
 * Relations out of a recurring row, as joins (keyedJoin): a subquery over the related table with
 * one row per join key, LEFT JOINed to the parent on the key, so no parent row is repeated or lost,
 * and Citus plans it (a grouped subquery pushed down to the shards, or materialised and joined on
 * the coordinator). When the parent rows come from a CTE (a mutation's changed rows), the related
 * rows are first narrowed to the parents' keys.
 */

function narrowing(link: ParentLink, child: symbol): SQL[] {
  if (!link.parent.keysFrom) return [];
  const targets = link.relation.joins.map((j) => columnRef(child, j.target));
  return [sql.fragment`(${sql.join(targets, ', ')}) IN (${link.parent.keysFrom(link.relation.joins.map((j) => j.source))})`];
}

function joinedObject(select: SelectPlan, scope: SqlScope, link: ParentLink, parentJoins: SQL[]): SQL {
  const child = rowRef(select.table, scope);
  const joins: SQL[] = [];
  const value = rowObject(select.fields, child, scope, joins);
  const conditions = [...conditionsFor(select, child.alias, scope, null), ...narrowing(link, child.alias)];
  const joined = keyedJoin(link.relation, link.parent.alias, child.alias, (keyColumns) =>
    sql.fragment`SELECT ${keyColumns}, ${value} AS v${fromClause(sql.fragment`${tableRef(select.table)} AS ${sql.identifier(child.alias)}`, joins, conditions)}`,
  );
  parentJoins.push(joined.join);
  return joined.value;
}

function joinedList(select: SelectPlan, scope: SqlScope, link: ParentLink, parentJoins: SQL[]): SQL {
  const child = rowRef(select.table, scope);
  const joins: SQL[] = [];
  const value = rowObject(select.fields, child, scope, joins);
  const order = select.orderBy.map((o) => sql.fragment`${orderExpression(o, select.table, child, scope, joins)}${orderDirection(o)}`);
  const conditions = [...conditionsFor(select, child.alias, scope, null), ...narrowing(link, child.alias)];
  const numbered = Symbol('numbered');
  const n = sql.identifier(numbered, 'n');
  // Each parent's page: row_number() over the parent's key, in the list's order.
  const rowNumber = sql.fragment`row_number() OVER (PARTITION BY ${sql.join(link.relation.joins.map((j) => columnRef(child.alias, j.target)), ', ')}${order.length > 0 ? sql.fragment` ORDER BY ${sql.join(order, ', ')}` : sql.blank})`;
  const page: SQL[] = [];
  if (select.offset > 0) page.push(sql.fragment`${n} > ${sql.value(select.offset)}`);
  if (select.limit !== null) page.push(sql.fragment`${n} <= ${sql.value(select.offset + select.limit)}`);
  const joined = keyedJoin(link.relation, link.parent.alias, child.alias, (keyColumns, keys) => {
    const inner = sql.fragment`SELECT ${keyColumns}, ${value} AS v, ${rowNumber} AS n${fromClause(sql.fragment`${tableRef(select.table)} AS ${sql.identifier(child.alias)}`, joins, conditions)}`;
    return sql.fragment`SELECT ${keys}, json_agg(${sql.identifier(numbered, 'v')} ORDER BY ${n}) AS v FROM (${inner}) AS ${sql.identifier(numbered)}${whereClause(page)} GROUP BY ${keys}`;
  });
  parentJoins.push(joined.join);
  return sql.fragment`coalesce(${joined.value}, '[]'::json)`;
}

function joinedAggregate(aggregate: AggregatePlan, scope: SqlScope, link: ParentLink, parentJoins: SQL[]): SQL {
  const child = rowRef(aggregate.table, scope);
  const conditions = [...conditionsFor(aggregate, child.alias, scope, null), ...narrowing(link, child.alias)];
  const groupBy = link.relation.joins.map((j) => columnRef(child.alias, j.target));
  const joined = keyedJoin(link.relation, link.parent.alias, child.alias, (keyColumns) =>
    sql.fragment`SELECT ${keyColumns}, ${aggregateObject(aggregate.fields, child.alias)} AS v FROM ${tableRef(aggregate.table)} AS ${sql.identifier(child.alias)}${whereClause(conditions)} GROUP BY ${sql.join(groupBy, ', ')}`,
  );
  parentJoins.push(joined.join);
  return sql.fragment`coalesce(${joined.value}, ${emptyAggregateObject(aggregate.fields)})`;
}
