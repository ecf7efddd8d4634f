import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import type { SubgraphEndpoint } from './subgraph-list.js';

export class SubgraphUnreachableError extends Error {
  override name = 'SubgraphUnreachableError';
}

/** Fetches one subgraph's SDL through its federation `_service` field. */
export async function fetchSubgraphSdl(endpoint: SubgraphEndpoint, headers: Record<string, string>): Promise<string> {
  let response: Response;
  try {
    response = await fetch(endpoint.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
      signal: AbortSignal.timeout(5_000),
    });
  } catch (error) {
    throw new SubgraphUnreachableError(`subgraph ${endpoint.name} is unreachable at ${endpoint.url}`, { cause: error });
  }
  if (!response.ok) throw new SubgraphUnreachableError(`subgraph ${endpoint.name} answered HTTP ${response.status} at ${endpoint.url}`);
  const body = (await response.json()) as { data?: { _service?: { sdl?: string } } };
  const sdl = body.data?._service?.sdl;
  if (!sdl) throw new SubgraphUnreachableError(`subgraph ${endpoint.name} returned no SDL`);
  return sdl;
}

/** Composes the supergraph from subgraph SDLs; throws with every composition error listed. */
export function composeSupergraph(subgraphs: Array<SubgraphEndpoint & { sdl: string }>): string {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  if (result.errors) throw new Error(`supergraph composition failed: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.supergraphSdl;
}
