import type { Logger } from 'pino';
import type { Identity } from './identity.js';

/** What every subgraph resolver receives: the gateway-verified caller and a request-scoped logger. */
export interface RequestContext {
  identity: Identity;
  log: Logger;
}
