import type pg from 'pg';

/**
 * Gives a node that just joined the coordinator's pg_dist_authinfo. Citus copies the roles to a
 * node it adds (with their passwords) but not pg_dist_authinfo, the passwords the nodes use to
 * reach each other as those roles: DistRAG stores them on every node (the services' roles, by
 * `ensureDatabaseRoles`; each tenant's ask role, by distrag_meta.ensure_ask_role() in
 * schema/sql/010_ask_roles.sql, which writes the coordinator and the workers of that moment).
 * Without them a statement the new worker routes to the other nodes — as an API or ask role,
 * e.g. a query sent to a worker — cannot log in there. The locks those two writers take are held
 * meanwhile, so that no role is re-keyed between the read and the copy.
 */
export async function copyAuthinfoToNode(coordinator: pg.ClientBase, node: pg.ClientBase): Promise<number> {
  await coordinator.query('BEGIN');
  try {
    await coordinator.query(`SELECT pg_advisory_xact_lock(hashtext('distrag_meta.api_roles'))`);
    await coordinator.query(`SELECT pg_advisory_xact_lock(hashtext('distrag_meta.ask_roles'))`);
    const { rows } = await coordinator.query<{ nodeid: number; rolename: string; authinfo: string }>('SELECT nodeid, rolename, authinfo FROM pg_dist_authinfo');
    await node.query('BEGIN');
    try {
      await node.query('DELETE FROM pg_dist_authinfo');
      await node.query(
        'INSERT INTO pg_dist_authinfo (nodeid, rolename, authinfo) SELECT * FROM unnest($1::int[], $2::name[], $3::text[])',
        [rows.map((r) => r.nodeid), rows.map((r) => r.rolename), rows.map((r) => r.authinfo)],
      );
      await node.query('COMMIT');
    } catch (error) {
      await node.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    await coordinator.query('COMMIT');
    return rows.length;
  } catch (error) {
    await coordinator.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
