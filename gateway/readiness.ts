import type { SubgraphEndpoint } from './supergraph/subgraph-list.js';

/** Ready when a supergraph is loaded and every subgraph answers its `/healthz`. */
export function gatewayReadiness(subgraphs: SubgraphEndpoint[], supergraphLoaded: () => boolean) {
  return async (): Promise<string | null> => {
    if (!supergraphLoaded()) return 'no supergraph composed yet';
    const down = await Promise.all(
      subgraphs.map(async (s) => {
        const url = new URL('/healthz', s.url);
        const ok = await fetch(url, { signal: AbortSignal.timeout(1_500) }).then((r) => r.ok, () => false);
        return ok ? null : s.name;
      }),
    );
    const names = down.filter((n): n is string => n !== null);
    return names.length === 0 ? null : `subgraph(s) unreachable: ${names.join(', ')}`;
  };
}
