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

use common::{fleet::*, *};
use std::{
    path::Path,
    sync::mpsc,
    time::{Duration, Instant},
};

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
    let dir = test_dir();
    let root = dir.path();
    let (_receiver, ehr) = start_receiver(root, 0, &[]);
    let receiver_log = root.join("received.tsv");
    let ports = Ports::new(ehr);
    let config = write_config(root, database_url, &ports, "kill-test-node", "", "");
    let (mut server, mut _out) = start(root, &config, 0);
    let prefix = format!("K{}", &backend[..2].to_uppercase());
    place_orders(ports.orders, &prefix, n);
    drop_vcfs(root, &prefix, n, "");

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
    let dir = test_dir();
    let root = dir.path();
    let (_receiver, ehr) = start_receiver(root, 0, &[]);
    let receiver_log = root.join("received.tsv");
    let mut nodes = Vec::new();
    for i in 0..3 {
        let ports = Ports::new(ehr);
        let config = write_config(root, &url, &ports, &format!("node-{i}"), "", "");
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
    drop_vcfs(root, "NODE", n, "");
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
