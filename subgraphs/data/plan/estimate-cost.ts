import type { ApiRelation, ApiTable } from '../api-model/api-model.js';
import type { FieldPlan, RootPlan, SelectPlan } from './plan-types.js';

/**
 * The number of rows an operation may produce, all nested lists together, estimated before it
 * runs: a list yields at most `limit` rows, and no more than its table holds (planner statistics);
 * a nested list yields, per parent row, at most its `limit` and about the average fan-out of the
 * relation (child rows / parent rows). Object relations and aggregates count one row per parent.
 */
export function estimateRootCost(plan: RootPlan): number {
  switch (plan.kind) {
    case 'list': {
      const rows = capped(plan.select.limit, plan.select.table.catalog.estimatedRows);
      return rows + rows * nestedCostPerRow(plan.select);
    }
    case 'object':
      return 1 + nestedCostPerRow(plan.select);
    case 'aggregate':
      return 1;
  }
}

/** Rows produced under one row of `select` by its nested fields. */
function nestedCostPerRow(select: SelectPlan): number {
  let total = 0;
  for (const field of select.fields) total += fieldCost(select.table, field);
  return total;
}

function fieldCost(parent: ApiTable, field: FieldPlan): number {
  switch (field.kind) {
    case 'typename':
    case 'column':
      return 0;
    case 'aggregate':
      return 1;
    case 'object':
      return 1 + nestedCostPerRow(field.select);
    case 'array': {
      const perParent = capped(field.select.limit, fanOut(parent, field.relation));
      return perParent + perParent * nestedCostPerRow(field.select);
    }
  }
}

function fanOut(parent: ApiTable, relation: ApiRelation): number | null {
  const children = relation.target.catalog.estimatedRows;
  const parents = parent.catalog.estimatedRows;
  if (children === null || parents === null) return null;
  return Math.max(1, Math.ceil(children / Math.max(1, parents)));
}

function capped(limit: number | null, estimate: number | null): number {
  if (limit === null) return estimate ?? 1;
  return estimate === null ? limit : Math.min(limit, Math.max(1, Math.ceil(estimate)));
}
