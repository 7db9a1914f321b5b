-- Change detection. A statement trigger on each stored table notifies `novi_changes` in the
-- writing transaction (delivered at commit), whoever writes: Novi, Python Novi, hand-written SQL.
-- `version` counts Novi's committed writes, as on the other backends.
ALTER TABLE novi_write_lock ADD COLUMN IF NOT EXISTS version BIGINT NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION novi_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('novi_changes', '');
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS novi_changes ON flags;
CREATE TRIGGER novi_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON flags
    FOR EACH STATEMENT EXECUTE FUNCTION novi_notify_change();
DROP TRIGGER IF EXISTS novi_changes ON activations;
CREATE TRIGGER novi_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON activations
    FOR EACH STATEMENT EXECUTE FUNCTION novi_notify_change();
DROP TRIGGER IF EXISTS novi_changes ON flags_activations;
CREATE TRIGGER novi_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON flags_activations
    FOR EACH STATEMENT EXECUTE FUNCTION novi_notify_change();
