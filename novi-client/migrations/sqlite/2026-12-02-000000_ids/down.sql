-- Back to plain INTEGER keys (SQLite may reuse a deleted id again) and flags created on.
CREATE TABLE novi_links_kept AS SELECT flag_id, activation_id FROM flags_activations;
DROP TABLE flags_activations;

CREATE TABLE novi_flags (
    id INTEGER PRIMARY KEY NOT NULL,
    name VARCHAR(255) NOT NULL UNIQUE,
    status BOOLEAN NOT NULL DEFAULT TRUE
);
INSERT INTO novi_flags (id, name, status) SELECT id, name, status FROM flags ORDER BY id;
DROP TABLE flags;
ALTER TABLE novi_flags RENAME TO flags;

CREATE TABLE novi_activations (
    id INTEGER PRIMARY KEY NOT NULL,
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
