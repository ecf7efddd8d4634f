import type { ApiTable } from '../api-model/api-model.js';
import { operatorsFor, type ComparisonOperator } from '../api-model/comparison-operators.js';
import { badInput } from '../../../src/errors/safe-error.js';
import type { BoolPlan, OrderPlan } from './plan-types.js';

/** Deepest nesting of and/or/not/relation filters one `where` may have. */
export const MAX_WHERE_DEPTH = 16;
/** Most values one `in` / `nin` list may hold. */
export const MAX_IN_VALUES = 10_000;

type Input = Record<string, unknown>;

/**
 * A `where` input (already coerced by GraphQL: enum values are PostgreSQL labels, unknown fields
 * impossible) as a BoolPlan. Every entry of an object must hold. An explicit null is refused
 * rather than ignored: `{ id: { eq: null } }` matching every row is how data gets deleted.
 */
export function planWhere(table: ApiTable, input: Input, path = 'where', depth = 0): BoolPlan {
  if (depth > MAX_WHERE_DEPTH) throw badInput(`${path} is nested more than ${MAX_WHERE_DEPTH} levels deep`);
  const items: BoolPlan[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const at = `${path}.${key}`;
    if (value === null) throw badInput(`${at} is null; leave it out, or use { isNull: true } to match nulls`);
    if (key === 'and' || key === 'or') {
      const list = value as Input[];
      items.push({ kind: key, items: list.map((item, i) => planWhere(table, item, `${at}[${i}]`, depth + 1)) });
    } else if (key === 'not') {
      items.push({ kind: 'not', item: planWhere(table, value as Input, at, depth + 1) });
    } else if (table.relationsByField.has(key)) {
      const relation = table.relationsByField.get(key)!;
      items.push({ kind: 'related', relation, where: planWhere(relation.target, value as Input, at, depth + 1) });
    } else {
      const column = table.columnsByField.get(key);
      if (!column) throw badInput(`${at} is not a column of ${table.names.type}`);
      const allowed = operatorsFor(column);
      for (const [operator, operand] of Object.entries(value as Input)) {
        if (operand === undefined) continue;
        if (operand === null) throw badInput(`${at}.${operator} is null; leave it out, or use { isNull: true } to match nulls`);
        if (!allowed.includes(operator as ComparisonOperator)) throw badInput(`${at}.${operator} is not available on ${column.graphqlType} columns`);
        if ((operator === 'in' || operator === 'nin') && (operand as unknown[]).length > MAX_IN_VALUES) {
          throw badInput(`${at}.${operator} lists more than ${MAX_IN_VALUES} values`);
        }
        items.push({ kind: 'compare', column, operator: operator as ComparisonOperator, value: operand });
      }
    }
  }
  return items.length === 1 ? items[0]! : { kind: 'and', items };
}

/**
 * `orderBy` entries as sort keys; object relations lead to their row's columns. The primary key
 * is appended as a tie-breaker, so that pages of `limit`/`offset` neither repeat nor skip rows.
 */
export function planOrderBy(table: ApiTable, entries: Input[] | null | undefined): OrderPlan[] {
  const orders: OrderPlan[] = [];
  const visit = (current: ApiTable, entry: Input, path: OrderPlan['path'], at: string, depth: number) => {
    if (depth > MAX_WHERE_DEPTH) throw badInput(`${at} is nested more than ${MAX_WHERE_DEPTH} levels deep`);
    for (const [key, value] of Object.entries(entry)) {
      if (value === undefined) continue;
      if (value === null) throw badInput(`${at}.${key} is null; leave it out`);
      const relation = current.relationsByField.get(key);
      if (relation) {
        visit(relation.target, value as Input, [...path, relation], `${at}.${key}`, depth + 1);
        continue;
      }
      const column = current.columnsByField.get(key);
      if (!column) throw badInput(`${at}.${key} is not a column of ${current.names.type}`);
      const direction = String(value);
      orders.push({
        path,
        column,
        descending: direction.startsWith('DESC'),
        nulls: direction.endsWith('NULLS_FIRST') ? 'FIRST' : direction.endsWith('NULLS_LAST') ? 'LAST' : null,
      });
    }
  };
  (entries ?? []).forEach((entry, i) => visit(table, entry, [], `orderBy[${i}]`, 0));
  for (const column of table.primaryKey ?? []) {
    if (!orders.some((o) => o.path.length === 0 && o.column === column)) orders.push({ path: [], column, descending: false, nulls: null });
  }
  return orders;
}
