import type { Resolvers } from '../../schema/generated/cluster-types.js';
import { required } from '../../src/config/config.js';
import { createPgPool, pgReadiness } from '../../src/db/pg-pool.js';
import { requireRole } from '../../src/auth/require-role.js';
import { clusterUnavailable } from '../../src/errors/safe-error.js';
import { startSubgraph } from '../../src/service/start-subgraph.js';
import { readClusterTopology } from './cluster-topology.js';

await startSubgraph({
  name: 'cluster',
  setup: async (config, log) => {
    // Reading the topology needs no more than the catalog reader (cluster operations: issue 12).
    const url = required(config.DISTRAG_CATALOG_DATABASE_URL, 'DISTRAG_CATALOG_DATABASE_URL');
    const pool = createPgPool(url, log, { applicationName: 'distrag-cluster', max: 4 });
    const self = { host: new URL(url).hostname, port: Number(new URL(url).port || 5432) };
    const resolvers: Resolvers = {
      Query: {
        cluster: async (_root, _args, { identity }) => {
          requireRole(identity, 'admin');
          try {
            return await readClusterTopology(pool, self);
          } catch (error) {
            log.error({ err: error }, 'reading cluster topology failed');
            throw clusterUnavailable('the coordinator did not answer; check `npx distrag status`', error);
          }
        },
      },
    };
    return {
      resolvers,
      readiness: pgReadiness(pool),
      close: () => pool.end(),
    };
  },
});
