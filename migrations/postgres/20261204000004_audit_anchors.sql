-- Anchors of the audit chain: the head's id and hash, written at an interval. A tail cut
-- off the chain (which leaves what remains perfectly linked) no longer matches the
-- anchor. Append-only like the chain. Keep in step with ../sqlite.
CREATE TABLE audit_anchors (
    id       BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL,
    hash     TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE FUNCTION audit_anchors_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_anchors is append-only'; END; $$;
CREATE TRIGGER audit_anchors_no_change BEFORE UPDATE OR DELETE ON audit_anchors
FOR EACH ROW EXECUTE FUNCTION audit_anchors_append_only();
CREATE TRIGGER audit_anchors_no_truncate BEFORE TRUNCATE ON audit_anchors
FOR EACH STATEMENT EXECUTE FUNCTION audit_anchors_append_only();
