-- GenoBridge schema, PostgreSQL flavour. Keep in step with ../sqlite.
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'engineer', 'director', 'inspector')),
    created_at    TEXT NOT NULL
);

CREATE TABLE runs (
    id          BIGSERIAL PRIMARY KEY,
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
    id        BIGSERIAL PRIMARY KEY,
    run_pk    BIGINT NOT NULL REFERENCES runs(id),
    sample_id TEXT NOT NULL,
    lane      BIGINT,
    index1    TEXT,
    index2    TEXT
);
CREATE INDEX run_samples_sample ON run_samples(sample_id);

CREATE TABLE orders (
    id             BIGSERIAL PRIMARY KEY,
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
    id                BIGSERIAL PRIMARY KEY,
    sample_id         TEXT NOT NULL,
    source_file       TEXT NOT NULL,
    source_sha256     TEXT NOT NULL,
    order_pk          BIGINT REFERENCES orders(id),
    status            TEXT NOT NULL,
    records_read      BIGINT NOT NULL,
    variants_reported BIGINT NOT NULL,
    records_rejected  BIGINT NOT NULL,
    created_at        TEXT NOT NULL,
    UNIQUE (source_sha256, sample_id)
);

CREATE TABLE messages (
    id          BIGSERIAL PRIMARY KEY,
    report_pk   BIGINT NOT NULL REFERENCES reports(id),
    kind        TEXT NOT NULL,
    control_id  TEXT NOT NULL UNIQUE,
    destination TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    ack_code    TEXT,
    last_error  TEXT,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX messages_status ON messages(status);

CREATE TABLE quarantine (
    id         BIGSERIAL PRIMARY KEY,
    source     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE audit_events (
    id           BIGSERIAL PRIMARY KEY,
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
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_events is append-only'; END; $$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
