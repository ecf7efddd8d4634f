import type { ApiTable } from '../api-model/api-model.js';
import type { BoolPlan, OrderPlan } from '../plan/plan-types.js';
import { columnRef, isRecurring, joinConditions, keyedJoin, rowRef, sql, tableRef, tenantConditions, valueFor, whereClause, type RowRef, type SQL, type SqlScope } from './sql-parts.js';

const BINARY: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', contains: '@>', containedIn: '<@', overlaps: '&&' };

/** A BoolPlan as an SQL condition on the row `alias` of `table`; every value a bound parameter. */
export function compileWhere(plan: BoolPlan, table: ApiTable, alias: symbol, scope: SqlScope): SQL {
  switch (plan.kind) {
    case 'and':
      return plan.items.length === 0 ? sql.TRUE : sql.fragment`(${sql.join(plan.items.map((i) => compileWhere(i, table, alias, scope)), ') AND (')})`;
    case 'or':
      return plan.items.length === 0 ? sql.FALSE : sql.fragment`(${sql.join(plan.items.map((i) => compileWhere(i, table, alias, scope)), ') OR (')})`;
    case 'not':
      return sql.fragment`NOT (${compileWhere(plan.item, table, alias, scope)})`;
    case 'related': {
      const target = Symbol(plan.relation.target.names.type);
      const inner = [...tenantConditions(plan.relation.target, target, scope), compileWhere(plan.where, plan.relation.target, target, scope)];
      if (isRecurring(table, scope)) {
        // Citus refuses a correlated EXISTS below a recurring row: the same test as an
        // uncorrelated IN, which is true exactly when EXISTS is (false, not NULL, otherwise).
        const sources = plan.relation.joins.map((j) => columnRef(alias, j.source));
        const targets = plan.relation.joins.map((j) => columnRef(target, j.target));
        return sql.fragment`coalesce((${sql.join(sources, ', ')}) IN (SELECT ${sql.join(targets, ', ')} FROM ${tableRef(plan.relation.target)} AS ${sql.identifier(target)}${whereClause(inner)}), false)`;
      }
      const conditions = [...joinConditions(plan.relation, alias, target), ...inner];
      return sql.fragment`EXISTS (SELECT 1 FROM ${tableRef(plan.relation.target)} AS ${sql.identifier(target)}${whereClause(conditions)})`;
    }
    case 'compare': {
      const { column, operator, value } = plan;
      const ref = columnRef(alias, column);
      switch (operator) {
        case 'isNull':
          return value ? sql.fragment`${ref} IS NULL` : sql.fragment`${ref} IS NOT NULL`;
        case 'in':
          return sql.fragment`${ref} = ANY(${valueFor(column, value, true)})`;
        case 'nin':
          return sql.fragment`${ref} <> ALL(${valueFor(column, value, true)})`;
        case 'like':
        case 'ilike': {
          const text = column.type.castToText ? sql.fragment`${ref}::text` : ref;
          return sql.fragment`${text} ${sql.raw(operator === 'like' ? 'LIKE' : 'ILIKE')} ${sql.value(value)}::text`;
        }
        case 'hasKey':
          return sql.fragment`${ref} ? ${sql.value(value)}::text`;
        default: {
          const symbol = BINARY[operator];
          if (!symbol) throw new Error(`no SQL for operator ${operator}`);
          return sql.fragment`${ref} ${sql.raw(symbol)} ${valueFor(column, value)}`;
        }
      }
    }
  }
}

/**
 * A sort key's expression: the row's column, or a related row's column through object relations
 * (a correlated subquery, or out of a recurring row a LEFT JOIN added to `joins`, its FROM).
 */
export function orderExpression(order: OrderPlan, table: ApiTable, row: RowRef, scope: SqlScope, joins: SQL[]): SQL {
  if (order.path.length === 0) return columnRef(row.alias, order.column);
  const [relation, ...rest] = order.path;
  const target = rowRef(relation!.target, scope);
  const targetJoins: SQL[] = [];
  const inner = orderExpression({ ...order, path: rest }, relation!.target, target, scope, targetJoins);
  const source = sql.fragment`${tableRef(relation!.target)} AS ${sql.identifier(target.alias)}${sql.join(targetJoins, '')}`;
  if (row.recurring) {
    const { join, value } = keyedJoin(relation!, row.alias, target.alias, (keyColumns) => sql.fragment`SELECT ${keyColumns}, ${inner} AS v FROM ${source}${whereClause(tenantConditions(relation!.target, target.alias, scope))}`);
    joins.push(join);
    return value;
  }
  const conditions = [...joinConditions(relation!, row.alias, target.alias), ...tenantConditions(relation!.target, target.alias, scope)];
  return sql.fragment`(SELECT ${inner} FROM ${source}${whereClause(conditions)} LIMIT 1)`;
}

/** ` ASC NULLS FIRST` etc. */
export function orderDirection(order: OrderPlan): SQL {
  return sql.raw(`${order.descending ? ' DESC' : ' ASC'}${order.nulls ? ` NULLS ${order.nulls}` : ''}`);
}
