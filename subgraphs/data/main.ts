import { required } from '../../src/config/config.js';
import { createPgPool, pgReadiness } from '../../src/db/pg-pool.js';
import { startSubgraph } from '../../src/service/start-subgraph.js';
import { dataResolvers } from './resolvers.js';

await startSubgraph({
  name: 'data',
  setup: async (config, log) => {
    const pool = createPgPool(required(config.DISTRAG_DATABASE_URL, 'DISTRAG_DATABASE_URL'), log, { applicationName: 'distrag-data', max: 20 });
    return {
      resolvers: dataResolvers(pool),
      readiness: pgReadiness(pool),
      close: () => pool.end(),
    };
  },
});
