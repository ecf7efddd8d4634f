-- The ask path: SQL written by an LLM runs as a per-tenant LOGIN role, `distrag_t_<tenant>`, a
-- member of the NOLOGIN group `distrag_asker` (SELECT on every exposed table, nothing else). The
-- tenant policy reads the tenant from session_user for those roles: a session cannot change its
-- session_user (SET SESSION AUTHORIZATION needs a superuser), so set_config, SET, RESET or a
-- function call inside the SQL cannot widen what it sees. Other roles keep reading the
-- transaction-local setting `distrag.tenant` (the data API's roles, which run generated SQL only).
--
-- One permissive policy, not an extra RESTRICTIVE one: Citus 13 propagates a restrictive policy to
-- the shards as a permissive one (OR-ed with the others), which would let the setting widen it.
-- SET ROLE distrag_asker is possible for a member, but the group cannot log in: under Citus the
-- worker connections it would need fail, and without Citus session_user still names the tenant.
-- The policy carries a version comment, so that secure_table() replaces policies written by 009.

CREATE OR REPLACE FUNCTION distrag_meta.secure_table(target regclass, tenant_column name) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  policy_name constant text := 'distrag_tenant_isolation';
  reader constant text := 'distrag_reader';
  writer constant text := 'distrag_writer';
  operator constant text := 'distrag_operator';
  asker constant text := 'distrag_asker';
  ask_role_prefix constant text := 'distrag_t_';
  policy_version constant text := 'distrag tenant scope v2';
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
    IF policy_oid IS NULL OR policy_column IS DISTINCT FROM tenant_column OR obj_description(policy_oid, 'pg_policy') IS DISTINCT FROM policy_version THEN
      IF policy_oid IS NOT NULL THEN statements := statements || format('DROP POLICY %I ON %s', policy_name, qualified); END IF;
      tenant_check := format(
        '%I = (CASE WHEN starts_with(session_user::text, %L) THEN substr(session_user::text, %s) ELSE NULLIF(current_setting(%L, true), %L) END)::%s',
        tenant_column, ask_role_prefix, length(ask_role_prefix) + 1, 'distrag.tenant', '', column_type);
      statements := statements || format('CREATE POLICY %I ON %s USING (%s) WITH CHECK (%s)', policy_name, qualified, tenant_check, tenant_check)
                               || format('COMMENT ON POLICY %I ON %s IS %L', policy_name, qualified, policy_version);
    END IF;
  ELSIF policy_oid IS NOT NULL THEN
    statements := statements || format('DROP POLICY %I ON %s', policy_name, qualified);
    IF other_policies = 0 THEN
      statements := statements || format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', qualified) || format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', qualified);
    END IF;
  END IF;

  FOREACH grantee IN ARRAY ARRAY[reader, writer, operator, asker] LOOP
    wanted := CASE
      WHEN grantee IN (reader, asker) THEN ARRAY['SELECT']
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

-- Creates (or re-keys) the ask role of one tenant: `distrag_t_<tenant>`, LOGIN, member of
-- distrag_asker, with the password the RAG service derives for it. Under Citus, every node gets
-- the password in pg_dist_authinfo, since Citus opens its connections to the workers as the role
-- running the statement. Only the RAG service's role may call it. Returns the role's name.
CREATE OR REPLACE FUNCTION distrag_meta.ensure_ask_role(tenant text, password text) RETURNS name
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  role_name constant text := 'distrag_t_' || tenant;
  attributes constant text := 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 32';
  authinfo text;
BEGIN
  IF tenant IS NULL OR tenant !~ '^[A-Za-z0-9_-]{1,53}$' THEN
    RAISE EXCEPTION 'distrag_meta.ensure_ask_role: a tenant id of the ask path is 1 to 53 letters, digits, _ or -' USING ERRCODE = '22023';
  END IF;
  IF password IS NULL OR length(password) < 32 THEN
    RAISE EXCEPTION 'distrag_meta.ensure_ask_role: the password must have at least 32 characters' USING ERRCODE = '22023';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('distrag_meta.ask_roles'));
  PERFORM set_config('distrag.internal_ddl', 'on', true);
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
    EXECUTE format('ALTER ROLE %I WITH %s PASSWORD %L', role_name, attributes, password);
  ELSE
    EXECUTE format('CREATE ROLE %I WITH %s PASSWORD %L', role_name, attributes, password);
  END IF;
  IF NOT pg_has_role(role_name, 'distrag_asker', 'MEMBER') THEN
    EXECUTE format('GRANT distrag_asker TO %I', role_name);
  END IF;
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    authinfo := format('password=%s', password);
    DELETE FROM pg_dist_authinfo WHERE nodeid = 0 AND rolename = role_name;
    INSERT INTO pg_dist_authinfo (nodeid, rolename, authinfo) VALUES (0, role_name, authinfo);
    PERFORM 1 FROM run_command_on_workers(format(
      'DELETE FROM pg_dist_authinfo WHERE nodeid = 0 AND rolename = %L; INSERT INTO pg_dist_authinfo (nodeid, rolename, authinfo) VALUES (0, %L, %L)',
      role_name, role_name, authinfo)) AS r WHERE NOT r.success;
    IF FOUND THEN
      RAISE EXCEPTION 'distrag_meta.ensure_ask_role: could not store % on every worker', role_name;
    END IF;
  END IF;
  RETURN role_name;
END;
$$;
REVOKE ALL ON FUNCTION distrag_meta.ensure_ask_role(text, text) FROM PUBLIC;
