-- Every successful write, in the same transaction as the write: when, who (a token's label,
-- never the token), through which route, what it changed, and the state before and after.
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY NOT NULL,
    at_ms BIGINT NOT NULL,
    actor VARCHAR(255) NOT NULL,
    route VARCHAR(255) NOT NULL,
    target_kind VARCHAR(32) NOT NULL,
    target_id INTEGER NOT NULL,
    target_name VARCHAR(255) NOT NULL,
    before_json TEXT,
    after_json TEXT
);
