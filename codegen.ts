import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed resolvers for each subgraph, generated from its SDL in `schema/` as part of `npm run build`.
const subgraphs = ['data', 'rag', 'cache', 'cluster'] as const;

const subgraphTypes = Object.fromEntries(
  subgraphs.map((name) => [
    `schema/generated/${name}-types.ts`,
    {
      schema: `schema/${name}.graphql`,
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useIndexSignature: true,
        contextType: '../../src/auth/request-context.js#RequestContext',
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { BigInt: 'string', Decimal: 'string', DateTime: 'string', JSON: 'unknown' },
      },
    },
  ]),
);

// The web console's types of the same SDL (schema types only: it runs in the browser, no resolvers).
const consoleTypes = Object.fromEntries(
  (['rag', 'cache', 'cluster', 'subscriptions'] as const).map((name) => [
    `gateway/console/web/src/generated/${name}.ts`,
    {
      schema: `schema/${name}.graphql`,
      plugins: ['typescript'],
      config: { federation: name !== 'subscriptions', enumsAsTypes: true, useTypeImports: true, scalars: { JSON: 'unknown' } },
    },
  ]),
);

const config: CodegenConfig = {
  overwrite: true,
  generates: {
    ...subgraphTypes,
    ...consoleTypes,
    // The gateway's Subscription type (served by the gateway itself, not a subgraph).
    'schema/generated/subscriptions-types.ts': {
      schema: 'schema/subscriptions.graphql',
      plugins: ['typescript'],
      config: { enumsAsTypes: true, useTypeImports: true },
    },
  },
};

export default config;
