import { createHmac } from 'node:crypto';

/**
 * The password of a tenant's ask role, derived from the RAG service's own database password: only
 * the RAG service (and whoever holds the admin password it derives from) can log in as a tenant,
 * and nothing has to be stored. The RAG service sets it when it makes the role.
 */
export function askRolePassword(ragPassword: string, tenant: string): string {
  return createHmac('sha256', ragPassword).update(`distrag-ask-role:${tenant}`).digest('base64url');
}
