import type { Identity } from '../src/auth/identity.js';

/** Per-request context on the gateway: every operation runs for a verified caller. */
export interface GatewayContext {
  identity: Identity;
}
