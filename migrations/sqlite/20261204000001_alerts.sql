-- Alerts and retention. Keep in step with ../postgres.
-- destination_health: one row per queue (lri, fhir, lims), written by the delivery loops
-- when a destination stops or starts answering. failing_since_ms is the first failed
-- attempt (no connection, no answer, 5xx) of the current streak; NULL while it answers.
CREATE TABLE destination_health (
    queue            TEXT PRIMARY KEY,
    failing_since_ms INTEGER,
    last_error       TEXT,
    node             TEXT NOT NULL,
    updated_ms       INTEGER NOT NULL
);
-- One row per alert episode: fired once when its rule's condition begins, resolved once
-- when it clears. The partial unique index keeps one open episode per rule, so N nodes
-- evaluating the same rules fire it once.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rule        TEXT NOT NULL,
    condition   TEXT NOT NULL,
    summary     TEXT NOT NULL,
    fired_at    TEXT NOT NULL,
    resolved_at TEXT,
    node        TEXT NOT NULL
);
CREATE UNIQUE INDEX alerts_open ON alerts(rule) WHERE resolved_at IS NULL;
-- The webhook notices of fired and resolved alerts: an outbox of their own, written in
-- the same transaction as the episode, so a crash cannot lose one.
CREATE TABLE alert_notices (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id        INTEGER NOT NULL REFERENCES alerts(id),
    event           TEXT NOT NULL CHECK (event IN ('fired', 'resolved')),
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead_letter')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX alert_notices_due ON alert_notices(status, next_attempt_ms);
-- Retention prunes delivered rows by age.
CREATE INDEX messages_status_updated ON messages(status, updated_at);
CREATE INDEX lims_deliveries_status_updated ON lims_deliveries(status, updated_at);
-- A pruned row keeps its ids, status, ACK and times (the lineage an inspector follows,
-- and what stops a rescan from building and sending it again); its payload is emptied.
ALTER TABLE messages ADD COLUMN pruned_at TEXT;
ALTER TABLE lims_deliveries ADD COLUMN pruned_at TEXT;
-- The sweep for ready reports short of messages (pipeline::vcfs).
CREATE INDEX messages_report ON messages(report_pk, kind);
CREATE INDEX reports_status ON reports(status);
