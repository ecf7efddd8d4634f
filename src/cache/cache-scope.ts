import { hasRole, TENANT_PATTERN, type Identity } from '../auth/identity.js';
import { ALL_TENANTS_SCOPE } from './cache-keys.js';
import { badInput, forbidden } from '../errors/safe-error.js';

/**
 * The cache scope a request acts on. Tenant tokens act on their own tenant only (naming another
 * is FORBIDDEN); admins name any tenant, or none: the cross-tenant scope (`*`) — or, where the
 * field allows it (`allTenants`), every scope at once (null).
 */
export function scopeFor(identity: Identity, tenant: string | null | undefined, options: { allTenants?: boolean } = {}): string | null {
  if (tenant !== null && tenant !== undefined && !TENANT_PATTERN.test(tenant)) throw badInput('tenant must be 1-64 letters, digits, _ or -');
  if (!hasRole(identity, 'admin')) {
    if (identity.tenant === null) throw forbidden('your token names no tenant');
    if (tenant !== null && tenant !== undefined && tenant !== identity.tenant) throw forbidden('a tenant token can only use its own tenant\'s cache');
    return identity.tenant;
  }
  if (tenant !== null && tenant !== undefined) return tenant;
  return options.allTenants ? null : ALL_TENANTS_SCOPE;
}

/** The `tenant` a scope is shown as (null for the admins' cross-tenant scope and for "all"). */
export function tenantOfScope(scope: string | null): string | null {
  return scope === null || scope === ALL_TENANTS_SCOPE ? null : scope;
}
