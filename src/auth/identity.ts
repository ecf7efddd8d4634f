/** Who is calling, as verified at the gateway. */
export const ROLES = ['reader', 'writer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  sub: string;
  role: Role;
  /** The tenant key (distribution-column value); null only for admins acting across tenants. */
  tenant: string | null;
}

const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

export function hasRole(identity: Identity, minimum: Role): boolean {
  return RANK[identity.role] >= RANK[minimum];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Tenant keys are short tokens; anything else is refused before it reaches SQL. */
export const TENANT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
