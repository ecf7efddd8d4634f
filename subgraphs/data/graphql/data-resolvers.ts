import type { GraphQLFieldResolver, GraphQLResolveInfo } from 'graphql';
import type { RequestContext } from '../../../src/auth/request-context.js';
import { requireRole } from '../../../src/auth/require-role.js';
import { forbidden } from '../../../src/errors/safe-error.js';
import type { Resolvers } from '../../../schema/generated/data-types.js';
import type { ApiModel, ApiTable } from '../api-model/api-model.js';
import { OperationRunner, type RunnerDeps } from '../execution/operation-runner.js';
import { subSelections } from '../plan/collect-fields.js';
import { planDelete, planInsert, planUpdate, type WriteScope } from '../plan/plan-mutation.js';
import { planAggregate, planByKey, planList, type PlanContext } from '../plan/plan-select.js';
import { DATA_SCALARS } from './scalars.js';

export interface ResolverDeps extends Omit<RunnerDeps, 'model'> {
  limits: PlanContext['limits'];
  maxMutationRows: number;
}

type Args = Record<string, unknown>;
type Resolver = GraphQLFieldResolver<unknown, RequestContext, Args>;

/**
 * Resolvers of one schema version. Root fields plan their whole selection from the operation and
 * hand it to the request's OperationRunner; nested fields just read the JSON the statement built
 * (see `resolveByResponseKey`).
 */
export function buildDataResolvers(model: ApiModel, deps: ResolverDeps): Record<string, unknown> {
  const runners = new WeakMap<RequestContext, OperationRunner>();
  const runner = (context: RequestContext) => {
    let found = runners.get(context);
    if (!found) runners.set(context, (found = new OperationRunner({ ...deps, model }, context.identity)));
    return found;
  };
  const planContext = (info: GraphQLResolveInfo): PlanContext => ({ schema: info.schema, fragments: info.fragments, variables: info.variableValues, limits: deps.limits });

  const query: Record<string, Resolver> = {};
  const mutation: Record<string, Resolver> = {};
  const entityTypes: Record<string, { __resolveReference: (reference: Args, context: RequestContext, info: GraphQLResolveInfo) => Promise<unknown> }> = {};

  for (const table of model.tables) {
    const n = table.names;
    query[n.list] = (_root, args, context, info) =>
      runner(context).load({ kind: 'list', select: planList(planContext(info), table, info.fieldNodes, args, n.list) });
    query[n.aggregate] = (_root, args, context, info) =>
      runner(context).load({ kind: 'aggregate', aggregate: planAggregate(planContext(info), table, info.fieldNodes, args, n.aggregate) });
    if (n.byPk) {
      query[n.byPk] = (_root, args, context, info) =>
        runner(context).load({ kind: 'object', select: planByKey(planContext(info), table, subSelections(info.fieldNodes), args) });
      // Federation: other subgraphs may refer to rows by primary key; every representation of one
      // `_entities` call is batched into the same statement.
      entityTypes[n.type] = {
        __resolveReference: (reference, context, info) =>
          runner(context).load({ kind: 'object', select: planByKey(planContext(info), table, subSelections(info.fieldNodes), reference) }),
      };
    }
    mutation[n.insert] = (_root, args, context, info) => {
      const scope = writeScope(context, table);
      return runner(context).mutate(planInsert(planContext(info), table, info.fieldNodes, args, scope, deps.maxMutationRows));
    };
    mutation[n.update] = (_root, args, context, info) => {
      const scope = writeScope(context, table);
      return runner(context).mutate(planUpdate(planContext(info), table, info.fieldNodes, args, scope));
    };
    mutation[n.delete] = (_root, args, context, info) => {
      writeScope(context, table);
      return runner(context).mutate(planDelete(planContext(info), table, info.fieldNodes, args));
    };
  }

  const resolvers: Resolvers & Record<string, unknown> = {
    ...DATA_SCALARS,
    ...entityTypes,
    Query: {
      ...query,
      dataCatalog: () => ({
        version: model.fingerprint,
        tables: model.tables.map((t) => ({
          name: t.catalog.qualifiedName,
          graphqlType: t.names.type,
          listField: t.names.list,
          tenancy: t.tenantColumn ? 'TENANT' : 'REFERENCE',
          tenantColumn: t.tenantColumn?.sqlName ?? null,
          citus: t.catalog.citus ? (t.catalog.citus.toUpperCase() as 'DISTRIBUTED' | 'REFERENCE' | 'LOCAL') : null,
          primaryKey: t.catalog.primaryKey?.columns ?? [],
          estimatedRows: t.catalog.estimatedRows,
        })),
        skipped: model.skipped.map((s) => ({ name: s.table, reason: s.reason })),
      }),
    },
  };
  if (model.tables.length > 0) resolvers.Mutation = mutation;
  return resolvers;
}

/**
 * Who may write `table`, checked before any SQL (the database checks again: grants and
 * row-level security): writers their tenant's rows of tenant tables, admins everything.
 */
function writeScope(context: RequestContext, table: ApiTable): WriteScope {
  const { identity } = context;
  requireRole(identity, 'writer');
  if (identity.role === 'admin') return { tenant: null };
  if (!table.tenantColumn) throw forbidden(`${table.names.type} is a reference table: only admins may write it`);
  if (identity.tenant === null) throw forbidden('a writer token must name a tenant');
  return { tenant: identity.tenant };
}

/** Fields of generated row types read the JSON the statement built, keyed by response key (alias). */
export const resolveByResponseKey: GraphQLFieldResolver<Record<string, unknown> | null, unknown> = (source, _args, _context, info) =>
  source?.[info.path.key as string];
