import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseNodeList } from './node-list.js';
import { parseDurationSeconds } from './duration.js';

/**
 * Every setting DistRAG reads from the environment, parsed and validated here and nowhere else.
 * Each key documents its default; the README's configuration table mirrors this file.
 */
const port = z.coerce.number().int().min(1).max(65535);
const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

/** A duration setting (`3600`, `90s`, `15m`, `12h`, `1d`) as whole seconds. */
const duration = (name: string) =>
  z.string().transform((value, ctx) => {
    const seconds = parseDurationSeconds(value);
    if (seconds === null) ctx.addIssue({ code: 'custom', message: `${name} must be a duration such as 3600, 90s, 15m, 12h or 1d` });
    return seconds ?? 0;
  });
const PEM_PUBLIC_KEY = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/;

const schema = z.object({
  /** Where every process keeps its data, logs and pid files. Default `.distrag` under the current directory. */
  DISTRAG_HOME: z.string().min(1).default('.distrag'),
  /** Interface every service binds to. Default loopback. */
  DISTRAG_HOST: z.string().min(1).default('127.0.0.1'),
  /** `development` turns on introspection and Apollo Sandbox; `production` turns both off unless asked. */
  DISTRAG_ENV: z.enum(['development', 'production']).default('development'),
  /** pino level for every service. */
  DISTRAG_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** First gateway port; extra gateways (`--gateways N`) take DISTRAG_GATEWAY_PORT+10, +11, … */
  DISTRAG_GATEWAY_PORT: port.default(4000),
  DISTRAG_DATA_PORT: port.default(4001),
  DISTRAG_RAG_PORT: port.default(4002),
  DISTRAG_CACHE_PORT: port.default(4003),
  DISTRAG_CLUSTER_PORT: port.default(4004),
  /** The change feed (health, metrics, /status). */
  DISTRAG_FEED_PORT: port.default(4005),
  /** The backup process (`backup --watch`: WAL streaming, scheduled base backups): health, metrics, its API. */
  DISTRAG_BACKUP_PORT: port.default(4006),
  /** The recovery process (`recover --watch`: the watchdog and the cluster operations API). */
  DISTRAG_RECOVERY_PORT: port.default(4007),
  /** PostgreSQL coordinator (or the single node). */
  DISTRAG_PG_PORT: port.default(9700),
  /** Workers listen on DISTRAG_WORKER_PORT_BASE, +1, … (Citus mode only). */
  DISTRAG_WORKER_PORT_BASE: port.default(9701),
  DISTRAG_REDIS_PORT: port.default(6390),
  DISTRAG_CHROMA_PORT: port.default(8100),
  DISTRAG_NGINX_PORT: port.default(8080),
  /** Number of Citus workers started by `up` (ignored without the citus extension). */
  DISTRAG_WORKERS: z.coerce.number().int().min(0).max(16).default(2),
  /** Number of gateway processes behind NGINX. */
  DISTRAG_GATEWAYS: z.coerce.number().int().min(1).max(16).default(1),
  /** `auto` uses Citus when the extension is installed; `off` forces single-node mode; `on` fails without it. */
  DISTRAG_CITUS: z.enum(['auto', 'on', 'off']).default('auto'),
  /** Directory holding `postgres`, `initdb`, `pg_basebackup`, `pg_config` (≥ 15). Default: the newest /usr/lib/postgresql/<v>/bin, else the executable search path. */
  DISTRAG_PG_BIN: z.string().optional(),
  /**
   * Colon-separated directories searched for nginx, redis-server and PostgreSQL (after DISTRAG_PG_BIN and
   * /usr/lib/postgresql), instead of PATH then /usr/sbin, /usr/bin, /usr/local/sbin, /usr/local/bin.
   * Read by `prestart` too (scripts/system-requirements.mjs); tests use it to hide an installed package.
   */
  DISTRAG_SYSTEM_BIN_PATH: z.string().optional(),
  /** OS user the servers run as when DistRAG is started as root (PostgreSQL refuses root). */
  DISTRAG_SERVICE_USER: z.string().regex(/^[a-z_][a-z0-9_-]*$/).default('distrag'),
  /**
   * How many complete base backups `distrag backup` keeps per PostgreSQL node in DISTRAG_HOME/backups/<node>/:
   * after a new backup has been taken and verified, the older ones beyond this count are deleted. Default 3.
   */
  DISTRAG_BACKUP_KEEP: z.coerce.number().int().min(1).max(1000).default(3),
  /**
   * RPO 0: every data node waits, at each commit, until its WAL receiver (`pg_receivewal --synchronous`,
   * run by the backup process) has flushed the commit to the backup directory. `off`: WAL still streams,
   * asynchronously (the loss window on a disk loss is the receiver's lag, reported by `backup --watch`).
   */
  DISTRAG_BACKUP_SYNC: bool.default(true),
  /** Base backups on a schedule (and at once for a node without one); `false`: WAL streaming only, base backups by hand (`backup`, createBackup). */
  DISTRAG_BACKUP_SCHEDULED: bool.default(true),
  /** Scheduled base backup of every node (`backup --watch`), also taken once at its start when a node has none. */
  DISTRAG_BACKUP_INTERVAL: duration('DISTRAG_BACKUP_INTERVAL').default(86_400),
  /** Cluster-consistent restore points (citus_create_restore_point, or pg_create_restore_point without Citus). */
  DISTRAG_RESTORE_POINT_INTERVAL: duration('DISTRAG_RESTORE_POINT_INTERVAL').default(3_600),
  /** After each scheduled base backup, start it on a spare port and check its marker row (`off` skips). */
  DISTRAG_BACKUP_RESTORE_TEST: bool.default(true),
  /** `up` waits until every node has a verified base backup before it reports ready. */
  DISTRAG_READY_NEEDS_BACKUP: bool.default(true),
  /** The recovery watchdog (`recover --watch`), started by `up`: restarts dead services, restores lost nodes. */
  DISTRAG_RECOVERY: bool.default(true),
  /** How the watchdog reaches the services: `local` (the CLI's processes) or `docker` (compose, through the Docker API). */
  DISTRAG_RECOVERY_RUNTIME: z.enum(['local', 'docker']).default('local'),
  /** Milliseconds between the watchdog's checks. */
  DISTRAG_RECOVERY_CHECK_MS: z.coerce.number().int().min(100).max(600_000).default(1_000),
  /** Consecutive failed checks (each of two independent signals) before a node counts as dead. */
  DISTRAG_RECOVERY_FAILURES: z.coerce.number().int().min(1).max(100).default(2),
  /** The recovery process's operations API, for the cluster subgraph (set by `up`; compose: http://recovery:4007). */
  DISTRAG_OPS_URL: z.string().url().optional(),
  /** The data nodes the backup process streams from its start (`name=host:port,…`; set by `up`, compose sets its own). */
  DISTRAG_BACKUP_NODES: z.string().optional(),
  /**
   * The PostgreSQL nodes `distrag migrate` makes one cluster of (`name=host:port,…`, the coordinator
   * first, as the nodes reach each other); set by `up`, compose and Kubernetes set their own. Unset:
   * the coordinator of DISTRAG_DATABASE_URL alone (workers already in the metadata stay).
   */
  DISTRAG_CLUSTER_NODES: z
    .string()
    .transform((text, ctx) => {
      try {
        const nodes = parseNodeList('DISTRAG_CLUSTER_NODES', text);
        if (nodes.length === 0) throw new Error('DISTRAG_CLUSTER_NODES: no node listed');
        return nodes;
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  /** The backup process's API, for the watchdog (set by `up`; compose: http://backup:4006). */
  DISTRAG_BACKUP_URL: z.string().url().optional(),
  /** Demo data scale loaded on first `up` (0 skips the demo data). */
  DISTRAG_SEED_SCALE: z.coerce.number().min(0).max(1000).default(1),
  /** HS256 secret for user tokens. Default: generated on first `up` and kept in DISTRAG_HOME/secrets.json. */
  DISTRAG_JWT_SECRET: z.string().min(32, 'DISTRAG_JWT_SECRET must be at least 32 characters').optional(),
  /**
   * Longest lifetime of a user token: exp - iat (or exp - now without iat) above it is refused, and
   * `distrag token` and the dev token printed by `up` stay within it. Default 24 h.
   */
  DISTRAG_MAX_TOKEN_TTL: duration('DISTRAG_MAX_TOKEN_TTL')
    .pipe(z.number().max(365 * 86_400, 'DISTRAG_MAX_TOKEN_TTL must be at most 365d'))
    .default(86_400),
  /** When set, every token must carry this `iss` (and tokens made by `distrag token` carry it). Default: not checked. */
  DISTRAG_JWT_ISSUER: z.string().min(1).max(1000).optional(),
  /** When set, every token's `aud` must contain this (and tokens made by `distrag token` carry it). Default: not checked. */
  DISTRAG_JWT_AUDIENCE: z.string().min(1).max(1000).optional(),
  /**
   * An identity provider's JSON Web Key Set (http or https): RS256 and ES256 tokens are verified
   * against its keys, fetched on first use, cached and fetched again for an unknown `kid`.
   */
  DISTRAG_JWKS_URL: z
    .string()
    .url('DISTRAG_JWKS_URL must be a URL')
    .refine((u) => !URL.canParse(u) || /^https?:$/.test(new URL(u).protocol), 'DISTRAG_JWKS_URL must be an http:// or https:// URL')
    .optional(),
  /** Minimum time between two JWKS fetches caused by unknown `kid`s (ms): bounds what a flood of forged tokens costs the identity provider. */
  DISTRAG_JWKS_COOLDOWN_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** How long fetched JWKS keys are trusted before they are fetched again (ms). */
  DISTRAG_JWKS_CACHE_MAX_AGE_MS: z.coerce.number().int().min(1000).max(86_400_000).default(600_000),
  /**
   * An RS256 (RSA ≥ 2048 bits) or ES256 (EC P-256) public key in SPKI PEM (`-----BEGIN PUBLIC KEY-----`):
   * the PEM text itself (newlines may be written `\n`) or the path of a file holding it.
   * Tokens signed with the matching private key are accepted. Not together with DISTRAG_JWKS_URL.
   */
  DISTRAG_JWT_PUBLIC_KEY: z
    .string()
    .transform((v) => (v.includes('-----BEGIN') ? v.replace(/\\n/g, '\n') : path.resolve(v)))
    .optional(),
  /**
   * When set, `role` and `tenant` are read from the object under this claim (as Hasura's
   * `https://hasura.io/jwt/claims`), not from the top level; `sub` stays top-level.
   */
  DISTRAG_JWT_CLAIMS_NAMESPACE: z.string().min(1).max(200).optional(),
  /** Secret the gateway signs forwarded identities with; subgraphs accept identities signed with it only. Generated like the JWT secret. */
  DISTRAG_INTERNAL_SECRET: z.string().min(32, 'DISTRAG_INTERNAL_SECRET must be at least 32 characters').optional(),
  /**
   * Admin connection URL of the coordinator: for bootstrap (`up`, `migrate`) and the CLI only. No
   * service is given it; each gets the credentials it uses (below), set by `up`.
   */
  DISTRAG_DATABASE_URL: z.string().url().optional(),
  /**
   * Password of the admin role (distrag_admin) where DistRAG does not generate it (containers:
   * compose.yaml); `npx distrag db-credentials` derives the service roles' passwords from it.
   */
  DISTRAG_PG_PASSWORD: z.string().min(16, 'DISTRAG_PG_PASSWORD must be at least 16 characters').optional(),
  /** Data subgraph: the API roles' URLs (reader, writer and admin requests run as these). */
  DISTRAG_READER_DATABASE_URL: z.string().url().optional(),
  DISTRAG_WRITER_DATABASE_URL: z.string().url().optional(),
  DISTRAG_OPERATOR_DATABASE_URL: z.string().url().optional(),
  /** Data and cluster subgraphs: the catalog reader's URL (role distrag_catalog). */
  DISTRAG_CATALOG_DATABASE_URL: z.string().url().optional(),
  /** Change feed: the replication role's URL on the coordinator (role distrag_feed; the same role reaches the workers). */
  DISTRAG_FEED_DATABASE_URL: z.string().url().optional(),
  /** Redis URL, set by `up` for the services it starts. */
  DISTRAG_REDIS_URL: z.string().url().optional(),
  /** Chroma URL, set by `up` for the services it starts. */
  DISTRAG_CHROMA_URL: z.string().url().optional(),
  /** Comma-separated `name=url` list of subgraphs the gateway composes; set by `up`. */
  DISTRAG_SUBGRAPHS: z.string().optional(),
  /** How long a gateway waits at start for every subgraph to answer before it gives up (ms). */
  DISTRAG_GATEWAY_STARTUP_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(20_000),
  /** Port a single service process listens on; set by `up` for each process it starts. */
  DISTRAG_SERVICE_PORT: port.optional(),
  /** Introspection on the public endpoint. Default: on in development, off in production. */
  DISTRAG_INTROSPECTION: bool.optional(),
  /** Browser origins allowed to call the gateway (CORS), comma-separated, or `*`. Default: `*` in development, none in production. */
  DISTRAG_CORS_ORIGINS: z.string().optional(),
  /** Max selection depth of one operation. */
  DISTRAG_MAX_DEPTH: z.coerce.number().int().min(1).max(100).default(12),
  /** Max number of fields (breadth) selected by one operation. */
  DISTRAG_MAX_FIELDS: z.coerce.number().int().min(1).max(100000).default(500),
  /** Max request body size in bytes accepted by the gateway and subgraphs. */
  DISTRAG_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  /** PostgreSQL schemas whose tables the data subgraph exposes, comma-separated. */
  DISTRAG_DATA_SCHEMAS: z
    .string()
    .regex(/^\s*[a-z_][a-z0-9_$]*\s*(,\s*[a-z_][a-z0-9_$]*\s*)*$/, 'DISTRAG_DATA_SCHEMAS must list lower-case schema names, comma-separated')
    .default('public'),
  /**
   * The tenant column of tables that are not distributed (single-node mode, Citus local tables). Under
   * Citus a distributed table's tenant column is its distribution column, whatever this says.
   */
  DISTRAG_TENANT_COLUMN: z.string().regex(/^[a-z_][a-z0-9_$]*$/, 'DISTRAG_TENANT_COLUMN must be a lower-case column name').default('university_id'),
  /** Rows a list field returns when the query sets no `limit`. */
  DISTRAG_DEFAULT_LIMIT: z.coerce.number().int().min(1).max(100_000).default(100),
  /** Largest `limit` a list field accepts; larger values are refused with BAD_USER_INPUT. */
  DISTRAG_MAX_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** Largest estimated number of rows one operation may produce, all nested lists together (see README, Limits). */
  DISTRAG_MAX_COST: z.coerce.number().int().min(1).default(100_000),
  /** Rows one insert mutation accepts. */
  DISTRAG_MAX_MUTATION_ROWS: z.coerce.number().int().min(1).max(100_000).default(1000),
  /** PostgreSQL statement_timeout of every data API and text-to-SQL statement (ms); over it: QUERY_TIMEOUT. */
  DISTRAG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(10).max(3_600_000).default(5000),
  /**
   * Safety net behind schema events: how often the data subgraph compares the catalog digest and
   * the gateway the subgraphs' schema versions even without an event (ms). It also catches what
   * fires no event trigger: Citus's create_distributed_table() and create_reference_table().
   */
  DISTRAG_SCHEMA_POLL_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** Entries each event stream keeps in Redis (approximately); replay reaches that far back. */
  DISTRAG_EVENT_STREAM_MAXLEN: z.coerce.number().int().min(100).max(10_000_000).default(100_000),
  /** Events a slow subscriber may have waiting before its socket is closed. */
  DISTRAG_SUBSCRIPTION_BUFFER: z.coerce.number().int().min(1).max(100_000).default(1000),
  /** Keep-alive ping interval on subscription sockets (ms), below every proxy's idle timeout. */
  DISTRAG_WS_PING_MS: z.coerce.number().int().min(1000).max(300_000).default(15_000),
  /**
   * Which embedder the semantic cache uses: `local` (all-MiniLM-L6-v2, int8 ONNX, run in process;
   * `npx distrag models install` fetches it), `gemini` (GEMINI_API_KEY, through @google/genai),
   * `openai` (any OpenAI-compatible /v1/embeddings at DISTRAG_EMBED_BASE_URL) or `none` (cache disabled).
   */
  DISTRAG_EMBEDDER: z.enum(['local', 'gemini', 'openai', 'none']).default('local'),
  /**
   * Directory holding the local model in the transformers.js layout
   * (`sentence-transformers/all-MiniLM-L6-v2/{config.json,tokenizer.json,tokenizer_config.json,onnx/model_int8.onnx}`).
   * Default: `$XDG_CACHE_HOME/distrag/models` (`~/.cache/distrag/models`), where `models install` puts it
   * (resolved once, as `Config.embedModelDir`).
   */
  DISTRAG_EMBED_MODEL_DIR: z.string().min(1).optional(),
  /** The XDG base directory for caches; the default model directory lies under it (default `~/.cache`). */
  XDG_CACHE_HOME: z.string().min(1).optional(),
  /** Remote embedding model name (default: gemini-embedding-001 for gemini; required for openai). */
  DISTRAG_EMBED_MODEL: z.string().min(1).max(200).optional(),
  /**
   * openai: the OpenAI-compatible embeddings endpoint base URL (e.g. http://localhost:11434/v1; required).
   * gemini: optional, an endpoint to use instead of https://generativelanguage.googleapis.com (a proxy or gateway).
   */
  DISTRAG_EMBED_BASE_URL: z.string().url().optional(),
  /**
   * Vector size asked of a remote embedder that can shorten its vectors (Gemini `outputDimensionality`,
   * OpenAI `dimensions`). Default: the model's own size (3072 for gemini-embedding-001).
   */
  DISTRAG_EMBED_DIMENSIONS: z.coerce.number().int().min(8).max(8192).optional(),
  /** API key sent to DISTRAG_EMBED_BASE_URL (many local servers need none). */
  DISTRAG_EMBED_API_KEY: z.string().optional(),
  /** Embeddings of recent questions kept in memory per process (LRU). */
  DISTRAG_EMBED_LRU_SIZE: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  /** Default cosine similarity a cached question must reach to be a candidate (per-tenant policy overrides). */
  DISTRAG_CACHE_THRESHOLD: z.coerce.number().min(0.5).max(1).default(0.74),
  /** Default entries kept per tenant; beyond it the least recently used are evicted. */
  DISTRAG_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  /** Default lifetime of a cache entry (0: no expiry). */
  DISTRAG_CACHE_TTL: duration('DISTRAG_CACHE_TTL').default(7 * 86_400),
  /** Default: a near-identical question with other literals re-binds the cached SQL (cached: REBOUND). */
  DISTRAG_CACHE_REBIND: bool.default(true),
  /** Default: a candidate must agree on the questions' literal signature to be a hit. Turning it off leaves the threshold alone. */
  DISTRAG_CACHE_LITERAL_GUARD: bool.default(true),
  /** Longest question the cache accepts (characters). */
  DISTRAG_CACHE_MAX_QUESTION_CHARS: z.coerce.number().int().min(16).max(100_000).default(2000),
  /** Gemini API keys (comma-separated keys rotate on quota errors, each cooling down). Read by the RAG subgraph. */
  GEMINI_API_KEY: z.string().optional(),
  /** Base URL of the Gemini API (default Google's; a proxy or a test server). */
  DISTRAG_GEMINI_BASE_URL: z.string().url().optional(),
  /** Any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp's server, LM Studio), e.g. http://127.0.0.1:11434/v1. */
  DISTRAG_LLM_BASE_URL: z.string().url().optional(),
  /** API key sent to DISTRAG_LLM_BASE_URL (many local servers need none). */
  DISTRAG_LLM_API_KEY: z.string().optional(),
  /** Which LLM provider answers `ask`. Default: gemini when GEMINI_API_KEY is set, else openai when DISTRAG_LLM_BASE_URL is. */
  DISTRAG_LLM_PROVIDER: z.enum(['gemini', 'openai']).optional(),
  /** Model name. Default `gemini-2.5-flash` for Gemini; required for an OpenAI-compatible endpoint. */
  DISTRAG_LLM_MODEL: z.string().min(1).max(200).optional(),
  /** Model tried when the main one is unavailable (quota on every key, 5xx, not found). Default: none. */
  DISTRAG_LLM_FALLBACK_MODEL: z.string().min(1).max(200).optional(),
  /** Time one LLM request may take before it is abandoned and retried. */
  DISTRAG_LLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Retries of a failed LLM request (timeouts, 429, 5xx), with jittered exponential backoff. */
  DISTRAG_LLM_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  /** LLM requests in flight at once per process; more wait their turn. */
  DISTRAG_LLM_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  /** How long a Gemini key that hit its quota (429) rests before it is used again. */
  DISTRAG_LLM_KEY_COOLDOWN_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  /** Tables retrieved for a question (their foreign-key neighbours are added to the prompt). */
  DISTRAG_RAG_TOP_K: z.coerce.number().int().min(1).max(50).default(4),
  /** Verified question → SQL examples put into the prompt. */
  DISTRAG_RAG_EXAMPLES: z.coerce.number().int().min(0).max(20).default(3),
  /**
   * Weight of the BM25 score over table and column words in table retrieval (0: vectors alone).
   * 0.3 and the neighbour weight 0.5: chosen by 12 of 14 folds of `distrag eval retrieval`'s
   * leave-one-database-out choice on Spider dev.
   */
  DISTRAG_RAG_BM25_WEIGHT: z.coerce.number().min(0).max(1).default(0.3),
  /** Share of the best foreign-key neighbour's score added to a table's in table retrieval (0: none). */
  DISTRAG_RAG_NEIGHBOUR_WEIGHT: z.coerce.number().min(0).max(1).default(0.5),
  /** New SQL asked of the LLM after an execution error (the error is shown to it). */
  DISTRAG_RAG_SQL_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  /** Most rows an `ask` returns (the SQL runs with this cap). */
  DISTRAG_RAG_ROW_CAP: z.coerce.number().int().min(1).max(100_000).default(200),
  /** Statement timeout of the SQL an `ask` runs. */
  DISTRAG_RAG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(5_000),
  /** Low-cardinality sample values per column written into a table's summary (0: none). */
  DISTRAG_RAG_SAMPLE_VALUES: z.coerce.number().int().min(0).max(20).default(4),
  /** The RAG subgraph's own role (catalog reads, per-tenant ask roles). Set by `up`. */
  DISTRAG_RAG_DATABASE_URL: z.string().url().optional(),
  /** The SELECT-only role an admin's `ask` without a tenant runs as (every tenant's rows). Set by `up`. */
  DISTRAG_ASK_ALL_DATABASE_URL: z.string().url().optional(),
});

/**
 * Settings that carry credentials: never passed on wholesale. `up` hands each service only the
 * ones it uses (see src/stack/service-credentials.ts), and children do not inherit them.
 */
export const CREDENTIAL_SETTINGS: ReadonlySet<string> = new Set([
  'DISTRAG_DATABASE_URL',
  'DISTRAG_PG_PASSWORD',
  'DISTRAG_READER_DATABASE_URL',
  'DISTRAG_WRITER_DATABASE_URL',
  'DISTRAG_OPERATOR_DATABASE_URL',
  'DISTRAG_CATALOG_DATABASE_URL',
  'DISTRAG_FEED_DATABASE_URL',
  'DISTRAG_RAG_DATABASE_URL',
  'DISTRAG_ASK_ALL_DATABASE_URL',
  'GEMINI_API_KEY',
  'DISTRAG_LLM_API_KEY',
  'DISTRAG_EMBED_API_KEY',
  'DISTRAG_JWT_SECRET',
  'DISTRAG_INTERNAL_SECRET',
]);

/** How user tokens are checked and made (derived from the DISTRAG_JWT_* / DISTRAG_JWKS_* settings). */
export interface TokenConfig {
  maxTtlSeconds: number;
  issuer: string | null;
  audience: string | null;
  claimsNamespace: string | null;
  jwks: { url: URL; cooldownMs: number; cacheMaxAgeMs: number } | null;
  publicKey: { pem: string; algorithm: 'RS256' | 'ES256' } | null;
}

export type Config = z.infer<typeof schema> & { home: string; embedModelDir: string; introspection: boolean; corsOrigins: string[]; dataSchemas: string[]; tokens: TokenConfig };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses and validates the environment once; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(defined);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  if (c.DISTRAG_DEFAULT_LIMIT > c.DISTRAG_MAX_LIMIT) {
    throw new ConfigError(`invalid configuration: DISTRAG_DEFAULT_LIMIT (${c.DISTRAG_DEFAULT_LIMIT}) is above DISTRAG_MAX_LIMIT (${c.DISTRAG_MAX_LIMIT})`);
  }
  const internal = c.DISTRAG_DATA_SCHEMAS.split(',').map((s) => s.trim()).filter((s) => s === 'distrag_meta' || s === 'information_schema' || s.startsWith('pg_') || s.startsWith('citus'));
  if (internal.length > 0) throw new ConfigError(`invalid configuration: DISTRAG_DATA_SCHEMAS must not list internal schemas (${internal.join(', ')})`);
  if (c.DISTRAG_JWKS_URL !== undefined && c.DISTRAG_JWT_PUBLIC_KEY !== undefined) {
    throw new ConfigError('invalid configuration: DISTRAG_JWKS_URL and DISTRAG_JWT_PUBLIC_KEY are both set; set one of them (the key set of your identity provider, or one public key)');
  }
  return {
    ...c,
    tokens: {
      maxTtlSeconds: c.DISTRAG_MAX_TOKEN_TTL,
      issuer: c.DISTRAG_JWT_ISSUER ?? null,
      audience: c.DISTRAG_JWT_AUDIENCE ?? null,
      claimsNamespace: c.DISTRAG_JWT_CLAIMS_NAMESPACE ?? null,
      jwks: c.DISTRAG_JWKS_URL === undefined ? null : { url: new URL(c.DISTRAG_JWKS_URL), cooldownMs: c.DISTRAG_JWKS_COOLDOWN_MS, cacheMaxAgeMs: c.DISTRAG_JWKS_CACHE_MAX_AGE_MS },
      publicKey: c.DISTRAG_JWT_PUBLIC_KEY === undefined ? null : readPublicKey(c.DISTRAG_JWT_PUBLIC_KEY),
    },
    home: path.resolve(c.DISTRAG_HOME),
    embedModelDir: embedModelDir(c),
    introspection: c.DISTRAG_INTROSPECTION ?? c.DISTRAG_ENV === 'development',
    dataSchemas: [...new Set(c.DISTRAG_DATA_SCHEMAS.split(',').map((s) => s.trim()))],
    corsOrigins: (c.DISTRAG_CORS_ORIGINS ?? (c.DISTRAG_ENV === 'development' ? '*' : '')).split(',').map((o) => o.trim()).filter(Boolean),
  };
}

/** Where the local embedding model lives: DISTRAG_EMBED_MODEL_DIR, else `${XDG_CACHE_HOME:-$HOME/.cache}/distrag/models`. */
function embedModelDir(c: { DISTRAG_EMBED_MODEL_DIR?: string | undefined; XDG_CACHE_HOME?: string | undefined }): string {
  if (c.DISTRAG_EMBED_MODEL_DIR !== undefined) return path.resolve(c.DISTRAG_EMBED_MODEL_DIR);
  return path.join(c.XDG_CACHE_HOME !== undefined ? path.resolve(c.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache'), 'distrag', 'models');
}

/** DISTRAG_JWT_PUBLIC_KEY: the PEM (text or file) checked to be an RSA ≥ 2048-bit or EC P-256 public key. */
function readPublicKey(value: string): { pem: string; algorithm: 'RS256' | 'ES256' } {
  const bad = (problem: string) => new ConfigError(`invalid configuration: DISTRAG_JWT_PUBLIC_KEY ${problem}`);
  let text = value;
  if (!value.includes('-----BEGIN')) {
    try {
      text = fs.readFileSync(value, 'utf8');
    } catch (error) {
      throw bad(`names the file ${value}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); give a readable file or the PEM text itself`);
    }
  }
  const pem = PEM_PUBLIC_KEY.exec(text)?.[0];
  if (!pem) throw bad('holds no `-----BEGIN PUBLIC KEY-----` block (a private key or certificate is not accepted; `openssl pkey -pubout` or `openssl x509 -pubkey -noout` extract the public key)');
  let key;
  try {
    key = createPublicKey(pem);
  } catch {
    throw bad('is not a valid PEM public key');
  }
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) return { pem, algorithm: 'RS256' };
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return { pem, algorithm: 'ES256' };
  throw bad(`must be an RSA key of at least 2048 bits (RS256) or an EC P-256 key (ES256), not ${key.asymmetricKeyType}${details?.namedCurve ? ` ${details.namedCurve}` : ''}${details?.modulusLength ? ` ${details.modulusLength} bits` : ''}`);
}

/** Returns a value that the stack manager must have provided to this process, or fails clearly. */
export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new ConfigError(`${name} is not set; start services with \`npx distrag up\` or set it`);
  return value;
}
