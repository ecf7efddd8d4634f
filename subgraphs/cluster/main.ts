import { required } from '../../src/config/config.js';
import { createPgPool, pgReadiness } from '../../src/db/pg-pool.js';
import { startSubgraph } from '../../src/service/start-subgraph.js';
import { ClusterReader } from './cluster-reader.js';
import { clusterResolvers } from './cluster-resolvers.js';
import { OpsClient } from './ops-client.js';

await startSubgraph({
  name: 'cluster',
  setup: async (config, log) => {
    // Reads need no more than the catalog reader; whatever needs the admin role or the backup
    // files is delegated to the operations API of the recovery process (DISTRAG_OPS_URL).
    const url = required(config.DISTRAG_CATALOG_DATABASE_URL, 'DISTRAG_CATALOG_DATABASE_URL');
    const secret = required(config.DISTRAG_INTERNAL_SECRET, 'DISTRAG_INTERNAL_SECRET');
    const pool = createPgPool(url, log, { applicationName: 'distrag-cluster', max: 4 });
    const ops = new OpsClient(config.DISTRAG_OPS_URL, secret);
    if (!ops.configured) log.warn('DISTRAG_OPS_URL is not set: cluster mutations, backups and lastBackup are unavailable');
    return {
      resolvers: clusterResolvers(new ClusterReader(pool, url, config.dataSchemas, log), ops, log),
      readiness: pgReadiness(pool),
      health: async () => ({ opsApiConfigured: ops.configured }),
      close: () => pool.end(),
    };
  },
});
