-- Change detection. `version` counts Novi's committed writes: each increments it in its
-- transaction, with the writers' lock, and watchers read it every 100 ms.
ALTER TABLE novi_write_lock ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
