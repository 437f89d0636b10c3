//! The FHIR REST destination through the real binary: `genobridge serve` (no `--demo`)
//! with a `[fhir_destination]` pointing at the stand-in FHIR server
//! (engine/tests/common/fhir_server.rs: transaction Bundles, conditional creates,
//! OperationOutcome on errors). A VCF waits for its order; a Python EHR places the order
//! over MLLP; the report's Bundle is POSTed, refused once with a 400 OperationOutcome (a
//! dead letter whose text the dashboard shows), reprocessed by an admin through
//! `/api/fhir_reprocess` with the CSRF token, and delivered: every resource created once.
//! SQLite in a temporary folder, 127.0.0.1 only. Every wait is bounded.

#[path = "../../engine/tests/common/fhir_server.rs"]
mod fhir_server;

mod common;

use common::*;
use fhir_server::Answer;
use serde_json::Value;
use std::{
    path::Path,
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

const ACCESSION: &str = "ACC-2026-0077";
const SAMPLE: &str = "NB6TK328";
const TOKEN_ENV: &str = "GB_TEST_FHIR_TOKEN";
const TOKEN: &str = "fhir-bearer-for-tests";

struct Server {
    _proc: Proc,
    base: String,
    admin_password: String,
    _out: mpsc::Receiver<String>,
}

fn start_server(root: &Path, order_port: u16, fhir_base: &str) -> Server {
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
[fhir_destination]
base_url = "{fhir_base}"
auth = {{ type = "bearer", token_env = "{TOKEN_ENV}" }}
timeout_ms = 10000
max_attempts = 5
backoff_base_ms = 100
backoff_max_ms = 400
poll_interval_ms = 100
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
        .env(TOKEN_ENV, TOKEN)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(root.join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    let proc = Proc(child);
    let seen = until(&out, "GenoBridge listening on", "genobridge");
    let admin_password = seen
        .iter()
        .find_map(|l| l.strip_prefix("demo user admin password: "))
        .expect("the first start prints the admin's password")
        .trim()
        .to_string();
    Server {
        _proc: proc,
        base: format!("http://127.0.0.1:{web_port}"),
        admin_password,
        _out: out,
    }
}

fn cookie_of(r: &reqwest::Response) -> String {
    let value = r.headers().get("set-cookie").expect("a session cookie");
    value
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// Signs in as admin; returns the session cookie and its CSRF token.
async fn sign_in(http: &reqwest::Client, s: &Server) -> (String, String) {
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
    let cookie = cookie_of(&signed);
    let session: Value = http
        .post(format!("{}/api/session", s.base))
        .header("Origin", &s.base)
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    (cookie, session["csrf"].as_str().unwrap().to_string())
}

/// What the console shows: the messages (`GET /api/messages`), and the dashboard's
/// reports waiting for an order and latest audit events (`GET /api/live`, once as JSON).
async fn console(http: &reqwest::Client, s: &Server, cookie: &str) -> Value {
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
    d["audit"] = d["live"]["audit"].clone();
    d
}

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
        let d = console(http, s, cookie).await;
        if done(&d) {
            return d;
        }
        assert!(
            Instant::now() < deadline,
            "{what} never happened; console: {d}\nserver log:\n{}",
            tail(log)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn fhir_message(d: &Value) -> Option<&Value> {
    d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "fhir")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vcf_with_its_order_ends_as_a_delivered_fhir_bundle() {
    let fhir = fhir_server::start(|n| match n {
        0 => Answer::Fail(400, "Patient.identifier: unknown assigning authority"),
        _ => Answer::Process,
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in ["runs", "vcf", "data"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let order_port = free_port();
    let s = start_server(root, order_port, &fhir.base);
    let log = root.join("serve.log");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let (cookie, csrf) = sign_in(&http, &s).await;

    let name = format!("{ACCESSION}_{SAMPLE}.vcf");
    let part = root.join(format!("{name}.part"));
    std::fs::copy(fixtures().join("vcf/NB6TK328_filtered.vcf"), &part).unwrap();
    std::fs::rename(&part, root.join("vcf").join(&name)).unwrap();
    dashboard_until(&http, &s, &cookie, "the report waiting", &log, |d| {
        !d["waiting"].as_array().unwrap().is_empty()
    })
    .await;
    let ack = send_order(order_port, ACCESSION, SAMPLE).await;
    assert_eq!(ack["code"], "AA", "{ack}\nserver log:\n{}", tail(&log));

    // The first answer is a 400 with an OperationOutcome: a dead letter with its text.
    let d = dashboard_until(&http, &s, &cookie, "the FHIR dead letter", &log, |d| {
        fhir_message(d).is_some_and(|m| m["status"] == "dead_letter")
    })
    .await;
    let m = fhir_message(&d).unwrap();
    assert_eq!(m["destination"], "fhir", "{m}");
    // No MLLP destination is configured: the ORU is kept, not shown as on its way.
    let lri = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "lri")
        .expect("the ORU is stored too");
    assert_eq!(
        (lri["status"].as_str(), lri["destination"].as_str()),
        (Some("stored"), Some("none")),
        "{lri}"
    );
    let error = m["last_error"].as_str().unwrap();
    assert!(
        error.contains("HTTP 400 Bad Request")
            && error.contains("Patient.identifier: unknown assigning authority"),
        "{error}"
    );
    assert_eq!(fhir.total(), 0);
    let id = m["id"].as_i64().unwrap();

    // Reprocess: refused without the session's CSRF token, done with it.
    let reprocess = |token: String| {
        http.post(format!("{}/api/fhir_reprocess", s.base))
            .header("Origin", &s.base)
            .header("Cookie", &cookie)
            .form(&[("id", id.to_string()), ("csrf", token)])
            .send()
    };
    assert_eq!(
        reprocess("not-the-token".into()).await.unwrap().status(),
        403
    );
    assert_eq!(reprocess(csrf.clone()).await.unwrap().status(), 200);
    // Audited: among the dashboard's latest events at once.
    let audit = console(&http, &s, &cookie).await["audit"].to_string();
    assert!(audit.contains("fhir.reprocess"), "{audit}");
    let d = dashboard_until(&http, &s, &cookie, "the FHIR Bundle delivered", &log, |d| {
        fhir_message(d).is_some_and(|m| m["status"] == "delivered")
    })
    .await;
    let m = fhir_message(&d).unwrap();
    assert_eq!(m["attempts"], 1, "a reprocess gives a fresh budget: {m}");

    // At the stand-in: the same key both times, the bearer token, and every resource once.
    let got = fhir.received();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].headers["idempotency-key"],
        got[1].headers["idempotency-key"]
    );
    assert_eq!(
        got[1].headers["authorization"].to_str().unwrap(),
        format!("Bearer {TOKEN}")
    );
    for t in ["Patient", "Specimen", "ServiceRequest", "DiagnosticReport"] {
        assert_eq!(fhir.count(t), 1, "{t}");
    }
    assert!(fhir.count("Observation") > 0);
    let patient = {
        let data = fhir.data.lock().unwrap();
        data.resources
            .iter()
            .find(|(t, _, _)| t == "Patient")
            .map(|(_, _, r)| r.clone())
            .unwrap()
    };
    assert_eq!(patient["identifier"][0]["value"], "SYN-730042");
    // The bearer token is in no log line.
    assert!(!std::fs::read_to_string(&log).unwrap().contains(TOKEN));
    // Nor in anything the admin can read: every REST feed, the message's record and its
    // console view, the audit trail (the token's variable may be named, never its value).
    let record = format!("/api/messages/{id}");
    let paths = [
        "/api/openapi.json",
        "/api/messages",
        record.as_str(),
        "/api/live",
        "/api/lims",
        "/api/qc",
        "/api/quarantine",
        "/api/audit?limit=1000",
        "/api/sources",
        "/metrics",
        "/ready",
    ];
    for path in paths {
        let r = http
            .get(format!("{}{path}", s.base))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            !r.text().await.unwrap().contains(TOKEN),
            "{path} carries the FHIR token"
        );
    }
    let view = http
        .post(format!("{}/api/message_detail", s.base))
        .header("Origin", &s.base)
        .header("Cookie", &cookie)
        .form(&[("id", id.to_string())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(view.contains("\"body\""), "{view}");
    assert!(
        !view.contains(TOKEN),
        "the message view carries the FHIR token"
    );
}
