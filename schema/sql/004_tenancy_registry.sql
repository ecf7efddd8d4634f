-- Which tables are shared by every tenant (reference tables) when Citus cannot say so itself:
-- in single-node mode, and for Citus local tables. A table listed here is readable by every role
-- and writable by admins only, even if it has the tenant column; any other table with the tenant
-- column is tenant-scoped by row-level security. Under Citus, create_reference_table() and
-- create_distributed_table() decide for the tables they manage.
CREATE TABLE IF NOT EXISTS distrag_meta.reference_tables (
  relid     oid PRIMARY KEY,
  marked_at timestamptz NOT NULL DEFAULT now()
);

-- distrag_meta.create_reference_table('my_table'): the single-node counterpart of Citus's
-- create_reference_table(); the data API picks the change up within a second.
CREATE OR REPLACE FUNCTION distrag_meta.create_reference_table(target regclass) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO distrag_meta.reference_tables (relid) VALUES (target) ON CONFLICT DO NOTHING;
$$;

SELECT distrag_meta.create_reference_table('universities');

-- Nothing in distrag_meta is for the API roles.
REVOKE ALL ON SCHEMA distrag_meta FROM PUBLIC;

-- Per-statement statistics (slow queries; the tests count the statements each operation sends).
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
