DROP TABLE IF EXISTS novi_events_lock;
DROP TABLE IF EXISTS unit_totals;
DROP TABLE IF EXISTS exposure_counts;
DROP INDEX exposures_unit ON exposures;
