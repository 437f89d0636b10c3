//! Mapping versions and their approval, on SQLite and PostgreSQL: the shipped defaults are
//! there on a new database; self-approval and a wrong password are refused; a failing
//! golden sample blocks submission; only approved versions activate; rollback works;
//! export, import, export gives the same bytes; and the audit chain stays intact.

mod common;

use common::TestDb;
use engine::{
    mapping::{
        sample,
        versions::{ImportAction, State, APPROVED_FOR_CLINICAL_USE},
        Mapping,
    },
    pipeline::Engine,
    store::{AuditVerification, Db, Role, Store, StoreError, User},
};
use std::path::PathBuf;

const NAME: &str = "vcf-report";

fn synthetic() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vcf/both_annotators.vcf")
}

async fn user(store: &Store, name: &str, role: Role) -> User {
    store
        .create_user(name, &format!("{name}-pw"), role)
        .await
        .unwrap();
    store.user_by_username(name).await.unwrap().unwrap()
}

/// The refusal's text; panics when the call succeeded or failed otherwise.
fn refused<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Refused(e)) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn state(store: &Store, version: i64) -> State {
    store
        .mapping_version(NAME, version)
        .await
        .unwrap()
        .unwrap()
        .state
}

async fn workflow(db: &TestDb) {
    let s = &db.store;
    let b = db.backend;

    // A new database runs the shipped defaults: approved, active version 1 of each.
    let all = s.mapping_versions(None).await.unwrap();
    assert_eq!(all.len(), engine::mapping::file::DEFAULTS.len(), "{b}");
    for v in &all {
        assert_eq!(
            (v.version, v.state, v.author.as_str()),
            (1, State::Active, "genobridge")
        );
    }
    let default = Mapping::default_report();
    let v1 = s.active_report_mapping().await.unwrap().unwrap();
    assert_eq!(v1.sha256, default.sha256(), "{b}");
    assert_eq!(v1.body, default.to_toml());
    // Opening the store again adds nothing.
    let again_url = db.url().await;
    if let Some(url) = again_url {
        let again = Store::open(&url).await.unwrap();
        assert_eq!(again.mapping_versions(None).await.unwrap().len(), all.len());
    }

    let eng = user(s, "eng", Role::Engineer).await;
    let ada = user(s, "ada", Role::Director).await;
    s.set_full_name("ada", "Dr. Ada Lovelace").await.unwrap();
    let bob = user(s, "bob", Role::Director).await;
    s.set_full_name("bob", "Dr. Bob Marley").await.unwrap();
    let admin = user(s, "root", Role::Admin).await;

    // The golden sample: what v1 makes of the synthetic VCF.
    let cx = sample::SampleContext::default();
    let expected = sample::run(&default, &synthetic(), &cx).unwrap().outputs;
    let input = std::fs::read(synthetic()).unwrap();
    s.add_golden_sample(
        &eng,
        NAME,
        "both annotators",
        "both_annotators.vcf",
        &input,
        &expected,
    )
    .await
    .unwrap();

    // A bad file saves nothing, and the error names the file and the reason.
    let bad = default.to_toml().replace("48018-6", "99999-9");
    let e = s
        .create_mapping_draft(&ada, "bad.toml", &bad)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.toml") && e.contains("99999-9"), "{b}: {e}");
    assert_eq!(s.mapping_versions(Some(NAME)).await.unwrap().len(), 1);

    // v2, by a director: read the gene and transcript from VEP's CSQ first.
    let vep = default.to_toml().replace(
        "sources = [\"ann\", \"csq\"]",
        "sources = [\"csq\", \"ann\"]",
    );
    assert_ne!(vep, default.to_toml());
    let v2 = s
        .create_mapping_draft(&ada, "vep.toml", &vep)
        .await
        .unwrap();
    assert_eq!((v2.version, v2.state, v2.revision), (2, State::Draft, 1));

    // Optimistic concurrency on drafts.
    let mut edited = Mapping::from_toml("vep.toml", &vep).unwrap();
    edited.description = "CSQ first: the lab moved to VEP".into();
    let stale = s
        .update_mapping_draft(&ada, NAME, 2, 0, &edited.to_toml())
        .await;
    assert!(
        refused(stale).contains("the draft changed since you opened it (revision 1); reload"),
        "{b}"
    );
    let v2 = s
        .update_mapping_draft(&ada, NAME, 2, 1, &edited.to_toml())
        .await
        .unwrap();
    assert_eq!((v2.revision, v2.sha256.clone()), (2, edited.sha256()));

    // A draft is not activated.
    assert!(
        refused(s.activate_mapping(&admin, NAME, 2).await).contains("draft"),
        "{b}"
    );

    // The golden sample now differs: no submission until the new output is promoted.
    let e = refused(s.submit_mapping(&eng, NAME, 2).await);
    assert!(
        e.contains("golden samples differ") && e.contains("both annotators"),
        "{b}: {e}"
    );
    assert_eq!(state(s, 2).await, State::Draft);
    // Only directors and engineers promote.
    refused(s.promote_golden(&admin, NAME, 2, "both annotators").await);
    let changed = s
        .promote_golden(&eng, NAME, 2, "both annotators")
        .await
        .unwrap();
    assert!(!changed.is_empty(), "{b}");
    let v2 = s.submit_mapping(&eng, NAME, 2).await.unwrap();
    assert_eq!(v2.state, State::Submitted);
    // A version that is not a draft never changes.
    refused(s.update_mapping_draft(&eng, NAME, 2, 2, &vep).await);

    // Signing: the author never signs, even as a director; only directors sign; the
    // password is checked.
    let e = refused(
        s.approve_mapping(&ada, "ada-pw", NAME, 2, APPROVED_FOR_CLINICAL_USE)
            .await,
    );
    assert!(e.contains("you wrote or edited this version"), "{b}: {e}");
    refused(
        s.approve_mapping(&eng, "eng-pw", NAME, 2, APPROVED_FOR_CLINICAL_USE)
            .await,
    );
    let e = refused(
        s.approve_mapping(&bob, "wrong", NAME, 2, APPROVED_FOR_CLINICAL_USE)
            .await,
    );
    assert!(e.contains("password is wrong"), "{b}: {e}");
    refused(
        s.approve_mapping(&bob, "bob-pw", NAME, 2, "looks fine")
            .await,
    );
    assert_eq!(state(s, 2).await, State::Submitted);
    assert!(s.mapping_signatures(v2.id).await.unwrap().is_empty());
    let v2 = s
        .approve_mapping(&bob, "bob-pw", NAME, 2, APPROVED_FOR_CLINICAL_USE)
        .await
        .unwrap();
    assert_eq!(v2.state, State::Approved);
    let sigs = s.mapping_signatures(v2.id).await.unwrap();
    assert_eq!(sigs.len(), 1);
    assert_eq!(
        (sigs[0].username.as_str(), sigs[0].printed_name.as_str()),
        ("bob", "Dr. Bob Marley")
    );
    assert_eq!(sigs[0].meaning, APPROVED_FOR_CLINICAL_USE);
    assert_eq!(sigs[0].sha256, v2.sha256);
    assert!(sigs[0].signed_at.ends_with('Z'), "{}", sigs[0].signed_at);

    // Activation: engineers may not; the engine runs the active version.
    refused(s.activate_mapping(&eng, NAME, 2).await);
    let tmp = tempfile::tempdir().unwrap();
    let engine = Engine::new(s.clone(), common::config(tmp.path(), 0));
    assert_eq!(engine.report_plan().await.sha256, v1.sha256);
    s.activate_mapping(&admin, NAME, 2).await.unwrap();
    assert_eq!(
        (state(s, 1).await, state(s, 2).await),
        (State::Approved, State::Active)
    );
    assert_eq!(engine.report_plan().await.sha256, v2.sha256, "{b}");
    // Rollback: activate the earlier approved version again.
    s.activate_mapping(&bob, NAME, 1).await.unwrap();
    assert_eq!(
        (state(s, 1).await, state(s, 2).await),
        (State::Active, State::Approved)
    );
    assert_eq!(s.active_report_mapping().await.unwrap().unwrap().version, 1);
    assert_eq!(engine.report_plan().await.sha256, v1.sha256, "{b}");

    // A rejected version is not activated.
    let mut v3m = edited.clone();
    v3m.description = "CSQ first, and a typo".into();
    s.create_mapping_draft(&eng, "v3.toml", &v3m.to_toml())
        .await
        .unwrap();
    s.submit_mapping(&eng, NAME, 3).await.unwrap();
    refused(s.reject_mapping(&ada, "ada-pw", NAME, 3, "  ").await);
    let v3 = s
        .reject_mapping(&ada, "ada-pw", NAME, 3, "the description has a typo")
        .await
        .unwrap();
    assert_eq!(v3.state, State::Rejected);
    assert!(
        refused(s.activate_mapping(&admin, NAME, 3).await).contains("rejected"),
        "{b}"
    );

    // Export, import, export: the same bytes, and nothing changes.
    let file = s.export_mapping(&v2).await.unwrap();
    assert!(
        file.contains("# signature: Dr. Bob Marley (bob), "),
        "{file}"
    );
    assert!(file.contains(&format!("# sha256: {}", v2.sha256)));
    assert!(file.ends_with(&v2.body));
    let (action, back) = s.import_mapping(&eng, "v2.toml", &file).await.unwrap();
    assert_eq!(action, ImportAction::Unchanged { version: 2 });
    assert_eq!(s.export_mapping(&back).await.unwrap(), file, "{b}");
    // An import that would change an approved version is refused...
    let tampered = file.replace("CSQ first: the lab moved to VEP", "CSQ first");
    let e = refused(s.import_mapping(&eng, "v2.toml", &tampered).await);
    assert!(e.contains("vcf-report v2 is approved"), "{b}: {e}");
    // ...and without the version line it is a new draft.
    let body_only = tampered
        .lines()
        .filter(|l| !l.starts_with("# version:"))
        .collect::<Vec<_>>()
        .join("\n");
    let (action, v4) = s.import_mapping(&eng, "v4.toml", &body_only).await.unwrap();
    assert_eq!(
        (action, v4.version, v4.state),
        (ImportAction::NewDraft, 4, State::Draft)
    );
    assert_eq!(
        s.mapping_version(NAME, 2).await.unwrap().unwrap().body,
        v2.body
    );

    // Retiring: never the running version, a draft, or by an engineer. A retired version
    // keeps its body and signature but is never activated again.
    let e = refused(s.retire_mapping(&admin, NAME, 1).await);
    assert!(e.contains("active"), "{b}: {e}");
    refused(s.retire_mapping(&eng, NAME, 2).await);
    refused(s.retire_mapping(&admin, NAME, 4).await);
    let r2 = s.retire_mapping(&bob, NAME, 2).await.unwrap();
    assert_eq!(
        (r2.state, r2.sha256.as_str(), r2.body.as_str()),
        (State::Retired, v2.sha256.as_str(), v2.body.as_str())
    );
    assert_eq!(s.mapping_signatures(r2.id).await.unwrap().len(), 1);
    let e = refused(s.activate_mapping(&admin, NAME, 2).await);
    assert!(e.contains("retired"), "{b}: {e}");

    // The database itself refuses to change a signed version or its signatures.
    for sql in [
        "UPDATE mapping_versions SET body = 'x' WHERE name = 'vcf-report' AND version = 2",
        "DELETE FROM mapping_versions WHERE name = 'vcf-report' AND version = 2",
        "UPDATE mapping_signatures SET meaning = 'x'",
        "DELETE FROM mapping_signatures",
    ] {
        let r = match s.db() {
            Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        };
        assert!(r.is_err(), "{b}: {sql}");
    }
    assert_eq!(
        s.mapping_version(NAME, 2).await.unwrap().unwrap().body,
        v2.body
    );

    // Every step is audited with the version's hash; edits carry the field-level diff.
    let events = s.audit_for("mapping", NAME).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "mapping.create",
        "mapping.edit",
        "mapping.submit",
        "mapping.signature_refused",
        "mapping.approve",
        "mapping.reject",
        "mapping.activate",
        "mapping.rollback",
        "mapping.golden_promote",
        "mapping.retire",
    ] {
        assert!(actions.contains(&a), "{b}: {a} missing from {actions:?}");
    }
    let edit = events.iter().find(|e| e.action == "mapping.edit").unwrap();
    let detail: serde_json::Value = serde_json::from_str(&edit.detail).unwrap();
    assert_eq!(detail["version"], 2);
    assert_eq!(detail["sha256"], v2.sha256);
    assert_eq!(detail["changes"][0]["key"], "description");
    assert_eq!(
        detail["changes"][0]["new"],
        "CSQ first: the lab moved to VEP"
    );
    let approve = events
        .iter()
        .find(|e| e.action == "mapping.approve")
        .unwrap();
    assert!(approve.detail.contains(&v2.sha256) && approve.detail.contains("Dr. Bob Marley"));
    // No sample data in the log: the synthetic sample's patient and gene never appear.
    for e in &events {
        assert!(
            !e.detail.contains("Testcase") && !e.detail.contains("BRCA1"),
            "{}",
            e.detail
        );
    }

    assert!(
        matches!(
            s.verify_audit().await.unwrap(),
            AuditVerification::Intact { .. }
        ),
        "{b}"
    );
}

#[tokio::test]
async fn approval_workflow_on_sqlite() {
    let db = TestDb::sqlite().await;
    workflow(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn approval_workflow_on_postgres() {
    let db = TestDb::postgres().await;
    workflow(&db).await;
    db.cleanup().await;
}
