import type { Resolvers } from '../../schema/generated/rag-types.js';
import { required } from '../../src/config/config.js';
import { startSubgraph } from '../../src/service/start-subgraph.js';
import { describeLlmProvider } from './llm-provider.js';

await startSubgraph({
  name: 'rag',
  setup: async (config) => {
    const chromaUrl = required(config.DISTRAG_CHROMA_URL, 'DISTRAG_CHROMA_URL');
    const heartbeat = () =>
      fetch(new URL('/api/v2/heartbeat', chromaUrl), { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
    const provider = describeLlmProvider(config);
    const resolvers: Resolvers = {
      Query: {
        ragStatus: async () => ({ ...provider, vectorStoreReachable: await heartbeat() }),
      },
    };
    return {
      resolvers,
      readiness: async () => ((await heartbeat()) ? null : 'Chroma is unreachable'),
      close: async () => {},
    };
  },
});
