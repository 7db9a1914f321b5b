DROP INDEX audit_log_target ON audit_log;
