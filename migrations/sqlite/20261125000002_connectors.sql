-- Instrument files (QC exports, run folders that failed or were quarantined), each taken
-- once per path and content: the unique key is what makes processing exactly-once across
-- restarts and nodes. Keep in step with ../postgres.
CREATE TABLE instrument_files (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    path          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    connector     TEXT NOT NULL,
    -- recorded | quarantined | failed (a run the instrument reported as failed or stopped)
    status        TEXT NOT NULL,
    -- the record tree (JSON) when recorded
    record_json   TEXT,
    warnings_json TEXT NOT NULL,
    quarantine_id INTEGER REFERENCES quarantine(id),
    created_at    TEXT NOT NULL,
    UNIQUE (path, sha256)
);
CREATE INDEX instrument_files_connector ON instrument_files(connector);
