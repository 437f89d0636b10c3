//! FHIR REST delivery against a stand-in FHIR server on 127.0.0.1 (tests/common/
//! fhir_server.rs: transaction Bundles, conditional creates by identifier, OperationOutcome
//! on errors). A VCF with its order becomes a Bundle queued for `[fhir_destination]`;
//! the delivery loop sends it. Covered: 2xx delivered (every entry `201 Created`); 400
//! with an OperationOutcome dead-lettered with its text; 503 then success; a resend after
//! a lost answer, by reprocess, creating no duplicate; and a Bundle kept as `stored` with
//! no destination. Every test runs on SQLite and on PostgreSQL.

mod common;

use common::{
    config,
    fhir_server::{self, Answer, FhirServer},
    nb6tk328_for, TestDb,
};
use engine::{
    config::Config,
    delivery::fhir::FhirDestination,
    pipeline::{
        outbox::{self, MessageQueue},
        process_vcf, Engine, VcfOutcome,
    },
    store::{AuditVerification, FhirDeliveryRow, Order},
};
use serde_json::Value;
use std::{path::Path, time::Duration};

fn order() -> Order {
    Order {
        accession: "ACC-9".into(),
        sample_id: "NB6TK328".into(),
        placer_number: "PL-9".into(),
        filler_number: "FI-9".into(),
        patient_mrn: "SYN-9".into(),
        patient_family: "Synthetic".into(),
        patient_given: "Sam".into(),
        birth_date: "1990-01-01".into(),
        sex: "M".into(),
        test_code: "P".into(),
        test_name: "Panel".into(),
        specimen_type: "Blood".into(),
        ..Order::default()
    }
}

const PASSWORD_ENV: &str = "GB_TEST_FHIR_PASSWORD";
const PASSWORD: &str = "fhir-pw-for-tests";

/// A configuration with a `[fhir_destination]` at `base` (basic auth, tiny backoff) and no
/// LRI destination.
fn fhir_config(root: &Path, base: &str, max_attempts: u32) -> Config {
    std::env::set_var(PASSWORD_ENV, PASSWORD);
    let dest: FhirDestination = toml::from_str(&format!(
        r#"base_url = "{base}"
auth = {{ type = "basic", username = "genobridge", password_env = "{PASSWORD_ENV}" }}
timeout_ms = 5000
max_attempts = {max_attempts}
backoff_base_ms = 10
backoff_max_ms = 40
poll_interval_ms = 10"#
    ))
    .unwrap();
    Config {
        fhir_destination: Some(dest),
        lri_destination: None,
        ..config(root, 1)
    }
}

/// Builds the report for the order; returns the engine, the FHIR queue and the message.
async fn report(db: &TestDb, root: &Path, cfg: Config) -> (Engine, MessageQueue, i64) {
    db.store.insert_order(&order()).await.unwrap();
    let client = MessageQueue::fhir(cfg.fhir_destination.as_ref().unwrap()).unwrap();
    let engine = Engine::new(db.store.clone(), cfg);
    let outcome = process_vcf(&engine, &nb6tk328_for(root, "ACC-9")).await;
    let VcfOutcome::Reported { messages, .. } = outcome else {
        panic!("{}: {outcome:?}", db.backend)
    };
    let id = messages[1];
    let row = db.store.fhir_delivery(id).await.unwrap().unwrap();
    assert_eq!(row.status, "pending", "{}", db.backend);
    assert_eq!(row.destination, "fhir");
    assert_eq!(row.idempotency_key.as_deref().map(str::len), Some(64));
    (engine, client, id)
}

/// Sends until the message is no longer pending, waiting out the (tiny) backoffs.
async fn drain(engine: &Engine, client: &MessageQueue, id: i64) -> FhirDeliveryRow {
    for _ in 0..200 {
        outbox::deliver_due(engine, client).await;
        let row = engine.store.fhir_delivery(id).await.unwrap().unwrap();
        if row.status != "pending" {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("message {id} still pending");
}

fn entry_statuses(body: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(body).unwrap();
    v["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["response"]["status"].as_str().unwrap().to_string())
        .collect()
}

async fn audit_actions(db: &TestDb) -> Vec<(String, Value)> {
    db.store
        .audit_for("sample", "NB6TK328")
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("fhir."))
        .map(|e| (e.action.clone(), serde_json::from_str(&e.detail).unwrap()))
        .collect()
}

fn resource_counts(server: &FhirServer) -> [usize; 4] {
    [
        server.count("Patient"),
        server.count("Specimen"),
        server.count("ServiceRequest"),
        server.count("DiagnosticReport"),
    ]
}

#[tokio::test]
async fn a_bundle_is_posted_once_and_every_entry_created() {
    for db in TestDb::both().await {
        let server = fhir_server::start(|_| Answer::Process).await;
        let tmp = tempfile::tempdir().unwrap();
        let cfg = fhir_config(tmp.path(), &server.base, 3);
        let (engine, client, id) = report(&db, tmp.path(), cfg).await;
        let row = drain(&engine, &client, id).await;
        assert_eq!(
            (row.status.as_str(), row.attempts, row.last_status),
            ("delivered", 1, Some(200)),
            "{}: {row:?}",
            db.backend
        );
        assert_eq!(row.last_error, None);
        // The transaction-response is kept: every entry was created.
        let statuses = entry_statuses(row.response_body.as_deref().unwrap());
        assert!(statuses.len() > 4, "{statuses:?}");
        assert!(statuses.iter().all(|s| s == "201 Created"), "{statuses:?}");
        assert_eq!(resource_counts(&server), [1, 1, 1, 1]);
        assert_eq!(server.total(), statuses.len());

        let got = server.received();
        assert_eq!(got.len(), 1);
        let h = &got[0].headers;
        assert_eq!(h["content-type"], "application/fhir+json");
        assert_eq!(
            h["idempotency-key"].to_str().unwrap(),
            row.idempotency_key.as_deref().unwrap()
        );
        use base64::Engine as _;
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("genobridge:{PASSWORD}"));
        assert_eq!(
            h["authorization"].to_str().unwrap(),
            format!("Basic {basic}")
        );
        // What was sent is the stored Bundle, byte for byte in meaning; each entry is a
        // conditional create.
        let stored: Value =
            serde_json::from_str(&db.store.message_body(id).await.unwrap().unwrap()).unwrap();
        assert_eq!(got[0].body, stored);
        for e in stored["entry"].as_array().unwrap() {
            let cond = e["request"]["ifNoneExist"].as_str().unwrap();
            assert!(cond.starts_with("identifier="), "{cond}");
        }
        let patient = &stored["entry"][0]["request"]["ifNoneExist"];
        assert_eq!(patient, "identifier=urn:genobridge:mrn|SYN-9");

        let audit = audit_actions(&db).await;
        let names: Vec<&str> = audit.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(names, ["fhir.attempt", "fhir.delivered"], "{}", db.backend);
        assert_eq!(audit[0].1["http_status"], 200);
        // No secret and no answer body in the audit trail.
        let text = format!("{audit:?}");
        assert!(!text.contains(PASSWORD) && !text.contains("transaction-response"));
        assert!(
            matches!(
                db.store.verify_audit().await.unwrap(),
                AuditVerification::Intact { .. }
            ),
            "{}",
            db.backend
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_400_with_an_operation_outcome_is_dead_lettered_with_its_text() {
    for db in TestDb::both().await {
        let server = fhir_server::start(|_| {
            Answer::Fail(400, "Bundle.entry[0].resource.birthDate: invalid date")
        })
        .await;
        let tmp = tempfile::tempdir().unwrap();
        let cfg = fhir_config(tmp.path(), &server.base, 5);
        let (engine, client, id) = report(&db, tmp.path(), cfg).await;
        let row = drain(&engine, &client, id).await;
        assert_eq!(
            (row.status.as_str(), row.attempts, row.last_status),
            ("dead_letter", 1, Some(400)),
            "{}: {row:?}",
            db.backend
        );
        let error = row.last_error.unwrap();
        assert!(
            error.starts_with("HTTP 400 Bad Request: refused by the FHIR server; not retried")
                && error.contains(
                    "OperationOutcome: error invalid: Bundle.entry[0].resource.birthDate: invalid date"
                ),
            "{error}"
        );
        assert!(row
            .response_body
            .unwrap()
            .contains("\"resourceType\":\"OperationOutcome\""));
        assert_eq!(server.received().len(), 1, "a refusal is not retried");
        assert_eq!(server.total(), 0);
        let names: Vec<String> = audit_actions(&db)
            .await
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        assert_eq!(names, ["fhir.attempt", "fhir.dead_letter"]);
        // The row shows on the dashboard's list as a dead letter.
        let listed = db.store.message(id).await.unwrap().unwrap();
        assert_eq!(listed.status, "dead_letter");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_503_is_retried_with_the_same_key_then_delivered() {
    for db in TestDb::both().await {
        let server = fhir_server::start(|n| match n {
            0 => Answer::Fail(503, "database is starting"),
            _ => Answer::Process,
        })
        .await;
        let tmp = tempfile::tempdir().unwrap();
        let cfg = fhir_config(tmp.path(), &server.base, 5);
        let (engine, client, id) = report(&db, tmp.path(), cfg).await;
        // The first pass: a 503, kept with the server's words, and the row stays pending.
        outbox::deliver_due(&engine, &client).await;
        let first = db.store.fhir_delivery(id).await.unwrap().unwrap();
        assert_eq!(
            (first.status.as_str(), first.attempts, first.last_status),
            ("pending", 1, Some(503)),
            "{}",
            db.backend
        );
        assert!(
            first
                .last_error
                .as_deref()
                .unwrap()
                .contains("OperationOutcome: error transient: database is starting"),
            "{first:?}"
        );
        let row = drain(&engine, &client, id).await;
        assert_eq!(
            (row.status.as_str(), row.attempts, row.last_status),
            ("delivered", 2, Some(200)),
            "{}",
            db.backend
        );
        let got = server.received();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].headers["idempotency-key"],
            got[1].headers["idempotency-key"]
        );
        assert_eq!(resource_counts(&server), [1, 1, 1, 1]);
        let names: Vec<String> = audit_actions(&db)
            .await
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        assert_eq!(names, ["fhir.attempt", "fhir.attempt", "fhir.delivered"]);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_resend_after_a_lost_answer_creates_no_duplicate() {
    for db in TestDb::both().await {
        // The server commits the first transaction, but the answer is lost (a gateway's
        // 504); with one attempt allowed, the message is a dead letter although the server
        // has every resource.
        let server = fhir_server::start(|n| match n {
            0 => Answer::CommitThenFail(504),
            _ => Answer::Process,
        })
        .await;
        let tmp = tempfile::tempdir().unwrap();
        let cfg = fhir_config(tmp.path(), &server.base, 1);
        let (engine, client, id) = report(&db, tmp.path(), cfg).await;
        let dead = drain(&engine, &client, id).await;
        assert_eq!(
            (dead.status.as_str(), dead.last_status),
            ("dead_letter", Some(504)),
            "{}",
            db.backend
        );
        assert!(dead
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("gave up after 1 attempts"));
        let created = server.total();
        assert!(created > 4);
        assert_eq!(resource_counts(&server), [1, 1, 1, 1]);

        // Reprocess: back to pending with the same key; only a dead letter can be.
        assert!(db.store.reprocess_message(id).await.unwrap());
        assert!(!db.store.reprocess_message(id).await.unwrap());
        let again = db.store.fhir_delivery(id).await.unwrap().unwrap();
        assert_eq!((again.status.as_str(), again.attempts), ("pending", 0));
        assert_eq!(again.idempotency_key, dead.idempotency_key);
        let row = drain(&engine, &client, id).await;
        assert_eq!(row.status, "delivered", "{}: {row:?}", db.backend);

        // The resend found every resource: nothing new was created.
        let statuses = entry_statuses(row.response_body.as_deref().unwrap());
        assert!(statuses.iter().all(|s| s == "200 OK"), "{statuses:?}");
        assert_eq!(server.total(), created);
        assert_eq!(resource_counts(&server), [1, 1, 1, 1]);
        let got = server.received();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].headers["idempotency-key"],
            got[1].headers["idempotency-key"]
        );
        assert_eq!(got[0].body, got[1].body, "a resend sends the stored Bundle");
        assert!(
            !db.store.reprocess_message(id).await.unwrap(),
            "delivered stays delivered"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn without_a_destination_the_bundle_is_stored_and_not_sent() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = Config {
            lri_destination: None,
            ..config(tmp.path(), 1)
        };
        db.store.insert_order(&order()).await.unwrap();
        let engine = Engine::new(db.store.clone(), cfg);
        let outcome = process_vcf(&engine, &nb6tk328_for(tmp.path(), "ACC-9")).await;
        let VcfOutcome::Reported { messages, .. } = outcome else {
            panic!("{}: {outcome:?}", db.backend)
        };
        let row = db.store.fhir_delivery(messages[1]).await.unwrap().unwrap();
        assert_eq!(
            (
                row.status.as_str(),
                row.destination.as_str(),
                row.idempotency_key
            ),
            ("stored", "none", None),
            "{}",
            db.backend
        );
        let rule = engine::store::ClaimRule {
            kind: "fhir",
            ordered: false,
            node: "test-node",
        };
        let claimed = db.store.claim_messages(rule, i64::MAX - 1, i64::MAX, 10);
        assert!(claimed.await.unwrap().is_empty(), "nothing is due");
        db.cleanup().await;
    }
}
