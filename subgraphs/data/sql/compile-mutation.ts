import type { MutationOutputPlan, MutationPlan } from '../plan/plan-types.js';
import { jsonRows } from './compile-select.js';
import { compileWhere } from './compile-where.js';
import { columnRef, jsonObject, sql, tableRef, tenantConditions, valueFor, whereClause, type RowRef, type SQL, type SqlScope } from './sql-parts.js';

/**
 * A mutation as one statement: the change in a data-modifying CTE, its result (`affectedRows`,
 * `returning { … }` with nested relations) built from the CTE's rows. One statement is atomic:
 * a failing row aborts every row of the mutation.
 */
export function compileMutation(plan: MutationPlan, scope: SqlScope): SQL {
  const target = Symbol(plan.table.names.type);
  const changed = Symbol('changed');
  const table = sql.fragment`${tableRef(plan.table)} AS ${sql.identifier(target)}`;
  let change: SQL;
  switch (plan.kind) {
    case 'insert': {
      const values =
        plan.columns.length === 0
          ? sql.fragment` DEFAULT VALUES`
          : sql.fragment` (${sql.join(plan.columns.map((c) => sql.identifier(c.sqlName)), ', ')}) VALUES ${sql.join(
              plan.rows.map((row) => sql.fragment`(${sql.join(row.map((value, i) => (value === undefined ? sql.raw('DEFAULT') : valueFor(plan.columns[i]!, value))), ', ')})`),
              ', ',
            )}`;
      change = sql.fragment`INSERT INTO ${table}${values}${onConflict(plan, target, scope)}`;
      break;
    }
    case 'update': {
      const assignments = plan.set.map(({ column, value }) => sql.fragment`${sql.identifier(column.sqlName)} = ${valueFor(column, value)}`);
      const conditions = [...tenantConditions(plan.table, target, scope), compileWhere(plan.where, plan.table, target, scope)];
      change = sql.fragment`UPDATE ${table} SET ${sql.join(assignments, ', ')}${whereClause(conditions)}`;
      break;
    }
    case 'delete': {
      const conditions = [...tenantConditions(plan.table, target, scope), compileWhere(plan.where, plan.table, target, scope)];
      change = sql.fragment`DELETE FROM ${table}${whereClause(conditions)}`;
      break;
    }
  }
  return sql.query`WITH ${sql.identifier(changed)} AS (${change} RETURNING ${sql.identifier(target)}.*) SELECT ${output(plan, changed, scope)} AS result`;
}

function onConflict(plan: Extract<MutationPlan, { kind: 'insert' }>, target: symbol, scope: SqlScope): SQL {
  if (!plan.onConflict) return sql.blank;
  const { constraint, updateColumns, where } = plan.onConflict;
  const on = sql.fragment` ON CONFLICT ON CONSTRAINT ${sql.identifier(constraint)}`;
  if (updateColumns.length === 0) return sql.fragment`${on} DO NOTHING`;
  const assignments = updateColumns.map((c) => sql.fragment`${sql.identifier(c.sqlName)} = EXCLUDED.${sql.identifier(c.sqlName)}`);
  const condition = where ? sql.fragment` WHERE ${compileWhere(where, plan.table, target, scope)}` : sql.blank;
  return sql.fragment`${on} DO UPDATE SET ${sql.join(assignments, ', ')}${condition}`;
}

function output(plan: MutationPlan, changed: symbol, scope: SqlScope): SQL {
  const outputPlan: MutationOutputPlan = plan.output;
  return jsonObject(outputPlan.map((item): [string, SQL] => {
    if (item.kind === 'typename') return [item.key, sql.fragment`${sql.literal(item.typeName)}::text`];
    if (item.kind === 'affectedRows') return [item.key, sql.fragment`(SELECT count(*)::int FROM ${sql.identifier(changed)})`];
    // The changed rows are a CTE, which Citus treats like a reference table (RowRef).
    const row: RowRef = {
      alias: Symbol('row'),
      recurring: scope.citus,
      keysFrom: (columns) => sql.fragment`SELECT ${sql.join(columns.map((c) => sql.identifier(c)), ', ')} FROM ${sql.identifier(changed)}`,
    };
    const order = plan.table.primaryKey ? sql.fragment` ORDER BY ${sql.join(plan.table.primaryKey.map((c) => columnRef(row.alias, c)), ', ')}` : sql.blank;
    return [item.key, jsonRows(item.fields, row, scope, sql.fragment`${sql.identifier(changed)} AS ${sql.identifier(row.alias)}`, [], () => order)];
  }));
}
