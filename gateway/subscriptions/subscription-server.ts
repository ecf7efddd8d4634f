import type http from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { GraphQLError, parse, print, specifiedRules, validate, type ExecutionArgs, type GraphQLSchema, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Identity } from '../../src/auth/identity.js';
import { formatPublicError } from '../../src/errors/format-public-error.js';
import type { BearerAuthenticator } from '../auth/bearer-authenticator.js';
import type { GatewayContext } from '../gateway-context.js';
import type { SubscriptionContext } from './subscription-schema.js';

export interface SubscriptionServerOptions {
  http: http.Server;
  /** API schema + Subscription (null until the first supergraph is loaded). */
  schema: () => GraphQLSchema | null;
  apollo: ApolloServer<GatewayContext>;
  authenticator: BearerAuthenticator;
  validationRules: ValidationRule[];
  /** ws ping interval: keeps proxies (NGINX) from closing idle sockets, finds dead peers. */
  pingMs: number;
  maxMessageBytes: number;
  log: Logger;
  onConnection?: (delta: 1 | -1) => void;
}

/** Close code for a missing or invalid token in `connection_init` (CONTRACT §5). */
export const UNAUTHORIZED_CLOSE = 4401;

/**
 * A socket whose token expires while it is open is closed at the token's `exp` with this code and
 * TOKEN_EXPIRED_REASON. It is deliberately the same 4401 as a bad token at `connection_init`: an
 * expired token is a bad token (CONTRACT §5), graphql-ws defines 4401 as Unauthorized, and its client
 * treats 4401 as fatal instead of reconnecting with the same, now useless, token — the client needs
 * a fresh token and reconnects with it (resubscribing with `after: <last id>` to miss nothing).
 * 4403 (Forbidden) would say the token is valid but lacks a right, and a private 44xx code would make
 * graphql-ws clients retry in a loop with the expired token. The reason tells the cases apart.
 */
export const TOKEN_EXPIRED_CLOSE = UNAUTHORIZED_CLOSE;
export const TOKEN_EXPIRED_REASON = 'Unauthorized: token expired';

/** setTimeout's largest delay (about 24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * graphql-ws on the gateway's `/graphql` (HTTP upgrade). The token comes in the
 * `connection_init` payload (`authorization: Bearer <JWT>`, key in any case); without a valid
 * one the socket closes with 4401, and it is closed (4401, `Unauthorized: token expired`) when the
 * token expires. Subscriptions run against the API schema plus the gateway's
 * Subscription type; queries and mutations sent over the socket go through Apollo like HTTP ones.
 */
export function attachSubscriptionServer(options: SubscriptionServerOptions): { close: () => Promise<void> } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });
  const onUpgrade = (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    if ((req.url ?? '').split('?')[0] !== '/graphql') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  options.http.on('upgrade', onUpgrade);
  wss.on('connection', (ws) => {
    options.onConnection?.(1);
    ws.once('close', () => options.onConnection?.(-1));
  });

  // One timer per authenticated socket, at its token's expiry; cleared when the socket closes.
  const closeAtExpiry = (socket: WebSocket, expiresAt: number) => {
    let timer: NodeJS.Timeout;
    const arm = () => {
      const wait = expiresAt - Date.now();
      if (wait > MAX_TIMER_MS) {
        timer = setTimeout(arm, MAX_TIMER_MS);
        return;
      }
      timer = setTimeout(() => {
        options.log.info('subscription socket closed: token expired');
        socket.close(TOKEN_EXPIRED_CLOSE, TOKEN_EXPIRED_REASON);
      }, Math.max(0, wait));
    };
    arm();
    socket.once('close', () => clearTimeout(timer));
  };

  const identities = new WeakMap<object, Identity>();
  const publicError = (error: GraphQLError) => {
    const formatted = formatPublicError(error.toJSON());
    if (formatted.extensions?.code === 'INTERNAL') options.log.error({ err: error.originalError ?? error }, `internal error answered as INTERNAL: ${error.message}`);
    return formatted;
  };
  const disposable = useServer<Record<string, unknown>>(
    {
      onConnect: async (ctx) => {
        const token = bearerToken(ctx.connectionParams);
        const result = token ? await options.authenticator.verify(token) : { error: 'missing authorization in connection_init' };
        if ('error' in result) {
          options.log.info({ reason: result.error }, 'subscription socket refused');
          ctx.extra.socket.close(UNAUTHORIZED_CLOSE, 'Unauthorized');
          return false;
        }
        identities.set(ctx.extra.socket, result.identity);
        closeAtExpiry(ctx.extra.socket, result.expiresAt);
        return true;
      },
      onSubscribe: (ctx, _id, payload): ExecutionArgs | readonly GraphQLError[] => {
        const schema = options.schema();
        if (!schema) return [new GraphQLError('the gateway has no schema yet; retry shortly', { extensions: { code: 'CLUSTER_UNAVAILABLE' } })];
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [new GraphQLError((error as Error).message, { extensions: { code: 'BAD_USER_INPUT' } })];
        }
        const errors = validate(schema, document, [...specifiedRules, ...options.validationRules]);
        if (errors.length > 0) return errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'BAD_USER_INPUT' } }));
        const identity = identities.get(ctx.extra.socket)!;
        const contextValue: SubscriptionContext & GatewayContext = { identity, socket: ctx.extra.socket };
        return { schema, document, variableValues: payload.variables ?? undefined, operationName: payload.operationName ?? undefined, contextValue };
      },
      // Queries and mutations over the socket: Apollo runs them, as for HTTP.
      execute: async (args) => {
        const context = args.contextValue as SubscriptionContext;
        const response = await options.apollo.executeOperation(
          { query: print(args.document), variables: args.variableValues as Record<string, unknown> | undefined, operationName: args.operationName ?? undefined },
          { contextValue: { identity: context.identity } },
        );
        if (response.body.kind !== 'single') return { errors: [new GraphQLError('incremental delivery is not supported over the socket')] };
        return response.body.singleResult as never;
      },
      // Same rule as HTTP: only public errors reach clients, the rest is INTERNAL.
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => publicError(e)),
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: result.errors.map((e) => publicError(e)) } : undefined),
    },
    wss,
    options.pingMs,
  );

  return {
    close: async () => {
      options.http.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(1001, 'gateway shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** `authorization` (any case) from the connection_init payload, `Bearer ` optional. */
export function bearerToken(params: Readonly<Record<string, unknown>> | undefined): string | null {
  if (!params || typeof params !== 'object') return null;
  const entry = Object.entries(params).find(([key]) => key.toLowerCase() === 'authorization');
  const value = entry?.[1];
  if (typeof value !== 'string') return null;
  const match = /^(?:Bearer\s+)?(\S+)$/i.exec(value.trim());
  return match?.[1] ?? null;
}
