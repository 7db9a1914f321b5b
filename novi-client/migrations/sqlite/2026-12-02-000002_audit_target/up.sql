-- The audit log of one flag or one activation, newest first, without a scan.
CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log (target_kind, target_id, id);
