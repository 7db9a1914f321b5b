-- Novi's tables. On a database that Python Novi created the CREATEs change nothing and every
-- existing row stays; names are widened (Python made flag names VARCHAR(30)) and the link
-- table is rebuilt with what Python lacked.
CREATE TABLE IF NOT EXISTS flags (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    status BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE IF NOT EXISTS activations (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    class_name TEXT NOT NULL,
    config TEXT NOT NULL
);

ALTER TABLE flags ALTER COLUMN name TYPE TEXT;
ALTER TABLE activations
    ALTER COLUMN name TYPE TEXT,
    ALTER COLUMN class_name TYPE TEXT,
    ALTER COLUMN config TYPE TEXT;

-- Python Novi's flags_activations had no key, nullable columns and no cascades. Make sure one
-- exists (a fresh database gets an empty one), then move its rows into a table with a
-- composite key and cascading foreign keys. Duplicate rows collapse (Python's ORM collapsed
-- them too); rows that name no existing flag or activation meant nothing and are not copied.
CREATE TABLE IF NOT EXISTS flags_activations (flag_id INTEGER, activation_id INTEGER);

CREATE TABLE novi_flags_activations (
    flag_id INTEGER NOT NULL REFERENCES flags (id) ON DELETE CASCADE,
    activation_id INTEGER NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
    CONSTRAINT flags_activations_pkey PRIMARY KEY (flag_id, activation_id)
);

-- EXISTS, not IN: SQLite plans `IN (SELECT id ...)` on both columns as a search of every
-- (flag, activation) pair, quadratic in a large database.
INSERT INTO novi_flags_activations (flag_id, activation_id)
SELECT DISTINCT fa.flag_id, fa.activation_id FROM flags_activations fa
WHERE EXISTS (SELECT 1 FROM flags f WHERE f.id = fa.flag_id)
  AND EXISTS (SELECT 1 FROM activations a WHERE a.id = fa.activation_id);

DROP TABLE flags_activations;

ALTER TABLE novi_flags_activations RENAME TO flags_activations;
