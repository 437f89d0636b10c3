-- LIMS deliveries: one row per document built for the LIMS. Keep in step with ../postgres.
-- The unique idempotency key is what makes enqueueing exactly-once across restarts and
-- nodes; next_attempt_ms (Unix milliseconds, so both back ends compare it as a number)
-- carries the backoff and the claim lease, so a retry survives a restart.
CREATE TABLE lims_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    source_kind     TEXT NOT NULL,
    run_id          TEXT NOT NULL,
    sample_id       TEXT,
    mapping         TEXT NOT NULL,
    destination     TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead_letter')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT,
    response_body   TEXT,
    document        TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX lims_deliveries_due ON lims_deliveries(status, next_attempt_ms);
CREATE INDEX lims_deliveries_run ON lims_deliveries(run_id);
