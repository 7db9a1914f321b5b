-- The sequences stay (Novi's earlier writes ignored them); flags are created on again.
ALTER TABLE flags ALTER COLUMN status SET DEFAULT TRUE;
