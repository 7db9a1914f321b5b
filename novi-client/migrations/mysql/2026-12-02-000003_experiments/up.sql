-- Experiments: a flag whose variants are compared, the control among them, the context key
-- that names a unit, and the metrics (JSON). Created as drafts: nothing is recorded until one
-- runs.
CREATE TABLE IF NOT EXISTS experiments (
    id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL UNIQUE,
    flag_id INTEGER NOT NULL,
    control VARCHAR(255) NOT NULL,
    unit_key VARCHAR(255) NOT NULL,
    metrics MEDIUMTEXT NOT NULL,
    planned_units BIGINT,
    status VARCHAR(16) NOT NULL,
    created_at_ms BIGINT NOT NULL,
    started_at_ms BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- Each unit's first exposure to a running experiment, and the variant it got: one row per unit.
CREATE TABLE IF NOT EXISTS exposures (
    experiment_id INTEGER NOT NULL,
    unit VARCHAR(255) NOT NULL,
    variant VARCHAR(255) NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (experiment_id, unit),
    FOREIGN KEY (experiment_id) REFERENCES experiments (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- Conversion events, whatever experiment reads them; `event_id` makes a repeated event count once.
CREATE TABLE IF NOT EXISTS conversions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id VARCHAR(128) UNIQUE,
    event VARCHAR(255) NOT NULL,
    unit VARCHAR(255) NOT NULL,
    value DOUBLE,
    at_ms BIGINT NOT NULL,
    INDEX conversions_event_unit (event, unit, at_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- Exposures that a server's buffer could not hold, counted per flush (appended, never updated,
-- so that recording never waits for another writer).
CREATE TABLE IF NOT EXISTS exposure_drops (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    experiment_id INTEGER NOT NULL,
    dropped BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    FOREIGN KEY (experiment_id) REFERENCES experiments (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
