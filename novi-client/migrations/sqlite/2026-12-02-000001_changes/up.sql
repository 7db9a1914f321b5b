-- Change detection. `version` counts Novi's committed writes (each increments it in its
-- transaction, with the writers' lock); SQLite's watchers read `PRAGMA data_version` instead,
-- which sees every commit. The table is rebuilt, so this also runs on a database made with
-- schema.sql, which has the column already.
CREATE TABLE novi_write_lock_new (id INTEGER PRIMARY KEY NOT NULL, version BIGINT NOT NULL DEFAULT 0);
INSERT INTO novi_write_lock_new (id) SELECT id FROM novi_write_lock;
DROP TABLE novi_write_lock;
ALTER TABLE novi_write_lock_new RENAME TO novi_write_lock;
INSERT INTO novi_write_lock (id) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM novi_write_lock);
