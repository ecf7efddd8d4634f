import type { Resolvers } from '../../schema/generated/rag-types.js';
import type { Identity } from '../../src/auth/identity.js';
import { requireRole } from '../../src/auth/require-role.js';
import { scopeFor, tenantOfScope } from '../../src/cache/cache-scope.js';
import { badInput } from '../../src/errors/safe-error.js';
import type { AskPipeline, AskScope } from './ask-pipeline.js';
import type { ReadableTables } from './access/readable-tables.js';
import type { ExampleStore } from './examples/example-store.js';
import { guardSql } from './guard/guard-sql.js';
import type { SchemaCatalog } from './index-sync/schema-catalog.js';
import { summarizeTable } from './retrieve/summarize-table.js';

export interface RagResolverDependencies {
  pipeline: AskPipeline;
  catalog: SchemaCatalog;
  examples: ExampleStore | null;
  readable: ReadableTables;
  searchPath: readonly string[];
  embedder: string | null;
  collection: string;
  status: () => Promise<{ llmConfigured: boolean; provider: string | null; model: string | null; vectorStoreReachable: boolean }>;
}

/** Questions and SQL of examples are capped like questions of asks. */
const MAX_EXAMPLE_CHARS = 20_000;

/**
 * The scope of an ask: a tenant token asks about its own tenant (naming another is FORBIDDEN);
 * an admin names a tenant, or none for every tenant's rows (run as the ask-all role, cached in the
 * admins' cross-tenant scope).
 */
function askScope(identity: Identity, tenant: string | null | undefined): AskScope {
  const cacheScope = scopeFor(identity, tenant)!;
  return { cacheScope, tenant: tenantOfScope(cacheScope) };
}

/** The RAG subgraph's fields (CONTRACT §5 "RAG subgraph"). */
export function ragResolvers(deps: RagResolverDependencies): Resolvers {
  const checkExample = async (question: string, sql: string) => {
    if (question.trim() === '' || question.length > MAX_EXAMPLE_CHARS) throw badInput(`an example's question must be 1 to ${MAX_EXAMPLE_CHARS} characters`);
    const verdict = await guardSql(sql, { readableTables: await deps.readable.get(), searchPath: deps.searchPath });
    if (!verdict.safe) throw badInput(`the example's SQL is refused by the guard: ${verdict.reason}`, { rule: verdict.rule });
  };
  const requireExamples = () => {
    if (!deps.examples) throw badInput('examples need the embedder, which is not loaded (see ragStatus and cacheStats.disabledReason)');
    return deps.examples;
  };
  const indexStatus = () => ({
    collection: deps.collection,
    tables: deps.catalog.tables().size,
    indexedAt: deps.catalog.indexedAt?.toISOString() ?? null,
    embedder: deps.embedder,
  });
  return {
    Query: {
      ragStatus: () => deps.status(),
      ask: async (_root, { question, tenant }, { identity }) => deps.pipeline.ask(question, askScope(identity, tenant)),
      generateSql: async (_root, { question, tenant }, { identity }) => deps.pipeline.plan(question, askScope(identity, tenant)),
      tableSummaries: async (_root, _args, { identity }) => {
        askScope(identity, undefined);
        const readable = await deps.readable.get();
        return [...deps.catalog.tables().values()]
          .filter((t) => readable.has(t.name))
          .map((t) => ({ name: t.name, tenancy: t.tenancy, columns: t.columns.map(({ name, type, nullable }) => ({ name, type, nullable })), primaryKey: t.primaryKey, rowEstimate: t.rowEstimate, description: t.description, summary: summarizeTable(t) }));
      },
      examples: async (_root, { tenant, limit }, { identity }) => {
        requireRole(identity, 'admin');
        return requireExamples().list({ tenant: tenant ?? null, limit: Math.min(Math.max(limit ?? 100, 1), 1000) });
      },
    },
    Mutation: {
      reindex: async (_root, _args, { identity }) => {
        requireRole(identity, 'admin');
        await deps.catalog.reindex();
        return indexStatus();
      },
      addExample: async (_root, { question, sql, tenant }, { identity }) => {
        requireRole(identity, 'admin');
        const scope = tenant === null || tenant === undefined ? null : askScope(identity, tenant).tenant;
        await checkExample(question, sql);
        const { id } = await requireExamples().add({ question: question.trim(), sql, tenant: scope, source: 'admin' });
        return { id, question: question.trim(), sql, tenant: scope, source: 'admin' };
      },
      markAnswerCorrect: async (_root, { question, sql, tenant }, { identity }) => {
        const scope = askScope(identity, tenant);
        if (scope.tenant === null) throw badInput('name the tenant whose answer this is (an admin example for every tenant is addExample)');
        await checkExample(question, sql);
        const { id } = await requireExamples().add({ question: question.trim(), sql, tenant: scope.tenant, source: 'user' });
        return { id, question: question.trim(), sql, tenant: scope.tenant, source: 'user' };
      },
    },
  };
}
