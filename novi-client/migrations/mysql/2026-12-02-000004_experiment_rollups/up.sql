-- What an experiment's results read, kept up to date by the transaction that stores events, so
-- that results read one row per variant and one per converted unit, never every exposure:
-- each variant's units, and each exposed unit's total per event (the sum of the values of
-- its events at or after its first exposure; an event without a value counts 1). Event batches
-- take turns on novi_events_lock (never the writers' lock: recording does not wait for flag
-- edits), which makes "is this exposure or event new?" and the rollups race-free across
-- processes.
CREATE TABLE IF NOT EXISTS exposure_counts (
    experiment_id INTEGER NOT NULL,
    variant VARCHAR(255) NOT NULL,
    units BIGINT NOT NULL,
    PRIMARY KEY (experiment_id, variant)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS unit_totals (
    experiment_id INTEGER NOT NULL,
    event VARCHAR(255) NOT NULL,
    unit VARCHAR(255) NOT NULL,
    variant VARCHAR(255) NOT NULL,
    total DOUBLE NOT NULL,
    PRIMARY KEY (experiment_id, event, unit)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS novi_events_lock (id INTEGER PRIMARY KEY NOT NULL, version BIGINT NOT NULL DEFAULT 0) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO novi_events_lock (id, version) SELECT 1, 0 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM novi_events_lock);
-- A conversion finds its unit's exposures by unit.
CREATE INDEX exposures_unit ON exposures (unit);
-- What was recorded before this migration.
INSERT INTO exposure_counts (experiment_id, variant, units)
    SELECT experiment_id, variant, COUNT(*) FROM exposures GROUP BY experiment_id, variant;
INSERT INTO unit_totals (experiment_id, event, unit, variant, total)
    SELECT e.experiment_id, c.event, e.unit, MIN(e.variant), SUM(COALESCE(c.value, 1e0))
    FROM exposures e JOIN conversions c ON c.unit = e.unit AND c.at_ms >= e.at_ms
    GROUP BY e.experiment_id, c.event, e.unit;
