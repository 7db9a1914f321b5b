ALTER TABLE novi_write_lock DROP COLUMN version;
