-- One outbox for every destination. Keep in step with ../postgres.
-- LRI messages join the FHIR messages' queue rule (see 20261202000003): a row is due at
-- next_attempt_ms, a claim moves next_attempt_ms to the lease's end, and the schedule lives
-- here, not in a sleeping task. The MSH-10 is an LRI message's idempotency key: every
-- attempt, every restart and every resend carries it.
-- order_key: messages with the same key go out in id order where the destination is
-- ordered (the report's accession, else its sample).
-- claimed_by: the node that made the last attempt; a node takes its own claims back when
-- it starts, and anyone's once their lease has run out.
ALTER TABLE messages ADD COLUMN order_key TEXT;
ALTER TABLE messages ADD COLUMN claimed_by TEXT;
ALTER TABLE lims_deliveries ADD COLUMN claimed_by TEXT;
UPDATE messages SET idempotency_key = control_id WHERE kind = 'lri' AND idempotency_key IS NULL AND destination <> 'none';
UPDATE messages SET status = 'pending' WHERE status = 'retrying';
UPDATE messages SET status = 'dead_letter' WHERE status = 'failed';
UPDATE messages SET order_key = (SELECT COALESCE(r.accession, r.sample_id) FROM reports r WHERE r.id = messages.report_pk);
CREATE INDEX messages_order ON messages(kind, order_key, id);
