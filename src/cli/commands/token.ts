import type { Config } from '../../config/config.js';
import { formatDuration, parseDurationSeconds } from '../../config/duration.js';
import { isRole, TENANT_PATTERN } from '../../auth/identity.js';
import { DEFAULT_TOKEN_TTL_SECONDS, signUserToken } from '../../auth/user-token.js';
import { readSecrets } from '../../stack/secrets.js';
import { stackLayout } from '../../stack/stack-layout.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';

/**
 * `distrag token --role reader|writer|admin [--tenant T] [--sub S] [--ttl DURATION]`: prints the bare
 * HS256 token. `--ttl` (3600, 90s, 15m, 12h, 1d) defaults to 1 h and may not exceed
 * DISTRAG_MAX_TOKEN_TTL; the token carries DISTRAG_JWT_ISSUER / _AUDIENCE / _CLAIMS_NAMESPACE when set.
 */
export async function tokenCommand(args: string[], config: Config): Promise<number> {
  const { values } = parseFlags('token', args, { role: { type: 'string' }, tenant: { type: 'string' }, sub: { type: 'string' }, ttl: { type: 'string' } });
  if (!isRole(values.role)) throw new CliError('distrag token: --role must be reader, writer or admin', 2);
  if (values.tenant !== undefined && !TENANT_PATTERN.test(values.tenant)) throw new CliError('distrag token: --tenant must be 1-64 letters, digits, _ or -', 2);
  if (values.role !== 'admin' && values.tenant === undefined) throw new CliError(`distrag token: --tenant is required for role ${values.role}`, 2);
  const max = config.tokens.maxTtlSeconds;
  const ttl = values.ttl === undefined ? Math.min(DEFAULT_TOKEN_TTL_SECONDS, max) : parseDurationSeconds(values.ttl);
  if (ttl === null) throw new CliError(`distrag token: --ttl must be a duration such as 3600, 90s, 15m, 12h or 1d, not "${values.ttl}"`, 2);
  if (ttl > max) throw new CliError(`distrag token: --ttl ${values.ttl} is above the maximum token lifetime ${formatDuration(max)}; ask for less, or raise DISTRAG_MAX_TOKEN_TTL`, 2);
  const secret = config.DISTRAG_JWT_SECRET ?? readSecrets(stackLayout(config.home).secretsFile, config).jwtSecret;
  const { issuer, audience, claimsNamespace } = config.tokens;
  const token = await signUserToken(secret, { sub: values.sub ?? `cli-${values.role}`, role: values.role, tenant: values.tenant ?? null }, ttl, { issuer, audience, claimsNamespace });
  process.stdout.write(`${token}\n`);
  return 0;
}
