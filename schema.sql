-- Novi's tables as the SQLite migrations leave them (novi-client/migrations/sqlite; a test
-- keeps the two equal). Runs as-is in SQLite: `sqlite3 novi.db < schema.sql`. Novi migrates
-- such a database without change; so does `diesel migration run`.
--
-- PostgreSQL and MySQL/MariaDB: let Novi migrate (`novi-web` and
-- `Client::builder(url)?.migrate(true)` run the migrations themselves), or run
-- novi-client/migrations/postgres/*/up.sql or novi-client/migrations/mysql/*/up.sql in order.
-- Their ids come from sequences and AUTO_INCREMENT, which no SQL common to the three spells.

-- Ids come from AUTOINCREMENT: never given again after a delete.
CREATE TABLE flags (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name VARCHAR(255) NOT NULL UNIQUE,
    status BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE activations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name VARCHAR(255) NOT NULL,
    class_name VARCHAR(255) NOT NULL,
    config TEXT NOT NULL
);

CREATE TABLE flags_activations (
    flag_id INTEGER NOT NULL REFERENCES flags (id) ON DELETE CASCADE,
    activation_id INTEGER NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
    PRIMARY KEY (flag_id, activation_id)
);

-- The row every write locks first, so that writers in every process take turns.
CREATE TABLE novi_write_lock (id INTEGER PRIMARY KEY NOT NULL, version BIGINT NOT NULL DEFAULT 0);
INSERT INTO novi_write_lock (id) VALUES (1);

-- Every successful write: when, who, through which route, and the state before and after.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY NOT NULL,
    at_ms BIGINT NOT NULL,
    actor VARCHAR(255) NOT NULL,
    route VARCHAR(255) NOT NULL,
    target_kind VARCHAR(32) NOT NULL,
    target_id INTEGER NOT NULL,
    target_name VARCHAR(255) NOT NULL,
    before_json TEXT,
    after_json TEXT
);
-- The entries of one flag or one activation, newest first.
CREATE INDEX audit_log_target ON audit_log (target_kind, target_id, id);

-- Experiments: a flag whose variants are compared, the control, the unit's context key, the
-- metrics (JSON); each unit's first exposure; conversion events.
CREATE TABLE experiments (
    id INTEGER PRIMARY KEY NOT NULL,
    name VARCHAR(255) NOT NULL UNIQUE,
    flag_id INTEGER NOT NULL,
    control VARCHAR(255) NOT NULL,
    unit_key VARCHAR(255) NOT NULL,
    metrics TEXT NOT NULL,
    planned_units BIGINT,
    status VARCHAR(16) NOT NULL,
    created_at_ms BIGINT NOT NULL,
    started_at_ms BIGINT
);
-- Each unit's first exposure to a running experiment, and the variant it got: one row per unit.
CREATE TABLE exposures (
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    unit VARCHAR(255) NOT NULL,
    variant VARCHAR(255) NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (experiment_id, unit)
);
-- Conversion events, whatever experiment reads them; `event_id` makes a repeated event count once.
CREATE TABLE conversions (
    id INTEGER PRIMARY KEY NOT NULL,
    event_id VARCHAR(128) UNIQUE,
    event VARCHAR(255) NOT NULL,
    unit VARCHAR(255) NOT NULL,
    value DOUBLE,
    at_ms BIGINT NOT NULL
);
CREATE INDEX conversions_event_unit ON conversions (event, unit, at_ms);
CREATE TABLE exposure_drops (
    id INTEGER PRIMARY KEY NOT NULL,
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    dropped BIGINT NOT NULL,
    at_ms BIGINT NOT NULL
);

-- What results read, kept up to date by the transaction that stores events: each variant's
-- units, and each exposed unit's total per event at or after its first exposure. Event batches
-- take turns on novi_events_lock.
CREATE TABLE exposure_counts (
    experiment_id INTEGER NOT NULL,
    variant VARCHAR(255) NOT NULL,
    units BIGINT NOT NULL,
    PRIMARY KEY (experiment_id, variant)
);
CREATE TABLE unit_totals (
    experiment_id INTEGER NOT NULL,
    event VARCHAR(255) NOT NULL,
    unit VARCHAR(255) NOT NULL,
    variant VARCHAR(255) NOT NULL,
    total DOUBLE NOT NULL,
    PRIMARY KEY (experiment_id, event, unit)
);
CREATE TABLE novi_events_lock (id INTEGER PRIMARY KEY NOT NULL, version BIGINT NOT NULL DEFAULT 0);
INSERT INTO novi_events_lock (id, version) VALUES (1, 0);
CREATE INDEX exposures_unit ON exposures (unit);
