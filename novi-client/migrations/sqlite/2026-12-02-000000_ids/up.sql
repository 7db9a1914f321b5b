-- Ids come from SQLite itself from now on (AUTOINCREMENT): an id is never given again after a
-- delete, and a plain INSERT without an id (as Python Novi's ORM writes) never collides with
-- Novi's writes. SQLite cannot add AUTOINCREMENT to a table, so flags and activations are
-- rebuilt with their rows and ids. The link table is set aside first (dropping a table it
-- references would cascade into it) and rebuilt after. New flags are off unless told otherwise.
CREATE TABLE novi_links_kept AS SELECT flag_id, activation_id FROM flags_activations;
DROP TABLE flags_activations;

CREATE TABLE novi_flags (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name VARCHAR(255) NOT NULL UNIQUE,
    status BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO novi_flags (id, name, status) SELECT id, name, status FROM flags ORDER BY id;
DROP TABLE flags;
ALTER TABLE novi_flags RENAME TO flags;

CREATE TABLE novi_activations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name VARCHAR(255) NOT NULL,
    class_name VARCHAR(255) NOT NULL,
    config TEXT NOT NULL
);
INSERT INTO novi_activations (id, name, class_name, config)
SELECT id, name, class_name, config FROM activations ORDER BY id;
DROP TABLE activations;
ALTER TABLE novi_activations RENAME TO activations;

CREATE TABLE flags_activations (
    flag_id INTEGER NOT NULL REFERENCES flags (id) ON DELETE CASCADE,
    activation_id INTEGER NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
    PRIMARY KEY (flag_id, activation_id)
);
INSERT INTO flags_activations (flag_id, activation_id) SELECT flag_id, activation_id FROM novi_links_kept;
DROP TABLE novi_links_kept;

-- Ids deleted before today are not given again either: the audit log remembers them.
INSERT INTO sqlite_sequence (name, seq)
SELECT 'flags', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'flags');
INSERT INTO sqlite_sequence (name, seq)
SELECT 'activations', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'activations');
UPDATE sqlite_sequence SET seq = MAX(seq,
    COALESCE((SELECT MAX(id) FROM flags), 0),
    COALESCE((SELECT MAX(target_id) FROM audit_log WHERE target_kind = 'flag'), 0))
WHERE name = 'flags';
UPDATE sqlite_sequence SET seq = MAX(seq,
    COALESCE((SELECT MAX(id) FROM activations), 0),
    COALESCE((SELECT MAX(target_id) FROM audit_log WHERE target_kind = 'activation'), 0))
WHERE name = 'activations';
