import { createContext, useContext } from 'react';
import type { GraphqlClient } from './api/graphql-client';
import type { LiveFeed } from './api/live-feed';
import type { Session } from './session/session';

/** What every panel works with: who is signed in, the GraphQL client, the live event feed. */
export interface ConsoleServices {
  session: Session;
  client: GraphqlClient;
  feed: LiveFeed;
}

export const ConsoleContext = createContext<ConsoleServices | null>(null);

export function useConsole(): ConsoleServices {
  const services = useContext(ConsoleContext);
  if (!services) throw new Error('useConsole outside a signed-in console');
  return services;
}
