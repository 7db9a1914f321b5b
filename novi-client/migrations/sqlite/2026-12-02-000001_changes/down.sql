CREATE TABLE novi_write_lock_old (id INTEGER PRIMARY KEY NOT NULL);
INSERT INTO novi_write_lock_old (id) SELECT id FROM novi_write_lock;
DROP TABLE novi_write_lock;
ALTER TABLE novi_write_lock_old RENAME TO novi_write_lock;
