import { ASK_ROLE_PREFIX } from '../../../src/db/api-roles.js';
import { badInput } from '../../../src/errors/safe-error.js';

/** Tenant ids the ask path can turn into a role name (`distrag_t_<tenant>` fits PostgreSQL's 63 bytes). */
const ASK_TENANT = /^[A-Za-z0-9_-]{1,53}$/;

/** The login role a tenant's asks run as; refuses a tenant id that cannot be one (BAD_USER_INPUT). */
export function askRoleName(tenant: string): string {
  if (!ASK_TENANT.test(tenant)) throw badInput('a tenant id for ask must be 1 to 53 letters, digits, _ or -');
  return `${ASK_ROLE_PREFIX}${tenant}`;
}
