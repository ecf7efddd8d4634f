import type { Config } from '../../config/config.js';
import { TENANT_PATTERN } from '../../auth/identity.js';
import { signUserToken } from '../../auth/user-token.js';
import { readSecrets } from '../../stack/secrets.js';
import { stackLayout } from '../../stack/stack-layout.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';
import { renderRowsTable } from './rows-table.js';

const ASK = `query Ask($question: String!, $tenant: ID) {
  ask(question: $question, tenant: $tenant) {
    answer sql params columns rows truncated tables cached cacheOutcome similarity model attempts tenant
    timings { embedMs cacheMs retrieveMs generateMs executeMs synthesizeMs totalMs }
  }
}`;

/** Rows printed at most (the rest are counted). */
const ROWS_SHOWN = 10;

interface AskReply {
  data?: { ask: { answer: string; sql: string; params: string[]; columns: string[]; rows: unknown[][]; truncated: boolean; cached: boolean; cacheOutcome: string; model: string | null; attempts: number; timings: { totalMs: number } } } | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/**
 * `distrag ask "QUESTION" [--tenant T] [--json]`: asks the running stack's gateway, as a reader of
 * tenant T (or as an admin, over every tenant, without --tenant), with a short-lived token signed
 * by the stack's secret; prints the answer, the SQL and the first rows.
 */
export async function askCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parseFlags('ask', args, { tenant: { type: 'string' }, json: { type: 'boolean' } }, 100);
  const question = positionals.join(' ').trim();
  if (question === '') throw new CliError('distrag ask: give the question, e.g. npx distrag ask "how many students are there?" --tenant 1', 2);
  if (values.tenant !== undefined && !TENANT_PATTERN.test(values.tenant)) throw new CliError('distrag ask: --tenant must be 1-64 letters, digits, _ or -', 2);
  const secret = config.DISTRAG_JWT_SECRET ?? readSecrets(stackLayout(config.home).secretsFile, config).jwtSecret;
  const { issuer, audience, claimsNamespace } = config.tokens;
  const identity = values.tenant === undefined ? { sub: 'cli-ask', role: 'admin' as const, tenant: null } : { sub: 'cli-ask', role: 'reader' as const, tenant: values.tenant };
  const token = await signUserToken(secret, identity, 300, { issuer, audience, claimsNamespace });
  const url = `http://${config.DISTRAG_HOST}:${config.DISTRAG_GATEWAY_PORT}/graphql`;
  let reply: AskReply;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: ASK, variables: { question, tenant: values.tenant ?? null } }),
      signal: AbortSignal.timeout(config.DISTRAG_LLM_TIMEOUT_MS * 4 + 30_000),
    });
    reply = (await response.json()) as AskReply;
  } catch (error) {
    throw new CliError(`distrag ask: the gateway at ${url} did not answer (${(error as Error).message}); is the stack up (npx distrag up)?`, 1);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
    return reply.errors?.length ? 1 : 0;
  }
  const failure = reply.errors?.[0];
  if (failure || !reply.data) throw new CliError(`distrag ask: ${failure?.extensions?.code ?? 'ERROR'}: ${failure?.message ?? 'no answer'}`, 1);
  const a = reply.data.ask;
  const lines = [a.answer, '', `SQL: ${a.sql}`];
  if (a.params.length > 0) lines.push(`params: ${a.params.map((p) => JSON.stringify(p)).join(', ')}`);
  lines.push('', renderRowsTable(a.columns, a.rows.slice(0, ROWS_SHOWN)));
  const more = a.rows.length - Math.min(a.rows.length, ROWS_SHOWN);
  if (more > 0 || a.truncated) lines.push(`… ${more}${a.truncated ? '+' : ''} more rows`);
  lines.push('', `${a.cached ? `cache ${a.cacheOutcome}` : `model ${a.model ?? '-'}, ${a.attempts} attempt${a.attempts === 1 ? '' : 's'}`}, ${a.timings.totalMs.toFixed(0)} ms`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
