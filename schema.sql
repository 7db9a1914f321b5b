-- Novi's tables, as the migrations create them, in portable SQL. Runs as-is in SQLite
-- (`sqlite3 novi.db < schema.sql`) and PostgreSQL (`psql -f schema.sql`).
--
-- MySQL/MariaDB: use migrations/mysql/*/up.sql instead (it adds AUTO_INCREMENT, InnoDB,
-- utf8mb4 with case-sensitive names, and named foreign keys), or let Novi migrate:
-- `novi-web` and `Client::builder(url)?.migrate(true)` run the migrations themselves.

CREATE TABLE flags (
    id INTEGER PRIMARY KEY NOT NULL,
    name VARCHAR(255) NOT NULL UNIQUE,
    status BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE activations (
    id INTEGER PRIMARY KEY NOT NULL,
    name VARCHAR(255) NOT NULL,
    class_name VARCHAR(255) NOT NULL,
    config TEXT NOT NULL
);

CREATE TABLE flags_activations (
    flag_id INTEGER NOT NULL REFERENCES flags (id) ON DELETE CASCADE,
    activation_id INTEGER NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
    PRIMARY KEY (flag_id, activation_id)
);
