-- Experiments: a flag whose variants are compared, the control among them, the context key
-- that names a unit, and the metrics (JSON). Created as drafts: nothing is recorded until one
-- runs. A change notifies `novi_changes`, as a flag's does, so every replica starts recording
-- (or stops) at once.
CREATE TABLE IF NOT EXISTS experiments (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    flag_id INTEGER NOT NULL,
    control TEXT NOT NULL,
    unit_key TEXT NOT NULL,
    metrics TEXT NOT NULL,
    planned_units BIGINT,
    status VARCHAR(16) NOT NULL,
    created_at_ms BIGINT NOT NULL,
    started_at_ms BIGINT
);
DROP TRIGGER IF EXISTS novi_changes ON experiments;
CREATE TRIGGER novi_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON experiments
    FOR EACH STATEMENT EXECUTE FUNCTION novi_notify_change();
-- Each unit's first exposure to a running experiment, and the variant it got: one row per unit.
CREATE TABLE IF NOT EXISTS exposures (
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    unit TEXT NOT NULL,
    variant TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (experiment_id, unit)
);
-- Conversion events, whatever experiment reads them; `event_id` makes a repeated event count once.
CREATE TABLE IF NOT EXISTS conversions (
    id BIGSERIAL PRIMARY KEY,
    event_id VARCHAR(128) UNIQUE,
    event TEXT NOT NULL,
    unit TEXT NOT NULL,
    value DOUBLE PRECISION,
    at_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversions_event_unit ON conversions (event, unit, at_ms);
-- Exposures that a server's buffer could not hold, counted per flush (appended, never updated,
-- so that recording never waits for another writer).
CREATE TABLE IF NOT EXISTS exposure_drops (
    id BIGSERIAL PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    dropped BIGINT NOT NULL,
    at_ms BIGINT NOT NULL
);
