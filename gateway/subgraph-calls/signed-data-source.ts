import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { IDENTITY_HEADER, signForwardedIdentity } from '../../src/auth/forwarded-identity.js';
import type { Identity } from '../../src/auth/identity.js';
import type { GatewayContext } from '../gateway-context.js';

/** Re-sign this long before the forwarded identity expires. */
const RESIGN_MARGIN_MS = 60_000;

/**
 * Signs the caller's verified identity for each subgraph call, so subgraphs can trust role and
 * tenant without seeing (or re-verifying) the user's token.
 */
export class IdentitySigner {
  private readonly cache = new Map<string, { value: string; expiresAt: number }>();

  constructor(private readonly secret: string) {}

  sign(identity: Identity): string {
    const key = `${identity.sub}\u0000${identity.role}\u0000${identity.tenant ?? ''}`;
    const cached = this.cache.get(key);
    const now = Date.now();
    if (cached && cached.expiresAt - now > RESIGN_MARGIN_MS) return cached.value;
    const signed = signForwardedIdentity(this.secret, identity, now);
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(key, signed);
    return signed.value;
  }
}

export class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(url: string, private readonly signer: IdentitySigner, fetcher: RemoteGraphQLDataSource['fetcher']) {
    super({ url, fetcher });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Requests made outside an operation (health checks) carry no context: they act as the gateway.
    const identity = context?.identity ?? GATEWAY_IDENTITY;
    request.http?.headers.set(IDENTITY_HEADER, this.signer.sign(identity));
  }
}

/** The gateway's own identity, used for its SDL fetches and health checks. */
export const GATEWAY_IDENTITY: Identity = { sub: 'distrag-gateway', role: 'admin', tenant: null };
