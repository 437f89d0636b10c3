//! Shared test helpers: fixture paths, and a fresh store on each back end.
#![allow(dead_code)]

use engine::store::Store;
use std::path::PathBuf;

pub mod fhir_server;

pub fn fixtures() -> PathBuf {
    std::env::var_os("GENOBRIDGE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures"))
}

pub fn fixture(rel: &str) -> PathBuf {
    let p = fixtures().join(rel);
    assert!(p.exists(), "fixture {} is missing", p.display());
    p
}

pub fn postgres_admin_url() -> String {
    std::env::var("GENOBRIDGE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A store on a fresh database; drop the returned guard's database with `cleanup`.
pub struct TestDb {
    pub store: Store,
    pub backend: &'static str,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("gb.db").display());
        TestDb {
            store: Store::open(&url).await.unwrap(),
            backend: "sqlite",
            pg_name: None,
            _dir: Some(dir),
        }
    }

    /// A new database on the machine's PostgreSQL. Fails (never skips) when it is down:
    /// the PostgreSQL tests are part of the suite.
    pub async fn postgres() -> TestDb {
        use sqlx::Executor;
        let admin = postgres_admin_url();
        let name = format!("gb_test_{}", uuid::Uuid::new_v4().simple());
        let pool = sqlx::PgPool::connect(&admin)
            .await
            .expect("PostgreSQL at GENOBRIDGE_TEST_POSTGRES must be reachable");
        pool.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        pool.close().await;
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        let store = Store::open(&format!("{base}/{name}")).await.unwrap();
        TestDb {
            store,
            backend: "postgres",
            pg_name: Some(name),
            _dir: None,
        }
    }

    pub async fn both() -> Vec<TestDb> {
        vec![TestDb::sqlite().await, TestDb::postgres().await]
    }

    pub async fn url(&self) -> Option<String> {
        self.pg_name.as_ref().map(|n| {
            let admin = postgres_admin_url();
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin);
            format!("{base}/{n}")
        })
    }

    pub async fn cleanup(self) {
        use sqlx::Executor;
        if let Some(name) = &self.pg_name {
            if let engine::store::Db::Postgres(p) = self.store.db() {
                p.close().await;
            }
            if let Ok(pool) = sqlx::PgPool::connect(&postgres_admin_url()).await {
                let _ = pool
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await;
            }
        }
    }
}

use engine::{
    config::{Config, DemoConfig, WatchConfig},
    delivery::{ack, mllp, MllpDestination},
    report::Selection,
};
use std::{
    path::Path,
    sync::{Arc, Mutex},
};

/// An EHR stand-in on 127.0.0.1 that answers with `code` and keeps what it received.
pub async fn ehr(code: &'static str) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = seen.clone();
    tokio::spawn(mllp::serve(listener, move |msg| {
        keep.lock().unwrap().push(msg.clone());
        let text = if code == "AA" {
            ""
        } else {
            "PID-3 unknown patient"
        };
        Box::pin(async move { ack::build_ack(&msg, code, text, "EHRACK") })
    }));
    (port, seen)
}

pub fn config(root: &Path, port: u16) -> Config {
    Config {
        database_url: String::new(),
        listen: "127.0.0.1:0".into(),
        site_root: root.join("site"),
        data_dir: root.join("data"),
        watch: WatchConfig {
            runs_dir: root.join("runs"),
            vcf_dir: root.join("vcf"),
            poll_interval_ms: 50,
            settle_ms: 0,
            vcf_accession_pattern: "^(?P<accession>[^_.]+)_".into(),
            qc_dir: Some(root.join("qc")),
            completion: engine::config::default_completion(),
        },
        lri_destination: Some(MllpDestination {
            host: "127.0.0.1".into(),
            port,
            timeout_ms: 2000,
            max_attempts: 2,
            backoff_ms: 10,
            max_backoff_ms: 40,
            ordered: true,
            poll_interval_ms: 10,
        }),
        fhir_destination: None,
        order_intake: None,
        selection: Selection::default(),
        lims: None,
        demo: DemoConfig::default(),
        connectors: Default::default(),
        node: "test-node".into(),
        alerts: None,
        retention: None,
        audit: Default::default(),
    }
}

/// Runs the outbox's delivery loops of every destination `engine`'s configuration names,
/// until the test ends.
#[allow(dead_code)]
pub fn start_outbox(engine: &engine::pipeline::Engine) {
    use engine::pipeline::outbox;
    for q in outbox::MessageQueue::configured(&engine.config) {
        tokio::spawn(outbox::run_forever(
            engine.clone(),
            q,
            std::future::pending(),
        ));
    }
}

/// The annotated fixture VCF as the pipeline would name it for an order:
/// `<accession>_NB6TK328.vcf`, copied into `dir`.
#[allow(dead_code)]
pub fn nb6tk328_for(dir: &Path, accession: &str) -> PathBuf {
    let to = dir.join(format!("{accession}_NB6TK328.vcf"));
    std::fs::copy(fixture("vcf/NB6TK328_filtered.vcf"), &to).unwrap();
    to
}

/// A synthetic order (no real person) for sample NB6TK328 under `accession`.
#[allow(dead_code)]
pub fn synthetic_order(accession: &str) -> engine::store::Order {
    engine::store::Order {
        accession: accession.into(),
        sample_id: "NB6TK328".into(),
        placer_number: format!("PL-{accession}"),
        filler_number: format!("FI-{accession}"),
        patient_mrn: "SYN-77".into(),
        patient_family: "Synthetic".into(),
        patient_given: "Alex".into(),
        birth_date: "1980-02-03".into(),
        sex: "U".into(),
        test_code: "P".into(),
        test_name: "Panel".into(),
        specimen_type: "Blood".into(),
        ..engine::store::Order::default()
    }
}
