-- Least privilege: no DistRAG service holds the admin credentials at run time. The few things a
-- service needs that only the table owner may do are functions that run as their owner (the
-- bootstrap's admin role), each doing one fixed thing; EXECUTE is granted to the service role
-- that calls it when the roles are set up (src/db/service-roles.ts).

-- Recording a schema change: called by the event triggers (as whoever runs the DDL) and by the
-- change feed's Citus table watcher (as the feed's replication role), neither of which may write
-- distrag_meta directly.
ALTER FUNCTION distrag_meta.publish_schema_change(text, text, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION distrag_meta.commit_schema_change() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION distrag_meta.publish_schema_change(text, text, text) FROM PUBLIC;

-- Brings one exposed table's security in line with its tenancy, as the data subgraph's catalog
-- role asks (it reads the catalog and decides the tenant column; it cannot ALTER or GRANT):
-- - tenant tables (tenant_column given): row-level security enabled and forced, one policy
--   comparing the tenant column with the transaction-local setting `distrag.tenant` (unset means
--   no rows: NULLIF turns the '' a reused connection reports into NULL), SELECT for readers, DML
--   for writers and admins;
-- - reference tables (tenant_column NULL): DistRAG's policy dropped, SELECT for readers and
--   writers, DML for admins only.
-- Privileges are granted together with the policy. Tables whose primary key lacks the tenant
-- column (or that have none) get REPLICA IDENTITY FULL, so that the change feed sees the tenant
-- of deleted and updated rows. Returns the number of statements run (steady state: 0, no lock).
-- Tables outside the schemas the data API may expose are refused.
CREATE OR REPLACE FUNCTION distrag_meta.secure_table(target regclass, tenant_column name) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  policy_name constant text := 'distrag_tenant_isolation';
  reader constant text := 'distrag_reader';
  writer constant text := 'distrag_writer';
  operator constant text := 'distrag_operator';
  all_privileges constant text[] := ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'];
  rel pg_catalog.pg_class;
  schema_name text;
  qualified text;
  column_type text;
  policy_oid oid;
  policy_column name;
  other_policies integer;
  tenant_check text;
  key_carries_tenant boolean;
  grantee text;
  wanted text[];
  missing text[];
  extra text[];
  sequence_name text;
  statements text[] := ARRAY[]::text[];
  statement text;
BEGIN
  SELECT * INTO rel FROM pg_class WHERE oid = target;
  SELECT nspname INTO schema_name FROM pg_namespace WHERE oid = rel.relnamespace;
  IF schema_name IN ('distrag_meta', 'information_schema') OR schema_name LIKE 'pg\_%' OR schema_name LIKE 'citus%' THEN
    RAISE EXCEPTION 'distrag_meta.secure_table: % is in an internal schema', target;
  END IF;
  IF rel.relkind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'distrag_meta.secure_table: % is not a table', target;
  END IF;
  qualified := format('%I.%I', schema_name, rel.relname);

  SELECT p.oid INTO policy_oid FROM pg_policy p WHERE p.polrelid = target AND p.polname = policy_name;
  SELECT a.attname INTO policy_column
    FROM pg_depend d JOIN pg_attribute a ON a.attrelid = target AND a.attnum = d.refobjsubid
   WHERE d.classid = 'pg_policy'::regclass AND d.objid = policy_oid AND d.refobjid = target AND d.refobjsubid > 0
   LIMIT 1;
  SELECT count(*)::int INTO other_policies FROM pg_policy p WHERE p.polrelid = target AND p.polname <> policy_name;

  IF tenant_column IS NOT NULL THEN
    SELECT format_type(a.atttypid, a.atttypmod) INTO column_type
      FROM pg_attribute a WHERE a.attrelid = target AND a.attname = tenant_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF column_type IS NULL THEN
      RAISE EXCEPTION 'distrag_meta.secure_table: % has no column %', target, tenant_column;
    END IF;
    IF NOT rel.relrowsecurity THEN statements := statements || format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', qualified); END IF;
    IF NOT rel.relforcerowsecurity THEN statements := statements || format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', qualified); END IF;
    IF policy_oid IS NULL OR policy_column IS DISTINCT FROM tenant_column THEN
      IF policy_oid IS NOT NULL THEN statements := statements || format('DROP POLICY %I ON %s', policy_name, qualified); END IF;
      tenant_check := format('%I = NULLIF(current_setting(%L, true), %L)::%s', tenant_column, 'distrag.tenant', '', column_type);
      statements := statements || format('CREATE POLICY %I ON %s USING (%s) WITH CHECK (%s)', policy_name, qualified, tenant_check, tenant_check);
    END IF;
  ELSIF policy_oid IS NOT NULL THEN
    statements := statements || format('DROP POLICY %I ON %s', policy_name, qualified);
    IF other_policies = 0 THEN
      statements := statements || format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', qualified) || format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', qualified);
    END IF;
  END IF;

  FOREACH grantee IN ARRAY ARRAY[reader, writer, operator] LOOP
    wanted := CASE
      WHEN grantee = reader THEN ARRAY['SELECT']
      WHEN grantee = writer AND tenant_column IS NULL THEN ARRAY['SELECT']
      ELSE ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'] END;
    missing := ARRAY(SELECT p FROM unnest(wanted) p WHERE NOT has_table_privilege(grantee, target, p));
    IF cardinality(missing) > 0 THEN
      statements := statements || format('GRANT %s ON %s TO %I', array_to_string(missing, ', '), qualified, grantee);
    END IF;
    -- Also from PUBLIC: a privilege granted to everyone reaches the API roles too.
    extra := ARRAY(SELECT p FROM unnest(all_privileges) p WHERE p <> ALL (wanted) AND has_table_privilege(grantee, target, p));
    IF cardinality(extra) > 0 THEN
      statements := statements || format('REVOKE %s ON %s FROM PUBLIC, %I', array_to_string(extra, ', '), qualified, grantee);
    END IF;
  END LOOP;

  SELECT EXISTS (
    SELECT 1 FROM pg_index i
     WHERE i.indrelid = target AND i.indisprimary
       AND (tenant_column IS NULL OR EXISTS (
         SELECT 1 FROM pg_attribute a WHERE a.attrelid = target AND a.attname = tenant_column AND a.attnum = ANY (i.indkey::int2[]))))
    INTO key_carries_tenant;
  IF NOT key_carries_tenant AND rel.relreplident <> 'f' THEN
    statements := statements || format('ALTER TABLE %s REPLICA IDENTITY FULL', qualified);
  END IF;

  FOR sequence_name IN
    SELECT format('%I.%I', sn.nspname, s.relname)
      FROM pg_depend d
      JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
      JOIN pg_namespace sn ON sn.oid = s.relnamespace
     WHERE d.classid = 'pg_class'::regclass AND d.refobjid = target AND d.deptype IN ('a', 'i')
       AND NOT (has_sequence_privilege(writer, s.oid, 'USAGE') AND has_sequence_privilege(operator, s.oid, 'USAGE'))
  LOOP
    statements := statements || format('GRANT USAGE, SELECT ON SEQUENCE %s TO %I, %I', sequence_name, writer, operator);
  END LOOP;

  IF cardinality(statements) = 0 THEN
    RETURN 0;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('distrag_meta.secure_tables'));
  -- DistRAG's own DDL: not a schema change event (the event trigger skips it).
  PERFORM set_config('distrag.internal_ddl', 'on', true);
  -- GRANT takes no lock on the table: without one, a user's ALTER TABLE running at the same moment
  -- fails with "tuple concurrently updated". This lock waits for DDL and makes DDL wait, but lets
  -- reads and writes through.
  EXECUTE format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE', qualified);
  FOREACH statement IN ARRAY statements LOOP
    EXECUTE statement;
  END LOOP;
  RETURN cardinality(statements);
END;
$$;
REVOKE ALL ON FUNCTION distrag_meta.secure_table(regclass, name) FROM PUBLIC;
