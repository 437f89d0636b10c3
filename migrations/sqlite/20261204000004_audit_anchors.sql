-- Anchors of the audit chain: the head's id and hash, written at an interval. A tail cut
-- off the chain (which leaves what remains perfectly linked) no longer matches the
-- anchor. Append-only like the chain. Keep in step with ../postgres.
CREATE TABLE audit_anchors (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL,
    hash     TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE TRIGGER audit_anchors_no_update BEFORE UPDATE ON audit_anchors
BEGIN SELECT RAISE(ABORT, 'audit_anchors is append-only'); END;
CREATE TRIGGER audit_anchors_no_delete BEFORE DELETE ON audit_anchors
BEGIN SELECT RAISE(ABORT, 'audit_anchors is append-only'); END;
