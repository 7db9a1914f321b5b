-- Novi's tables. On a database created for Python Novi the CREATEs change nothing and every
-- existing row stays; the link table is rebuilt with what Python lacked. Names compare
-- case-sensitively (utf8mb4_bin), as on SQLite and PostgreSQL.
CREATE TABLE IF NOT EXISTS flags (
    id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL UNIQUE,
    status BOOLEAN NOT NULL DEFAULT TRUE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS activations (
    id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    class_name VARCHAR(255) NOT NULL,
    config MEDIUMTEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A table made for Python Novi may have shorter names (its models said VARCHAR(30)) and a
-- case-insensitive collation; Novi's names are case-sensitive on every backend.
ALTER TABLE flags MODIFY name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
ALTER TABLE activations
    MODIFY name VARCHAR(255) NOT NULL,
    MODIFY class_name VARCHAR(255) NOT NULL,
    MODIFY config MEDIUMTEXT NOT NULL;

-- Python Novi's flags_activations had no key, nullable columns and no cascades. Make sure one
-- exists (a fresh database gets an empty one), then move its rows into a table with a
-- composite key and cascading foreign keys. Duplicate rows collapse (Python's ORM collapsed
-- them too); rows that name no existing flag or activation meant nothing and are not copied.
CREATE TABLE IF NOT EXISTS flags_activations (flag_id INTEGER, activation_id INTEGER) ENGINE=InnoDB;

CREATE TABLE novi_flags_activations (
    flag_id INTEGER NOT NULL,
    activation_id INTEGER NOT NULL,
    PRIMARY KEY (flag_id, activation_id),
    CONSTRAINT novi_fa_flag FOREIGN KEY (flag_id) REFERENCES flags (id) ON DELETE CASCADE,
    CONSTRAINT novi_fa_activation FOREIGN KEY (activation_id) REFERENCES activations (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- EXISTS, not IN: SQLite plans `IN (SELECT id ...)` on both columns as a search of every
-- (flag, activation) pair, quadratic in a large database.
INSERT INTO novi_flags_activations (flag_id, activation_id)
SELECT DISTINCT fa.flag_id, fa.activation_id FROM flags_activations fa
WHERE EXISTS (SELECT 1 FROM flags f WHERE f.id = fa.flag_id)
  AND EXISTS (SELECT 1 FROM activations a WHERE a.id = fa.activation_id);

DROP TABLE flags_activations;

RENAME TABLE novi_flags_activations TO flags_activations;
