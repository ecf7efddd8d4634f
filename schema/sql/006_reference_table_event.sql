-- Registering a reference table changes what the data API serves: a schema event, like DDL.
CREATE OR REPLACE FUNCTION distrag_meta.create_reference_table(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO distrag_meta.reference_tables (relid) VALUES (target) ON CONFLICT DO NOTHING;
  IF FOUND THEN
    PERFORM distrag_meta.publish_schema_change('SELECT create_reference_table', 'table', target::text);
  END IF;
END;
$$;
