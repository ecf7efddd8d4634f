import { getArgumentValues, GraphQLObjectType, type FieldNode, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import type { ApiTable } from '../api-model/api-model.js';
import { badInput } from '../../../src/errors/safe-error.js';
import { collectFields, subSelections, type SelectionContext } from './collect-fields.js';
import type { AggregateFieldPlan, AggregatePlan, BoolPlan, FieldPlan, SelectPlan } from './plan-types.js';
import { planOrderBy, planWhere } from './plan-where.js';

export interface PlanContext extends SelectionContext {
  schema: GraphQLSchema;
  limits: { defaultLimit: number; maxLimit: number };
}

type Args = Record<string, unknown>;

/** `T(where, orderBy, limit, offset)` */
export function planList(context: PlanContext, table: ApiTable, nodes: readonly FieldNode[], args: Args, at: string): SelectPlan {
  const { limit, offset } = pageArgs(context, args, at);
  return {
    table,
    fields: planFields(context, table, subSelections(nodes)),
    where: args.where ? planWhere(table, args.where as Args, `${at}.where`) : null,
    orderBy: planOrderBy(table, args.orderBy as Args[] | null | undefined),
    limit,
    offset,
  };
}

/** `TByPk(<key columns>)`, and federation entity lookups: one row or null. */
export function planByKey(context: PlanContext, table: ApiTable, selectionSets: readonly SelectionSetNode[], key: Args): SelectPlan {
  if (!table.primaryKey) throw badInput(`${table.names.type} has no primary key`);
  const items: BoolPlan[] = table.primaryKey.map((column) => {
    const value = key[column.field];
    if (value === undefined || value === null) throw badInput(`${column.field} is required to look up a ${table.names.type}`);
    return { kind: 'compare', column, operator: 'eq', value };
  });
  return { table, fields: planFields(context, table, selectionSets), where: { kind: 'and', items }, orderBy: [], limit: null, offset: 0 };
}

/** `TAggregate(where) { count sum { … } avg { … } min { … } max { … } }` */
export function planAggregate(context: PlanContext, table: ApiTable, nodes: readonly FieldNode[], args: Args, at: string): AggregatePlan {
  const fields: AggregateFieldPlan[] = [];
  for (const [key, fieldNodes] of collectFields(context, table.names.aggregateType, subSelections(nodes))) {
    const name = fieldNodes[0]!.name.value;
    if (name === '__typename') {
      fields.push({ kind: 'typename', key, typeName: table.names.aggregateType });
      continue;
    }
    if (name === 'count') {
      fields.push({ kind: 'count', key });
      continue;
    }
    const kind = name as 'sum' | 'avg' | 'min' | 'max';
    const typeName = { sum: table.names.sumFields, avg: table.names.avgFields, min: table.names.minFields, max: table.names.maxFields }[kind];
    const columns: Extract<AggregateFieldPlan, { columns: unknown }>['columns'] = [];
    for (const [columnKey, columnNodes] of collectFields(context, typeName, subSelections(fieldNodes))) {
      const columnName = columnNodes[0]!.name.value;
      const column = table.columnsByField.get(columnName);
      if (columnName === '__typename') columns.push({ kind: 'typename', key: columnKey, typeName });
      else if (column) columns.push({ key: columnKey, column });
    }
    fields.push({ kind, key, columns });
  }
  return { table, where: args.where ? planWhere(table, args.where as Args, `${at}.where`) : null, fields };
}

/** The columns and relations selected on rows of `table`, nested plans included. */
export function planFields(context: PlanContext, table: ApiTable, selectionSets: readonly SelectionSetNode[]): FieldPlan[] {
  const plans: FieldPlan[] = [];
  const type = context.schema.getType(table.names.type);
  if (!(type instanceof GraphQLObjectType)) throw new Error(`type ${table.names.type} is missing from the schema`);
  for (const [key, nodes] of collectFields(context, table.names.type, selectionSets)) {
    const node = nodes[0]!;
    const name = node.name.value;
    if (name === '__typename') {
      plans.push({ kind: 'typename', key, typeName: table.names.type });
      continue;
    }
    const column = table.columnsByField.get(name);
    if (column) {
      plans.push({ kind: 'column', key, column });
      continue;
    }
    const definition = type.getFields()[name];
    const relation = table.relationsByField.get(name) ?? [...table.relationsByField.values()].find((r) => r.aggregateField === name);
    if (!relation || !definition) throw new Error(`field ${table.names.type}.${name} has no plan`);
    const args = getArgumentValues(definition, node, context.variables);
    const at = `${table.names.type}.${name}`;
    if (relation.aggregateField === name) {
      plans.push({ kind: 'aggregate', key, relation, aggregate: planAggregate(context, relation.target, nodes, args, at) });
    } else if (relation.kind === 'object') {
      plans.push({ kind: 'object', key, relation, select: { table: relation.target, fields: planFields(context, relation.target, subSelections(nodes)), where: null, orderBy: [], limit: null, offset: 0 } });
    } else {
      plans.push({ kind: 'array', key, relation, select: planList(context, relation.target, nodes, args, at) });
    }
  }
  return plans;
}

function pageArgs(context: PlanContext, args: Args, at: string): { limit: number; offset: number } {
  const limit = (args.limit as number | null | undefined) ?? context.limits.defaultLimit;
  const offset = (args.offset as number | null | undefined) ?? 0;
  if (limit < 0 || limit > context.limits.maxLimit) throw badInput(`${at}: limit must be between 0 and ${context.limits.maxLimit}`);
  if (offset < 0) throw badInput(`${at}: offset must not be negative`);
  return { limit, offset };
}
