-- Novi's tables. On a database that Python Novi created the first two statements change
-- nothing and every existing row stays; the link table is rebuilt with what Python lacked.
CREATE TABLE IF NOT EXISTS flags (
    id INTEGER PRIMARY KEY NOT NULL,
    name VARCHAR(255) NOT NULL UNIQUE,
    status BOOLEAN NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS activations (
    id INTEGER PRIMARY KEY NOT NULL,
    name VARCHAR(255) NOT NULL,
    class_name VARCHAR(255) NOT NULL,
    config TEXT NOT NULL
);

-- Python Novi's flags_activations had no key, nullable columns and no cascades. Make sure one
-- exists (a fresh database gets an empty one), then move its rows into a table with a
-- composite key and cascading foreign keys. Duplicate rows collapse (Python's ORM collapsed
-- them too); rows that name no existing flag or activation meant nothing and are not copied.
CREATE TABLE IF NOT EXISTS flags_activations (flag_id INTEGER, activation_id INTEGER);

CREATE TABLE novi_flags_activations (
    flag_id INTEGER NOT NULL REFERENCES flags (id) ON DELETE CASCADE,
    activation_id INTEGER NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
    PRIMARY KEY (flag_id, activation_id)
);

-- EXISTS, not IN: SQLite plans `IN (SELECT id ...)` on both columns as a search of every
-- (flag, activation) pair, quadratic in a large database.
INSERT INTO novi_flags_activations (flag_id, activation_id)
SELECT DISTINCT fa.flag_id, fa.activation_id FROM flags_activations fa
WHERE EXISTS (SELECT 1 FROM flags f WHERE f.id = fa.flag_id)
  AND EXISTS (SELECT 1 FROM activations a WHERE a.id = fa.activation_id);

DROP TABLE flags_activations;

ALTER TABLE novi_flags_activations RENAME TO flags_activations;
