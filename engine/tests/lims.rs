//! LIMS delivery against real HTTP servers on 127.0.0.1 that each test starts (axum on
//! port 0): success, 503 then success, a timeout then success, 4xx dead letter and its
//! reprocess, retries exhausted, and a run folder that becomes queued documents. Every
//! test runs on SQLite and on PostgreSQL.
//!
//! Run-folder mappings read the connector's record tree (`run.flowcell_id`,
//! `samples[].index`…): the tree `genobridge parse` prints and `/sources` lists.

mod common;

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
    Router,
};
use common::{config, fixture, TestDb};
use engine::{
    config::{Config, LimsConfig},
    delivery::lims::LimsClient,
    mapping::Mapping,
    pipeline::{lims, Engine},
    store::{AuditEvent, LimsDeliveryRow},
};
use serde_json::{json, Value};
use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

const RUN: &str = "20231108_LH00188_0028_B22F52TLT3";

/// One request as the stand-in LIMS received it.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: Value,
}

/// What the stand-in answers to its n-th request (0-based): status, body, delay first.
type Script = Arc<dyn Fn(usize) -> (u16, &'static str, u64) + Send + Sync>;

#[derive(Clone)]
struct Lims {
    seen: Arc<Mutex<Vec<Received>>>,
    script: Script,
}

/// A scripted answer whose text starts `retry-after=N ` also carries `Retry-After: N`.
async fn receive(
    State(lims): State<Lims>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, String) {
    let n = {
        let mut seen = lims.seen.lock().unwrap();
        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
        seen.push(Received { headers, body });
        seen.len() - 1
    };
    let (status, text, delay_ms) = (lims.script)(n);
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    let mut answer = HeaderMap::new();
    let text = match text
        .strip_prefix("retry-after=")
        .and_then(|t| t.split_once(' '))
    {
        Some((secs, rest)) => {
            answer.insert("retry-after", secs.parse().unwrap());
            rest
        }
        None => text,
    };
    (
        StatusCode::from_u16(status).unwrap(),
        answer,
        text.to_string(),
    )
}

/// Starts a stand-in LIMS; returns its URL and what it received.
async fn start_lims(
    script: impl Fn(usize) -> (u16, &'static str, u64) + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let lims = Lims {
        seen: Arc::new(Mutex::new(Vec::new())),
        script: Arc::new(script),
    };
    let seen = lims.seen.clone();
    let app = Router::new()
        .route("/api/samples", post(receive))
        .with_state(lims);
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://127.0.0.1:{port}/api/samples"), seen)
}

const PER_SAMPLE: &str = r#"
[[mappings]]
name = "sample-registration"
source = "illumina-run-folder"
per = "samples[]"
sample_id = "samples[].sample_id"
key_extra = ["samples[].lane"]
fields = [
  { to = "externalId", from = "samples[].sample_id" },
  { to = "lane", from = "samples[].lane" },
  { to = "run.flowcell", from = "run.flowcell_id" },
  { to = "run.instrument", from = "run.instrument" },
  { to = "origin", value = "genobridge" },
]
"#;

const PER_RUN: &str = r#"
[[mappings]]
name = "run-summary"
source = "illumina-run-folder"
fields = [
  { to = "flowcell", from = "run.flowcell_id" },
  { to = "samples", from = "samples[].sample_id" },
]
"#;

/// A config whose `[lims]` is `destination` (TOML lines) plus `mappings`.
fn lims_config(root: &Path, destination: &str, mappings: &str) -> Config {
    let text = format!("poll_interval_ms = 10\n{mappings}\n[destination]\n{destination}\n");
    let lims: LimsConfig = toml::from_str(&text).expect("the test's [lims] parses");
    lims.validate().unwrap();
    Config {
        lims: Some(lims),
        ..config(root, 1)
    }
}

/// The fixture run folder's record tree, parsed as `genobridge parse` parses it.
fn run_tree() -> Value {
    engine::formats::Registry::builtin()
        .parse(&fixture(&format!("illumina/{RUN}")), None)
        .unwrap()
        .tree
}

/// Queues the fixture run's documents; every mapping must succeed.
async fn enqueue(engine: &Engine) -> Vec<i64> {
    let done = lims::enqueue_record(engine, "illumina-run-folder", &run_tree()).await;
    assert!(done.failed.is_empty(), "{:?}", done.failed);
    done.ids
}

/// Sends until nothing is pending, waiting out the (tiny) backoffs; at most `passes`.
async fn drain(engine: &Engine, client: &LimsClient, passes: usize) -> Vec<LimsDeliveryRow> {
    for _ in 0..passes {
        lims::deliver_due(engine, client).await;
        let rows = engine.store.list_lims(1_000).await.unwrap();
        if rows.iter().all(|r| r.status != "pending") {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "still pending after {passes} passes: {:?}",
        engine.store.list_lims(1_000).await.unwrap()
    );
}

fn actions(events: &[AuditEvent], action: &str) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e.action == action)
        .map(|e| serde_json::from_str(&e.detail).unwrap())
        .collect()
}

fn key_of(r: &Received) -> String {
    r.headers["idempotency-key"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn each_sample_and_lane_is_posted_once_with_auth_and_its_key() {
    std::env::set_var("GB_TEST_LIMS_TOKEN", "t0ken-for-tests");
    for db in TestDb::both().await {
        let (url, seen) = start_lims(|_| (201, r#"{"id":"L-1"}"#, 0)).await;
        let tmp = tempfile::tempdir().unwrap();
        let cfg = lims_config(
            tmp.path(),
            &format!(
                "url = \"{url}\"\nauth = {{ type = \"bearer\", token_env = \"GB_TEST_LIMS_TOKEN\" }}\nheaders = {{ \"X-Lab-Site\" = \"main\" }}"
            ),
            PER_SAMPLE,
        );
        let engine = Engine::new(db.store.clone(), cfg.clone());
        let client = cfg.lims.as_ref().unwrap().destination.client().unwrap();
        let queued = enqueue(&engine).await;
        assert_eq!(queued.len(), 24 * 8, "{}", db.backend);
        // A restart maps the run again: every key is already queued, nothing is added.
        let again = enqueue(&engine).await;
        assert!(again.is_empty(), "{}", db.backend);

        let rows = drain(&engine, &client, 10).await;
        assert!(rows
            .iter()
            .all(|r| r.status == "delivered" && r.attempts == 1 && r.last_status == Some(201)));
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen.len(),
            24 * 8,
            "{}: each document exactly once",
            db.backend
        );
        let mut keys: Vec<String> = seen.iter().map(key_of).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 24 * 8);
        let first = seen
            .iter()
            .find(|r| r.body["externalId"] == "ACC13169A1" && r.body["lane"] == 1)
            .unwrap();
        assert_eq!(
            first.body,
            json!({ "externalId": "ACC13169A1", "lane": 1, "origin": "genobridge",
                    "run": { "flowcell": "22F52TLT3", "instrument": "LH00188" } })
        );
        assert_eq!(first.headers["authorization"], "Bearer t0ken-for-tests");
        assert_eq!(first.headers["content-type"], "application/json");
        assert_eq!(first.headers["x-lab-site"], "main");
        let row = rows.iter().find(|r| {
            r.sample_id.as_deref() == Some("ACC13169A1") && key_of(first) == r.idempotency_key
        });
        assert!(
            row.is_some(),
            "{}: the key sent is the key stored",
            db.backend
        );
        let events = db.store.audit_for("sample", "ACC13169A1").await.unwrap();
        assert_eq!(actions(&events, "lims.enqueued").len(), 8);
        assert_eq!(actions(&events, "lims.attempt").len(), 8);
        assert_eq!(actions(&events, "lims.delivered").len(), 8);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_503_then_success_is_retried_with_the_same_key() {
    std::env::set_var("GB_TEST_LIMS_PASSWORD", "pa55");
    for db in TestDb::both().await {
        let (url, seen) = start_lims(|n| {
            if n < 2 {
                (503, "busy", 0)
            } else {
                (200, "{}", 0)
            }
        })
        .await;
        let tmp = tempfile::tempdir().unwrap();
        let cfg = lims_config(
            tmp.path(),
            &format!("url = \"{url}\"\nauth = {{ type = \"basic\", username = \"gb\", password_env = \"GB_TEST_LIMS_PASSWORD\" }}\nbackoff_base_ms = 1\nbackoff_max_ms = 5"),
            PER_RUN,
        );
        let engine = Engine::new(db.store.clone(), cfg.clone());
        let client = cfg.lims.as_ref().unwrap().destination.client().unwrap();
        enqueue(&engine).await;
        let rows = drain(&engine, &client, 50).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (
                rows[0].status.as_str(),
                rows[0].attempts,
                rows[0].last_status
            ),
            ("delivered", 3, Some(200))
        );
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3, "{}", db.backend);
        assert!(
            seen.iter().all(|r| key_of(r) == rows[0].idempotency_key),
            "{}: one key for every attempt",
            db.backend
        );
        assert!(seen.iter().all(|r| r.body == seen[0].body));
        assert_eq!(seen[0].body["flowcell"], "22F52TLT3");
        // base64("gb:pa55")
        assert_eq!(seen[0].headers["authorization"], "Basic Z2I6cGE1NQ==");
        let events = db.store.audit_for("run", RUN).await.unwrap();
        let attempts = actions(&events, "lims.attempt");
        let summary: Vec<(Value, Value, Value)> = attempts
            .iter()
            .map(|d| {
                (
                    d["attempt"].clone(),
                    d["http_status"].clone(),
                    d["outcome"].clone(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (json!(1), json!(503), json!("pending")),
                (json!(2), json!(503), json!("pending")),
                (json!(3), json!(200), json!("delivered")),
            ],
            "{}",
            db.backend
        );
        assert!(attempts
            .iter()
            .all(|d| d["idempotency_key"] == json!(rows[0].idempotency_key)));
        assert_eq!(
            attempts[0]["host"],
            json!(url.trim_start_matches("http://").split('/').next().unwrap())
        );
        assert_eq!(actions(&events, "lims.delivered").len(), 1);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_timeout_is_retried_with_the_same_key() {
    for db in TestDb::both().await {
        // The first answer comes long after the client's 1 s limit (generous, so a loaded
        // machine does not time out the second request too).
        let (url, seen) = start_lims(|n| {
            if n == 0 {
                (200, "{}", 5_000)
            } else {
                (201, "{}", 0)
            }
        })
        .await;
        let tmp = tempfile::tempdir().unwrap();
        let cfg = lims_config(
            tmp.path(),
            &format!("url = \"{url}\"\ntimeout_ms = 1000\nbackoff_base_ms = 1\nbackoff_max_ms = 5"),
            PER_RUN,
        );
        let engine = Engine::new(db.store.clone(), cfg.clone());
        let client = cfg.lims.as_ref().unwrap().destination.client().unwrap();
        enqueue(&engine).await;
        let rows = drain(&engine, &client, 50).await;
        assert_eq!(
            (rows[0].status.as_str(), rows[0].attempts),
            ("delivered", 2),
            "{}",
            db.backend
        );
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2);
        assert_eq!(key_of(&seen[0]), key_of(&seen[1]));
        let events = db.store.audit_for("run", RUN).await.unwrap();
        let attempts = actions(&events, "lims.attempt");
        assert_eq!(attempts[0]["error"], "no answer within 1000 ms");
        assert_eq!(attempts[0]["http_status"], Value::Null);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_422_is_dead_lettered_at_once_with_its_body_then_reprocessed() {
    const REFUSAL: &str = r#"{"error":"unknown flowcell","field":"flowcell"}"#;
    for db in TestDb::both().await {
        let (url, seen) = start_lims(|n| {
            if n == 0 {
                (422, REFUSAL, 0)
            } else {
                (201, "{}", 0)
            }
        })
        .await;
        let tmp = tempfile::tempdir().unwrap();
        let cfg = lims_config(
            tmp.path(),
            &format!("url = \"{url}\"\nbackoff_base_ms = 1"),
            PER_RUN,
        );
        let engine = Engine::new(db.store.clone(), cfg.clone());
        let client = cfg.lims.as_ref().unwrap().destination.client().unwrap();
        let ids = enqueue(&engine).await;
        let rows = drain(&engine, &client, 5).await;
        let row = &rows[0];
        assert_eq!(
            (row.status.as_str(), row.attempts, row.last_status),
            ("dead_letter", 1, Some(422)),
            "{}",
            db.backend
        );
        assert_eq!(row.response_body.as_deref(), Some(REFUSAL));
        assert_eq!(
            row.last_error.as_deref(),
            Some("HTTP 422 Unprocessable Entity: refused by the LIMS; not retried")
        );
        // Nothing is due any more: more passes send nothing.
        assert_eq!(lims::deliver_due(&engine, &client).await, 0);
        assert_eq!(
            seen.lock().unwrap().len(),
            1,
            "{}: a 4xx is not retried",
            db.backend
        );
        let events = db.store.audit_for("run", RUN).await.unwrap();
        let dead = actions(&events, "lims.dead_letter");
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0]["http_status"], 422);
        assert!(
            events
                .iter()
                .all(|e| !e.detail.contains("unknown flowcell")),
            "{}: the LIMS's body stays out of the audit log",
            db.backend
        );

        // An operator reprocesses it: pending again, sent again under the same key.
        assert!(db.store.reprocess_lims(ids[0]).await.unwrap());
        let rows = drain(&engine, &client, 5).await;
        assert_eq!(
            (rows[0].status.as_str(), rows[0].attempts),
            ("delivered", 1)
        );
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2);
        assert_eq!(key_of(&seen[0]), key_of(&seen[1]));
        // Only a dead letter can be reprocessed.
        assert!(!db.store.reprocess_lims(ids[0]).await.unwrap());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn retries_run_out_into_the_dead_letter_queue() {
    for db in TestDb::both().await {
        let big: &'static str = Box::leak("x".repeat(10_000).into_boxed_str());
        let (url, seen) = start_lims(move |_| (500, big, 0)).await;
        // A port that was free a moment ago: nothing listens there.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        // Two destination names, so the same run document gets two keys.
        for (name, target, expect_error) in [
            (
                "busy-lims",
                url.clone(),
                "gave up after 3 attempts: HTTP 500 Internal Server Error",
            ),
            (
                "gone-lims",
                format!("http://127.0.0.1:{closed}/api/samples"),
                "gave up after 3 attempts: cannot connect",
            ),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let cfg = lims_config(
                tmp.path(),
                &format!("name = \"{name}\"\nurl = \"{target}\"\nmax_attempts = 3\nbackoff_base_ms = 1\nbackoff_max_ms = 2"),
                PER_RUN,
            );
            let engine = Engine::new(db.store.clone(), cfg.clone());
            let client = cfg.lims.as_ref().unwrap().destination.client().unwrap();
            let ids = enqueue(&engine).await;
            drain(&engine, &client, 50).await;
            let row = db.store.lims_delivery(ids[0]).await.unwrap().unwrap();
            assert_eq!(
                (row.status.as_str(), row.attempts, row.destination.as_str()),
                ("dead_letter", 3, name),
                "{}",
                db.backend
            );
            let error = row.last_error.unwrap();
            assert!(error.starts_with(expect_error), "{}: {error}", db.backend);
            if name == "busy-lims" {
                // The 10 kB answer is kept, cut to 4 KiB.
                let body = row.response_body.unwrap();
                assert!(
                    body.starts_with("xxxx") && body.ends_with("(truncated)") && body.len() < 4_200,
                    "{} bytes",
                    body.len()
                );
            } else {
                assert_eq!((row.last_status, row.response_body), (None, None));
            }
        }
        assert_eq!(seen.lock().unwrap().len(), 3, "{}", db.backend);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_completed_run_folder_queues_its_documents_and_a_bad_mapping_quarantines_it() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = lims_config(tmp.path(), "url = \"http://127.0.0.1:9/none\"", PER_SAMPLE);
        std::fs::create_dir_all(&cfg.watch.runs_dir).unwrap();
        copy_dir(
            &fixture(&format!("illumina/{RUN}")),
            &cfg.watch.runs_dir.join(RUN),
        );
        let engine = Engine::new(db.store.clone(), cfg.clone());
        engine.scan_once(&mut Default::default()).await;
        let rows = db.store.list_lims(1_000).await.unwrap();
        assert_eq!(rows.len(), 24 * 8, "{}", db.backend);
        assert!(rows.iter().all(|r| r.status == "pending"
            && r.run_id == RUN
            && r.source_kind == "illumina-run-folder"));
        db.cleanup().await;
    }
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        // The per-sample mapping reads `flowcell`, the stored run's own shape, which the
        // connector's tree does not have; the run mapping is fine.
        let bad = PER_SAMPLE.replace("from = \"run.flowcell_id\"", "from = \"flowcell\"") + PER_RUN;
        let cfg = lims_config(tmp.path(), "url = \"http://127.0.0.1:9/none\"", &bad);
        std::fs::create_dir_all(&cfg.watch.runs_dir).unwrap();
        copy_dir(
            &fixture(&format!("illumina/{RUN}")),
            &cfg.watch.runs_dir.join(RUN),
        );
        let engine = Engine::new(db.store.clone(), cfg.clone());
        engine.scan_once(&mut Default::default()).await;
        assert_eq!(
            db.store.list_runs().await.unwrap().len(),
            1,
            "the run itself is recorded"
        );
        let queued = db.store.list_lims(10).await.unwrap();
        let mappings: Vec<&str> = queued.iter().map(|r| r.mapping.as_str()).collect();
        assert_eq!(
            mappings,
            vec!["run-summary"],
            "{}: a failing mapping does not stop the others",
            db.backend
        );
        let q = db.store.list_quarantine().await.unwrap();
        assert_eq!(q.len(), 1, "{}", db.backend);
        assert_eq!(q[0].kind, "lims-mapping");
        assert!(q[0].source.ends_with(RUN));
        assert_eq!(
            q[0].reason,
            "mapping \"sample-registration\", field \"run.flowcell\" (source flowcell): required value is missing"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_restart_queues_a_recorded_run_that_has_no_documents_yet() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = lims_config(tmp.path(), "url = \"http://127.0.0.1:9/none\"", PER_RUN);
        std::fs::create_dir_all(&cfg.watch.runs_dir).unwrap();
        let folder = cfg.watch.runs_dir.join(RUN);
        copy_dir(&fixture(&format!("illumina/{RUN}")), &folder);
        // A crash right after the run was recorded, before its documents were queued.
        let run = engine::formats::illumina::read_run_folder(&folder).unwrap();
        db.store
            .insert_run(&run, &folder.display().to_string())
            .await
            .unwrap()
            .unwrap();
        let engine = Engine::new(db.store.clone(), cfg.clone());
        engine.scan_once(&mut Default::default()).await;
        assert_eq!(
            db.store.list_lims(10).await.unwrap().len(),
            1,
            "{}",
            db.backend
        );
        // Another restart, now with a second mapping: the run has documents, so nothing new.
        let two = format!(
            "{PER_RUN}{}",
            PER_RUN.replace("run-summary", "run-summary-2")
        );
        let cfg2 = lims_config(tmp.path(), "url = \"http://127.0.0.1:9/none\"", &two);
        Engine::new(db.store.clone(), cfg2)
            .scan_once(&mut Default::default())
            .await;
        assert_eq!(
            db.store.list_lims(10).await.unwrap().len(),
            1,
            "{}",
            db.backend
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_restart_maps_the_tree_recorded_with_the_run() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = lims_config(tmp.path(), "url = \"http://127.0.0.1:9/none\"", PER_SAMPLE);
        std::fs::create_dir_all(&cfg.watch.runs_dir).unwrap();
        let folder = cfg.watch.runs_dir.join(RUN);
        copy_dir(&fixture(&format!("illumina/{RUN}")), &folder);
        // Recorded (with the connector's tree), then a crash before queueing; the sample
        // sheet leaves the folder before the restart.
        let run = engine::formats::illumina::read_run_folder(&folder).unwrap();
        db.store
            .insert_run(&run, &folder.display().to_string())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            db.store.run_tree(RUN).await.unwrap(),
            Some(run_tree()),
            "{}: the run keeps the tree `genobridge parse` prints",
            db.backend
        );
        std::fs::remove_file(folder.join("SampleSheet.csv")).unwrap();
        Engine::new(db.store.clone(), cfg.clone())
            .scan_once(&mut Default::default())
            .await;
        assert_eq!(
            db.store.list_lims(1_000).await.unwrap().len(),
            24 * 8,
            "{}: the documents of the run as it was recorded",
            db.backend
        );
        db.cleanup().await;
    }
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = lims_config(tmp.path(), "url = \"http://127.0.0.1:9/none\"", PER_SAMPLE);
        std::fs::create_dir_all(&cfg.watch.runs_dir).unwrap();
        let folder = cfg.watch.runs_dir.join(RUN);
        copy_dir(&fixture(&format!("illumina/{RUN}")), &folder);
        // A run recorded before runs kept their tree: its folder is mapped as read now,
        // through the connector, never from the stored run's own shape.
        let mut run = engine::formats::illumina::read_run_folder(&folder).unwrap();
        run.record = Value::Null;
        db.store
            .insert_run(&run, &folder.display().to_string())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(db.store.run_tree(RUN).await.unwrap(), None);
        Engine::new(db.store.clone(), cfg.clone())
            .scan_once(&mut Default::default())
            .await;
        assert_eq!(
            db.store.list_lims(1_000).await.unwrap().len(),
            24 * 8,
            "{}",
            db.backend
        );
        assert!(db.store.list_quarantine().await.unwrap().is_empty());
        db.cleanup().await;
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// The repository's configuration sends to a LIMS with no mapping of its own: the shipped
/// `illumina-run-to-lims`, active on a new database, builds one document per sample and lane.
#[test]
fn the_repository_config_and_the_shipped_mapping_build_per_sample_documents() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../genobridge.toml");
    let cfg = Config::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap();
    let lims = cfg.lims.expect("genobridge.toml configures [lims]");
    assert!(cfg.demo.lims_listener);
    assert!(
        lims.mappings.is_empty(),
        "mappings live in the store, not the configuration"
    );
    let shipped = Mapping::default_named("illumina-run-to-lims").unwrap();
    let docs = shipped.apply(&run_tree()).unwrap();
    assert_eq!(docs.len(), 24 * 8);
    assert_eq!(docs[0].run_id, RUN);
    assert_eq!(docs[0].body["sample"]["external_id"], "ACC13169A1");
    assert_eq!(docs[0].body["sample"]["index"], "CACGAGCG");
    assert_eq!(docs[0].body["sample"]["index2"], "ATCTGCCA");
    assert_eq!(docs[0].body["run"]["id"], RUN);
    assert_eq!(docs[0].body["run"]["flowcell"], "22F52TLT3");
    assert_eq!(docs[0].body["run"]["instrument"], "LH00188");
    assert_eq!(docs[0].body["run"]["platform"], "NovaSeq X");
    assert!(lims.destination.client().is_ok());
}

/// The `[[lims.mappings]]` example of the README's "LIMS delivery" section.
fn readme_mappings() -> Vec<Mapping> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let section = &readme[readme
        .find("## LIMS delivery")
        .expect("the README has the section")..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let block = &section[start..start + section[start..].find("```").unwrap()];
    let doc: toml::Value = toml::from_str(block).expect("the README's example parses");
    doc["lims"]["mappings"].clone().try_into().unwrap()
}

#[test]
fn the_readme_example_maps_the_run_folder() {
    let mappings = readme_mappings();
    assert_eq!(mappings.len(), 1);
    let docs = mappings[0]
        .apply(&run_tree())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(docs.len(), 24 * 8);
    assert_eq!(docs[0].run_id, RUN);
    assert_eq!(
        docs[0].body,
        json!({
            "sample": { "external_id": "ACC13169A1", "lane": "1", "index": "CACGAGCG",
                        "index2": "ATCTGCCA", "project": "unassigned" },
            "run": { "flowcell": "22F52TLT3", "platform": "NovaSeq X",
                     "read_cycles": [151, 10, 10, 151] },
            "meta": { "source.system": "genobridge" },
        })
    );
}

/// Every path `genobridge parse --schema` lists for the NovaSeq X run folder works as a
/// mapping's `from`: a mapping that reads them all applies to the run's tree, and to the
/// run the watcher records, and its documents carry the run's real values.
#[tokio::test]
async fn every_path_the_run_folder_schema_lists_reads_in_a_mapping() {
    let tree = run_tree();
    let schema = engine::formats::record::schema(&tree);
    for p in [
        "run.run_id",
        "run.flowcell_id",
        "run.instrument",
        "run.platform",
        "run.reads[].cycles",
        "parameters.instrument_type",
        "completion.state",
        "samples[].sample_id",
        "samples[].lane",
        "samples[].index",
        "samples[].index2",
    ] {
        assert!(schema.iter().any(|f| f.path == p), "the schema lists {p}");
    }
    // One field per path, written under the path itself (a JSON Pointer key); a path the
    // schema types `null` has no value in this run, so it may be absent.
    let fields: Vec<Value> = schema
        .iter()
        .map(|f| {
            json!({
                "to": format!("/{}", f.path.replace('~', "~0").replace('/', "~1")),
                "from": f.path,
                "optional": f.ty == "null",
            })
        })
        .collect();
    let mapping: Mapping = serde_json::from_value(json!({
        "name": "every-path",
        "source": "illumina-run-folder",
        "per": "samples[]",
        "sample_id": "samples[].sample_id",
        "key_extra": ["samples[].lane"],
        "fields": fields,
    }))
    .unwrap();
    mapping.validate().unwrap_or_else(|e| panic!("{e}"));
    let docs = mapping.apply(&tree).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(docs.len(), 24 * 8);
    let first = &docs[0];
    assert_eq!(first.run_id, RUN, "run_id defaults to run.run_id");
    assert_eq!(first.body["run.run_id"], RUN);
    assert_eq!(first.body["run.flowcell_id"], "22F52TLT3");
    assert_eq!(first.body["run.instrument"], "LH00188");
    assert_eq!(first.body["run.platform"], "NovaSeq X");
    assert_eq!(first.body["samples[].sample_id"], "ACC13169A1");
    assert_eq!(first.body["samples[].lane"], 1);
    assert_eq!(first.body["samples[].index"], "CACGAGCG");
    assert_eq!(first.body["samples[].index2"], "ATCTGCCA");
    assert_eq!(first.body["run.reads[].cycles"], json!([151, 10, 10, 151]));
    for f in schema.iter().filter(|f| f.ty != "null") {
        assert!(
            docs.iter().all(|d| d.body.get(&f.path).is_some()),
            "{} ({}) reaches every document",
            f.path,
            f.ty
        );
    }

    // The watcher maps a completed run folder from the same tree.
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let mut cfg = lims_config(tmp.path(), "url = \"http://127.0.0.1:9/none\"", PER_RUN);
        cfg.lims.as_mut().unwrap().mappings = vec![mapping.clone()];
        std::fs::create_dir_all(&cfg.watch.runs_dir).unwrap();
        copy_dir(
            &fixture(&format!("illumina/{RUN}")),
            &cfg.watch.runs_dir.join(RUN),
        );
        Engine::new(db.store.clone(), cfg.clone())
            .scan_once(&mut Default::default())
            .await;
        assert!(
            db.store.list_quarantine().await.unwrap().is_empty(),
            "{}",
            db.backend
        );
        let rows = db.store.list_lims(1_000).await.unwrap();
        assert_eq!(rows.len(), 24 * 8, "{}", db.backend);
        let row = rows
            .iter()
            .find(|r| r.sample_id.as_deref() == Some("ACC13169A1"))
            .unwrap();
        assert_eq!(row.run_id, RUN);
        let now = engine::store::now_ms();
        let claimed = db
            .store
            .claim_lims(row.id, "test-node", now, now + 60_000)
            .await
            .unwrap()
            .unwrap();
        let body: Value = serde_json::from_str(&claimed.document).unwrap();
        assert_eq!(body["run.flowcell_id"], "22F52TLT3", "{}", db.backend);
        assert_eq!(body["samples[].sample_id"], "ACC13169A1");
        db.cleanup().await;
    }
}

#[test]
fn a_tree_without_the_run_id_path_is_a_clear_error() {
    // run_id defaults to run.run_id, which a QC export's tree does not have.
    let text = PER_WELL.replace("run_id = \"experiment.experiment_name\"\n", "");
    let lims: LimsConfig = toml::from_str(&format!(
        "{text}\n[destination]\nurl = \"http://127.0.0.1:9/none\"\n"
    ))
    .unwrap();
    let tree = engine::formats::Registry::builtin()
        .parse(
            &fixture("qc/quantstudio/appbio_quantstudio_example01.txt"),
            None,
        )
        .unwrap()
        .tree;
    let err = lims.mappings[0].apply(&tree).unwrap_err();
    assert_eq!(
        err.to_string(),
        "mapping \"qpcr-ct\", field \"run_id\" (source run.run_id): required identifier is missing"
    );
}

const PER_WELL: &str = r#"
[[mappings]]
name = "qpcr-ct"
source = "quantstudio"
per = "wells[]"
run_id = "experiment.experiment_name"
sample_id = "wells[].sample_name"
key_extra = ["wells[].well"]
fields = [
  { to = "sample", from = "wells[].sample_name" },
  { to = "well", from = "wells[].well_position" },
  { to = "ct", from = "wells[].ct", optional = true },
  { to = "instrument", from = "experiment.instrument_type" },
]
"#;

#[tokio::test]
async fn a_qc_export_is_mapped_per_well_and_posted() {
    for db in TestDb::both().await {
        let (url, seen) = start_lims(|_| (201, "{}", 0)).await;
        let tmp = tempfile::tempdir().unwrap();
        let cfg = lims_config(tmp.path(), &format!("url = \"{url}\""), PER_WELL);
        let engine = Engine::new(db.store.clone(), cfg.clone());
        let registry = engine::formats::connector::Registry::qc(&cfg.connectors.delimited);
        let export = fixture("qc/quantstudio/appbio_quantstudio_example01.txt");
        let outcome = engine::pipeline::process_qc_file(&engine, &registry, &export).await;
        assert!(
            matches!(outcome, engine::pipeline::QcOutcome::Recorded { .. }),
            "{}: {outcome:?}",
            db.backend
        );
        let queued = db.store.list_lims(100).await.unwrap();
        assert_eq!(queued.len(), 16, "{}: one document per well", db.backend);
        assert!(queued
            .iter()
            .all(|r| r.source_kind == "quantstudio" && r.run_id == "trial 1"));
        let client = cfg.lims.as_ref().unwrap().destination.client().unwrap();
        let rows = drain(&engine, &client, 10).await;
        assert!(rows.iter().all(|r| r.status == "delivered"), "{rows:?}");
        let got = seen.lock().unwrap().clone();
        let a1 = got
            .iter()
            .find(|r| r.body["well"] == "A1")
            .expect("well A1 was posted");
        assert_eq!(a1.body["ct"], 18.717);
        assert_eq!(a1.body["sample"], "1SAMPLE_1.1");
        assert_eq!(a1.body["instrument"], "ViiA 7");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_retry_after_from_the_lims_outweighs_a_shorter_backoff() {
    let db = TestDb::sqlite().await;
    // Busy: come back in an hour. The configured backoff is 10 ms.
    let (url, seen) = start_lims(|_| (503, "retry-after=3600 busy", 0)).await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = lims_config(
        tmp.path(),
        &format!("url = \"{url}\"\nmax_attempts = 3\nbackoff_base_ms = 10\nbackoff_max_ms = 20"),
        PER_RUN,
    );
    let engine = Engine::new(db.store.clone(), cfg.clone());
    assert_eq!(enqueue(&engine).await.len(), 1);
    let client = cfg.lims.as_ref().unwrap().destination.client().unwrap();
    lims::deliver_due(&engine, &client).await;
    assert_eq!(seen.lock().unwrap().len(), 1);
    // Well past the 20 ms backoff: a pass finds nothing due, because the LIMS asked for more.
    tokio::time::sleep(Duration::from_millis(200)).await;
    lims::deliver_due(&engine, &client).await;
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "retried before the LIMS's Retry-After"
    );
    let row = &db.store.list_lims(10).await.unwrap()[0];
    assert_eq!(
        (row.status.as_str(), row.attempts, row.last_status),
        ("pending", 1, Some(503))
    );
}

/// Only approved versions run: with no mappings given to the engine, the active stored
/// version (the shipped `illumina-run-to-lims` on a new database) builds the documents,
/// and each delivery names it by hash; a mapping from the configuration file is kept as a
/// draft and builds nothing until it is approved and activated.
#[tokio::test]
async fn the_active_stored_version_runs_and_a_configured_mapping_waits_for_approval() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = lims_config(tmp.path(), "url = \"http://127.0.0.1:9/x\"", "");
        let engine = Engine::new(db.store.clone(), cfg);
        let queued = enqueue(&engine).await;
        assert_eq!(queued.len(), 24 * 8, "{}", db.backend);
        let default = engine::mapping::Mapping::default_named("illumina-run-to-lims").unwrap();
        let rows = db.store.list_lims(1_000).await.unwrap();
        assert!(rows
            .iter()
            .all(|r| r.mapping == "illumina-run-to-lims" && r.mapping_sha256 == default.sha256()));

        let configured: LimsConfig = toml::from_str(&format!(
            "{PER_RUN}\n[destination]\nurl = \"http://127.0.0.1:9/x\"\n"
        ))
        .unwrap();
        let v = db
            .store
            .adopt_configured_mapping(&configured.mappings[0])
            .await
            .unwrap();
        assert_eq!(v.state.as_str(), "draft", "{}", db.backend);
        assert_eq!(v.author, "configuration");
        // Adopting the same body again finds the same version.
        let again = db
            .store
            .adopt_configured_mapping(&configured.mappings[0])
            .await
            .unwrap();
        assert_eq!(again.id, v.id);
        // A second run: the draft builds nothing.
        let mut tree = run_tree();
        tree["run"]["run_id"] = "SECOND_RUN".into();
        let done = lims::enqueue_record(&engine, "illumina-run-folder", &tree).await;
        assert_eq!(done.ids.len(), 24 * 8);
        let rows = db.store.list_lims(1_000).await.unwrap();
        assert!(
            rows.iter().all(|r| r.mapping != "run-summary"),
            "{}",
            db.backend
        );
        db.cleanup().await;
    }
}

const RUN_NOTICE: &str = r#"
[[mappings]]
name = "run-notice"
source = "illumina-run-folder"
fields = [{ to = "flowcell", from = "run.flowcell_id" }]
"#;

/// Two documents for one run; the LIMS refuses the first. With `ordered`, the second waits
/// behind the dead letter and both go, in order, once it is reprocessed; without, the
/// second goes at once.
#[tokio::test]
async fn an_ordered_lims_holds_a_runs_later_document_behind_its_dead_letter() {
    for ordered in [true, false] {
        for db in TestDb::both().await {
            let (url, seen) = start_lims(|n| {
                if n == 0 {
                    (422, "{}", 0)
                } else {
                    (201, "{}", 0)
                }
            })
            .await;
            let tmp = tempfile::tempdir().unwrap();
            let cfg = lims_config(
                tmp.path(),
                &format!("url = \"{url}\"\nbackoff_base_ms = 1\nordered = {ordered}"),
                &format!("{PER_RUN}{RUN_NOTICE}"),
            );
            let engine = Engine::new(db.store.clone(), cfg.clone());
            let client = cfg.lims.as_ref().unwrap().destination.client().unwrap();
            let ids = enqueue(&engine).await;
            assert_eq!(ids.len(), 2);
            for _ in 0..3 {
                lims::deliver_due(&engine, &client).await;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let rows = db.store.list_lims(10).await.unwrap();
            let status = |id: i64| {
                rows.iter()
                    .find(|r| r.id == id)
                    .map(|r| r.status.clone())
                    .unwrap()
            };
            let want = if ordered { "pending" } else { "delivered" };
            assert_eq!(status(ids[0]), "dead_letter", "{}", db.backend);
            assert_eq!(status(ids[1]), want, "{} ordered={ordered}", db.backend);
            assert_eq!(seen.lock().unwrap().len(), if ordered { 1 } else { 2 });
            if ordered {
                assert!(db.store.reprocess_lims(ids[0]).await.unwrap());
                let rows = drain(&engine, &client, 5).await;
                assert!(rows.iter().all(|r| r.status == "delivered"), "{rows:?}");
                let seen = seen.lock().unwrap().clone();
                assert_eq!(seen.len(), 3);
                // The refused document went again first, then the one it held.
                assert_eq!(key_of(&seen[1]), key_of(&seen[0]));
                assert_ne!(key_of(&seen[2]), key_of(&seen[0]));
            }
            db.cleanup().await;
        }
    }
}
