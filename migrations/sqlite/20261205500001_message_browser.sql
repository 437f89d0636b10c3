-- The message browser. Keep in step with ../postgres.
-- message_attempts: every delivery attempt of an outbound message, kept when the next one
-- overwrites the message's last_* columns: when, which node, the outcome, and the answer
-- (the MLLP ACK as received, or the HTTP status and body, cut to 4 KiB).
-- reprocessed_from: a message built again from its report with the active mapping gets a
-- new control id and points at the message it replaces.
CREATE TABLE message_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    attempt     INTEGER NOT NULL,
    at          TEXT NOT NULL,
    node        TEXT NOT NULL,
    status      TEXT NOT NULL,
    ack_code    TEXT,
    http_status INTEGER,
    error       TEXT,
    answer      TEXT
);
CREATE INDEX message_attempts_message ON message_attempts(message_id, id);
ALTER TABLE messages ADD COLUMN reprocessed_from INTEGER REFERENCES messages(id);
CREATE INDEX reports_sample ON reports(sample_id);
CREATE INDEX messages_created ON messages(created_at, id);
CREATE INDEX messages_destination ON messages(destination, id);
-- The PHI search: by MRN, and by family name in any case.
CREATE INDEX orders_mrn ON orders(patient_mrn);
CREATE INDEX orders_family ON orders(LOWER(patient_family));
CREATE INDEX reports_order ON reports(order_pk);
