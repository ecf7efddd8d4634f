import {
  getOperationAST,
  getArgumentValues,
  getVariableValues,
  GraphQLObjectType,
  Kind,
  locatedError,
  parse,
  validate,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
  specifiedRules,
} from 'graphql';
import type { Logger } from 'pino';
import type { RequestContext } from '../../../src/auth/request-context.js';
import { formatPublicError } from '../../../src/errors/format-public-error.js';
import type { DirectRequest, DirectResponse } from '../../../src/http/graphql-http-server.js';
import type { ApiModel, ApiTable } from '../api-model/api-model.js';
import { OperationRunner, type RunnerDeps } from '../execution/operation-runner.js';
import { collectFields, subSelections } from '../plan/collect-fields.js';
import { planAggregate, planByKey, planList, type PlanContext } from '../plan/plan-select.js';
import type { RootPlan } from '../plan/plan-types.js';
import { compileDocument } from '../sql/compile-select.js';
import { sql } from '../sql/sql-parts.js';

/** Parsed and validated documents kept per schema version. */
const CACHE_LIMIT = 500;

interface Prepared {
  document: DocumentNode;
  fragments: Record<string, FragmentDefinitionNode>;
}

interface RootField {
  key: string;
  nodes: FieldNode[];
  table: ApiTable | null;
  kind: 'list' | 'byPk' | 'aggregate' | 'typename';
}

export interface DirectQueryDeps extends Omit<RunnerDeps, 'model'> {
  limits: PlanContext['limits'];
  current: () => { schema: GraphQLSchema; model: ApiModel };
  /** The subgraph's operation limits: a document over them is left to Apollo, which reports it. */
  validationRules: readonly ValidationRule[];
}

/**
 * Answers query operations made only of generated data fields without graphql-js execution:
 * the statement's JSON already is the `data` object — every value serialised, enum labels named,
 * `__typename` filled in — so it is sent as text, never parsed into objects and stringified
 * again. Same planner, same SQL, same single statement as the resolvers; anything else
 * (mutations, `_entities`, `dataCatalog`, a document that does not validate, a planning error)
 * returns null and Apollo runs it. Equivalence with the resolver path is under test.
 */
export class DirectQueryExecutor {
  private cachedFor: GraphQLSchema | null = null;
  private readonly cache = new Map<string, Prepared | null>();

  constructor(private readonly deps: DirectQueryDeps, private readonly log: Logger) {}

  async execute(request: DirectRequest<RequestContext>): Promise<DirectResponse | null> {
    const body = request.body as { query?: unknown; variables?: unknown; operationName?: unknown; extensions?: unknown } | undefined;
    if (!body || typeof body.query !== 'string' || body.extensions !== undefined) return null;
    const { schema, model } = this.deps.current();
    const prepared = this.prepare(schema, body.query);
    if (!prepared) return null;
    const planned = planDocument(prepared, { schema, model, limits: this.deps.limits }, body);
    if (!planned) return null;
    const runner = new OperationRunner({ ...this.deps, model }, request.context.identity);
    if (!runner.withinCost(planned.entries.map((p) => p.plan).filter((p): p is RootPlan => typeof p !== 'string'))) return null;
    try {
      const data = await runner.loadDocument(planned.entries);
      return { status: 200, body: `{"data":${data}}` };
    } catch (error) {
      return { status: 200, body: JSON.stringify(errorResponse(error, planned.roots, this.log)) };
    }
  }

  private prepare(schema: GraphQLSchema, query: string): Prepared | null {
    if (this.cachedFor !== schema) {
      this.cache.clear();
      this.cachedFor = schema;
    }
    if (this.cache.has(query)) return this.cache.get(query)!;
    let prepared: Prepared | null;
    try {
      prepared = prepareDocument(schema, query, this.deps.validationRules);
    } catch {
      prepared = null;
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(query, prepared);
    return prepared;
  }
}

interface PlannedDocument {
  roots: RootField[];
  entries: Array<{ key: string; plan: RootPlan | string }>;
}

/**
 * Plans a validated query operation made only of generated data fields; null for anything else
 * (another operation type, another field, variables that do not coerce, a planning error).
 */
function planDocument(
  prepared: Prepared,
  target: { schema: GraphQLSchema; model: ApiModel; limits: PlanContext['limits'] },
  body: { variables?: unknown; operationName?: unknown },
): PlannedDocument | null {
  const { schema, model } = target;
  const operation = getOperationAST(prepared.document, typeof body.operationName === 'string' ? body.operationName : undefined);
  if (!operation || operation.operation !== 'query') return null;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], (body.variables as Record<string, unknown> | null | undefined) ?? {});
  if (coerced.errors) return null;
  const context: PlanContext = { schema, fragments: prepared.fragments, variables: coerced.coerced, limits: target.limits };
  const roots = rootFields(context, operation, model);
  if (!roots) return null;
  try {
    return { roots, entries: roots.map((root) => ({ key: root.key, plan: planRoot(context, schema, root) })) };
  } catch {
    return null; // Apollo reports planning errors with the exact GraphQL semantics
  }
}

/**
 * The one statement a data query becomes for a caller's tenant (null: an admin), as text and
 * values — what the direct path runs. For diagnostics and the `data` benchmark.
 */
export function statementForQuery(
  target: { schema: GraphQLSchema; model: ApiModel; limits: PlanContext['limits'] },
  query: string,
  variables: Record<string, unknown> | undefined,
  tenant: string | null,
): { text: string; values: unknown[] } {
  const planned = planDocument(prepareDocument(target.schema, query), target, { variables });
  if (!planned) throw new Error('the query is not a data-only query operation');
  const compiled = sql.compile(compileDocument(planned.entries, { tenant, citus: target.model.mode === 'CITUS' }));
  return { text: compiled.text, values: compiled.values ?? [] };
}

/** Parses and validates a document; throws on syntax or validation errors. */
function prepareDocument(schema: GraphQLSchema, query: string, extraRules: readonly ValidationRule[] = []): Prepared {
  const document = parse(query);
  const errors = validate(schema, document, [...specifiedRules, ...extraRules]);
  if (errors.length > 0) throw new Error(`the query does not validate: ${errors.map((e) => e.message).join('; ')}`);
  const fragments = Object.fromEntries(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  return { document, fragments };
}

/** The operation's root fields, or null when one of them is not a generated data field. */
function rootFields(context: PlanContext, operation: OperationDefinitionNode, model: ApiModel): RootField[] | null {
  const byField = new Map<string, { table: ApiTable; kind: RootField['kind'] }>();
  for (const table of model.tables) {
    byField.set(table.names.list, { table, kind: 'list' });
    byField.set(table.names.aggregate, { table, kind: 'aggregate' });
    if (table.names.byPk) byField.set(table.names.byPk, { table, kind: 'byPk' });
  }
  const roots: RootField[] = [];
  for (const [key, nodes] of collectFields(context, 'Query', [operation.selectionSet])) {
    const name = nodes[0]!.name.value;
    if (name === '__typename') {
      roots.push({ key, nodes, table: null, kind: 'typename' });
      continue;
    }
    const found = byField.get(name);
    if (!found) return null;
    roots.push({ key, nodes, ...found });
  }
  return roots;
}

function planRoot(context: PlanContext, schema: GraphQLSchema, root: RootField): RootPlan | string {
  if (root.kind === 'typename' || !root.table) return 'Query';
  const definition = (schema.getType('Query') as GraphQLObjectType).getFields()[root.nodes[0]!.name.value]!;
  const args = getArgumentValues(definition, root.nodes[0]!, context.variables);
  const table = root.table;
  switch (root.kind) {
    case 'list':
      return { kind: 'list', select: planList(context, table, root.nodes, args, table.names.list) };
    case 'aggregate':
      return { kind: 'aggregate', aggregate: planAggregate(context, table, root.nodes, args, table.names.aggregate) };
    case 'byPk':
      return { kind: 'object', select: planByKey(context, table, subSelections(root.nodes), args) };
  }
}

/**
 * A statement that failed fails every root field, as it does on the resolver path: one located
 * error per field; `data` is null since list and aggregate fields are non-null.
 */
function errorResponse(error: unknown, roots: RootField[], log: Logger): { errors: unknown[]; data: unknown } {
  const errors = roots
    .filter((r) => r.kind !== 'typename')
    .map((root) => {
      const located = locatedError(error instanceof Error ? error : new Error(String(error)), root.nodes, [root.key]);
      const formatted = formatPublicError(located.toJSON());
      if (formatted.extensions?.code === 'INTERNAL') log.error({ err: error }, 'internal error answered as INTERNAL');
      return formatted;
    });
  const nullable = roots.every((r) => r.kind === 'byPk' || r.kind === 'typename');
  return { errors, data: nullable ? Object.fromEntries(roots.map((r) => [r.key, r.kind === 'typename' ? 'Query' : null])) : null };
}
