import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { GraphQLObjectType, Kind, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { schemaVersion } from '../../../src/service/subgraph-schema.js';
import type { ApiModel } from '../api-model/api-model.js';
import { buildApiModel, COMPARISON_BY_KIND } from '../api-model/build-api-model.js';
import type { Catalog } from '../catalog/catalog-model.js';
import { buildDataResolvers, resolveByResponseKey, type ResolverDeps } from './data-resolvers.js';
import { renderGeneratedSdl } from './render-sdl.js';

export interface DataSchemaOptions extends ResolverDeps {
  /** `schema/data.graphql`: scalars, OrderDirection, dataCatalog. */
  staticSdl: string;
  /** The other subgraphs' SDL, whose type and root-field names generated ones must not take. */
  otherSubgraphSdls: string[];
  defaultSchema: string;
}

export interface DataSchema {
  schema: GraphQLSchema;
  version: string;
  sdl: string;
  model: ApiModel;
}

const BUILT_IN_TYPES = ['String', 'Int', 'Float', 'Boolean', 'ID', 'Query', 'Mutation', 'Subscription', '_Any', '_Entity', '_Service', 'FieldSet',
  'link__Import', 'link__Purpose', 'federation__FieldSet', 'federation__Policy', 'federation__Scope', 'federation__ContextFieldValue'];

/** The data subgraph's schema for one catalog: static SDL + the generated API, with resolvers. */
export function buildDataSchema(catalog: Catalog, options: DataSchemaOptions): DataSchema {
  const reserved = reservedNames([parse(options.staticSdl), ...options.otherSubgraphSdls.map((sdl) => parse(sdl))]);
  for (const name of BUILT_IN_TYPES) reserved.types.add(name);
  for (const name of Object.values(COMPARISON_BY_KIND)) reserved.types.add(name);
  for (const name of Object.values(COMPARISON_BY_KIND)) reserved.types.add(name.replace('Comparison', 'ListComparison'));
  const model = buildApiModel(catalog, { defaultSchema: options.defaultSchema, reservedTypes: reserved.types, reservedRootFields: reserved.rootFields });
  const sdl = `${options.staticSdl}\n\n${renderGeneratedSdl(model, options.limits)}\n`;
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: buildDataResolvers(model, options) as GraphQLResolverMap<unknown> });
  for (const typeName of generatedObjectTypes(model)) {
    const type = schema.getType(typeName);
    if (!(type instanceof GraphQLObjectType)) continue;
    for (const field of Object.values(type.getFields())) field.resolve = resolveByResponseKey as typeof field.resolve;
  }
  return { schema, version: schemaVersion(schema), sdl, model };
}

/** Object types whose values are JSON built by SQL, keyed by response key. */
function generatedObjectTypes(model: ApiModel): string[] {
  return model.tables.flatMap((t) => [t.names.type, t.names.aggregateType, t.names.sumFields, t.names.avgFields, t.names.minFields, t.names.maxFields, t.names.mutationResponse]);
}

/** Every type name and every Query / Mutation / Subscription field the documents define. */
function reservedNames(documents: DocumentNode[]): { types: Set<string>; rootFields: Set<string> } {
  const types = new Set<string>();
  const rootFields = new Set<string>();
  for (const document of documents) {
    for (const definition of document.definitions) {
      if (!('name' in definition) || !definition.name) continue;
      const name = definition.name.value;
      if (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION) {
        if (['Query', 'Mutation', 'Subscription'].includes(name)) {
          for (const field of definition.fields ?? []) rootFields.add(field.name.value);
          continue;
        }
      }
      types.add(name);
    }
  }
  return { types, rootFields };
}
