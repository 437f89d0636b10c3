//! Faults the outbox must ride out, on the real `genobridge serve`, on SQLite and on
//! PostgreSQL, with peers that are not our code: python-hl7's MLLP server as the EHR
//! (tests/peers/mllp_log_receiver.py), its client placing orders, Python's http.server as
//! the alert webhook (webhook_log.py), and, for the database, a TCP proxy that cuts the
//! line (tcp_cut_proxy.py) or SQLite's own write lock held by Python (sqlite_lock.py).
//! 127.0.0.1 only; every wait is bounded, none is on speed.

mod common;

use common::{fleet::*, *};
use serde_json::Value;
use std::{
    collections::BTreeMap,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const LRI: &str = r#"{flow="vcf-to-lri",state="delivered"}"#;

fn delivered() -> String {
    format!("genobridge_flow_items{LRI}")
}

/// Python's http.server, logging each alert notice to `root/webhook.jsonl`.
fn start_webhook(root: &Path) -> (Proc, u16) {
    let mut cmd = Command::new(python());
    cmd.arg(peer("webhook_log.py"))
        .arg(root.join("webhook.jsonl"))
        .args(["--lifetime", "900"]);
    start_peer(cmd, "the webhook")
}

fn notices(root: &Path) -> Vec<Value> {
    std::fs::read_to_string(root.join("webhook.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Waits until the webhook has `n` notices.
async fn until_notices(root: &Path, n: usize, log: &Path) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = notices(root);
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} alert notices: {got:?}\n{}",
            got.len(),
            tail(log)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the receiver has `n` distinct MSH-10s.
async fn until_received(receiver_log: &Path, n: usize, log: &Path) {
    let deadline = Instant::now() + WAIT;
    while received(receiver_log).len() < n {
        assert!(
            Instant::now() < deadline,
            "{} of {n} received\n{}",
            received(receiver_log).len(),
            tail(log)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The EHR's listener goes away while results are queued, then comes back. An alert fires
/// once while it is down (audited, on `/metrics`, posted to the webhook), the queue drains
/// with every accession's results in the order they were built, and the alert resolves
/// once.
async fn ehr_down_then_back(backend: &str) {
    let dir = test_dir();
    let root = dir.path();
    let db = TestDatabase::new(backend, root, "ehrdown").await;
    let ehr = free_port();
    let (receiver, _) = start_receiver(root, ehr, &[]);
    let (_webhook, hook) = start_webhook(root);
    let ports = Ports::new(ehr);
    let alerts = format!(
        r#"[alerts]
evaluate_interval_ms = 200
webhook = {{ url = "http://127.0.0.1:{hook}/hooks/lab" }}
[[alerts.rules]]
name = "ehr-down"
when = "destination_failing"
queue = "lri"
for = "1s"
"#
    );
    let config = write_config(root, &db.url, &ports, "ehr-node", "", &alerts);
    let (_server, _out) = start(root, &config, 0);
    let log = root.join("serve-0.log");
    let receiver_log = root.join("received.tsv");
    let http = reqwest::Client::new();
    let n = 10;
    place_orders(ports.orders, "EHR", n);
    drop_vcfs(root, "EHR", n, "");
    until_received(&receiver_log, n, &log).await;

    // The EHR goes away; two corrected results per accession are built meanwhile.
    drop(receiver);
    drop_vcfs(root, "EHR", n, ".b");
    drop_vcfs(root, "EHR", n, ".c");
    let fired = until_notices(root, 1, &log).await;
    assert_eq!(fired[0]["rule"], "ehr-down", "{fired:?}");
    assert_eq!(fired[0]["state"], "firing");
    assert!(
        fired[0]["summary"]
            .as_str()
            .unwrap()
            .contains("has not answered"),
        "{fired:?}"
    );
    let firing =
        r#"genobridge_alert_firing{rule="ehr-down",condition="destination_failing"}"#.to_string();
    until_metric(&http, ports.web, &firing, 1.0, &log).await;
    let queued = metric(
        &http,
        ports.web,
        r#"genobridge_queue_depth{flow="vcf-to-lri"}"#,
    )
    .await;
    eprintln!("{backend}: EHR down, alert fired, {queued:?} queued");

    // It comes back on the same port.
    let (_receiver, _) = start_receiver(root, ehr, &[]);
    until_received(&receiver_log, 3 * n, &log).await;
    until_metric(&http, ports.web, &delivered(), (3 * n) as f64, &log).await;
    let all = until_notices(root, 2, &log).await;
    assert_eq!(all[1]["state"], "resolved", "{all:?}");
    assert_eq!(all[1]["alert_id"], all[0]["alert_id"]);

    // Within an accession, results arrived in the order they were built (MSH-10 carries
    // the report id, so the order of first arrival must follow it).
    let mut first_seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for r in received_in_order(&receiver_log) {
        if seen.insert(r.control_id.clone()) {
            first_seen
                .entry(r.accession)
                .or_default()
                .push(r.control_id);
        }
    }
    assert_eq!(first_seen.len(), n, "{first_seen:?}");
    for (accession, ids) in &first_seen {
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, &sorted, "{accession} arrived out of order");
        assert_eq!(ids.len(), 3, "{accession}: {ids:?}");
    }
    // Once per episode: one firing and one resolve, even though it was checked every 200 ms.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(notices(root).len(), 2, "{:?}", notices(root));
    let audited = db
        .count(
            "SELECT COUNT(*) FROM audit_events WHERE action IN ('alert.fired', 'alert.resolved')",
        )
        .await;
    assert_eq!(audited, 2);
    drop(_server);
    db.drop().await;
}

#[tokio::test]
async fn ehr_down_then_back_on_sqlite() {
    ehr_down_then_back("sqlite").await;
}

#[tokio::test]
async fn ehr_down_then_back_on_postgres() {
    ehr_down_then_back("postgres").await;
}

/// The EHR answers AE to one message. It is dead-lettered at once (no retry can change an
/// AE); with `ordered` the later result of the same accession waits behind it, and without,
/// it goes; other accessions flow either way. Then `genobridge prune` empties only the
/// delivered messages.
async fn one_bad_message(backend: &str, ordered: bool) {
    let dir = test_dir();
    let root = dir.path();
    let db = TestDatabase::new(backend, root, &format!("bad{}", u8::from(ordered))).await;
    // BAD-00002 has a result and its correction; the EHR refuses the first it gets.
    let (_receiver, ehr) = start_receiver(root, 0, &["BAD-00002"]);
    let ports = Ports::new(ehr);
    let config = write_config(
        root,
        &db.url,
        &ports,
        "bad-node",
        &format!("ordered = {ordered}"),
        "[retention]\ndelivered_after = \"1s\"\ninterval = \"1h\"",
    );
    let (_server, _out) = start(root, &config, 0);
    let log = root.join("serve-0.log");
    let http = reqwest::Client::new();
    place_orders(ports.orders, "BAD", 3);
    for (accession, suffix) in [
        ("BAD-00001", ""),
        ("BAD-00002", ""),
        ("BAD-00002", ".x"),
        ("BAD-00003", ""),
    ] {
        drop_vcf(root, accession, suffix);
    }
    let dead = r#"genobridge_flow_items{flow="vcf-to-lri",state="dead_letter"}"#;
    until_metric(&http, ports.web, dead, 1.0, &log).await;
    let expect_delivered = if ordered { 2.0 } else { 3.0 };
    until_metric(&http, ports.web, &delivered(), expect_delivered, &log).await;
    // Settled: give a held message time to (wrongly) go.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut by_accession: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in received_in_order(&root.join("received.tsv")) {
        by_accession
            .entry(r.accession)
            .or_default()
            .push(r.control_id);
    }
    let bad = &by_accession["BAD-00002"];
    // An AE is not retried; with `ordered` the correction never left.
    assert_eq!(bad.len(), if ordered { 1 } else { 2 }, "{by_accession:?}");
    assert_eq!(by_accession["BAD-00001"].len(), 1, "{by_accession:?}");
    assert_eq!(by_accession["BAD-00003"].len(), 1, "{by_accession:?}");
    let held = db
        .count("SELECT COUNT(*) FROM messages WHERE kind = 'lri' AND status = 'pending'")
        .await;
    assert_eq!(held, i64::from(ordered), "ordered = {ordered}");
    let dead_lettered = db
        .count("SELECT COUNT(*) FROM messages WHERE status = 'dead_letter' AND ack_code = 'AE'")
        .await;
    assert_eq!(dead_lettered, 1);

    // Retention, run by hand while `serve` runs: the delivered ORUs lose their bodies; the
    // dead letter and the held message keep theirs.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let out = Command::new(env!("CARGO_BIN_EXE_genobridge"))
        .args(["prune", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n = expect_delivered as i64;
    assert!(
        said.starts_with(&format!("pruned {n} delivered messages")),
        "{said}"
    );
    let emptied = "SELECT COUNT(*) FROM messages WHERE body = '' AND pruned_at IS NOT NULL";
    assert_eq!(db.count(emptied).await, n);
    let whole =
        "SELECT COUNT(*) FROM messages WHERE kind = 'lri' AND status <> 'delivered' AND body <> ''";
    assert_eq!(db.count(whole).await, if ordered { 2 } else { 1 });
    let audited = "SELECT COUNT(*) FROM audit_events WHERE action = 'retention.pruned'";
    assert_eq!(db.count(audited).await, 1);
    drop(_server);
    db.drop().await;
}

#[tokio::test]
async fn one_bad_message_holds_its_accession_when_ordered() {
    one_bad_message("sqlite", true).await;
    one_bad_message("postgres", true).await;
}

#[tokio::test]
async fn one_bad_message_holds_nothing_when_unordered() {
    one_bad_message("sqlite", false).await;
    one_bad_message("postgres", false).await;
}

/// Cuts the database for a while, then gives it back: PostgreSQL through a proxy that
/// drops every connection and refuses new ones; SQLite by another process holding its
/// write lock longer than GenoBridge's busy timeout (10 s).
enum Outage {
    Proxy(Proc),
    SqliteLock(std::path::PathBuf),
}

impl Outage {
    fn begin(&mut self) -> Option<Proc> {
        match self {
            Outage::Proxy(p) => {
                signal(p, "USR1");
                None
            }
            Outage::SqliteLock(db) => {
                let mut child = Command::new(python())
                    .arg(peer("sqlite_lock.py"))
                    .arg(&*db)
                    .arg("12")
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                let rx = lines(child.stdout.take().unwrap());
                let proc = Proc(child);
                until(&rx, "locked", "sqlite_lock.py");
                Some(proc)
            }
        }
    }

    fn end(&mut self, lock: Option<Proc>) {
        match self {
            Outage::Proxy(p) => signal(p, "USR2"),
            Outage::SqliteLock(_) => {
                let mut lock = lock.unwrap();
                // It commits and exits by itself after its time.
                let _ = lock.0.wait();
            }
        }
    }
}

fn signal(p: &Proc, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &p.0.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig}");
}

/// The database is unreachable for several seconds. Orders sent meanwhile get no AA (the
/// engine answers AE or nothing, since it cannot store them); VCFs dropped meanwhile are
/// neither lost nor quarantined; the engine recovers by itself, with no restart, and every
/// result is delivered once the database is back.
async fn database_gone(backend: &str) {
    let dir = test_dir();
    let root = dir.path();
    let db = TestDatabase::new(backend, root, "dbgone").await;
    let (mut outage, url) = if backend == "postgres" {
        let mut cmd = Command::new(python());
        cmd.arg(peer("tcp_cut_proxy.py"))
            .args(["--target", "127.0.0.1:5432", "--lifetime", "900"]);
        let (proc, port) = start_peer(cmd, "the proxy");
        let url = db.url.replace(":5432/", &format!(":{port}/"));
        (Outage::Proxy(proc), url)
    } else {
        let file = root.join("gb.db");
        (Outage::SqliteLock(file), db.url.clone())
    };
    let (_receiver, ehr) = start_receiver(root, 0, &[]);
    let ports = Ports::new(ehr);
    let config = write_config(root, &url, &ports, "db-node", "", "");
    let (_server, _out) = start(root, &config, 0);
    let log = root.join("serve-0.log");
    let receiver_log = root.join("received.tsv");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let n = 5;
    place_orders(ports.orders, "BEFORE", n);

    let lock = outage.begin();
    let began = Instant::now();
    drop_vcfs(root, "BEFORE", n, "");
    // One order: SQLite answers AE after its 10 s busy timeout, PostgreSQL after its 5 s
    // wait for a connection; both before the database is back.
    let during = send_orders(ports.orders, "DURING", 1, 20);
    assert_eq!(
        during["aa"], 0,
        "an order the engine could not store was ACKed AA: {during}"
    );
    if backend == "postgres" {
        let ready = http
            .get(format!("http://127.0.0.1:{}/ready", ports.web))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status(), 503, "/ready while the database is gone");
    }
    let min = Duration::from_secs(8);
    if let Some(left) = min.checked_sub(began.elapsed()) {
        tokio::time::sleep(left).await;
    }
    outage.end(lock);
    eprintln!(
        "{backend}: database gone {} ms; orders meanwhile: {during}",
        began.elapsed().as_millis()
    );

    // The EHR sends again what got no AA; everything flows, with no restart.
    place_orders(ports.orders, "DURING", 1);
    drop_vcfs(root, "DURING", 1, "");
    until_received(&receiver_log, n + 1, &log).await;
    until_metric(&http, ports.web, &delivered(), (n + 1) as f64, &log).await;
    assert_eq!(db.count("SELECT COUNT(*) FROM quarantine").await, 0);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM reports").await,
        (n + 1) as i64
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM orders").await,
        (n + 1) as i64
    );
    drop(_server);
    db.drop().await;
}

#[tokio::test]
async fn database_gone_on_sqlite() {
    database_gone("sqlite").await;
}

#[tokio::test]
async fn database_gone_on_postgres() {
    database_gone("postgres").await;
}
