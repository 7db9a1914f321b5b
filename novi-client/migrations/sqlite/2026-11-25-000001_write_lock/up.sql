-- One row that every write locks first, so that Novi's writers, in any process, take turns:
-- each validates against what the others committed, and none fails on a lock upgrade.
CREATE TABLE IF NOT EXISTS novi_write_lock (id INTEGER PRIMARY KEY NOT NULL);
INSERT INTO novi_write_lock (id) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM novi_write_lock);
