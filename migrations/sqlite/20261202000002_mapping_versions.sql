-- Mapping versions and their approval (issue 8, "Versions and approval"). Keep in step
-- with ../postgres.
--
-- The body is the canonical TOML (Mapping::to_toml) and sha256 its hash. Only a draft's
-- body changes, and each change bumps its revision (optimistic concurrency for editors).
-- At most one version of a name is active; an earlier active version goes back to
-- approved, so a rollback is activating it again.
CREATE TABLE mapping_versions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL,
    body        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'approved', 'rejected', 'active', 'retired')),
    author      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    revision    INTEGER NOT NULL DEFAULT 1,
    UNIQUE (name, version)
);
CREATE UNIQUE INDEX mapping_versions_one_active ON mapping_versions(name) WHERE state = 'active';
CREATE INDEX mapping_versions_state ON mapping_versions(state, kind);

-- Electronic signatures (21 CFR 11.50): who, the printed name, when (UTC), what it means,
-- and the hash of the body signed.
CREATE TABLE mapping_signatures (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id    INTEGER NOT NULL REFERENCES mapping_versions(id),
    username      TEXT NOT NULL,
    printed_name  TEXT NOT NULL,
    meaning       TEXT NOT NULL,
    signed_at     TEXT NOT NULL,
    sha256        TEXT NOT NULL
);
CREATE INDEX mapping_signatures_version ON mapping_signatures(version_id);

-- The regression set: an input file and the outputs a mapping must produce from it
-- (sample::Outputs as JSON). Synthetic or de-identified samples only.
CREATE TABLE golden_samples (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    mapping_name  TEXT NOT NULL,
    label         TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    input         BLOB NOT NULL,
    expected      TEXT NOT NULL,
    promoted_by   TEXT NOT NULL,
    promoted_at   TEXT NOT NULL,
    UNIQUE (mapping_name, label)
);

-- The database itself keeps a signed version's content and its signatures: a version that
-- is not a draft keeps its name, number and body, and signatures are never edited or
-- deleted.
CREATE TRIGGER mapping_versions_frozen BEFORE UPDATE ON mapping_versions
WHEN OLD.state <> 'draft' AND (NEW.body IS NOT OLD.body OR NEW.sha256 IS NOT OLD.sha256
    OR NEW.name IS NOT OLD.name OR NEW.version IS NOT OLD.version)
BEGIN SELECT RAISE(ABORT, 'a mapping version that is not a draft never changes'); END;
CREATE TRIGGER mapping_versions_no_delete BEFORE DELETE ON mapping_versions
WHEN OLD.state <> 'draft'
BEGIN SELECT RAISE(ABORT, 'a mapping version that is not a draft is never deleted'); END;
CREATE TRIGGER mapping_signatures_no_update BEFORE UPDATE ON mapping_signatures
BEGIN SELECT RAISE(ABORT, 'mapping_signatures is append-only'); END;
CREATE TRIGGER mapping_signatures_no_delete BEFORE DELETE ON mapping_signatures
BEGIN SELECT RAISE(ABORT, 'mapping_signatures is append-only'); END;

-- The printed name shown with a user's signatures; empty means the username.
ALTER TABLE users ADD COLUMN full_name TEXT NOT NULL DEFAULT '';
UPDATE users SET full_name = username WHERE full_name = '';
