//! Mapping versions, their signatures and the golden samples, applying the rules of
//! `mapping::versions`. Every create, edit, submit, signature and activation appends an
//! audit event with the mapping's name, version and hash (and, for edits, the field-level
//! diff). Sample data never goes into the audit log: only mapping content and labels.

use super::{
    audit::{append_in_tx, audited_tx},
    with_pool, NewAuditEvent, Result, Store, StoreError, User,
};
use crate::mapping::{
    self,
    golden::{self, OutputDiff},
    sample::{self, Outputs, SampleContext},
    versions::{self, ImportAction, Refused, Signature, State},
    Mapping,
};
use serde::Serialize;
use serde_json::json;

/// One stored version of a mapping.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize)]
pub struct MappingVersion {
    pub id: i64,
    pub name: String,
    pub version: i64,
    pub kind: String,
    pub source: String,
    /// The canonical TOML (`Mapping::to_toml`).
    pub body: String,
    pub sha256: String,
    pub state: State,
    pub author: String,
    pub created_at: String,
    pub updated_at: String,
    /// Bumped by every edit of a draft.
    pub revision: i64,
}

impl MappingVersion {
    /// `vcf-report v2`, for messages.
    pub fn label(&self) -> String {
        format!("{} v{}", self.name, self.version)
    }

    /// The stored body, parsed (it was checked when it was saved).
    pub fn mapping(&self) -> Result<Mapping> {
        Mapping::from_toml(&self.label(), &self.body)
            .map_err(|e| StoreError::Invalid(e.to_string()))
    }
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: i64,
    name: String,
    version: i64,
    kind: String,
    source: String,
    body: String,
    sha256: String,
    state: String,
    author: String,
    created_at: String,
    updated_at: String,
    revision: i64,
}

impl From<VersionRow> for MappingVersion {
    fn from(r: VersionRow) -> Self {
        MappingVersion {
            id: r.id,
            name: r.name,
            version: r.version,
            kind: r.kind,
            source: r.source,
            body: r.body,
            sha256: r.sha256,
            // The CHECK constraint allows only these.
            state: State::parse(&r.state).unwrap_or(State::Retired),
            author: r.author,
            created_at: r.created_at,
            updated_at: r.updated_at,
            revision: r.revision,
        }
    }
}

#[derive(sqlx::FromRow)]
struct SignatureRow {
    username: String,
    printed_name: String,
    meaning: String,
    signed_at: String,
    sha256: String,
}

/// A golden sample: an input file and the outputs its mapping must give.
#[derive(Clone, Debug, Serialize)]
pub struct GoldenSample {
    pub id: i64,
    pub mapping_name: String,
    pub label: String,
    pub file_name: String,
    #[serde(skip)]
    pub input: Vec<u8>,
    pub expected: Outputs,
    pub promoted_by: String,
    pub promoted_at: String,
}

#[derive(sqlx::FromRow)]
struct GoldenRow {
    id: i64,
    mapping_name: String,
    label: String,
    file_name: String,
    input: Vec<u8>,
    expected: String,
    promoted_by: String,
    promoted_at: String,
}

/// A golden sample run by a version: its differences, an error when it could not run,
/// and the sample's source fields that no rule of the version reads (coverage).
#[derive(Clone, Debug)]
pub struct GoldenResult {
    pub sample: GoldenSample,
    pub diffs: Vec<OutputDiff>,
    pub error: Option<String>,
    pub unread: Vec<String>,
}

/// A golden sample whose actual output differs from the expected.
#[derive(Clone, Debug, Serialize)]
pub struct GoldenFailure {
    pub label: String,
    pub diffs: Vec<OutputDiff>,
    /// Set when the sample could not be run at all.
    pub error: Option<String>,
}

const COLUMNS: &str = "id, name, version, kind, source, body, sha256, state, author, \
                       created_at, updated_at, revision";

fn refused<T>(msg: impl Into<String>) -> Result<T> {
    Err(StoreError::Refused(Refused(msg.into())))
}

fn parse(file: &str, text: &str) -> Result<Mapping> {
    Mapping::from_toml(file, text).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn audit_detail(v: &MappingVersion) -> serde_json::Value {
    json!({ "name": v.name, "version": v.version, "sha256": v.sha256 })
}

impl Store {
    /// Loads the shipped default mappings as approved, active version 1 of each name that
    /// has no version yet, so a new database runs them. (Part of installing GenoBridge, like
    /// the schema, so not audited.)
    pub(super) async fn ensure_default_mappings(&self) -> Result<()> {
        let now = super::now();
        let sql = "INSERT INTO mapping_versions \
                   (name, version, kind, source, body, sha256, state, author, created_at, updated_at, revision) \
                   SELECT $1, 1, $2, $3, $4, $5, 'active', $6, $7, $7, 1 \
                   WHERE NOT EXISTS (SELECT 1 FROM mapping_versions WHERE name = $1) \
                   ON CONFLICT DO NOTHING";
        for (name, text) in mapping::file::DEFAULTS {
            let m = parse(name, text)?;
            with_pool!(self, p => sqlx::query(sql)
                .bind(*name).bind(m.kind_name()).bind(&m.source).bind(m.to_toml()).bind(m.sha256())
                .bind(versions::SYSTEM_AUTHOR).bind(&now)
                .execute(p).await?.rows_affected());
        }
        Ok(())
    }

    /// Every version (of one name, or of all), by name and version.
    pub async fn mapping_versions(&self, name: Option<&str>) -> Result<Vec<MappingVersion>> {
        let rows: Vec<VersionRow> = match name {
            Some(n) => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM mapping_versions WHERE name = $1 ORDER BY version"
                );
                with_pool!(self, p => sqlx::query_as(&sql).bind(n).fetch_all(p).await?)
            }
            None => {
                let sql = format!("SELECT {COLUMNS} FROM mapping_versions ORDER BY name, version");
                with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?)
            }
        };
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn mapping_version(
        &self,
        name: &str,
        version: i64,
    ) -> Result<Option<MappingVersion>> {
        let sql =
            format!("SELECT {COLUMNS} FROM mapping_versions WHERE name = $1 AND version = $2");
        let row: Option<VersionRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(name).bind(version).fetch_optional(p).await?);
        Ok(row.map(Into::into))
    }

    /// The version `version`, or when `None` the active version, else the newest.
    pub async fn mapping_version_or_current(
        &self,
        name: &str,
        version: Option<i64>,
    ) -> Result<MappingVersion> {
        let found = match version {
            Some(v) => self.mapping_version(name, v).await?,
            None => match self.active_mapping(name).await? {
                Some(a) => Some(a),
                None => self.mapping_versions(Some(name)).await?.pop(),
            },
        };
        found.ok_or_else(|| {
            StoreError::Invalid(match version {
                Some(v) => format!("no mapping {name} v{v}"),
                None => format!("no mapping named {name:?}"),
            })
        })
    }

    async fn existing(&self, name: &str, version: i64) -> Result<MappingVersion> {
        self.mapping_version(name, version)
            .await?
            .ok_or_else(|| StoreError::Invalid(format!("no mapping {name} v{version}")))
    }

    /// The version of `name` that runs now.
    pub async fn active_mapping(&self, name: &str) -> Result<Option<MappingVersion>> {
        let sql =
            format!("SELECT {COLUMNS} FROM mapping_versions WHERE name = $1 AND state = 'active'");
        let row: Option<VersionRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(name).fetch_optional(p).await?);
        Ok(row.map(Into::into))
    }

    /// Every active LIMS mapping that reads records of `source` (a connector name).
    pub async fn active_lims_mappings(&self, source: &str) -> Result<Vec<MappingVersion>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM mapping_versions WHERE state = 'active' AND kind = 'lims' \
             AND source = $1 ORDER BY name"
        );
        let rows: Vec<VersionRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(source).fetch_all(p).await?);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The active report mapping: `vcf-report` when it has an active version, else the
    /// first active report mapping by name.
    pub async fn active_report_mapping(&self) -> Result<Option<MappingVersion>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM mapping_versions WHERE state = 'active' AND kind = 'report' \
             ORDER BY CASE WHEN name = 'vcf-report' THEN 0 ELSE 1 END, name LIMIT 1"
        );
        let row: Option<VersionRow> =
            with_pool!(self, p => sqlx::query_as(&sql).fetch_optional(p).await?);
        Ok(row.map(Into::into))
    }

    /// A version's signatures, oldest first.
    pub async fn mapping_signatures(&self, version_id: i64) -> Result<Vec<Signature>> {
        let rows: Vec<SignatureRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT username, printed_name, meaning, signed_at, sha256 FROM mapping_signatures \
             WHERE version_id = $1 ORDER BY id")
            .bind(version_id).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|r| Signature {
                username: r.username,
                printed_name: r.printed_name,
                meaning: r.meaning,
                signed_at: r.signed_at,
                sha256: r.sha256,
            })
            .collect())
    }

    /// The version's file: the comment header (version, state, hash, author, signatures),
    /// then the byte-stable body.
    pub async fn export_mapping(&self, v: &MappingVersion) -> Result<String> {
        let sigs = self.mapping_signatures(v.id).await?;
        Ok(versions::export(
            &v.name, v.version, v.state, &v.sha256, &v.author, &sigs, &v.body,
        ))
    }

    /// A new draft from a mapping file (`file` names it in errors). Nothing is saved when
    /// it does not parse or check.
    pub async fn create_mapping_draft(
        &self,
        user: &User,
        file: &str,
        text: &str,
    ) -> Result<MappingVersion> {
        versions::check_edit(user.role, State::Draft, file)?;
        let m = parse(file, text)?;
        self.insert_draft(user, &m).await
    }

    async fn insert_draft(&self, user: &User, m: &Mapping) -> Result<MappingVersion> {
        let now = super::now();
        let sql = format!(
            "INSERT INTO mapping_versions \
             (name, version, kind, source, body, sha256, state, author, created_at, updated_at, revision) \
             SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, 'draft', $6, $7, $7, 1 \
             FROM mapping_versions WHERE name = $1 RETURNING {COLUMNS}"
        );
        // What the draft changes against the version that runs now.
        let based_on = match self.active_mapping(&m.name).await? {
            Some(active) => Some((
                json!({ "version": active.version, "sha256": active.sha256 }),
                json!(mapping::diff(&active.mapping()?, m)),
            )),
            None => None,
        };
        Ok(audited_tx!(self, tx => {
            let row: VersionRow = sqlx::query_as(&sql)
                .bind(&m.name).bind(m.kind_name()).bind(&m.source).bind(m.to_toml())
                .bind(m.sha256()).bind(&user.username).bind(&now)
                .fetch_one(&mut *tx).await?;
            let v = MappingVersion::from(row);
            let mut detail = audit_detail(&v);
            if let Some((base, changes)) = &based_on {
                detail["based_on"] = base.clone();
                detail["changes"] = changes.clone();
            }
            let ev = NewAuditEvent::user(&user.username, "mapping.create", "mapping", &v.name, detail);
            append_in_tx!(tx, &ev);
            v
        }))
    }

    /// Replaces a draft's body. `opened_revision` is the revision the editor loaded: when
    /// someone saved in between, the edit is refused.
    pub async fn update_mapping_draft(
        &self,
        user: &User,
        name: &str,
        version: i64,
        opened_revision: i64,
        text: &str,
    ) -> Result<MappingVersion> {
        let old = self.existing(name, version).await?;
        versions::check_edit(user.role, old.state, &old.label())?;
        versions::check_revision(&old.label(), old.revision, opened_revision)?;
        let m = parse(&old.label(), text)?;
        if m.name != old.name {
            return refused(format!(
                "{}: the file names mapping {:?}; a draft keeps its name",
                old.label(),
                m.name
            ));
        }
        let changes = mapping::diff(&old.mapping()?, &m);
        let sql = format!(
            "UPDATE mapping_versions SET body = $1, sha256 = $2, kind = $3, source = $4, \
             updated_at = $5, revision = revision + 1 \
             WHERE id = $6 AND state = 'draft' AND revision = $7 RETURNING {COLUMNS}"
        );
        let row: Option<MappingVersion> = audited_tx!(self, tx => {
            let row: Option<VersionRow> = sqlx::query_as(&sql)
                .bind(m.to_toml()).bind(m.sha256()).bind(m.kind_name()).bind(&m.source)
                .bind(super::now()).bind(old.id).bind(opened_revision)
                .fetch_optional(&mut *tx).await?;
            match row {
                Some(row) => {
                    let v = MappingVersion::from(row);
                    let mut detail = audit_detail(&v);
                    detail["sha256_before"] = json!(old.sha256);
                    detail["revision"] = json!(v.revision);
                    detail["changes"] = json!(changes);
                    let ev = NewAuditEvent::user(&user.username, "mapping.edit", "mapping", &v.name, detail);
                    append_in_tx!(tx, &ev);
                    Some(v)
                }
                None => None,
            }
        });
        let Some(v) = row else {
            // Someone saved or submitted between the read and the write.
            let now = self.existing(name, version).await?;
            versions::check_edit(user.role, now.state, &now.label())?;
            return Err(
                versions::check_revision(&now.label(), now.revision, opened_revision)
                    .err()
                    .unwrap_or_else(|| {
                        Refused(format!("{}: changed meanwhile; reload", now.label()))
                    })
                    .into(),
            );
        };
        Ok(v)
    }

    /// Submits a draft for approval: refused while any golden sample of the mapping
    /// differs.
    pub async fn submit_mapping(
        &self,
        user: &User,
        name: &str,
        version: i64,
    ) -> Result<MappingVersion> {
        let v = self.existing(name, version).await?;
        versions::check_submit(user.role, v.state, &v.label())?;
        self.require_golden_pass(&v).await?;
        audited_tx!(self, tx => {
            // Only while it is still the draft (and the body) that was checked.
            let n = sqlx::query(
                "UPDATE mapping_versions SET state = 'submitted', updated_at = $1 \
                 WHERE id = $2 AND state = 'draft' AND sha256 = $3")
                .bind(super::now()).bind(v.id).bind(&v.sha256)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                return refused(format!("{} changed meanwhile; reload", v.label()));
            }
            let ev = NewAuditEvent::user(&user.username, "mapping.submit", "mapping", &v.name, audit_detail(&v));
            append_in_tx!(tx, &ev);
        });
        self.existing(name, version).await
    }

    /// Approves a submitted version: an electronic signature with the meaning
    /// "approved for clinical use".
    pub async fn approve_mapping(
        &self,
        signer: &User,
        password: &str,
        name: &str,
        version: i64,
        meaning: &str,
    ) -> Result<MappingVersion> {
        self.sign_mapping(signer, password, name, version, true, meaning)
            .await
    }

    /// Rejects a submitted version; the meaning is the reason.
    pub async fn reject_mapping(
        &self,
        signer: &User,
        password: &str,
        name: &str,
        version: i64,
        reason: &str,
    ) -> Result<MappingVersion> {
        self.sign_mapping(signer, password, name, version, false, reason)
            .await
    }

    /// Who created or edited a version: none of them may sign it.
    pub async fn writers(&self, v: &MappingVersion) -> Result<Vec<String>> {
        let mut out = vec![v.author.clone()];
        for e in self.audit_for("mapping", &v.name).await? {
            if e.action != "mapping.edit" && e.action != "mapping.create" {
                continue;
            }
            let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
            if detail["version"].as_i64() == Some(v.version) {
                if let Some(u) = e.actor.strip_prefix("user:") {
                    out.push(u.to_string());
                }
            }
        }
        Ok(out)
    }

    async fn sign_mapping(
        &self,
        signer: &User,
        password: &str,
        name: &str,
        version: i64,
        approve: bool,
        meaning: &str,
    ) -> Result<MappingVersion> {
        let v = self.existing(name, version).await?;
        let writers = self.writers(&v).await?;
        versions::check_sign(&signer.username, signer.role, v.state, &v.label(), &writers)?;
        let meaning = versions::check_meaning(approve, meaning)?;
        // 21 CFR 11.200: the signer proves who they are at the signing.
        let ok = self
            .verify_login(&signer.username, password)
            .await?
            .is_some_and(|u| u.id == signer.id);
        if !ok {
            let mut detail = audit_detail(&v);
            detail["reason"] = json!("wrong password");
            self.append_audit(NewAuditEvent::user(
                &signer.username,
                "mapping.signature_refused",
                "mapping",
                &v.name,
                detail,
            ))
            .await?;
            return refused(format!(
                "{}: the password is wrong; nothing was signed",
                v.label()
            ));
        }
        if approve {
            self.require_golden_pass(&v).await?;
        }
        let printed_name = self.printed_name(&signer.username).await?;
        let signed_at = super::now();
        let to = if approve {
            State::Approved
        } else {
            State::Rejected
        };
        let mut detail = audit_detail(&v);
        detail["printed_name"] = json!(printed_name);
        detail["meaning"] = json!(meaning);
        detail["signed_at"] = json!(signed_at);
        let action = if approve {
            "mapping.approve"
        } else {
            "mapping.reject"
        };
        let ev = NewAuditEvent::user(&signer.username, action, "mapping", &v.name, detail);
        // The state, the signature and its audit event are written together or not at all.
        audited_tx!(self, tx => {
            let n = sqlx::query(
                "UPDATE mapping_versions SET state = $1, updated_at = $2 \
                 WHERE id = $3 AND state = 'submitted' AND sha256 = $4")
                .bind(to.as_str()).bind(&signed_at).bind(v.id).bind(&v.sha256)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                return refused(format!("{} changed meanwhile; reload", v.label()));
            }
            sqlx::query(
                "INSERT INTO mapping_signatures (version_id, username, printed_name, meaning, signed_at, sha256) \
                 VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(v.id).bind(&signer.username).bind(&printed_name).bind(&meaning)
                .bind(&signed_at).bind(&v.sha256)
                .execute(&mut *tx).await?;
            append_in_tx!(tx, &ev);
        });
        self.existing(name, version).await
    }

    /// The name printed with a user's signatures.
    pub async fn printed_name(&self, username: &str) -> Result<String> {
        let name: Option<String> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT CASE WHEN full_name = '' THEN username ELSE full_name END FROM users WHERE username = $1")
            .bind(username).fetch_optional(p).await?);
        Ok(name.unwrap_or_else(|| username.to_string()))
    }

    /// Sets the name printed with a user's signatures.
    pub async fn set_full_name(&self, username: &str, full_name: &str) -> Result<()> {
        with_pool!(self, p => sqlx::query("UPDATE users SET full_name = $1 WHERE username = $2")
            .bind(full_name.trim()).bind(username).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Activates an approved version; the version that ran before goes back to approved.
    /// Activating an older version than the one running is a rollback, and is audited as
    /// one.
    pub async fn activate_mapping(
        &self,
        user: &User,
        name: &str,
        version: i64,
    ) -> Result<MappingVersion> {
        let v = self.existing(name, version).await?;
        versions::check_activate(user.role, v.state, &v.label())?;
        let now = super::now();
        // The version it replaces, read first for the audit event's diff; the update below
        // checks it is still the one active.
        let previous = self.active_mapping(name).await?;
        let mut detail = audit_detail(&v);
        let rollback = previous.as_ref().is_some_and(|p| p.version > v.version);
        if let Some(p) = &previous {
            detail["previous"] = json!({ "version": p.version, "sha256": p.sha256 });
            detail["changes"] = json!(mapping::diff(&p.mapping()?, &v.mapping()?));
        }
        let action = if rollback {
            "mapping.rollback"
        } else {
            "mapping.activate"
        };
        let ev = NewAuditEvent::user(&user.username, action, "mapping", &v.name, detail);
        audited_tx!(self, tx => {
            let demoted = sqlx::query(
                "UPDATE mapping_versions SET state = 'approved', updated_at = $1 \
                 WHERE name = $2 AND state = 'active'")
                .bind(&now).bind(name).execute(&mut *tx).await?.rows_affected();
            let n = sqlx::query(
                "UPDATE mapping_versions SET state = 'active', updated_at = $1 \
                 WHERE id = $2 AND state = 'approved' AND sha256 = $3")
                .bind(&now).bind(v.id).bind(&v.sha256)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 || demoted != u64::from(previous.is_some()) {
                return refused(format!("{} changed meanwhile; reload", v.label()));
            }
            append_in_tx!(tx, &ev);
        });
        self.existing(name, version).await
    }

    /// Retires an approved (or rejected) version: it stays readable, exportable and
    /// signed, but can never be activated again. Audited.
    pub async fn retire_mapping(
        &self,
        user: &User,
        name: &str,
        version: i64,
    ) -> Result<MappingVersion> {
        let v = self.existing(name, version).await?;
        versions::check_retire(user.role, v.state, &v.label())?;
        let ev = NewAuditEvent::user(
            &user.username,
            "mapping.retire",
            "mapping",
            &v.name,
            audit_detail(&v),
        );
        audited_tx!(self, tx => {
            let n = sqlx::query(
                "UPDATE mapping_versions SET state = 'retired', updated_at = $1 \
                 WHERE id = $2 AND state = $3 AND sha256 = $4")
                .bind(super::now()).bind(v.id).bind(v.state.as_str()).bind(&v.sha256)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                return refused(format!("{} changed meanwhile; reload", v.label()));
            }
            append_in_tx!(tx, &ev);
        });
        self.existing(name, version).await
    }

    /// A mapping given in the configuration file (`[[lims.mappings]]`). It runs only as an
    /// approved version: when no version of that name has this exact body, it is stored as
    /// a draft by `configuration` (audited) for an engineer to submit and a director to sign.
    /// Returns the version with this body.
    pub async fn adopt_configured_mapping(&self, m: &Mapping) -> Result<MappingVersion> {
        let sha = m.sha256();
        if let Some(v) = self
            .mapping_versions(Some(&m.name))
            .await?
            .into_iter()
            .find(|v| v.sha256 == sha)
        {
            return Ok(v);
        }
        let author = User {
            id: 0,
            username: "configuration".into(),
            role: crate::store::Role::Engineer,
        };
        self.insert_draft(&author, m).await
    }

    /// Imports a mapping file. A file whose header names a version that is not a draft must
    /// have that version's body exactly (importing what was exported changes nothing);
    /// otherwise a draft is updated or created.
    pub async fn import_mapping(
        &self,
        user: &User,
        file: &str,
        text: &str,
    ) -> Result<(ImportAction, MappingVersion)> {
        let m = parse(file, text)?;
        let sha = m.sha256();
        let header = versions::header_version(text);
        let existing = match header {
            Some(n) => self.mapping_version(&m.name, n).await?,
            None => None,
        };
        let same_body = self
            .mapping_versions(Some(&m.name))
            .await?
            .into_iter()
            .find(|v| v.sha256 == sha)
            .map(|v| v.version);
        let action = versions::import_action(
            &m.name,
            header,
            existing.as_ref().map(|e| (e.state, e.sha256.as_str())),
            &sha,
            same_body,
        )?;
        let v = match &action {
            ImportAction::Unchanged { version } => self.existing(&m.name, *version).await?,
            ImportAction::UpdateDraft { version } => {
                let e = existing.expect("an existing draft");
                self.update_mapping_draft(user, &m.name, *version, e.revision, text)
                    .await?
            }
            ImportAction::NewDraft => {
                versions::check_edit(user.role, State::Draft, file)?;
                self.insert_draft(user, &m).await?
            }
        };
        Ok((action, v))
    }

    /// Adds (or replaces) a golden sample of a mapping.
    pub async fn add_golden_sample(
        &self,
        user: &User,
        mapping_name: &str,
        label: &str,
        file_name: &str,
        input: &[u8],
        expected: &Outputs,
    ) -> Result<()> {
        versions::check_promote(user.role)?;
        let expected_json =
            serde_json::to_string(expected).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let now = super::now();
        // The label only: a file name may carry a sample or patient identifier.
        let ev = NewAuditEvent::user(
            &user.username,
            "mapping.golden_add",
            "mapping",
            mapping_name,
            json!({ "name": mapping_name, "label": label }),
        );
        audited_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO golden_samples (mapping_name, label, file_name, input, expected, promoted_by, promoted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (mapping_name, label) DO UPDATE SET file_name = $3, input = $4, expected = $5, \
                 promoted_by = $6, promoted_at = $7")
                .bind(mapping_name).bind(label).bind(file_name).bind(input).bind(&expected_json)
                .bind(&user.username).bind(&now)
                .execute(&mut *tx).await?;
            append_in_tx!(tx, &ev);
        });
        Ok(())
    }

    pub async fn golden_samples(&self, mapping_name: &str) -> Result<Vec<GoldenSample>> {
        let rows: Vec<GoldenRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, mapping_name, label, file_name, input, expected, promoted_by, promoted_at \
             FROM golden_samples WHERE mapping_name = $1 ORDER BY label")
            .bind(mapping_name).fetch_all(p).await?);
        rows.into_iter()
            .map(|r| {
                Ok(GoldenSample {
                    id: r.id,
                    mapping_name: r.mapping_name,
                    expected: serde_json::from_str(&r.expected).map_err(|e| {
                        StoreError::Invalid(format!("golden sample {}: {e}", r.label))
                    })?,
                    label: r.label,
                    file_name: r.file_name,
                    input: r.input,
                    promoted_by: r.promoted_by,
                    promoted_at: r.promoted_at,
                })
            })
            .collect()
    }

    /// Runs `m` on every golden sample of its name; the ones that differ.
    pub async fn check_golden(&self, m: &Mapping) -> Result<Vec<GoldenFailure>> {
        Ok(self
            .golden_results(m)
            .await?
            .into_iter()
            .filter(|r| !r.diffs.is_empty() || r.error.is_some())
            .map(|r| GoldenFailure {
                label: r.sample.label,
                diffs: r.diffs,
                error: r.error,
            })
            .collect())
    }

    /// Runs `m` on every golden sample of its name: each sample with its differences
    /// (none when it passes) and its coverage.
    pub async fn golden_results(&self, m: &Mapping) -> Result<Vec<GoldenResult>> {
        let samples = self.golden_samples(&m.name).await?;
        let m = m.clone();
        tokio::task::spawn_blocking(move || {
            samples
                .into_iter()
                .map(|sample| {
                    let (diffs, error, unread) = match run_sample(&m, &sample) {
                        Ok(run) => (
                            golden::compare(&sample.expected, &run.outputs),
                            None,
                            run.unread,
                        ),
                        Err(e) => (Vec::new(), Some(e), Vec::new()),
                    };
                    GoldenResult {
                        sample,
                        diffs,
                        error,
                        unread,
                    }
                })
                .collect()
        })
        .await
        .map_err(|e| StoreError::Invalid(format!("golden samples: {e}")))
    }

    async fn require_golden_pass(&self, v: &MappingVersion) -> Result<()> {
        let failures = self.check_golden(&v.mapping()?).await?;
        if failures.is_empty() {
            return Ok(());
        }
        let list = failures
            .iter()
            .map(|f| match &f.error {
                Some(e) => format!("{:?} cannot run: {e}", f.label),
                None => format!(
                    "{:?} differs in {} place(s), first {}",
                    f.label,
                    f.diffs.len(),
                    f.diffs[0].key
                ),
            })
            .collect::<Vec<_>>()
            .join("; ");
        refused(format!(
            "{}: golden samples differ: {list}. Fix the mapping, or promote the new output if it is right",
            v.label()
        ))
    }

    /// Makes a version's actual output on a golden sample the expected output. Audited
    /// with the mapping version and the keys that changed (never their values).
    pub async fn promote_golden(
        &self,
        user: &User,
        name: &str,
        version: i64,
        label: &str,
    ) -> Result<Vec<OutputDiff>> {
        versions::check_promote(user.role)?;
        let v = self.existing(name, version).await?;
        let m = v.mapping()?;
        let g = self
            .golden_samples(name)
            .await?
            .into_iter()
            .find(|g| g.label == label)
            .ok_or_else(|| StoreError::Invalid(format!("{name} has no golden sample {label:?}")))?;
        let (actual, g) = tokio::task::spawn_blocking(move || (run_sample(&m, &g), g))
            .await
            .map_err(|e| StoreError::Invalid(format!("golden sample: {e}")))?;
        let actual = actual.map_err(StoreError::Invalid)?.outputs;
        let diffs = golden::compare(&g.expected, &actual);
        let expected_json =
            serde_json::to_string(&actual).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut detail = audit_detail(&v);
        detail["label"] = json!(label);
        detail["changed_keys"] = json!(diffs.iter().map(|d| &d.key).collect::<Vec<_>>());
        let ev = NewAuditEvent::user(
            &user.username,
            "mapping.golden_promote",
            "mapping",
            name,
            detail,
        );
        audited_tx!(self, tx => {
            sqlx::query(
                "UPDATE golden_samples SET expected = $1, promoted_by = $2, promoted_at = $3 WHERE id = $4")
                .bind(&expected_json).bind(&user.username).bind(super::now()).bind(g.id)
                .execute(&mut *tx).await?;
            append_in_tx!(tx, &ev);
        });
        Ok(diffs)
    }
}

/// Runs a mapping on a golden sample's stored input, written to a temporary file of the
/// sample's name (connectors detect formats by name and content).
fn run_sample(m: &Mapping, g: &GoldenSample) -> std::result::Result<sample::SampleRun, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
    let name = std::path::Path::new(&g.file_name)
        .file_name()
        .map(|n| n.to_owned())
        .unwrap_or_else(|| "sample".into());
    let path = dir.path().join(name);
    std::fs::write(&path, &g.input).map_err(|e| format!("{}: {e}", path.display()))?;
    sample::run(m, &path, &SampleContext::default()).map_err(|e| e.to_string())
}
