import { describe, expect, it } from 'vitest';
import { renderNodeConf } from '../src/stack/postgres-node.js';

describe('PostgreSQL node template', () => {
  it('enables logical decoding with room for slots and WAL senders on every node', () => {
    const conf = renderNodeConf({ host: '127.0.0.1', port: 9700, citus: false });
    expect(conf).toMatch(/^wal_level = logical$/m);
    expect(conf).toMatch(/^max_replication_slots = \d+$/m);
    expect(conf).toMatch(/^max_wal_senders = \d+$/m);
    expect(conf).toMatch(/^port = 9700$/m);
    expect(conf).not.toMatch(/^[^#]*citus/m);
    expect(conf).toMatch(/^shared_preload_libraries = 'pg_stat_statements'$/m);
  });

  it('adds the Citus settings only in Citus mode', () => {
    const conf = renderNodeConf({ host: '127.0.0.1', port: 9701, citus: true });
    expect(conf).toMatch(/^shared_preload_libraries = 'citus,pg_stat_statements'$/m);
    expect(conf).toMatch(/^citus\.propagate_set_commands = 'local'$/m);
    expect(conf).toMatch(/^citus\.enable_change_data_capture = on$/m);
  });

  it('names the WAL receiver as the synchronous standby only with synchronous WAL streaming (RPO 0)', () => {
    expect(renderNodeConf({ host: '127.0.0.1', port: 9700, citus: true, walSync: true })).toMatch(/^synchronous_standby_names = 'distrag_wal'$/m);
    expect(renderNodeConf({ host: '127.0.0.1', port: 9700, citus: true, walSync: false })).not.toMatch(/^synchronous_standby_names/m);
  });
});
