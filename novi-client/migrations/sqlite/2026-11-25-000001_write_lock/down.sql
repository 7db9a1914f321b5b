DROP TABLE novi_write_lock;
