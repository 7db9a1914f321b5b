DROP TRIGGER IF EXISTS novi_changes ON flags_activations;
DROP TRIGGER IF EXISTS novi_changes ON activations;
DROP TRIGGER IF EXISTS novi_changes ON flags;
DROP FUNCTION IF EXISTS novi_notify_change();
ALTER TABLE novi_write_lock DROP COLUMN IF EXISTS version;
