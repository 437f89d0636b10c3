-- FHIR REST destination. Keep in step with ../postgres.
-- A FHIR message row is its own queue entry, like a LIMS delivery: the idempotency key
-- (one per message and destination, sent as Idempotency-Key, kept by a reprocess),
-- next_attempt_ms (Unix milliseconds: the backoff and the claim lease), and the last HTTP
-- status and answer (an OperationOutcome is kept here, cut to 4 KiB).
-- Statuses of a FHIR message: stored (built, kept, no destination configured), pending,
-- delivered, dead_letter.
ALTER TABLE messages ADD COLUMN idempotency_key TEXT;
ALTER TABLE messages ADD COLUMN next_attempt_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN last_status INTEGER;
ALTER TABLE messages ADD COLUMN response_body TEXT;
CREATE UNIQUE INDEX messages_idempotency_key ON messages(idempotency_key);
CREATE INDEX messages_due ON messages(kind, status, next_attempt_ms);
-- Bundles built before there was a FHIR destination were never going to be sent.
UPDATE messages SET status = 'stored' WHERE kind = 'fhir' AND destination = 'none' AND status = 'pending';
