import type { ApiColumn, ApiRelation, ApiTable } from '../api-model/api-model.js';
import type { ComparisonOperator } from '../api-model/comparison-operators.js';

/**
 * What one GraphQL field asks of the database, as plain data: built from the operation by the
 * planner (plan-*.ts), turned into SQL by the compiler (sql/*.ts). Keys are GraphQL response keys
 * (aliases), which become the JSON keys of the SQL result.
 */

export type BoolPlan =
  | { kind: 'and'; items: BoolPlan[] }
  | { kind: 'or'; items: BoolPlan[] }
  | { kind: 'not'; item: BoolPlan }
  | { kind: 'compare'; column: ApiColumn; operator: ComparisonOperator; value: unknown }
  /** A related row matches: EXISTS over the relation. */
  | { kind: 'related'; relation: ApiRelation; where: BoolPlan };

export interface OrderPlan {
  /** Object relations to follow from the row to the column (empty: the row's own column). */
  path: ApiRelation[];
  column: ApiColumn;
  descending: boolean;
  /** null: PostgreSQL's default (nulls last ascending, first descending). */
  nulls: 'FIRST' | 'LAST' | null;
}

/** `__typename`, answered by the SQL too, so that its JSON is the complete GraphQL result. */
export interface TypenamePlan {
  kind: 'typename';
  key: string;
  typeName: string;
}

export type FieldPlan =
  | TypenamePlan
  | { kind: 'column'; key: string; column: ApiColumn }
  | { kind: 'object'; key: string; relation: ApiRelation; select: SelectPlan }
  | { kind: 'array'; key: string; relation: ApiRelation; select: SelectPlan }
  | { kind: 'aggregate'; key: string; relation: ApiRelation; aggregate: AggregatePlan };

export interface SelectPlan {
  table: ApiTable;
  fields: FieldPlan[];
  where: BoolPlan | null;
  orderBy: OrderPlan[];
  /** null: no LIMIT (object lookups). */
  limit: number | null;
  offset: number;
}

export type AggregateFieldPlan =
  | TypenamePlan
  | { kind: 'count'; key: string }
  | { kind: 'sum' | 'avg' | 'min' | 'max'; key: string; columns: Array<{ key: string; column: ApiColumn } | TypenamePlan> };

export interface AggregatePlan {
  table: ApiTable;
  where: BoolPlan | null;
  fields: AggregateFieldPlan[];
}

/** One Query field (or one `_entities` representation): a JSON value computed by one subquery. */
export type RootPlan =
  | { kind: 'list'; select: SelectPlan }
  | { kind: 'object'; select: SelectPlan }
  | { kind: 'aggregate'; aggregate: AggregatePlan };

/** What a mutation returns: `affectedRows` and `returning { … }` under their response keys. */
export type MutationOutputPlan = Array<TypenamePlan | { kind: 'affectedRows'; key: string } | { kind: 'returning'; key: string; fields: FieldPlan[] }>;

export type MutationPlan =
  | {
      kind: 'insert';
      table: ApiTable;
      /** Columns in statement order; each row has a value or `DEFAULT` (undefined) per column. */
      columns: ApiColumn[];
      rows: unknown[][];
      onConflict: { constraint: string; updateColumns: ApiColumn[]; where: BoolPlan | null } | null;
      output: MutationOutputPlan;
    }
  | { kind: 'update'; table: ApiTable; where: BoolPlan; set: Array<{ column: ApiColumn; value: unknown }>; output: MutationOutputPlan }
  | { kind: 'delete'; table: ApiTable; where: BoolPlan; output: MutationOutputPlan };
