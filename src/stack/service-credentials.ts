import { roleUrl, apiRoleUrls, SERVICE_DB_ROLES } from '../db/api-roles.js';
import type { StackSecrets } from './secrets.js';

/** The paid APIs' keys from the configuration: the services that call those APIs get them explicitly. */
export interface ApiKeys {
  GEMINI_API_KEY?: string | undefined;
  DISTRAG_LLM_API_KEY?: string | undefined;
  DISTRAG_EMBED_API_KEY?: string | undefined;
}

function defined(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

export type ServiceKind = 'gateway' | 'data' | 'rag' | 'cache' | 'cluster' | 'feed' | 'backup' | 'recovery';

/**
 * The credentials each service is given, and nothing more (least privilege): the gateway verifies
 * tokens and signs identities but has no database access; the data subgraph connects as the API
 * roles and the catalog reader; the cluster subgraph reads the catalog; the change feed is a
 * replication role; the RAG subgraph makes per-tenant ask roles and reads as them (or, for an
 * admin's ask of every tenant, as the ask-all role); the admin URL stays with `up`, the CLI and
 * the operations tools the CLI runs as processes (backup, recovery), which need a superuser.
 */
export function serviceCredentials(kind: ServiceKind, secrets: StackSecrets, adminUrl: string, apiKeys: ApiKeys = {}): Record<string, string> {
  const internal = { DISTRAG_INTERNAL_SECRET: secrets.internalSecret };
  const catalog = { DISTRAG_CATALOG_DATABASE_URL: roleUrl(adminUrl, SERVICE_DB_ROLES.catalog) };
  const api = apiRoleUrls(adminUrl);
  switch (kind) {
    case 'gateway':
      return { ...internal, DISTRAG_JWT_SECRET: secrets.jwtSecret };
    case 'data':
      return {
        ...internal,
        ...catalog,
        DISTRAG_READER_DATABASE_URL: api.reader,
        DISTRAG_WRITER_DATABASE_URL: api.writer,
        DISTRAG_OPERATOR_DATABASE_URL: api.admin,
      };
    case 'cluster':
      return { ...internal, ...catalog };
    case 'feed':
      return { ...internal, DISTRAG_FEED_DATABASE_URL: roleUrl(adminUrl, SERVICE_DB_ROLES.feed) };
    case 'rag':
      return {
        ...internal,
        ...defined({ GEMINI_API_KEY: apiKeys.GEMINI_API_KEY, DISTRAG_LLM_API_KEY: apiKeys.DISTRAG_LLM_API_KEY, DISTRAG_EMBED_API_KEY: apiKeys.DISTRAG_EMBED_API_KEY }),
        DISTRAG_RAG_DATABASE_URL: roleUrl(adminUrl, SERVICE_DB_ROLES.rag),
        DISTRAG_ASK_ALL_DATABASE_URL: roleUrl(adminUrl, SERVICE_DB_ROLES.askAll),
      };
    case 'backup':
    case 'recovery':
      return { ...internal, DISTRAG_DATABASE_URL: adminUrl };
    case 'cache':
      return { ...internal, ...defined({ GEMINI_API_KEY: apiKeys.GEMINI_API_KEY, DISTRAG_EMBED_API_KEY: apiKeys.DISTRAG_EMBED_API_KEY }) };
  }
}
