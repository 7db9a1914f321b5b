-- Ids come from AUTO_INCREMENT from now on: an id is never given again after a delete, and a
-- plain INSERT without an id (Python Novi's ORM, hand-written SQL) never collides with Novi's
-- writes. Each counter moves past the highest id in use, and past ids deleted before today,
-- which the audit log remembers. New flags are off unless told otherwise.
SET @novi_next = GREATEST(
    (SELECT COALESCE(MAX(id), 0) FROM flags),
    (SELECT COALESCE(MAX(target_id), 0) FROM audit_log WHERE target_kind = 'flag')) + 1;
SET @novi_sql = CONCAT('ALTER TABLE flags AUTO_INCREMENT = ', @novi_next);
PREPARE novi_statement FROM @novi_sql;
EXECUTE novi_statement;
DEALLOCATE PREPARE novi_statement;

SET @novi_next = GREATEST(
    (SELECT COALESCE(MAX(id), 0) FROM activations),
    (SELECT COALESCE(MAX(target_id), 0) FROM audit_log WHERE target_kind = 'activation')) + 1;
SET @novi_sql = CONCAT('ALTER TABLE activations AUTO_INCREMENT = ', @novi_next);
PREPARE novi_statement FROM @novi_sql;
EXECUTE novi_statement;
DEALLOCATE PREPARE novi_statement;

ALTER TABLE flags ALTER COLUMN status SET DEFAULT FALSE;
