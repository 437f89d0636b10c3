//! Mapping versions and their approval: the rules, with no storage and no web. The store
//! (`store/mappings.rs`) applies them; the CLI, the API and the UI show their refusals as
//! they are.
//!
//! A version moves `draft → submitted → approved → active` (or `submitted → rejected`).
//! Only a draft's body changes. Only an approved version is activated; the version it
//! replaces goes back to approved, so a rollback is activating an earlier approved version.
//! Approval and rejection are electronic signatures (21 CFR 11.50, 11.200): a director,
//! never the author, re-enters their password and picks a meaning.

use super::file::with_header;
use crate::store::Role;
use serde::{Deserialize, Serialize};

/// The meaning of an approval signature.
pub const APPROVED_FOR_CLINICAL_USE: &str = "approved for clinical use";

/// The author of the shipped default versions.
pub const SYSTEM_AUTHOR: &str = "genobridge";

/// A version's state in the two-person rule.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = MappingState))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Draft,
    Submitted,
    Approved,
    Rejected,
    Active,
    Retired,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Draft,
        State::Submitted,
        State::Approved,
        State::Rejected,
        State::Active,
        State::Retired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::Active => "active",
            State::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Approved for clinical use, whether or not it runs now.
    pub fn is_approved(self) -> bool {
        matches!(self, State::Approved | State::Active)
    }
}

/// A refusal, in words for the person who asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refuse<T>(msg: impl Into<String>) -> Result<T, Refused> {
    Err(Refused(msg.into()))
}

fn roles(allowed: &[Role]) -> String {
    allowed
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

fn need_role(role: Role, allowed: &[Role], what: &str) -> Result<(), Refused> {
    if allowed.contains(&role) {
        Ok(())
    } else {
        refuse(format!(
            "only the {} role may {what} (you are {})",
            roles(allowed),
            role.as_str()
        ))
    }
}

/// Who writes drafts (create, edit, import).
pub const EDITORS: &[Role] = &[Role::Engineer, Role::Admin, Role::Director];
/// Who submits a draft for approval.
pub const SUBMITTERS: &[Role] = &[Role::Engineer, Role::Admin];
/// Who signs (approves or rejects).
pub const SIGNERS: &[Role] = &[Role::Director];
/// Who activates an approved version (and so rolls back).
pub const ACTIVATORS: &[Role] = &[Role::Director, Role::Admin];
/// Who promotes a golden sample's actual output to expected.
pub const PROMOTERS: &[Role] = &[Role::Director, Role::Engineer];

pub fn check_edit(role: Role, state: State, label: &str) -> Result<(), Refused> {
    need_role(role, EDITORS, "edit mappings")?;
    if state != State::Draft {
        return refuse(format!(
            "{label} is {}: only a draft changes; create a new draft instead",
            state.as_str()
        ));
    }
    Ok(())
}

/// An edit is based on the revision the editor opened.
pub fn check_revision(label: &str, current: i64, opened: i64) -> Result<(), Refused> {
    if current != opened {
        return refuse(format!(
            "{label}: the draft changed since you opened it (revision {current}); reload"
        ));
    }
    Ok(())
}

pub fn check_submit(role: Role, state: State, label: &str) -> Result<(), Refused> {
    need_role(role, SUBMITTERS, "submit a mapping for approval")?;
    if state != State::Draft {
        return refuse(format!(
            "{label} is {}: only a draft is submitted",
            state.as_str()
        ));
    }
    Ok(())
}

/// Approval or rejection. `wrote` is every user who created or edited the version.
pub fn check_sign(
    signer: &str,
    role: Role,
    state: State,
    label: &str,
    wrote: &[String],
) -> Result<(), Refused> {
    need_role(role, SIGNERS, "approve or reject a mapping")?;
    if state != State::Submitted {
        return refuse(format!(
            "{label} is {}: only a submitted version is approved or rejected",
            state.as_str()
        ));
    }
    if wrote.iter().any(|w| w == signer) {
        return refuse(format!(
            "{label}: you wrote or edited this version, so you cannot sign it; another director must"
        ));
    }
    Ok(())
}

/// The meaning of a signature: an approval means exactly "approved for clinical use"; a
/// rejection needs a reason.
pub fn check_meaning(approve: bool, meaning: &str) -> Result<String, Refused> {
    let m = meaning.trim();
    if approve {
        if m != APPROVED_FOR_CLINICAL_USE {
            return refuse(format!(
                "an approval's meaning is {APPROVED_FOR_CLINICAL_USE:?}"
            ));
        }
    } else if m.is_empty() {
        return refuse("a rejection needs a reason");
    }
    Ok(m.to_string())
}

pub fn check_activate(role: Role, state: State, label: &str) -> Result<(), Refused> {
    need_role(role, ACTIVATORS, "activate a mapping")?;
    match state {
        State::Approved => Ok(()),
        State::Active => refuse(format!("{label} is already active")),
        other => refuse(format!(
            "{label} is {}: only an approved version is activated",
            other.as_str()
        )),
    }
}

/// Retiring takes an approved version out of the choices for activation for good; the
/// running version is never retired (activate another first), so a flow never loses its
/// mapping by accident.
pub fn check_retire(role: Role, state: State, label: &str) -> Result<(), Refused> {
    need_role(role, ACTIVATORS, "retire a mapping version")?;
    match state {
        State::Approved | State::Rejected => Ok(()),
        State::Active => refuse(format!(
            "{label} is active: activate another version before retiring it"
        )),
        other => refuse(format!(
            "{label} is {}: only an approved or rejected version is retired",
            other.as_str()
        )),
    }
}

pub fn check_promote(role: Role) -> Result<(), Refused> {
    need_role(role, PROMOTERS, "promote a golden sample's output")
}

/// One signature as shown and exported (21 CFR 11.50).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub username: String,
    pub printed_name: String,
    pub meaning: String,
    /// UTC, RFC 3339.
    pub signed_at: String,
    /// The body hash signed.
    pub sha256: String,
}

impl Signature {
    /// `Dr. Ada Lovelace (ada), 2026-12-02T15:00:00Z: approved for clinical use`
    pub fn manifest(&self) -> String {
        format!(
            "{} ({}), {}: {}",
            self.printed_name, self.username, self.signed_at, self.meaning
        )
    }
}

/// The exported file of a version: a comment header (never hashed) with the version, its
/// state, hash and signatures, then the canonical body.
pub fn export(
    name: &str,
    version: i64,
    state: State,
    sha256: &str,
    author: &str,
    signatures: &[Signature],
    body: &str,
) -> String {
    let mut header = vec![
        ("mapping".to_string(), name.to_string()),
        ("version".to_string(), version.to_string()),
        ("state".to_string(), state.as_str().to_string()),
        ("sha256".to_string(), sha256.to_string()),
        ("author".to_string(), author.to_string()),
    ];
    for s in signatures {
        header.push(("signature".to_string(), s.manifest()));
    }
    with_header(&header, body)
}

/// The `# version: N` of an exported file's header, if it has one.
pub fn header_version(text: &str) -> Option<i64> {
    text.lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty())
        .filter_map(|l| l.strip_prefix("# version:"))
        .find_map(|v| v.trim().parse().ok())
}

/// What an import of a file with this version number does to the stored versions of
/// that name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportAction {
    /// The same body is stored already as this version.
    Unchanged { version: i64 },
    /// The named draft takes the imported body.
    UpdateDraft { version: i64 },
    /// A new draft, numbered after the newest version.
    NewDraft,
}

/// `existing`: the stored version of the header's number (its state and hash), if any;
/// `same_body`: a stored version with the imported body, if any.
pub fn import_action(
    name: &str,
    header_version: Option<i64>,
    existing: Option<(State, &str)>,
    sha256: &str,
    same_body: Option<i64>,
) -> Result<ImportAction, Refused> {
    match (header_version, existing) {
        (Some(v), Some((_, sha))) if sha == sha256 => Ok(ImportAction::Unchanged { version: v }),
        (Some(v), Some((State::Draft, _))) => Ok(ImportAction::UpdateDraft { version: v }),
        (Some(v), Some((state, _))) => refuse(format!(
            "{name} v{v} is {}, and this file would change it; a version that is not a \
             draft never changes (remove the `# version:` line to import it as a new draft)",
            state.as_str()
        )),
        _ => Ok(match same_body {
            Some(version) => ImportAction::Unchanged { version },
            None => ImportAction::NewDraft,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_author_never_signs_and_only_directors_do() {
        let wrote = vec!["ada".to_string()];
        assert!(check_sign("ada", Role::Director, State::Submitted, "m v2", &wrote).is_err());
        assert!(check_sign("bob", Role::Engineer, State::Submitted, "m v2", &wrote).is_err());
        assert!(check_sign("bob", Role::Director, State::Draft, "m v2", &wrote).is_err());
        assert!(check_sign("bob", Role::Director, State::Submitted, "m v2", &wrote).is_ok());
    }

    #[test]
    fn only_approved_versions_activate() {
        for s in [
            State::Draft,
            State::Submitted,
            State::Rejected,
            State::Retired,
        ] {
            assert!(check_activate(Role::Director, s, "m v1").is_err(), "{s:?}");
        }
        assert!(check_activate(Role::Director, State::Approved, "m v1").is_ok());
        assert!(check_activate(Role::Engineer, State::Approved, "m v1").is_err());
    }

    #[test]
    fn the_running_version_is_never_retired() {
        assert!(check_retire(Role::Director, State::Active, "m v1").is_err());
        assert!(check_retire(Role::Director, State::Draft, "m v1").is_err());
        assert!(check_retire(Role::Director, State::Retired, "m v1").is_err());
        assert!(check_retire(Role::Engineer, State::Approved, "m v1").is_err());
        assert!(check_retire(Role::Director, State::Approved, "m v1").is_ok());
        assert!(check_retire(Role::Admin, State::Rejected, "m v1").is_ok());
    }

    #[test]
    fn imports_never_change_a_signed_version() {
        assert_eq!(
            import_action("m", Some(2), Some((State::Approved, "a")), "a", Some(2)),
            Ok(ImportAction::Unchanged { version: 2 })
        );
        assert!(import_action("m", Some(2), Some((State::Active, "a")), "b", None).is_err());
        assert_eq!(
            import_action("m", Some(3), Some((State::Draft, "a")), "b", None),
            Ok(ImportAction::UpdateDraft { version: 3 })
        );
        assert_eq!(
            import_action("m", None, None, "b", None),
            Ok(ImportAction::NewDraft)
        );
        let file = export("m", 4, State::Active, "abc", "ada", &[], "name = \"m\"\n");
        assert_eq!(header_version(&file), Some(4));
        assert_eq!(header_version("name = \"m\"\n"), None);
    }
}
