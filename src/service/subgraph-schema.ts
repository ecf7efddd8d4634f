import { createHash } from 'node:crypto';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { executeSync, parse, type GraphQLSchema } from 'graphql';

/** A subgraph schema and its version: the SHA-256 of the SDL it serves through `_service`. */
export interface VersionedSchema {
  schema: GraphQLSchema;
  version: string;
}

/**
 * Where a subgraph's schema comes from. Static subgraphs build one at start; the data subgraph
 * rebuilds its own from the live catalog and tells its listeners.
 */
export interface SubgraphSchemaSource {
  current(): VersionedSchema;
  onChange(listener: () => void): void;
}

/** The version the gateway compares: a hash of exactly the SDL `{ _service { sdl } }` returns. */
export function schemaVersion(schema: GraphQLSchema): string {
  const result = executeSync({ schema, document: parse('{ _service { sdl } }') });
  const sdl = (result.data as { _service?: { sdl?: string } } | null | undefined)?._service?.sdl;
  if (typeof sdl !== 'string') throw new Error('the subgraph schema does not answer _service { sdl }');
  return sdlVersion(sdl);
}

export function sdlVersion(sdl: string): string {
  return createHash('sha256').update(sdl).digest('hex');
}

/** A schema built once from SDL and resolvers. */
export function staticSchema(typeDefs: string, resolvers: unknown): SubgraphSchemaSource {
  const schema = buildSubgraphSchema({ typeDefs: parse(typeDefs), resolvers: resolvers as GraphQLResolverMap<unknown> });
  const versioned = { schema, version: schemaVersion(schema) };
  return { current: () => versioned, onChange: () => undefined };
}
