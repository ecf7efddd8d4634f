-- Schema changes as events: an event trigger on the coordinator (or the single node) records each
-- DDL command with a version number and NOTIFYs it on the channel distrag_schema. The change
-- feed forwards them to the event bus, and catches up from this table (by version) after a lost
-- connection. Under Citus event triggers are not propagated: this one exists on the coordinator
-- only, which sees every DDL once, with the logical table name.
CREATE TABLE IF NOT EXISTS distrag_meta.schema_changes (
  version         bigserial PRIMARY KEY,
  command_tag     text NOT NULL,
  object_type     text NOT NULL,
  object_identity text NOT NULL,
  at              timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE OR REPLACE FUNCTION distrag_meta.publish_schema_change(tag text, kind text, identity text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  recorded distrag_meta.schema_changes;
BEGIN
  INSERT INTO distrag_meta.schema_changes (command_tag, object_type, object_identity)
  VALUES (tag, coalesce(kind, ''), left(coalesce(identity, ''), 2000))
  RETURNING * INTO recorded;
  -- NOTIFY payloads must stay under 8000 bytes: the identity is cut to 2000 characters.
  PERFORM pg_notify('distrag_schema', json_build_object(
    'version', recorded.version, 'commandTag', recorded.command_tag, 'objectType', recorded.object_type,
    'objectIdentity', recorded.object_identity, 'at', recorded.at)::text);
END;
$$;

-- One event per DDL command: the object the command is about (the table of a CREATE TABLE, not
-- its sequences and implicit indexes). DistRAG's own DDL (securing tables, SET LOCAL
-- distrag.internal_ddl = 'on'), temporary objects and DistRAG's metadata are left out. Drops are
-- recorded by the sql_drop trigger below (ddl_command_end sees no object for them).
CREATE OR REPLACE FUNCTION distrag_meta.on_ddl_command_end() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  command record;
BEGIN
  IF current_setting('distrag.internal_ddl', true) = 'on' THEN RETURN; END IF;
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
  IF TG_TAG NOT LIKE 'DROP%' OR current_setting('distrag.internal_ddl', true) = 'on' THEN RETURN; END IF;
  SELECT o.object_type, o.object_identity INTO dropped
  FROM pg_event_trigger_dropped_objects() o
  WHERE o.original AND NOT o.is_temporary AND coalesce(o.schema_name, '') <> 'distrag_meta'
  ORDER BY (o.object_type IN ('table', 'index', 'type', 'view', 'function')) DESC
  LIMIT 1;
  IF NOT FOUND THEN RETURN; END IF;
  PERFORM distrag_meta.publish_schema_change(TG_TAG, dropped.object_type, dropped.object_identity);
END;
$$;

DROP EVENT TRIGGER IF EXISTS distrag_ddl_command_end;
CREATE EVENT TRIGGER distrag_ddl_command_end ON ddl_command_end EXECUTE FUNCTION distrag_meta.on_ddl_command_end();
DROP EVENT TRIGGER IF EXISTS distrag_sql_drop;
CREATE EVENT TRIGGER distrag_sql_drop ON sql_drop EXECUTE FUNCTION distrag_meta.on_sql_drop();
