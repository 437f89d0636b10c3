//! Orders into the real binary, with peers that are not our code: `genobridge serve`
//! (no `--demo`) binds `order_intake`; a VCF whose order has not arrived waits in
//! `needs_order`; a Python EHR places the order over MLLP with the `hl7` package's
//! `MLLPClient` and gets AA; the waiting report is released and its ORU^R01 reaches an
//! hl7apy `MLLPServer` (tests/peers/). SQLite in a temporary folder, 127.0.0.1 only.
//! Every wait is bounded; none asserts on speed.

mod common;

use common::*;
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

const ACCESSION: &str = "ACC-2026-0042";
const SAMPLE: &str = "NB6TK328";

/// hl7apy's MLLP server: answers AA to each ORU^R01 and writes it to `out/NNN.hl7`.
fn start_receiver(root: &Path) -> (Proc, u16) {
    let mut child = Command::new(python())
        .arg(peer("ehr_receiver.py"))
        .arg(root.join("received"))
        .args(["--lifetime", "600"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(root.join("receiver.log")).unwrap())
        .spawn()
        .expect("starting the Python receiver");
    let out = lines(child.stdout.take().unwrap());
    let proc = Proc(child);
    let seen = until(&out, "listening ", "the Python receiver");
    let port = seen.last().unwrap()["listening ".len()..].parse().unwrap();
    (proc, port)
}

struct Server {
    proc: Proc,
    base: String,
    admin_password: String,
    /// The rest of the server's stdout, drained.
    _out: mpsc::Receiver<String>,
}

/// `genobridge serve` on a configuration naming every listener, without `--demo`.
fn start_server(root: &Path, order_port: u16, ehr_port: u16) -> Server {
    let web_port = free_port();
    let config = format!(
        r#"database_url = "sqlite://{db}"
listen = "127.0.0.1:{web_port}"
site_root = "{site}"
data_dir = "{data}"
order_intake = "127.0.0.1:{order_port}"
[watch]
runs_dir = "{runs}"
vcf_dir = "{vcf}"
poll_interval_ms = 100
settle_ms = 200
[lri_destination]
host = "127.0.0.1"
port = {ehr_port}
timeout_ms = 10000
max_attempts = 5
backoff_ms = 200
[selection]
hgnc_table = "{hgnc}"
"#,
        db = root.join("gb.db").display(),
        site = root.join("site").display(),
        data = root.join("data").display(),
        runs = root.join("runs").display(),
        vcf = root.join("vcf").display(),
        hgnc = manifest_dir().join("../data/hgnc_demo.tsv").display(),
    );
    let path = root.join("genobridge.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_genobridge"))
        .args(["serve", "--config"])
        .arg(&path)
        .env("RUST_LOG", "info,sqlx=warn")
        .env("GENOBRIDGE_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(root.join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    let proc = Proc(child);
    let seen = until(&out, "GenoBridge listening on", "genobridge serve");
    // Printed only once the listener is bound: the port is open from here on.
    let intake = format!("Order intake (MLLP) listening on 127.0.0.1:{order_port}");
    assert!(seen.contains(&intake), "{seen:?}");
    let admin_password = seen
        .iter()
        .find_map(|l| l.strip_prefix("demo user admin password: "))
        .expect("the first start prints the admin's password")
        .trim()
        .to_string();
    Server {
        proc,
        base: format!("http://127.0.0.1:{web_port}"),
        admin_password,
        _out: out,
    }
}

fn cookie_of(r: &reqwest::Response) -> String {
    let value = r.headers().get("set-cookie").expect("a session cookie");
    let value = value.to_str().unwrap();
    value.split(';').next().unwrap().to_string()
}

/// Signs in as admin; returns the session cookie.
async fn sign_in(http: &reqwest::Client, s: &Server) -> String {
    let login = http
        .get(format!("{}/login", s.base))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    let cookie = cookie_of(&login);
    let html = login.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the login page carries a CSRF token")
        .to_string();
    let signed = http
        .post(format!("{}/api/login", s.base))
        .header("Accept", "text/html")
        .header("Origin", &s.base)
        .header("Cookie", &cookie)
        .form(&[
            ("username", "admin"),
            ("password", s.admin_password.as_str()),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 302, "login");
    cookie_of(&signed)
}

/// What the console shows: the messages (`GET /api/messages`) and the dashboard's reports
/// waiting for an order (`GET /api/live`, once as JSON).
async fn dashboard(http: &reqwest::Client, s: &Server, cookie: &str) -> Value {
    let mut d = serde_json::json!({});
    for (key, path) in [("messages", "/api/messages"), ("live", "/api/live")] {
        let r = http
            .get(format!("{}{path}", s.base))
            .header("Cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        d[key] = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    }
    d["waiting"] = d["live"]["waiting"].clone();
    d
}

/// Polls the dashboard until `done` holds.
async fn dashboard_until(
    http: &reqwest::Client,
    s: &Server,
    cookie: &str,
    what: &str,
    log: &Path,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let d = dashboard(http, s, cookie).await;
        if done(&d) {
            return d;
        }
        assert!(
            Instant::now() < deadline,
            "{what} never happened; dashboard: {d}\nserver log:\n{}",
            tail(log)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `text` parsed by prometheus_client (tests/peers/parse_metrics.py): every sample.
fn parse_metrics(text: &str) -> Vec<Value> {
    use std::io::Write;
    let mut child = Command::new(python())
        .arg(peer("parse_metrics.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "prometheus_client rejects /metrics: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The messages the receiver wrote, oldest first.
fn received(root: &Path) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(root.join("received")) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "hl7"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// The fields of every `name` segment (split on `|`; MSH is not asked for).
fn segments<'a>(message: &'a str, name: &str) -> Vec<Vec<&'a str>> {
    message
        .lines()
        .map(|l| l.split('|').collect::<Vec<_>>())
        .filter(|f| f[0] == name)
        .collect()
}

#[tokio::test]
async fn an_order_from_a_python_ehr_releases_a_waiting_report_to_a_python_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in ["runs", "vcf", "data", "received"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let (_receiver, ehr_port) = start_receiver(root);
    let order_port = free_port();
    let s = start_server(root, order_port, ehr_port);
    let log = root.join("serve.log");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let cookie = sign_in(&http, &s).await;

    // The result arrives before its order: it waits in needs_order, and nothing is sent.
    let name = format!("{ACCESSION}_{SAMPLE}.vcf");
    let part = root.join(format!("{name}.part"));
    std::fs::copy(fixtures().join("vcf/NB6TK328_filtered.vcf"), &part).unwrap();
    std::fs::rename(&part, root.join("vcf").join(&name)).unwrap();
    let d = dashboard_until(&http, &s, &cookie, "the report waiting", &log, |d| {
        !d["waiting"].as_array().unwrap().is_empty()
    })
    .await;
    let waiting = d["waiting"].as_array().unwrap();
    assert_eq!(waiting.len(), 1, "{d}");
    assert_eq!(d["live"]["totals"]["awaiting_order"], 1, "{d}");
    assert_eq!(waiting[0]["accession"], ACCESSION);
    assert_eq!(waiting[0]["sample_id"], SAMPLE);
    assert_eq!(waiting[0]["source_file"], name.as_str());
    let waiting_variants = waiting[0]["variants_reported"].as_i64().unwrap();
    assert!(d["messages"].as_array().unwrap().is_empty(), "{d}");
    assert!(received(root).is_empty());

    // The EHR places the order over MLLP with python-hl7's client: AA, for its message.
    let ack = send_order(order_port, ACCESSION, SAMPLE).await;
    assert_eq!(ack["code"], "AA", "{ack}\nserver log:\n{}", tail(&log));
    assert_eq!(ack["control_id"], ack["sent_control_id"], "{ack}");

    // The report is released and its ORU^R01 delivered: hl7apy's server answered AA.
    let d = dashboard_until(&http, &s, &cookie, "the ORU delivered", &log, |d| {
        d["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "lri" && m["status"] == "delivered")
    })
    .await;
    assert!(d["waiting"].as_array().unwrap().is_empty(), "{d}");
    let lri: Vec<&Value> = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "lri")
        .collect();
    assert_eq!(lri.len(), 1, "{d}");
    assert_eq!(lri[0]["sample_id"], SAMPLE);
    assert_eq!(lri[0]["attempts"], 1, "{d}");
    assert_eq!(
        lri[0]["destination"],
        format!("mllp://127.0.0.1:{ehr_port}").as_str()
    );

    // What the receiver got: the order's patient and numbers, the sample, the genes.
    let got = received(root);
    assert_eq!(
        got.len(),
        1,
        "{got:?}\n{}",
        tail(&root.join("receiver.log"))
    );
    let oru = &got[0];
    let msh = oru.lines().next().unwrap();
    assert!(msh.contains("|ORU^R01^ORU_R01|"), "{msh}");
    assert!(
        msh.contains(&format!("|{}|", lri[0]["control_id"].as_str().unwrap())),
        "{msh}"
    );
    let pid = &segments(oru, "PID")[0];
    assert!(pid[3].starts_with("SYN-730042^"), "{pid:?}");
    assert_eq!(pid[5], "Synthetic-Testperson^Robin");
    assert_eq!((pid[7], pid[8]), ("19850614", "F"));
    // ORM^O01 has no SPM: the order names the lab's accession as its filler order number
    // (ORC-3) and the sample in OBR-3, which is how engine::messages::orders reads them.
    for seg in ["ORC", "OBR"] {
        let f = &segments(oru, seg)[0];
        assert_eq!(f[2], "PL-730042^EHR", "{seg}-2");
        assert_eq!(f[3], format!("{ACCESSION}^GenoBridge"), "{seg}-3");
    }
    let spm = &segments(oru, "SPM")[0];
    assert_eq!(spm[2], format!("{SAMPLE}&GenoBridge"));
    // One 48018-6 (gene studied) line per variant, coded by the HGNC table.
    let obx = segments(oru, "OBX");
    let variants = obx.iter().filter(|f| f[3].starts_with("69548-6^")).count();
    let mut genes: Vec<&str> = obx
        .iter()
        .filter(|f| f[3].starts_with("48018-6^"))
        .map(|f| f[5])
        .collect();
    genes.sort();
    assert_eq!(variants as i64, waiting_variants, "{oru}");
    assert_eq!(
        genes,
        [
            "HGNC:10483^RYR1^HGNC",
            "HGNC:1101^BRCA2^HGNC",
            "HGNC:583^APC^HGNC",
            "HGNC:7010^MEN1^HGNC",
            "HGNC:7551^MYBPC3^HGNC",
        ],
        "{oru}"
    );

    // Ready, and the flow shows in /metrics, read by Prometheus's own Python parser.
    let ready = http.get(format!("{}/ready", s.base)).send().await.unwrap();
    let status = ready.status();
    assert_eq!(
        (status.as_u16(), ready.text().await.unwrap().as_str()),
        (200, "ready\n")
    );
    let scraped = http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(scraped.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = scraped.text().await.unwrap();
    for phi in ["Synthetic-Testperson", "SYN-730042", "19850614", "Robin"] {
        assert!(!text.contains(phi), "/metrics carries {phi:?}");
    }
    let samples = parse_metrics(&text);
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        samples
            .iter()
            .find(|m| m["name"] == name && labels.iter().all(|(k, v)| m["labels"][*k] == *v))
            .and_then(|m| m["value"].as_f64())
            .unwrap_or_else(|| panic!("no sample {name} {labels:?} in\n{text}"))
    };
    let lri = [("flow", "vcf-to-lri")];
    assert_eq!(value("genobridge_flow_received_total", &lri), 1.0);
    assert_eq!(
        value(
            "genobridge_flow_items",
            &[("flow", "vcf-to-lri"), ("state", "delivered")]
        ),
        1.0
    );
    assert_eq!(value("genobridge_queue_depth", &lri), 0.0);
    assert_eq!(
        value("genobridge_delivery_latency_seconds_count", &lri),
        1.0
    );
    assert_eq!(
        value(
            "genobridge_delivery_latency_seconds_bucket",
            &[("flow", "vcf-to-lri"), ("le", "+Inf")]
        ),
        1.0
    );
    assert!(value("genobridge_delivery_latency_seconds_sum", &lri) >= 0.0);
    // No FHIR destination is configured: the Bundle is stored, and nothing waits.
    assert_eq!(
        value(
            "genobridge_flow_items",
            &[("flow", "vcf-to-fhir"), ("state", "stored")]
        ),
        1.0
    );
    assert_eq!(
        value("genobridge_queue_depth", &[("flow", "vcf-to-fhir")]),
        0.0
    );
    assert_eq!(
        value("genobridge_flow_received_total", &[("flow", "orders-in")]),
        1.0
    );
    assert_eq!(
        value(
            "genobridge_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );

    // The log is one JSON object per line; the delivery names its flow and message, and
    // nothing the server logged names the patient.
    let logged = std::fs::read_to_string(&log).unwrap();
    let events: Vec<Value> = logged
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        events.iter().any(|e| e["fields"]["flow"] == "vcf-to-lri"
            && e["fields"]["message_id"].is_number()
            && e["fields"]["status"] == "delivered"),
        "no delivery event in\n{logged}"
    );
    for phi in ["Synthetic-Testperson", "SYN-730042", "19850614", "Robin"] {
        assert!(!logged.contains(phi), "the server log carries {phi:?}");
    }

    // SIGTERM stops the server cleanly, and the order port is closed after it.
    let pid = s.proc.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let mut s = s;
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = s.proc.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop on SIGTERM\n{}",
            tail(&log)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}\n{}", tail(&log));
    assert!(std::net::TcpStream::connect(("127.0.0.1", order_port)).is_err());
}

#[test]
fn a_port_in_use_stops_serve_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let config = format!(
        r#"database_url = "sqlite://{db}"
listen = "127.0.0.1:{web}"
data_dir = "{data}"
order_intake = "127.0.0.1:{port}"
[watch]
runs_dir = "{runs}"
vcf_dir = "{vcf}"
"#,
        db = root.join("gb.db").display(),
        web = free_port(),
        data = root.join("data").display(),
        runs = root.join("runs").display(),
        vcf = root.join("vcf").display(),
    );
    let path = root.join("genobridge.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_genobridge"))
        .args(["serve", "--config"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = lines(child.stderr.take().unwrap());
    let _out = lines(child.stdout.take().unwrap());
    let mut proc = Proc(child);
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = proc.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve kept running");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    // The process is gone, so its stderr ends: read it to the end.
    let mut stderr = Vec::new();
    while let Ok(line) = err.recv_timeout(WAIT) {
        stderr.push(line);
    }
    let wanted = format!("error: order_intake \"127.0.0.1:{port}\": cannot listen there");
    assert!(stderr.iter().any(|l| l.starts_with(&wanted)), "{stderr:?}");
    // Nothing was started: not even the first users were made.
    assert!(!root.join("gb.db").exists());
    drop(taken);
}
