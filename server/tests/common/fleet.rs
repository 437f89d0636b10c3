//! The outbox tests' world: `genobridge serve` processes on one database, python-hl7's MLLP
//! server as the EHR (tests/peers/mllp_log_receiver.py), python-hl7's client placing
//! orders, VCFs moved into the watched folder, and `/metrics` read back.

use super::*;
use serde_json::Value;
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

pub const SAMPLE: &str = "NB6TK328";

pub struct Ports {
    pub web: u16,
    pub orders: u16,
    pub ehr: u16,
}

impl Ports {
    pub fn new(ehr: u16) -> Self {
        Ports {
            web: free_port(),
            orders: free_port(),
            ehr,
        }
    }
}

/// A test folder with `runs`, `vcf` and `data`.
pub fn test_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for d in ["runs", "vcf", "data"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    dir
}

/// Writes `{node}.toml`: fast polling, an MLLP destination at `p.ehr` with short
/// backoffs (a 2 s timeout), `lri` lines added to `[lri_destination]`, and `tail` (more
/// tables) at the end.
pub fn write_config(
    root: &Path,
    database_url: &str,
    p: &Ports,
    node: &str,
    lri: &str,
    tail: &str,
) -> PathBuf {
    let config = format!(
        r#"database_url = "{database_url}"
listen = "127.0.0.1:{web}"
site_root = "{site}"
data_dir = "{data}"
order_intake = "127.0.0.1:{orders}"
node = "{node}"
[watch]
runs_dir = "{runs}"
vcf_dir = "{vcf}"
poll_interval_ms = 100
settle_ms = 50
[lri_destination]
host = "127.0.0.1"
port = {ehr}
timeout_ms = 2000
max_attempts = 1000
backoff_ms = 20
max_backoff_ms = 500
poll_interval_ms = 20
{lri}
[selection]
hgnc_table = "{hgnc}"
{tail}
"#,
        web = p.web,
        orders = p.orders,
        ehr = p.ehr,
        site = root.join("site").display(),
        data = root.join("data").display(),
        runs = root.join("runs").display(),
        vcf = root.join("vcf").display(),
        hgnc = manifest_dir().join("../data/hgnc_demo.tsv").display(),
    );
    let path = root.join(format!("{node}.toml"));
    std::fs::write(&path, config).unwrap();
    path
}

/// Starts `genobridge serve` and waits until it has bound everything; its log goes to
/// `serve-{n}.log`.
pub fn start(
    root: &Path,
    config: &Path,
    n: impl std::fmt::Display,
) -> (Proc, mpsc::Receiver<String>) {
    let (proc, out, _) = start_seen(root, config, n);
    (proc, out)
}

/// [`start`], also returning what it printed until then (a first start prints the users'
/// passwords).
pub fn start_seen(
    root: &Path,
    config: &Path,
    n: impl std::fmt::Display,
) -> (Proc, mpsc::Receiver<String>, Vec<String>) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.join(format!("serve-{n}.log")))
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_genobridge"))
        .args(["serve", "--config"])
        .arg(config)
        .env(
            "RUST_LOG",
            std::env::var("GENOBRIDGE_TEST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    let proc = Proc(child);
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        match out.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.starts_with("GenoBridge listening on") => break,
            Ok(line) => seen.push(line),
            Err(e) => panic!(
                "genobridge serve never said it was listening ({e}); its log:\n{}",
                tail(&root.join(format!("serve-{n}.log")))
            ),
        }
    }
    (proc, out, seen)
}

/// One line of the receiver's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub control_id: String,
    pub sha256: String,
    /// ORC-3.1 of the ORU: the order's accession.
    pub accession: String,
}

/// Every message the receiver got, in the order it got them (resends included).
pub fn received_in_order(log: &Path) -> Vec<Received> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut f = line.split('\t');
            Some(Received {
                control_id: f.next()?.to_string(),
                sha256: f.next()?.to_string(),
                accession: f.next().unwrap_or_default().to_string(),
            })
        })
        .collect()
}

/// The receiver's log by MSH-10: the SHA-256 of each copy received.
pub fn received(log: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in received_in_order(log) {
        out.entry(r.control_id).or_default().push(r.sha256);
    }
    out
}

/// One value of `/metrics`, e.g. `genobridge_flow_items{flow="vcf-to-lri",state="delivered"}`.
pub async fn metric(http: &reqwest::Client, web: u16, series: &str) -> Option<f64> {
    let text = http
        .get(format!("http://127.0.0.1:{web}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
}

/// Waits until `/metrics` shows `series` at `want`.
pub async fn until_metric(http: &reqwest::Client, web: u16, series: &str, want: f64, log: &Path) {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = metric(http, web, series).await;
        if got == Some(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{series} is {got:?}, not {want}\n{}",
            tail(log)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts a Python peer (`cmd`, its stdout piped here) that prints `listening PORT`
/// first; returns it and the port.
pub fn start_peer(mut cmd: Command, what: &str) -> (Proc, u16) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let rx = lines(child.stdout.take().unwrap());
    let proc = Proc(child);
    let said = until(&rx, "listening ", what);
    let port = said.last().unwrap()["listening ".len()..].parse().unwrap();
    (proc, port)
}

/// The Python receiver, appending to `root/received.tsv`, on `port` (0: any) and
/// answering AE to the first message of each accession in `refuse` (and to its resends);
/// returns it and its port.
pub fn start_receiver(root: &Path, port: u16, refuse: &[&str]) -> (Proc, u16) {
    let mut cmd = Command::new(python());
    cmd.arg(peer("mllp_log_receiver.py"))
        .arg(root.join("received.tsv"))
        .args(["--lifetime", "900", "--port", &port.to_string()]);
    for r in refuse {
        cmd.args(["--refuse-accession", r]);
    }
    cmd.stderr(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(root.join("receiver.log"))
            .unwrap(),
    );
    start_peer(cmd, "the Python receiver")
}

/// `n` orders, PREFIX-00001 …, placed over MLLP by python-hl7's client, each waiting up
/// to `timeout_s` for its ACK: the client's summary (`aa`, `other`, `no_answer`).
pub fn send_orders(port: u16, prefix: &str, n: usize, timeout_s: u32) -> Value {
    let sent = Command::new(python())
        .arg(peer("send_orders.py"))
        .args(["--port", &port.to_string(), "--prefix", prefix])
        .args(["--count", &n.to_string(), "--sample", SAMPLE])
        .args(["--timeout", &timeout_s.to_string()])
        .output()
        .unwrap();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    serde_json::from_slice(&sent.stdout).unwrap()
}

/// `n` orders, all answered AA.
pub fn place_orders(port: u16, prefix: &str, n: usize) {
    let summary = send_orders(port, prefix, n, 30);
    assert_eq!(summary["aa"], n, "{summary}");
}

/// One VCF per accession PREFIX-00001 … PREFIX-n: see [`drop_vcf`].
pub fn drop_vcfs(root: &Path, prefix: &str, n: usize, suffix: &str) {
    for i in 1..=n {
        drop_vcf(root, &format!("{prefix}-{i:05}"), suffix);
    }
}

/// `ACCESSION_SAMPLE{suffix}.vcf`, made distinct from every other by a header line,
/// written whole and then moved into the watched folder (as a pipeline does).
pub fn drop_vcf(root: &Path, accession: &str, suffix: &str) {
    let fixture = std::fs::read_to_string(fixtures().join("vcf/NB6TK328_filtered.vcf")).unwrap();
    let (first, rest) = fixture.split_once('\n').unwrap();
    std::fs::create_dir_all(root.join("incoming")).unwrap();
    let name = format!("{accession}_{SAMPLE}{suffix}.vcf");
    let staged = root.join("incoming").join(&name);
    std::fs::write(&staged, format!("{first}\n##test_copy={name}\n{rest}")).unwrap();
    std::fs::rename(&staged, root.join("vcf").join(&name)).unwrap();
}

/// A new PostgreSQL database for one test; dropped by `drop_database`.
pub async fn pg_database(tag: &str) -> (sqlx::PgPool, String, String) {
    use sqlx::Executor;
    let admin = std::env::var("GENOBRIDGE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("gb_{tag}_{}", std::process::id());
    let pool = sqlx::PgPool::connect(&admin).await.unwrap();
    pool.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await
        .unwrap();
    pool.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    let url = format!("{base}/{name}");
    (pool, name, url)
}

pub async fn drop_database(pool: sqlx::PgPool, name: &str) {
    use sqlx::Executor;
    let _ = pool
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await;
}

/// The database a test runs on: a SQLite file in `root`, or a new PostgreSQL database.
pub struct TestDatabase {
    pub url: String,
    pg: Option<(sqlx::PgPool, String)>,
}

impl TestDatabase {
    pub async fn new(backend: &str, root: &Path, tag: &str) -> Self {
        if backend == "postgres" {
            let (pool, name, url) = pg_database(tag).await;
            TestDatabase {
                url,
                pg: Some((pool, name)),
            }
        } else {
            TestDatabase {
                url: format!("sqlite://{}", root.join("gb.db").display()),
                pg: None,
            }
        }
    }

    /// One count from the database, e.g. `SELECT COUNT(*) FROM quarantine`.
    pub async fn count(&self, sql: &str) -> i64 {
        if self.pg.is_some() {
            let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
            let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        } else {
            let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
            let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
    }

    pub async fn drop(self) {
        if let Some((pool, name)) = self.pg {
            drop_database(pool, &name).await;
        }
    }
}
