-- One row that every write locks first, so that Novi's writers, in any process, take turns:
-- each validates against what the others committed.
CREATE TABLE IF NOT EXISTS novi_write_lock (id INTEGER NOT NULL PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO novi_write_lock (id) SELECT 1 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM novi_write_lock);
