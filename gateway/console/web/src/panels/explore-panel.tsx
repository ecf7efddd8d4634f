import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { useMemo } from 'react';
import { useConsole } from '../console-context';

const DEFAULT_QUERY = `# The whole DistRAG API, as your token may use it.
# Subscriptions run over graphql-ws: try
#   subscription { dataChanged(tables: ["students"]) { table op tenant at } }
query Universities {
  universities {
    universityId
    name
  }
}
`;

/** GraphiQL, bundled here (no CDN), on the gateway's /graphql with the console's token; subscriptions over graphql-ws. */
export default function ExplorePanel() {
  const { session } = useConsole();
  const fetcher = useMemo(() => {
    const authorization = `Bearer ${session.token}`;
    const origin = window.location.origin;
    return createGraphiQLFetcher({
      url: `${origin}/graphql`,
      subscriptionUrl: `${origin.replace(/^http/, 'ws')}/graphql`,
      headers: { authorization },
      wsConnectionParams: { authorization },
    });
  }, [session.token]);
  return (
    <div className="graphiql-box" data-testid="graphiql">
      <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} storage={sessionStorageFor(session.sub)} />
    </div>
  );
}

/** GraphiQL keeps its tabs and history per signed-in subject, in this tab's sessionStorage. */
function sessionStorageFor(sub: string) {
  const prefix = `distrag.graphiql.${sub}.`;
  return {
    getItem: (key: string) => window.sessionStorage.getItem(prefix + key),
    setItem: (key: string, value: string) => window.sessionStorage.setItem(prefix + key, value),
    removeItem: (key: string) => window.sessionStorage.removeItem(prefix + key),
    clear: () => {
      for (const key of Object.keys(window.sessionStorage)) if (key.startsWith(prefix)) window.sessionStorage.removeItem(key);
    },
    get length() {
      return Object.keys(window.sessionStorage).filter((k) => k.startsWith(prefix)).length;
    },
  };
}
