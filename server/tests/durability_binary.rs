//! Nothing lost when the engine is killed: the real `genobridge serve` takes orders from a
//! Python EHR (python-hl7's MLLP client), reports a folder of VCFs, and delivers their
//! ORU^R01s to a Python receiver (python-hl7's asyncio MLLP server, tests/peers/
//! mllp_log_receiver.py), while the test kills it with SIGKILL at random moments and
//! starts it again. Then every report's ORU has reached the receiver, and every message the
//! receiver saw more than once carries the same MSH-10 and the same bytes each time.
//! On SQLite and on PostgreSQL; 127.0.0.1 only; every wait bounded, none on speed.
//!
//! `GENOBRIDGE_KILL_MESSAGES` (default 2000) and `GENOBRIDGE_KILL_SEED` make a run smaller
//! or repeat one.

mod common;

use common::*;
use std::{
    collections::BTreeMap,
    path::Path,
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

const SAMPLE: &str = "NB6TK328";
const KILLS: usize = 5;

/// A small deterministic generator, so a failing run can be repeated with its seed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn messages() -> usize {
    std::env::var("GENOBRIDGE_KILL_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn seed() -> u64 {
    std::env::var("GENOBRIDGE_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

struct Ports {
    web: u16,
    orders: u16,
    ehr: u16,
}

fn write_config(root: &Path, database_url: &str, p: &Ports, node: &str) -> std::path::PathBuf {
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
[selection]
hgnc_table = "{hgnc}"
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
fn start(root: &Path, config: &Path, n: impl std::fmt::Display) -> (Proc, mpsc::Receiver<String>) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.join(format!("serve-{n}.log")))
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_genobridge"))
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    let proc = Proc(child);
    until(&out, "GenoBridge listening on", "genobridge serve");
    (proc, out)
}

/// The receiver's log: every MSH-10 it got, with the SHA-256 of each copy.
fn received(log: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in std::fs::read_to_string(log).unwrap_or_default().lines() {
        if let Some((id, sha)) = line.split_once('\t') {
            out.entry(id.to_string()).or_default().push(sha.to_string());
        }
    }
    out
}

/// One value of `/metrics`, e.g. `genobridge_flow_items{flow="vcf-to-lri",state="delivered"}`.
async fn metric(http: &reqwest::Client, web: u16, series: &str) -> Option<f64> {
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

/// A test folder (`runs`, `vcf`, `data`) and the Python receiver, appending to its
/// `received.tsv`; returns the folder, the receiver and its port.
fn start_receiver() -> (tempfile::TempDir, Proc, u16) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in ["runs", "vcf", "data"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let mut child = Command::new(python())
        .arg(peer("mllp_log_receiver.py"))
        .arg(root.join("received.tsv"))
        .args(["--lifetime", "900"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(root.join("receiver.log")).unwrap())
        .spawn()
        .unwrap();
    let rx = lines(child.stdout.take().unwrap());
    let proc = Proc(child);
    let said = until(&rx, "listening ", "the Python receiver");
    let port = said.last().unwrap()["listening ".len()..].parse().unwrap();
    (dir, proc, port)
}

/// `n` orders, PREFIX-00001 …, placed over MLLP by python-hl7's client: all AA.
fn place_orders(port: u16, prefix: &str, n: usize) {
    let sent = Command::new(python())
        .arg(peer("send_orders.py"))
        .args(["--port", &port.to_string(), "--prefix", prefix])
        .args(["--count", &n.to_string(), "--sample", SAMPLE])
        .output()
        .unwrap();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&sent.stdout).unwrap();
    assert_eq!(summary["aa"], n, "{summary}");
}

/// One VCF per accession, each made distinct by a header line, written whole and then
/// moved in (as a pipeline does).
fn drop_vcfs(root: &Path, prefix: &str, n: usize) {
    let fixture = std::fs::read_to_string(fixtures().join("vcf/NB6TK328_filtered.vcf")).unwrap();
    let (first, rest) = fixture.split_once('\n').unwrap();
    std::fs::create_dir_all(root.join("incoming")).unwrap();
    for i in 1..=n {
        let name = format!("{prefix}-{i:05}_{SAMPLE}.vcf");
        let staged = root.join("incoming").join(&name);
        std::fs::write(&staged, format!("{first}\n##kill_test={i}\n{rest}")).unwrap();
        std::fs::rename(&staged, root.join("vcf").join(&name)).unwrap();
    }
}

const DELIVERED: &str = r#"genobridge_flow_items{flow="vcf-to-lri",state="delivered"}"#;

/// Waits until a node's `/metrics` counts `n` ORUs delivered and the receiver has `n`
/// distinct MSH-10s; then checks nothing is left queued and nothing was lost.
async fn all_delivered(web: u16, receiver_log: &Path, n: usize, what: &str, log: &Path) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let got = metric(&http, web, DELIVERED).await.unwrap_or(0.0);
        if got as usize == n && received(receiver_log).len() == n {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {got} of {n} delivered, {} received\n{}",
            received(receiver_log).len(),
            tail(log)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let lri = r#"{flow="vcf-to-lri"}"#;
    let total = metric(&http, web, &format!("genobridge_flow_received_total{lri}")).await;
    assert_eq!(total, Some(n as f64), "{what}: one ORU per report");
    let depth = metric(&http, web, &format!("genobridge_queue_depth{lri}")).await;
    assert_eq!(depth, Some(0.0), "{what}");

    // 0 lost: every accession's ORU arrived. Duplicates are resends: same MSH-10, same bytes.
    let got = received(receiver_log);
    assert_eq!(got.len(), n, "{what}: distinct MSH-10s received");
    let mut duplicates = 0;
    for (id, copies) in &got {
        assert!(id.starts_with("GB") && id.ends_with('L'), "{id}");
        duplicates += copies.len() - 1;
        assert!(
            copies.iter().all(|c| c == &copies[0]),
            "{what}: {id} was sent with different contents"
        );
    }
    eprintln!("{what}: {n} delivered, 0 lost, {duplicates} duplicates (same MSH-10, same bytes)");
}

async fn kill_during_delivery(database_url: &str, backend: &str) {
    let n = messages();
    let seed = seed();
    let mut rng = Lcg(seed);
    eprintln!("{backend}: {n} messages, {KILLS} kills, GENOBRIDGE_KILL_SEED={seed}");
    let (dir, _receiver, ehr) = start_receiver();
    let root = dir.path();
    let receiver_log = root.join("received.tsv");
    let ports = Ports {
        web: free_port(),
        orders: free_port(),
        ehr,
    };
    let config = write_config(root, database_url, &ports, "kill-test-node");
    let (mut server, mut _out) = start(root, &config, 0);
    let prefix = format!("K{}", &backend[..2].to_uppercase());
    place_orders(ports.orders, &prefix, n);
    drop_vcfs(root, &prefix, n);

    // SIGKILL at random moments while reports are built and ORUs delivered; start again.
    let http = reqwest::Client::new();
    for k in 1..=KILLS {
        tokio::time::sleep(Duration::from_millis(200 + rng.below(2500))).await;
        let before = metric(&http, ports.web, DELIVERED).await.unwrap_or(0.0);
        drop(server); // SIGKILL, then reaped
        eprintln!("{backend}: kill {k} with {before} delivered");
        (server, _out) = start(root, &config, k);
    }
    let log = root.join(format!("serve-{KILLS}.log"));
    all_delivered(ports.web, &receiver_log, n, backend, &log).await;
    drop(server);
}

/// A new PostgreSQL database for one test; dropped by `drop_database`.
async fn pg_database(tag: &str) -> (sqlx::PgPool, String, String) {
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

async fn drop_database(pool: sqlx::PgPool, name: &str) {
    use sqlx::Executor;
    let _ = pool
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await;
}

#[tokio::test]
async fn sigkill_during_delivery_loses_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("gb.db").display());
    kill_during_delivery(&url, "sqlite").await;
}

#[tokio::test]
async fn sigkill_during_delivery_loses_nothing_on_postgres() {
    let (pool, name, url) = pg_database("kill").await;
    kill_during_delivery(&url, "postgres").await;
    drop_database(pool, &name).await;
}

/// Three nodes on one PostgreSQL, one folder owner among them. The owner is killed
/// mid-flight: another node takes the folders over within seconds, the dead node's leased
/// messages are sent by the others once the leases run out, and nothing is lost.
#[tokio::test]
async fn three_nodes_lose_nothing_when_the_folder_owner_is_killed() {
    let n = messages() / 4;
    let (pool, name, url) = pg_database("nodes").await;
    let (dir, _receiver, ehr) = start_receiver();
    let root = dir.path();
    let receiver_log = root.join("received.tsv");
    let mut nodes = Vec::new();
    for i in 0..3 {
        let ports = Ports {
            web: free_port(),
            orders: free_port(),
            ehr,
        };
        let config = write_config(root, &url, &ports, &format!("node-{i}"));
        let (proc, out) = start(root, &config, format!("node-{i}"));
        nodes.push(Some((proc, out, ports)));
    }
    let http = reqwest::Client::new();
    let scans = |i: usize| format!("genobridge_node_scans_folders{{node=\"node-{i}\"}}");
    let owner = |nodes: &Vec<Option<(Proc, mpsc::Receiver<String>, Ports)>>| {
        let http = http.clone();
        let webs: Vec<Option<u16>> = nodes
            .iter()
            .map(|n| n.as_ref().map(|(_, _, p)| p.web))
            .collect();
        async move {
            let mut owners = Vec::new();
            for (i, web) in webs.iter().enumerate() {
                if let Some(web) = web {
                    if metric(&http, *web, &scans(i)).await == Some(1.0) {
                        owners.push(i);
                    }
                }
            }
            owners
        }
    };
    // Exactly one owner.
    let deadline = Instant::now() + WAIT;
    let first = loop {
        let o = owner(&nodes).await;
        if o.len() == 1 {
            break o[0];
        }
        assert!(o.len() <= 1, "two owners at once: {o:?}");
        assert!(Instant::now() < deadline, "no node owns the folders");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Orders go to another node than the owner: any node takes them.
    let taker = (first + 1) % 3;
    place_orders(nodes[taker].as_ref().unwrap().2.orders, "NODE", n);
    drop_vcfs(root, "NODE", n);
    // Kill the owner once it has delivered some.
    let web = nodes[first].as_ref().unwrap().2.web;
    let deadline = Instant::now() + WAIT;
    while metric(&http, web, DELIVERED).await.unwrap_or(0.0) < (n / 10) as f64 {
        assert!(Instant::now() < deadline, "nothing delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let killed_at = Instant::now();
    nodes[first] = None; // SIGKILL
    let deadline = Instant::now() + WAIT;
    let second = loop {
        let o = owner(&nodes).await;
        if o.len() == 1 {
            break o[0];
        }
        assert!(Instant::now() < deadline, "no node took the folders over");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_ne!(second, first);
    eprintln!(
        "node-{second} took the folders over {} ms after node-{first} was killed",
        killed_at.elapsed().as_millis()
    );
    let alive = nodes[second].as_ref().unwrap().2.web;
    let log = root.join(format!("serve-node-{second}.log"));
    all_delivered(alive, &receiver_log, n, "3 nodes", &log).await;
    // Which node delivered what, as /metrics tells it: more than one node did.
    let text = http
        .get(format!("http://127.0.0.1:{alive}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let by_node: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("genobridge_delivered_by_node{flow=\"vcf-to-lri\""))
        .collect();
    assert!(by_node.len() >= 2, "{by_node:?}");
    drop(nodes);
    drop_database(pool, &name).await;
}
