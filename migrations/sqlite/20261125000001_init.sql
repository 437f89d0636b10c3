-- GenoBridge schema, SQLite flavour. Keep in step with ../postgres.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'engineer', 'director', 'inspector')),
    created_at    TEXT NOT NULL
);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      TEXT NOT NULL UNIQUE,
    flowcell    TEXT NOT NULL,
    instrument  TEXT NOT NULL,
    platform    TEXT NOT NULL,
    folder      TEXT NOT NULL,
    status      TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    record_json TEXT NOT NULL
);

CREATE TABLE run_samples (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    run_pk    INTEGER NOT NULL REFERENCES runs(id),
    sample_id TEXT NOT NULL,
    lane      INTEGER,
    index1    TEXT,
    index2    TEXT
);
CREATE INDEX run_samples_sample ON run_samples(sample_id);

CREATE TABLE orders (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    accession      TEXT NOT NULL UNIQUE,
    sample_id      TEXT NOT NULL,
    placer_number  TEXT NOT NULL,
    filler_number  TEXT NOT NULL,
    patient_mrn    TEXT NOT NULL,
    patient_family TEXT NOT NULL,
    patient_given  TEXT NOT NULL,
    birth_date     TEXT NOT NULL,
    sex            TEXT NOT NULL,
    test_code      TEXT NOT NULL,
    test_name      TEXT NOT NULL,
    specimen_type  TEXT NOT NULL,
    received_at    TEXT NOT NULL
);
CREATE INDEX orders_sample ON orders(sample_id);

CREATE TABLE reports (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    sample_id         TEXT NOT NULL,
    source_file       TEXT NOT NULL,
    source_sha256     TEXT NOT NULL,
    order_pk          INTEGER REFERENCES orders(id),
    status            TEXT NOT NULL,
    records_read      INTEGER NOT NULL,
    variants_reported INTEGER NOT NULL,
    records_rejected  INTEGER NOT NULL,
    created_at        TEXT NOT NULL,
    UNIQUE (source_sha256, sample_id)
);

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    report_pk   INTEGER NOT NULL REFERENCES reports(id),
    kind        TEXT NOT NULL,
    control_id  TEXT NOT NULL UNIQUE,
    destination TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    ack_code    TEXT,
    last_error  TEXT,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX messages_status ON messages(status);

CREATE TABLE quarantine (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    source     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    detail       TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE
);
-- The audit log is append-only: the database itself refuses edits and deletes.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
