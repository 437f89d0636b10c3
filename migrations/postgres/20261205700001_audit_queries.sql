-- Inspectors' audit queries (store::audit_query). Keep in step with ../sqlite.
CREATE INDEX audit_subject ON audit_events(subject_kind, subject_id, id);
CREATE INDEX audit_actor ON audit_events(actor, id);
CREATE INDEX audit_action ON audit_events(action, id);
CREATE INDEX audit_at ON audit_events(at);
CREATE INDEX audit_accession ON audit_events(((detail::jsonb) ->> 'accession'));
CREATE INDEX audit_message ON audit_events(((detail::jsonb) ->> 'message_id'));
CREATE INDEX audit_mapping ON audit_events(((detail::jsonb) ->> 'mapping_sha256'));
