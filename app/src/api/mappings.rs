//! Server functions of the mapping screens. Reading is open to every role; each change
//! checks the role and the CSRF token, then goes through the store's workflow functions,
//! which apply `engine::mapping::versions` and write the audit event with the change.

use crate::error::AppError;
use crate::model::mappings::{ChangeView, MappingDetail, MappingRow, ReplayView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::auth;

/// Session key of the 21 CFR 11.200 flag: set after the session's first signature, so
/// later signings ask for the password only.
#[cfg(feature = "ssr")]
const SIGNED_KEY: &str = "signed_once";

/// Every mapping, optionally only those reading `source` (the `/sources` page links here).
#[server(endpoint = "mappings")]
pub async fn get_mappings(source: Option<String>) -> Result<Vec<MappingRow>, AppError> {
    use engine::store::Role;
    let (_user, _session, store) = auth::require_role(&Role::ALL).await?;
    let all = store.mapping_versions(None).await.map_err(auth::internal)?;
    let mut rows = ssr::rows(&store, all).await?;
    if let Some(s) = source.filter(|s| !s.is_empty()) {
        rows.retain(|r| r.source == s);
    }
    Ok(rows)
}

/// One mapping: its versions with signatures and what the user may do with each, the
/// golden results of `version` (default: the newest), and its audit events for the roles
/// that may read the audit trail.
#[server(endpoint = "mapping")]
pub async fn get_mapping(name: String, version: Option<i64>) -> Result<MappingDetail, AppError> {
    use engine::store::Role;
    let (user, session, store) = auth::require_role(&Role::ALL).await?;
    let signed = session
        .get::<bool>(SIGNED_KEY)
        .await
        .map_err(auth::internal)?
        .unwrap_or(false);
    ssr::detail(&store, &user, &name, version, signed).await
}

/// The field-level changes from version `from` to version `to` of `name`.
#[server(endpoint = "mapping_diff")]
pub async fn get_mapping_diff(
    name: String,
    from: i64,
    to: i64,
) -> Result<Vec<ChangeView>, AppError> {
    use engine::store::Role;
    let (_user, _session, store) = auth::require_role(&Role::ALL).await?;
    let load = |v: i64| {
        let (store, name) = (store.clone(), name.clone());
        async move {
            store
                .mapping_version_or_current(&name, Some(v))
                .await
                .and_then(|m| m.mapping())
                .map_err(auth::store_error)
        }
    };
    let (old, new) = (load(from).await?, load(to).await?);
    Ok(engine::mapping::diff(&old, &new)
        .into_iter()
        .map(ssr::change)
        .collect())
}

/// Impact replay: version `version` of `name` and the active version run on the newest
/// `limit` inputs the engine processed (50 when 0). Nothing is stored or sent; read-only,
/// so no CSRF token. Engineers, directors and admins.
#[server(endpoint = "mapping_replay")]
pub async fn replay_mapping_version(
    name: String,
    version: i64,
    #[server(default)] limit: usize,
) -> Result<ReplayView, AppError> {
    let (_user, _session, store) = auth::require_role(ssr::REPLAYERS).await?;
    let candidate = store
        .mapping_version_or_current(&name, Some(version))
        .await
        .and_then(|m| m.mapping())
        .map_err(auth::store_error)?;
    let limit = match limit {
        0 => engine::mapping::replay::DEFAULT_INPUTS,
        n => n.min(500),
    };
    let replayed = engine::mapping::replay::against_active(&store, &candidate, limit)
        .await
        .map_err(|e| AppError::Invalid(format!("replay: {e}")))?;
    Ok(ssr::replay_view(replayed))
}

/// Submits a draft for approval (engineers and admins).
#[server(endpoint = "mapping_submit")]
pub async fn submit_mapping_version(
    name: String,
    version: i64,
    csrf: String,
) -> Result<(), AppError> {
    use engine::mapping::versions::SUBMITTERS;
    let (user, session, store) = auth::require_role(SUBMITTERS).await?;
    auth::check_csrf(&session, &csrf).await?;
    store
        .submit_mapping(&user, &name, version)
        .await
        .map_err(auth::store_error)?;
    Ok(())
}

/// Approves or rejects a submitted version: an electronic signature (directors). The
/// session's first signing needs the user name and the password, later ones the password
/// (21 CFR 11.200(a)(1)); the store checks the password, the author rule and the meaning.
#[server(endpoint = "mapping_sign")]
pub async fn sign_mapping_version(
    name: String,
    version: i64,
    approve: bool,
    meaning: String,
    #[server(default)] username: String,
    password: String,
    csrf: String,
) -> Result<(), AppError> {
    use engine::mapping::versions::SIGNERS;
    let (user, session, store) = auth::require_role(SIGNERS).await?;
    auth::check_csrf(&session, &csrf).await?;
    let signed = session
        .get::<bool>(SIGNED_KEY)
        .await
        .map_err(auth::internal)?
        .unwrap_or(false);
    let username = username.trim();
    if !signed && username.is_empty() {
        return Err(auth::refuse(AppError::Refused(
            "the first signature of a session needs your user name and your password".into(),
        )));
    }
    if !username.is_empty() && username != user.username {
        return Err(auth::refuse(AppError::Refused(
            "the user name is not the signed-in user's; sign with your own name".into(),
        )));
    }
    let password: String = password.chars().take(256).collect();
    let meaning: String = meaning.chars().take(500).collect();
    let done = if approve {
        store
            .approve_mapping(&user, &password, &name, version, &meaning)
            .await
    } else {
        store
            .reject_mapping(&user, &password, &name, version, &meaning)
            .await
    };
    done.map_err(auth::store_error)?;
    session
        .insert(SIGNED_KEY, true)
        .await
        .map_err(auth::internal)?;
    Ok(())
}

/// Activates an approved version; activating an older one is a rollback (directors and
/// admins).
#[server(endpoint = "mapping_activate")]
pub async fn activate_mapping_version(
    name: String,
    version: i64,
    csrf: String,
) -> Result<(), AppError> {
    use engine::mapping::versions::ACTIVATORS;
    let (user, session, store) = auth::require_role(ACTIVATORS).await?;
    auth::check_csrf(&session, &csrf).await?;
    store
        .activate_mapping(&user, &name, version)
        .await
        .map_err(auth::store_error)?;
    Ok(())
}

/// Saves a mapping file's text as a draft (engineers, admins, directors): a new draft, or
/// the named draft updated when the text's header names one. The text is checked first; a
/// bad mapping is refused with the rule and the reason, and nothing is saved. Returns the
/// draft's version number.
#[server(endpoint = "mapping_save")]
pub async fn save_mapping_draft(body: String, csrf: String) -> Result<i64, AppError> {
    use engine::mapping::versions::EDITORS;
    let (user, session, store) = auth::require_role(EDITORS).await?;
    auth::check_csrf(&session, &csrf).await?;
    if body.len() > 1_000_000 {
        return Err(auth::refuse(AppError::Invalid(
            "a mapping file is at most 1 MB".into(),
        )));
    }
    let (_, v) = store
        .import_mapping(&user, "mapping", &body)
        .await
        .map_err(auth::store_error)?;
    Ok(v.version)
}

/// Retires an approved or rejected version (directors and admins).
#[server(endpoint = "mapping_retire")]
pub async fn retire_mapping_version(
    name: String,
    version: i64,
    csrf: String,
) -> Result<(), AppError> {
    use engine::mapping::versions::ACTIVATORS;
    let (user, session, store) = auth::require_role(ACTIVATORS).await?;
    auth::check_csrf(&session, &csrf).await?;
    store
        .retire_mapping(&user, &name, version)
        .await
        .map_err(auth::store_error)?;
    Ok(())
}

/// Makes `version`'s actual output on golden sample `label` the expected output
/// (directors and engineers); audited with the keys that changed. Returns how many.
#[server(endpoint = "mapping_golden_promote")]
pub async fn promote_golden_sample(
    name: String,
    version: i64,
    label: String,
    csrf: String,
) -> Result<usize, AppError> {
    use engine::mapping::versions::PROMOTERS;
    let (user, session, store) = auth::require_role(PROMOTERS).await?;
    auth::check_csrf(&session, &csrf).await?;
    let diffs = store
        .promote_golden(&user, &name, version, &label)
        .await
        .map_err(auth::store_error)?;
    Ok(diffs.len())
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::auth;
    use crate::error::AppError;
    use crate::model::mappings::{
        Allowed, ChangeView, GoldenDiff, GoldenView, MappingDetail, MappingEvent, MappingRow,
        ReplayInput, ReplayView, SignatureView, VersionBrief, VersionView, GOLDEN_DIFFS_SHOWN,
        RECENT,
    };
    use engine::mapping::versions::{self, State, ACTIVATORS, PROMOTERS, SIGNERS, SUBMITTERS};

    /// Who may run an impact replay (the same roles as `GET …/replay`).
    pub const REPLAYERS: &[Role] = &[Role::Admin, Role::Engineer, Role::Director];

    /// The differences a page shows (the first [`GOLDEN_DIFFS_SHOWN`]), and how many more.
    fn shown(diffs: &[engine::mapping::golden::OutputDiff]) -> (Vec<GoldenDiff>, usize) {
        let rows = diffs
            .iter()
            .take(GOLDEN_DIFFS_SHOWN)
            .map(|d| GoldenDiff {
                key: d.key.clone(),
                expected: d.expected.clone(),
                actual: d.actual.clone(),
            })
            .collect();
        (rows, diffs.len().saturating_sub(GOLDEN_DIFFS_SHOWN))
    }

    pub fn replay_view(replayed: Vec<engine::mapping::replay::Replayed>) -> ReplayView {
        let (mut changed, mut unchanged, mut failed) = (0, 0, 0);
        let mut inputs = Vec::new();
        for r in replayed {
            match (&r.error, r.changes.is_empty()) {
                (Some(_), _) => failed += 1,
                (None, true) => unchanged += 1,
                (None, false) => changed += 1,
            }
            // A VCF's folder says nothing the reader needs: show the file name only.
            let input = std::path::Path::new(&r.input)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(r.input.clone());
            let (changes, more) = shown(&r.changes);
            inputs.push(ReplayInput {
                input,
                changes,
                more,
                error: r.error,
            });
        }
        ReplayView {
            inputs,
            changed,
            unchanged,
            failed,
        }
    }
    use engine::store::{MappingVersion, Role, Store, User};

    pub fn change(c: engine::mapping::Change) -> ChangeView {
        let text = |v: Option<serde_json::Value>| v.map(|v| v.to_string());
        ChangeView {
            kind: match c.kind {
                engine::mapping::ChangeKind::Added => "added",
                engine::mapping::ChangeKind::Removed => "removed",
                engine::mapping::ChangeKind::Changed => "changed",
            }
            .to_string(),
            key: c.key,
            old: text(c.old),
            new: text(c.new),
        }
    }

    /// Groups versions (sorted by name, version) by mapping name.
    fn by_name(all: Vec<MappingVersion>) -> Vec<Vec<MappingVersion>> {
        let mut out: Vec<Vec<MappingVersion>> = Vec::new();
        for v in all {
            match out.last_mut() {
                Some(g) if g[0].name == v.name => g.push(v),
                _ => out.push(vec![v]),
            }
        }
        out
    }

    /// Who is waiting on whom, from the newest version.
    async fn waiting(
        store: &Store,
        versions: &[MappingVersion],
    ) -> Result<Option<String>, AppError> {
        let Some(v) = versions.last() else {
            return Ok(None);
        };
        let who = |roles: &[Role]| {
            roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        };
        Ok(match v.state {
            State::Draft => Some(format!(
                "v{} draft by {}, not yet submitted: awaiting {}",
                v.version, v.author, v.author
            )),
            State::Submitted => {
                // An author who may sign (a director) still waits on someone else.
                let author_signs = store
                    .user_by_username(&v.author)
                    .await
                    .map_err(auth::internal)?
                    .is_some_and(|u| SIGNERS.contains(&u.role));
                Some(format!(
                    "v{} submitted by {}, awaiting {}{}",
                    v.version,
                    v.author,
                    if author_signs { "another " } else { "" },
                    who(SIGNERS)
                ))
            }
            State::Approved => {
                let by = store
                    .mapping_signatures(v.id)
                    .await
                    .map_err(auth::internal)?
                    .last()
                    .map(|s| format!(" by {}", s.printed_name))
                    .unwrap_or_default();
                Some(format!(
                    "v{} approved{by}, awaiting activation by {}",
                    v.version,
                    who(ACTIVATORS)
                ))
            }
            State::Rejected => Some(format!(
                "v{} rejected, awaiting a new draft from {}",
                v.version, v.author
            )),
            State::Active | State::Retired => None,
        })
    }

    pub async fn rows(
        store: &Store,
        all: Vec<MappingVersion>,
    ) -> Result<Vec<MappingRow>, AppError> {
        let mut out = Vec::new();
        for versions in by_name(all) {
            let newest = versions.last().expect("a group is never empty");
            out.push(MappingRow {
                name: newest.name.clone(),
                kind: newest.kind.clone(),
                source: newest.source.clone(),
                active: versions
                    .iter()
                    .find(|v| v.state == State::Active)
                    .map(|v| v.version),
                recent: versions
                    .iter()
                    .rev()
                    .take(RECENT)
                    .map(|v| VersionBrief {
                        version: v.version,
                        state: v.state.as_str().to_string(),
                    })
                    .collect(),
                waiting: waiting(store, &versions).await?,
            });
        }
        Ok(out)
    }

    /// `None` when the role may never act or the state does not call for it; otherwise
    /// the rule's own answer.
    fn allowed(
        role: Role,
        roles: &[Role],
        shown: bool,
        check: Result<(), versions::Refused>,
    ) -> Allowed {
        (roles.contains(&role) && shown).then(|| check.map_err(|r| r.0))
    }

    pub async fn detail(
        store: &Store,
        user: &User,
        name: &str,
        focus: Option<i64>,
        signed_in_session: bool,
    ) -> Result<MappingDetail, AppError> {
        let versions = store
            .mapping_versions(Some(name))
            .await
            .map_err(auth::internal)?;
        let Some(newest) = versions.last().cloned() else {
            return Err(auth::refuse(AppError::Invalid(format!(
                "no mapping named {name:?}"
            ))));
        };
        let focus_v = match focus {
            Some(n) => versions
                .iter()
                .find(|v| v.version == n)
                .cloned()
                .ok_or_else(|| {
                    auth::refuse(AppError::Invalid(format!("no mapping {name} v{n}")))
                })?,
            None => newest.clone(),
        };
        let mut views = Vec::new();
        for v in versions.iter().rev() {
            let label = v.label();
            let signatures = store
                .mapping_signatures(v.id)
                .await
                .map_err(auth::internal)?
                .into_iter()
                .map(|s| SignatureView {
                    username: s.username,
                    printed_name: s.printed_name,
                    meaning: s.meaning,
                    signed_at: s.signed_at,
                    sha256: s.sha256,
                })
                .collect();
            let can_sign = if SIGNERS.contains(&user.role) && v.state == State::Submitted {
                let writers = store.writers(v).await.map_err(auth::internal)?;
                Some(
                    versions::check_sign(&user.username, user.role, v.state, &label, &writers)
                        .map_err(|r| r.0),
                )
            } else {
                None
            };
            views.push(VersionView {
                version: v.version,
                state: v.state.as_str().to_string(),
                author: v.author.clone(),
                created_at: v.created_at.clone(),
                updated_at: v.updated_at.clone(),
                sha256: v.sha256.clone(),
                signatures,
                can_submit: allowed(
                    user.role,
                    SUBMITTERS,
                    v.state == State::Draft,
                    versions::check_submit(user.role, v.state, &label),
                ),
                can_sign,
                can_activate: allowed(
                    user.role,
                    ACTIVATORS,
                    v.state == State::Approved,
                    versions::check_activate(user.role, v.state, &label),
                ),
                can_retire: allowed(
                    user.role,
                    ACTIVATORS,
                    matches!(v.state, State::Approved | State::Rejected),
                    versions::check_retire(user.role, v.state, &label),
                ),
            });
        }
        let golden = golden(store, &focus_v).await?;
        let audit = if auth::AUDIT_READERS.contains(&user.role) {
            Some(events(store, name).await?)
        } else {
            None
        };
        Ok(MappingDetail {
            name: newest.name.clone(),
            kind: newest.kind.clone(),
            source: newest.source.clone(),
            active: versions
                .iter()
                .find(|v| v.state == State::Active)
                .map(|v| v.version),
            waiting: waiting(store, &versions).await?,
            versions: views,
            focus: focus_v.version,
            golden,
            can_promote: PROMOTERS.contains(&user.role),
            can_replay: REPLAYERS.contains(&user.role),
            audit,
            signed_in_session,
        })
    }

    async fn golden(store: &Store, v: &MappingVersion) -> Result<Vec<GoldenView>, AppError> {
        let m = v.mapping().map_err(auth::store_error)?;
        let results = store.golden_results(&m).await.map_err(auth::internal)?;
        Ok(results
            .into_iter()
            .map(|r| {
                let (diffs, more) = shown(&r.diffs);
                GoldenView {
                    pass: r.diffs.is_empty() && r.error.is_none(),
                    diffs,
                    more,
                    error: r.error,
                    unread: r.unread,
                    label: r.sample.label,
                    promoted_by: r.sample.promoted_by,
                    promoted_at: r.sample.promoted_at,
                }
            })
            .collect())
    }

    /// The mapping's audit events, newest first.
    async fn events(store: &Store, name: &str) -> Result<Vec<MappingEvent>, AppError> {
        let events = store
            .audit_for("mapping", name)
            .await
            .map_err(auth::internal)?;
        Ok(events
            .into_iter()
            .rev()
            .map(|e| {
                let d: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
                let note = match (d["printed_name"].as_str(), d["meaning"].as_str()) {
                    (Some(p), Some(m)) => Some(format!("{p} — {m}")),
                    _ => d["reason"].as_str().map(str::to_string),
                };
                MappingEvent {
                    id: e.id,
                    at: e.at,
                    actor: e.actor,
                    action: e.action,
                    version: d["version"].as_i64(),
                    note,
                    short_hash: e.hash.chars().take(12).collect(),
                }
            })
            .collect())
    }
}
