-- TRUNCATE skips row triggers: the append-only tables refuse it too. (SQLite has no
-- TRUNCATE; its DELETE without WHERE meets the row trigger.)
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER mapping_signatures_no_truncate BEFORE TRUNCATE ON mapping_signatures
FOR EACH STATEMENT EXECUTE FUNCTION mapping_signatures_append_only();
