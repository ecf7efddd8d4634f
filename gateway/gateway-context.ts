import type { Identity } from '../src/auth/identity.js';

/** Per-request context on the gateway; identity is null only for the unauthenticated Sandbox page. */
export interface GatewayContext {
  identity: Identity | null;
}
