//! `GET /api/live` on the real binary: the dashboard's server-sent events. A VCF waits for
//! its order, python-hl7 places the order, the ORU reaches python-hl7's MLLP server; each
//! step shows in the stream within a second or two, and the figures agree with the
//! database. Without a session: 401. Two browsers receive the same snapshots (one
//! computation a second, fanned out), no PHI is sent, and an open stream does not hold up
//! the shutdown.

mod common;

use common::fleet::{self, Ports};
use common::{until, Proc};
use serde_json::Value;
use std::{
    collections::HashMap,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const COOKIE: &str = "genobridge_session";

/// `serve --demo` (for its users) on `config`; the demo passwords by user.
fn start(root: &Path, config: &Path) -> (Proc, HashMap<String, String>) {
    let log = std::fs::File::create(root.join("serve.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_genobridge"))
        .args(["serve", "--demo", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let out = common::lines(child.stdout.take().unwrap());
    let proc = Proc(child);
    let mut passwords = HashMap::new();
    for line in until(&out, "GenoBridge listening on", "the server to listen") {
        if let Some((user, pw)) = line
            .strip_prefix("demo user ")
            .and_then(|r| r.split_once(" password: "))
        {
            passwords.insert(user.to_string(), pw.trim().to_string());
        }
    }
    assert_eq!(passwords.len(), 4, "the demo passwords");
    (proc, passwords)
}

fn cookie_of(r: &reqwest::Response) -> Option<String> {
    let c = r.headers().get("set-cookie")?.to_str().ok()?;
    c.split(';').next().map(str::to_string)
}

/// Signs in through the console's login form; the session cookie.
async fn sign_in(http: &reqwest::Client, base: &str, user: &str, password: &str) -> String {
    let login = http
        .get(format!("{base}/login"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    let cookie = cookie_of(&login).unwrap();
    let html = login.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let signed = http
        .post(format!("{base}/api/login"))
        .header("Accept", "text/html")
        .header("Origin", base)
        .header("Cookie", &cookie)
        .form(&[("username", user), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 302);
    let cookie = cookie_of(&signed).unwrap();
    assert!(cookie.starts_with(COOKIE), "{cookie}");
    cookie
}

/// An open event stream and what has come of it so far.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(http: &reqwest::Client, base: &str, cookie: &str) -> Self {
        let response = http
            .get(format!("{base}/api/live"))
            .header("Accept", "text/event-stream")
            .header("Cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Stream {
            response,
            buffer: String::new(),
        }
    }

    /// The next `snapshot` event's data, and when it arrived.
    async fn next(&mut self) -> (Value, Instant) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                let data: String = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data: ").or(l.strip_prefix("data:")))
                    .collect();
                if event.lines().any(|l| l == "event: snapshot") {
                    return (serde_json::from_str(&data).unwrap(), Instant::now());
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.response.chunk())
                .await
                .expect("an event within 10 s")
                .unwrap()
                .expect("the stream stays open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Events until `check` holds, at most `within`; that snapshot and the raw text read.
    async fn until(
        &mut self,
        within: Duration,
        what: &str,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let (s, at) = self.next().await;
            if check(&s) {
                return s;
            }
            assert!(
                at < deadline,
                "{what}: not seen within {within:?}; last snapshot: {s}"
            );
        }
    }
}

fn flow<'a>(s: &'a Value, name: &str) -> &'a Value {
    s["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["flow"] == name)
        .unwrap_or_else(|| panic!("no flow {name} in {s}"))
}

#[tokio::test]
async fn the_live_stream_follows_the_flow_and_agrees_with_the_database() {
    let dir = fleet::test_dir();
    let root = dir.path();
    let (_receiver, ehr) = fleet::start_receiver(root, 0, &[]);
    let p = Ports::new(ehr);
    let db = format!("sqlite://{}", root.join("gb.db").display());
    let config = fleet::write_config(
        root,
        &db,
        &p,
        "node-a",
        "",
        "[demo]\nehr_listener = false\nlims_listener = false\n",
    );
    let (mut server, passwords) = start(root, &config);
    let base = format!("http://127.0.0.1:{}", p.web);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // No session, no stream; and no snapshot as JSON either.
    for accept in ["text/event-stream", "application/json"] {
        let r = http
            .get(format!("{base}/api/live"))
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{accept}");
    }

    let engineer = sign_in(&http, &base, "engineer", &passwords["engineer"]).await;
    let inspector = sign_in(&http, &base, "inspector", &passwords["inspector"]).await;
    let mut a = Stream::open(&http, &base, &engineer).await;
    let mut b = Stream::open(&http, &base, &inspector).await;

    // One a second: the push interval is at most a second.
    let (first, t0) = a.next().await;
    let (e1, t1) = a.next().await;
    let (e2, t2) = a.next().await;
    let gap = (t2 - t0) / 2;
    assert!(gap <= Duration::from_millis(1_150), "events {gap:?} apart");
    assert!(t1 > t0);
    assert_eq!(first["flows"].as_array().unwrap().len(), 5, "{first}");
    assert!(first["audit"].is_null(), "engineers get no audit events");
    assert_eq!(
        flow(&first, "vcf-to-lri")["per_minute"]
            .as_array()
            .unwrap()
            .len(),
        60
    );

    // Both browsers are sent the very same snapshots: one computation, fanned out.
    let mut seen_a = vec![first["at"].clone(), e1["at"].clone(), e2["at"].clone()];
    seen_a.push(a.next().await.0["at"].clone());
    let mut seen_b = Vec::new();
    for _ in 0..3 {
        let (sb, _) = b.next().await;
        assert!(sb["audit"].is_array(), "inspectors get the audit events");
        seen_b.push(sb["at"].clone());
    }
    assert!(
        seen_b[1..].iter().all(|at| seen_a.contains(at)),
        "the inspector was sent {seen_b:?}, the engineer {seen_a:?}"
    );

    // A result with no order waits, and the dashboard says so within 2 s.
    fleet::drop_vcf(root, "LIVE-00001", "");
    let waiting = a
        .until(Duration::from_secs(20), "awaiting order", |s| {
            s["totals"]["awaiting_order"] == 1
        })
        .await;
    assert_eq!(waiting["waiting"][0]["accession"], "LIVE-00001");
    // The order arrives from python-hl7; the ORU goes out and is acknowledged.
    fleet::place_orders(p.orders, "LIVE", 1);
    let done = a
        .until(Duration::from_secs(30), "delivered", |s| {
            flow(s, "vcf-to-lri")["delivered"] == 1 && s["totals"]["awaiting_order"] == 0
        })
        .await;
    let lri = flow(&done, "vcf-to-lri");
    assert_eq!(lri["queued"], 0);
    assert!(lri["last_minute"].as_i64().unwrap() >= 1, "{lri}");
    assert!(lri["last_hour"].as_i64().unwrap() >= 1, "{lri}");
    assert_eq!(
        lri["per_minute"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .sum::<i64>(),
        lri["last_hour"].as_i64().unwrap()
    );
    let (p50, p95) = (
        lri["p50_seconds"].as_f64().unwrap(),
        lri["p95_seconds"].as_f64().unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p95, "{lri}");
    assert!(
        lri["mappings"][0]["label"]
            .as_str()
            .unwrap()
            .starts_with("vcf-report v"),
        "{lri}"
    );

    // The figures are the database's.
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let fhir = flow(&done, "vcf-to-fhir");
    assert_eq!(
        lri["delivered"].as_i64().unwrap(),
        count("SELECT COUNT(*) FROM messages WHERE kind = 'lri' AND status = 'delivered'").await
    );
    // No FHIR destination here: the Bundle is stored, not sent, and never counted as queued.
    assert_eq!(
        fhir["stored"].as_i64().unwrap(),
        count("SELECT COUNT(*) FROM messages WHERE kind = 'fhir' AND status = 'stored'").await
    );
    assert_eq!(fhir["stored"], 1, "{fhir}");
    assert_eq!(fhir["queued"], 0, "{fhir}");
    assert_eq!(fhir["configured"], false, "{fhir}");
    assert_eq!(
        done["totals"]["queued"].as_i64().unwrap(),
        count("SELECT COUNT(*) FROM messages WHERE status = 'pending'").await
            + count("SELECT COUNT(*) FROM lims_deliveries WHERE status = 'pending'").await
    );
    assert_eq!(
        done["totals"]["awaiting_order"].as_i64().unwrap(),
        count("SELECT COUNT(*) FROM reports WHERE status = 'needs_order'").await
    );
    assert_eq!(
        done["totals"]["runs"].as_i64().unwrap(),
        count("SELECT COUNT(*) FROM runs").await
    );
    // The demo's own order and python-hl7's.
    assert_eq!(
        flow(&done, "orders-in")["received"].as_i64().unwrap(),
        count("SELECT COUNT(*) FROM orders").await
    );
    assert!(flow(&done, "orders-in")["last_hour"].as_i64().unwrap() >= 1);

    // The JSON answer is the same snapshot, once.
    let once = http
        .get(format!("{base}/api/live"))
        .header("Cookie", &engineer)
        .send()
        .await
        .unwrap();
    assert_eq!(once.headers()["content-type"], "application/json");
    let once: Value = serde_json::from_str(&once.text().await.unwrap()).unwrap();
    assert_eq!(flow(&once, "vcf-to-lri")["delivered"], 1);

    // No PHI in what was sent: the synthetic patient's name, MRN and birth date.
    let text = done.to_string() + &once.to_string() + &b.next().await.0.to_string();
    for phi in [
        "Synthetic-Testperson",
        "Robin",
        "SYN-730042",
        "19850614",
        "1985-06-14",
        "Testpatient",
        "SYN-100042",
        "1980-02-29",
    ] {
        assert!(!text.contains(phi), "{phi} in the live snapshot");
    }

    // Open streams do not hold up the shutdown.
    let pid = server.0.id().to_string();
    let stopped = Instant::now();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(8);
    while server.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "still running 8 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        stopped.elapsed() < Duration::from_secs(5),
        "the shutdown took {:?}",
        stopped.elapsed()
    );
    drop((a, b));
}
