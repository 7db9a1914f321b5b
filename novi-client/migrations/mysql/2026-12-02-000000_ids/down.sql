-- The counters stay; flags are created on again.
ALTER TABLE flags ALTER COLUMN status SET DEFAULT TRUE;
