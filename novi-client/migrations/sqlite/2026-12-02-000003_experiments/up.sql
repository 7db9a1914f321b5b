-- Experiments: a flag whose variants are compared, the control among them, the context key
-- that names a unit, and the metrics (JSON). Created as drafts: nothing is recorded until one
-- runs.
CREATE TABLE IF NOT EXISTS experiments (
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
CREATE TABLE IF NOT EXISTS exposures (
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    unit VARCHAR(255) NOT NULL,
    variant VARCHAR(255) NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (experiment_id, unit)
);
-- Conversion events, whatever experiment reads them; `event_id` makes a repeated event count once.
CREATE TABLE IF NOT EXISTS conversions (
    id INTEGER PRIMARY KEY NOT NULL,
    event_id VARCHAR(128) UNIQUE,
    event VARCHAR(255) NOT NULL,
    unit VARCHAR(255) NOT NULL,
    value DOUBLE,
    at_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversions_event_unit ON conversions (event, unit, at_ms);
-- Exposures that a server's buffer could not hold, counted per flush (appended, never updated,
-- so that recording never waits for another writer).
CREATE TABLE IF NOT EXISTS exposure_drops (
    id INTEGER PRIMARY KEY NOT NULL,
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    dropped BIGINT NOT NULL,
    at_ms BIGINT NOT NULL
);
