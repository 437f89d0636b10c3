//! The REST feeds and the reprocess action, through the real binary: `serve --demo` with
//! its stand-in EHR and LIMS, the fixture run and a broken VCF. The stand-in LIMS refuses
//! sample ACC13087A21 (in 8 lanes) once with 422, so 8 dead letters appear; an engineer's
//! reprocess then delivers one.

mod common;

use common::{fixtures, free_port};
use serde_json::Value;
use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// The server process, killed when the test ends however it ends.
struct Server {
    child: Child,
    base: String,
    passwords: std::collections::HashMap<String, String>,
    db_url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in ["runs", "vcf", "data"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    // A VCF that stops after its first line: quarantined with the file and line.
    std::fs::write(root.join("vcf/broken.vcf"), "##fileformat=VCFv4.2\n").unwrap();
    let (port, ehr, lims) = (free_port(), free_port(), free_port());
    let db_url = format!("sqlite://{}", root.join("gb.db").display());
    let config = format!(
        r#"database_url = "{db_url}"
listen = "127.0.0.1:{port}"
site_root = "{site}"
data_dir = "{data}"
[watch]
runs_dir = "{runs}"
vcf_dir = "{vcf}"
qc_dir = "{qc}"
poll_interval_ms = 100
settle_ms = 0
[lri_destination]
host = "127.0.0.1"
port = {ehr}
[lims]
poll_interval_ms = 50
[lims.destination]
url = "http://127.0.0.1:{lims}/api/v1/samples"
max_attempts = 2
backoff_base_ms = 10
[[lims.mappings]]
name = "sample-registration"
source = "illumina-run-folder"
per = "samples[]"
sample_id = "samples[].sample_id"
key_extra = ["samples[].lane"]
fields = [
  {{ to = "sample.external_id", from = "samples[].sample_id" }},
  {{ to = "sample.lane", from = "samples[].lane" }},
  {{ to = "run.flowcell", from = "run.flowcell_id" }},
]
[demo]
fixtures_dir = "{fixtures}"
ehr_listener = true
lims_listener = true
"#,
        site = root.join("site").display(),
        data = root.join("data").display(),
        runs = root.join("runs").display(),
        vcf = root.join("vcf").display(),
        qc = root.join("qc").display(),
        fixtures = fixtures().display(),
    );
    let path = root.join("genobridge.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_genobridge"))
        .args(["serve", "--demo", "--config"])
        .arg(&path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut passwords = std::collections::HashMap::new();
    let stdout = child.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("demo user ") {
            if let Some((user, pw)) = rest.split_once(" password: ") {
                passwords.insert(user.to_string(), pw.trim().to_string());
            }
        }
        if line.starts_with("GenoBridge listening on") {
            break;
        }
    }
    assert_eq!(passwords.len(), 4, "the server printed its demo passwords");
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        passwords,
        db_url,
        _dir: dir,
    }
}

/// A signed-in session: its cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

fn cookie_of(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("set-cookie")?
        .to_str()
        .ok()?
        .split(';')
        .next()
        .map(str::to_string)
}

async fn sign_in(http: &reqwest::Client, s: &Server, user: &str) -> Session {
    let login = http
        .get(format!("{}/login", s.base))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    let cookie = cookie_of(&login).expect("the login page sets a session cookie");
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
            ("username", user),
            ("password", s.passwords[user].as_str()),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 302);
    let cookie = cookie_of(&signed).expect("a new session id at login");
    // Login issues a fresh CSRF token; the session server function hands it out.
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
    assert_eq!(session["user"]["username"], user);
    Session {
        cookie,
        csrf: session["csrf"].as_str().unwrap().to_string(),
    }
}

async fn get_json(http: &reqwest::Client, s: &Server, path: &str, who: &Session) -> Value {
    let r = http
        .get(format!("{}{path}", s.base))
        .header("Cookie", &who.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    serde_json::from_str(&r.text().await.unwrap()).unwrap()
}

/// Polls `GET /api/lims` until `done` holds (the engine works in the background).
async fn lims_until(
    http: &reqwest::Client,
    s: &Server,
    who: &Session,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = get_json(http, s, "/api/lims?limit=1000", who).await;
        let rows = rows.as_array().unwrap().clone();
        if done(&rows) {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "LIMS deliveries never settled: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn count(rows: &[Value], status: &str) -> usize {
    rows.iter().filter(|r| r["status"] == status).count()
}

async fn reprocess(
    http: &reqwest::Client,
    s: &Server,
    who: &Session,
    id: i64,
    csrf: &str,
) -> reqwest::StatusCode {
    http.post(format!("{}/api/lims_reprocess", s.base))
        .header("Origin", &s.base)
        .header("Cookie", &who.cookie)
        .form(&[("id", id.to_string()), ("csrf", csrf.to_string())])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn lims_and_quarantine_feeds_and_the_reprocess_action() {
    let s = start();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // "listening" is printed just before the socket is bound: wait for /health.
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(format!("{}/health", s.base)).send().await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the server never answered /health"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for path in ["/api/lims", "/api/quarantine", "/api/qc"] {
        let r = http.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path} without a session");
    }

    let director = sign_in(&http, &s, "director").await;
    // The run's documents (the shipped `illumina-run-to-lims`; the demo's QuantStudio
    // export adds 16 more through `quantstudio-to-lims`).
    let run_rows = |rows: &[Value]| -> Vec<Value> {
        rows.iter()
            .filter(|r| r["source_kind"] == "illumina-run-folder")
            .cloned()
            .collect()
    };
    let rows = lims_until(&http, &s, &director, |rows| {
        let run = run_rows(rows);
        run.len() == 24 * 8 && count(&run, "pending") == 0
    })
    .await;
    assert!(rows
        .iter()
        .all(|r| r["mapping_sha256"].as_str().is_some_and(|h| h.len() == 64)));
    let rows = run_rows(&rows);
    assert_eq!(count(&rows, "delivered"), 23 * 8);
    let dead: Vec<&Value> = rows
        .iter()
        .filter(|r| r["status"] == "dead_letter")
        .collect();
    assert_eq!(dead.len(), 8);
    for d in &dead {
        assert_eq!(d["sample_id"], "ACC13087A21");
        assert_eq!(d["last_status"], 422);
        assert_eq!(d["attempts"], 1, "a 422 is not retried");
        let body = d["response_body"].as_str().unwrap();
        assert!(body.contains("sample not registered"), "{body}");
        assert!(
            d.get("document").is_none(),
            "the feed does not list documents"
        );
    }
    // Newest first.
    assert!(rows[0]["id"].as_i64() > rows[1]["id"].as_i64());

    // The demo's QC exports were read by their connectors and recorded.
    let deadline = Instant::now() + Duration::from_secs(30);
    let qc = loop {
        let qc = get_json(&http, &s, "/api/qc", &director).await;
        if qc.as_array().is_some_and(|a| a.len() == 2) || Instant::now() > deadline {
            break qc;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut formats: Vec<(&str, &str)> = qc
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["connector"].as_str().unwrap(),
                f["status"].as_str().unwrap(),
            )
        })
        .collect();
    formats.sort();
    assert_eq!(
        formats,
        [("quantstudio", "recorded"), ("tapestation", "recorded")]
    );
    assert!(
        qc[0].get("record_json").is_none(),
        "the feed does not list record trees"
    );

    // Source fields for mappings: engineers and admins only, examples from the newest inputs.
    let r = http
        .get(format!("{}/api/sources", s.base))
        .header("Cookie", &director.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "directors do not write mappings");
    let engineer = sign_in(&http, &s, "engineer").await;
    let sources = get_json(&http, &s, "/api/sources", &engineer).await;
    let field = |format: &str, path: &str| -> Value {
        sources
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["format"] == format)
            .unwrap_or_else(|| panic!("no {format} in {sources}"))["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("no {path} in {format}"))
            .clone()
    };
    assert_eq!(
        field("illumina-run-folder", "run.flowcell_id")["example"],
        "\"22F52TLT3\""
    );
    assert_eq!(field("quantstudio", "wells[].ct")["ty"], "number");
    assert_eq!(field("tapestation", "samples[].rin")["ty"], "number");

    let quarantine = get_json(&http, &s, "/api/quarantine", &director).await;
    let broken = quarantine
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["source"].as_str().unwrap_or("").ends_with("broken.vcf"))
        .expect("the broken VCF is listed in quarantine");
    assert_eq!(broken["kind"], "vcf");
    assert!(
        broken["reason"].as_str().unwrap().contains("line 2"),
        "{broken}"
    );

    let id = dead[0]["id"].as_i64().unwrap();
    // A director may look but not reprocess: refused for the role, with a valid token.
    let refused = http
        .post(format!("{}/api/lims_reprocess", s.base))
        .header("Origin", &s.base)
        .header("Cookie", &director.cookie)
        .form(&[("id", id.to_string()), ("csrf", director.csrf.clone())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("Forbidden"));
    let engineer = sign_in(&http, &s, "engineer").await;
    assert_eq!(
        reprocess(&http, &s, &engineer, id, "not-the-token").await,
        403
    );
    let cross_site = http
        .post(format!("{}/api/lims_reprocess", s.base))
        .header("Origin", "http://evil.example")
        .header("Cookie", &engineer.cookie)
        .form(&[("id", id.to_string()), ("csrf", engineer.csrf.clone())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(
        reprocess(&http, &s, &engineer, id, &engineer.csrf).await,
        200
    );
    // The stand-in LIMS takes it the second time.
    let rows = lims_until(&http, &s, &engineer, |rows| {
        rows.iter()
            .any(|r| r["id"] == id && r["status"] == "delivered")
    })
    .await;
    assert_eq!(count(&rows, "dead_letter"), 7);
    // Not a dead letter any more: a second reprocess is refused.
    assert_eq!(
        reprocess(&http, &s, &engineer, id, &engineer.csrf).await,
        409
    );

    let store = engine::store::Store::open(&s.db_url).await.unwrap();
    let events = store.audit_for("sample", "ACC13087A21").await.unwrap();
    let by_engineer: Vec<_> = events
        .iter()
        .filter(|e| e.action == "lims.reprocess")
        .map(|e| e.actor.as_str())
        .collect();
    assert_eq!(by_engineer, vec!["user:engineer"]);

    // The mapping API: read by the roles that write, sign or inspect mappings.
    let inspector = sign_in(&http, &s, "inspector").await;
    let list = get_json(&http, &s, "/api/mappings", &inspector).await;
    let active: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["state"] == "active")
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert!(
        active.contains(&"vcf-report") && active.contains(&"illumina-run-to-lims"),
        "{list}"
    );
    let versions = get_json(&http, &s, "/api/mappings/vcf-report", &inspector).await;
    assert_eq!(versions[0]["version"], 1);
    assert!(versions[0]["signatures"].is_array());
    let found = get_json(
        &http,
        &s,
        "/api/mappings/targets?q=significance",
        &inspector,
    )
    .await;
    assert_eq!(found[0]["code"], "53037-8");
    let diff = get_json(
        &http,
        &s,
        "/api/mappings/vcf-report/diff?from=1&to=1",
        &inspector,
    )
    .await;
    assert_eq!(diff, serde_json::json!([]));
    let file = http
        .get(format!("{}/api/mappings/vcf-report/1", s.base))
        .header("Cookie", &inspector.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let parsed = engine::mapping::Mapping::from_toml("export", &file).unwrap();
    assert_eq!(parsed.sha256(), versions[0]["sha256"].as_str().unwrap());
    // Inspectors read but do not replay; a director replays on the real inputs.
    let replay = |who: &Session| {
        http.get(format!(
            "{}/api/mappings/illumina-run-to-lims/1/replay?limit=5",
            s.base
        ))
        .header("Cookie", who.cookie.clone())
        .send()
    };
    assert_eq!(replay(&inspector).await.unwrap().status(), 403);
    let r = replay(&director).await.unwrap();
    assert_eq!(r.status(), 200);
    let replayed: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(replayed[0]["input"], "20231108_LH00188_0028_B22F52TLT3");
    assert_eq!(
        replayed[0]["changes"],
        serde_json::json!([]),
        "the active version against itself"
    );
    let anonymous = http
        .get(format!("{}/api/mappings", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
