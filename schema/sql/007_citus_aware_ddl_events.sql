-- Schema-change events that know Citus. Applied on the coordinator (or single node) as a
-- migration, and by the change feed on every Citus worker, where only the event triggers are
-- created (Citus propagates the functions itself; the feed re-creates them when they are missing).
--
-- Under Citus, DDL also runs where nobody typed it: Citus creates, alters and drops shards
-- (public.universities_102008) and workers' shell tables over its own internal connections, and
-- runs a coordinator's own shard DDL (reference-table shards) in the caller's backend. Those
-- commands are not changes to the API's tables; recording them would publish a second event
-- named after a shard, and their NOTIFY makes Citus's PREPARE TRANSACTION fail.
--
-- What shard DDL does show is that Citus changed how a table is distributed: Citus's own
-- functions (create_distributed_table(), create_reference_table(), undistribute_table(), …) fire
-- no event trigger on the coordinator, but they create or drop shards. So creating or dropping a
-- shard emits a transactional logical-decoding message, `distrag.citus_shards`, which the change
-- feed (decoding every node) receives once the transaction committed; it then compares Citus's
-- metadata and records one schema change per table whose distribution changed. Workers record
-- nothing themselves: the coordinator's distrag_meta.schema_changes is the one history.

-- True on a Citus worker (false on the coordinator and without Citus).
CREATE OR REPLACE FUNCTION distrag_meta.is_citus_worker() RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF to_regproc('pg_catalog.citus_is_coordinator') IS NULL THEN RETURN false; END IF;
  RETURN NOT citus_is_coordinator();
END;
$$;

-- True when the running DDL is Citus's work on shards: sent over one of Citus's internal
-- connections, or about a shard (`relations`: the relations the command touched; Citus counts a
-- shard's index as the shard), or dropping a shard (`dropped`: qualified names of dropped tables,
-- recognised by a shard id Citus still knows: the metadata row goes after the table).
CREATE OR REPLACE FUNCTION distrag_meta.is_citus_shard_ddl(relations oid[], dropped text[]) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF to_regproc('pg_catalog.relation_is_a_known_shard') IS NULL THEN RETURN false; END IF;
  IF current_setting('application_name', true) LIKE 'citus_internal%' THEN RETURN true; END IF;
  -- Not joined with pg_class: Citus hides shards from pg_class queries of most applications.
  IF EXISTS (SELECT 1 FROM unnest(relations) AS r(relid) WHERE relation_is_a_known_shard(r.relid::regclass)) THEN
    RETURN true;
  END IF;
  RETURN EXISTS (
    SELECT 1 FROM unnest(dropped) AS d(name)
    JOIN pg_dist_shard s ON s.shardid = (regexp_match(d.name, '_([0-9]{1,18})$'))[1]::bigint
  );
END;
$$;

-- Tells the change feed, once per transaction and only when the transaction commits, that
-- Citus created or dropped shards.
CREATE OR REPLACE FUNCTION distrag_meta.hint_citus_shards(tag text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF tag NOT IN ('CREATE TABLE', 'DROP TABLE', 'CREATE FOREIGN TABLE') THEN RETURN; END IF;
  IF current_setting('distrag.citus_shards_hinted', true) = 'on' THEN RETURN; END IF;
  PERFORM pg_logical_emit_message(true, 'distrag.citus_shards', tag);
  PERFORM set_config('distrag.citus_shards_hinted', 'on', true);
END;
$$;

-- True when a DDL event is not the coordinator's to record: DistRAG's own DDL, Citus's shard
-- work (hinted to the change feed instead), or anything on a worker.
CREATE OR REPLACE FUNCTION distrag_meta.skips_ddl_event(tag text, relations oid[], dropped text[]) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('distrag.internal_ddl', true) = 'on' THEN RETURN true; END IF;
  IF distrag_meta.is_citus_shard_ddl(relations, dropped) THEN
    PERFORM distrag_meta.hint_citus_shards(tag);
    RETURN true;
  END IF;
  RETURN distrag_meta.is_citus_worker();
END;
$$;

CREATE OR REPLACE FUNCTION distrag_meta.on_ddl_command_end() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  command record;
BEGIN
  IF distrag_meta.skips_ddl_event(TG_TAG,
       ARRAY(SELECT c.objid FROM pg_event_trigger_ddl_commands() c WHERE c.classid = 'pg_class'::regclass), '{}') THEN
    RETURN;
  END IF;
  -- One event per DDL command: the object the command is about (the table of a CREATE TABLE,
  -- not its sequences and implicit indexes). Temporary objects and DistRAG's metadata are left out.
  SELECT c.object_type, c.object_identity INTO command
  FROM pg_event_trigger_ddl_commands() c
  WHERE NOT c.in_extension AND coalesce(c.schema_name, '') NOT LIKE 'pg_temp%' AND coalesce(c.schema_name, '') <> 'distrag_meta'
  ORDER BY (c.command_tag = TG_TAG) DESC, (c.object_type IN ('table', 'index', 'type', 'view', 'function')) DESC
  LIMIT 1;
  IF NOT FOUND THEN RETURN; END IF;
  PERFORM distrag_meta.publish_schema_change(TG_TAG, command.object_type, command.object_identity);
END;
$$;

CREATE OR REPLACE FUNCTION distrag_meta.on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  dropped record;
BEGIN
  -- ALTER TABLE … DROP COLUMN also fires sql_drop; ddl_command_end records that command.
  IF TG_TAG NOT LIKE 'DROP%' THEN RETURN; END IF;
  IF distrag_meta.skips_ddl_event(TG_TAG, '{}',
       ARRAY(SELECT o.object_identity FROM pg_event_trigger_dropped_objects() o WHERE o.original AND o.object_type = 'table')) THEN
    RETURN;
  END IF;
  SELECT o.object_type, o.object_identity INTO dropped
  FROM pg_event_trigger_dropped_objects() o
  WHERE o.original AND NOT o.is_temporary AND coalesce(o.schema_name, '') <> 'distrag_meta'
  ORDER BY (o.object_type IN ('table', 'index', 'type', 'view', 'function')) DESC
  LIMIT 1;
  IF NOT FOUND THEN RETURN; END IF;
  PERFORM distrag_meta.publish_schema_change(TG_TAG, dropped.object_type, dropped.object_identity);
END;
$$;

-- Event triggers are not propagated by Citus: on the coordinator the migration creates them, on
-- each worker the change feed does (with the same two statements).
DROP EVENT TRIGGER IF EXISTS distrag_ddl_command_end;
CREATE EVENT TRIGGER distrag_ddl_command_end ON ddl_command_end EXECUTE FUNCTION distrag_meta.on_ddl_command_end();
DROP EVENT TRIGGER IF EXISTS distrag_sql_drop;
CREATE EVENT TRIGGER distrag_sql_drop ON sql_drop EXECUTE FUNCTION distrag_meta.on_sql_drop();
