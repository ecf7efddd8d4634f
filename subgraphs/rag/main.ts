import type { Resolvers } from '../../schema/generated/rag-types.js';
import { required } from '../../src/config/config.js';
import { startSubgraph } from '../../src/service/start-subgraph.js';
import { createLlmClient } from './llm/llm-client.js';
import { describeLlmClient } from './llm/describe-llm-client.js';

await startSubgraph({
  name: 'rag',
  setup: async (config, log, metrics) => {
    const chromaUrl = required(config.DISTRAG_CHROMA_URL, 'DISTRAG_CHROMA_URL');
    const heartbeat = () =>
      fetch(new URL('/api/v2/heartbeat', chromaUrl), { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
    const provider = describeLlmClient(createLlmClient(config, { log, registry: metrics.registry }));
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
