-- Schema-change versions in commit order. The change feed publishes distrag_meta.schema_changes
-- by version and remembers the last one published; with versions taken when a DDL command runs,
-- a transaction that commits after a later-numbered one (a long DDL, or the change feed recording
-- a Citus table function meanwhile) would be skipped for good. So a command now records a draft,
-- and the draft becomes a versioned change when its transaction commits: a deferred trigger takes
-- the version under a transaction-level lock, which the next committing transaction waits for.
-- Versions then grow in commit order, and a reader never sees a smaller one appear later.
CREATE TABLE IF NOT EXISTS distrag_meta.schema_change_drafts (
  id              bigserial PRIMARY KEY,
  command_tag     text NOT NULL,
  object_type     text NOT NULL,
  object_identity text NOT NULL,
  at              timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE OR REPLACE FUNCTION distrag_meta.publish_schema_change(tag text, kind text, identity text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO distrag_meta.schema_change_drafts (command_tag, object_type, object_identity)
  VALUES (tag, coalesce(kind, ''), left(coalesce(identity, ''), 2000));
END;
$$;

CREATE OR REPLACE FUNCTION distrag_meta.commit_schema_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  recorded distrag_meta.schema_changes;
BEGIN
  -- Held until this transaction's commit is complete: versions follow commit order.
  PERFORM pg_advisory_xact_lock(hashtext('distrag_meta.schema_changes'));
  INSERT INTO distrag_meta.schema_changes (command_tag, object_type, object_identity, at)
  VALUES (NEW.command_tag, NEW.object_type, NEW.object_identity, NEW.at)
  RETURNING * INTO recorded;
  DELETE FROM distrag_meta.schema_change_drafts WHERE id = NEW.id;
  -- NOTIFY payloads must stay under 8000 bytes: the identity is cut to 2000 characters.
  PERFORM pg_notify('distrag_schema', json_build_object(
    'version', recorded.version, 'commandTag', recorded.command_tag, 'objectType', recorded.object_type,
    'objectIdentity', recorded.object_identity, 'at', recorded.at)::text);
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS distrag_commit_schema_change ON distrag_meta.schema_change_drafts;
CREATE CONSTRAINT TRIGGER distrag_commit_schema_change
  AFTER INSERT ON distrag_meta.schema_change_drafts
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION distrag_meta.commit_schema_change();
