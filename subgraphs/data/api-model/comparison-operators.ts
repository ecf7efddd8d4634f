import type { ApiColumn } from './api-model.js';

/** A `where` operator: how the GraphQL input names it and what SQL it becomes. */
export type ComparisonOperator =
  | 'eq'
  | 'neq'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'in'
  | 'nin'
  | 'like'
  | 'ilike'
  | 'isNull'
  | 'contains'
  | 'containedIn'
  | 'overlaps'
  | 'hasKey';

const ORDERED: ComparisonOperator[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'isNull'];

/** The operators a column's comparison input offers, by what its values are. */
export function operatorsFor(column: Pick<ApiColumn, 'type'>): ComparisonOperator[] {
  const { kind, isArray } = column.type;
  if (isArray) return ['eq', 'neq', 'contains', 'containedIn', 'overlaps', 'isNull'];
  switch (kind) {
    case 'string':
      return [...ORDERED, 'like', 'ilike'];
    case 'boolean':
      return ['eq', 'neq', 'isNull'];
    case 'json':
      return ['isNull'];
    case 'jsonb':
      return ['eq', 'neq', 'contains', 'containedIn', 'hasKey', 'isNull'];
    default:
      return ORDERED;
  }
}

/** The GraphQL input type of one operator's operand, given the column's value type. */
export function operandType(operator: ComparisonOperator, valueType: string, isArray: boolean): string {
  if (operator === 'isNull') return 'Boolean';
  if (operator === 'like' || operator === 'ilike' || operator === 'hasKey') return 'String';
  if (isArray) return `[${valueType}]`;
  if (operator === 'in' || operator === 'nin') return `[${valueType}!]`;
  return valueType;
}

export const OPERATOR_DOCS: Record<ComparisonOperator, string> = {
  eq: 'equal to',
  neq: 'not equal to (rows where the column is null do not match)',
  gt: 'greater than',
  gte: 'greater than or equal to',
  lt: 'less than',
  lte: 'less than or equal to',
  in: 'equal to one of the values',
  nin: 'equal to none of the values',
  like: 'matches an SQL LIKE pattern (% any string, _ one character), case-sensitive',
  ilike: 'matches an SQL LIKE pattern, case-insensitive',
  isNull: 'true: the column is null; false: it is not',
  contains: 'contains every element (arrays) or the given JSON (jsonb @>)',
  containedIn: 'is contained in the value (<@)',
  overlaps: 'has an element in common with the value (&&)',
  hasKey: 'the JSON object has this top-level key (?)',
};
