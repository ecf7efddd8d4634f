import { forbidden } from '../errors/safe-error.js';
import { hasRole, type Identity, type Role } from './identity.js';

/** Throws FORBIDDEN unless the caller has at least `minimum`. */
export function requireRole(identity: Identity, minimum: Role): void {
  if (!hasRole(identity, minimum)) throw forbidden(`this field needs the ${minimum} role; your token has ${identity.role}`);
}
