-- Ids come from each table's sequence from now on: an id is never given again after a
-- delete, and a plain INSERT without an id (Python Novi's ORM, hand-written SQL) never
-- collides with Novi's writes. Tables made without a sequence (schema.sql's INTEGER keys) get
-- one. Every sequence moves past the highest id in use, and past ids deleted before today,
-- which the audit log remembers (Novi used to insert explicit ids, so the sequences stood
-- still). New flags are off unless told otherwise.
DO $$
BEGIN
    IF pg_get_serial_sequence('flags', 'id') IS NULL THEN
        CREATE SEQUENCE novi_flags_id_seq OWNED BY flags.id;
        ALTER TABLE flags ALTER COLUMN id SET DEFAULT nextval('novi_flags_id_seq');
    END IF;
    IF pg_get_serial_sequence('activations', 'id') IS NULL THEN
        CREATE SEQUENCE novi_activations_id_seq OWNED BY activations.id;
        ALTER TABLE activations ALTER COLUMN id SET DEFAULT nextval('novi_activations_id_seq');
    END IF;
END $$;

SELECT setval(pg_get_serial_sequence('flags', 'id'), GREATEST(
    (SELECT COALESCE(MAX(id), 0) FROM flags),
    (SELECT COALESCE(MAX(target_id), 0) FROM audit_log WHERE target_kind = 'flag')) + 1, false);
SELECT setval(pg_get_serial_sequence('activations', 'id'), GREATEST(
    (SELECT COALESCE(MAX(id), 0) FROM activations),
    (SELECT COALESCE(MAX(target_id), 0) FROM audit_log WHERE target_kind = 'activation')) + 1, false);

ALTER TABLE flags ALTER COLUMN status SET DEFAULT FALSE;
