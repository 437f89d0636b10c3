//! `genobridge bench mllp`: durable MLLP throughput, beside python-hl7 in the same run.
//!
//! - Intake: one client sends N ORM^O01 over one connection, each waiting for its ACK.
//!   GenoBridge stores the order and its audit event before the AA; the peer (python-hl7's
//!   asyncio MLLP server) only appends a line to a file.
//! - Outbound: N stored ORU^R01 go through the outbox (claimed, sent, ACK read, audited,
//!   recorded) to the peer's server; the peer's figure is python-hl7's client sending the
//!   same messages to the same server, storing nothing. GenoBridge is also measured
//!   against its own in-process receiver, which shows the engine's bound rather than the
//!   Python receiver's.
//!
//! Latency is one message's send-to-ACK (intake) or one attempt (outbound).

use engine::{
    config::Config,
    delivery::{ack, mllp},
    pipeline::{outbox, process_vcf, Engine, VcfOutcome},
    store::{NewMessage, Order, Store},
};
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};
use tokio::{io::AsyncWriteExt, net::TcpStream};

/// What `bench mllp` needs from the command line.
pub struct Options {
    pub messages: usize,
    pub postgres: Option<String>,
    pub python: PathBuf,
    pub fixtures: PathBuf,
    pub dir: PathBuf,
}

struct Row {
    what: String,
    tool: &'static str,
    messages: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1));
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn row(what: &str, tool: &'static str, mut times: Vec<Duration>, seconds: f64) -> Row {
    times.sort();
    Row {
        what: what.to_string(),
        tool,
        messages: times.len(),
        seconds,
        p50_ms: percentile(&times, 0.50),
        p99_ms: percentile(&times, 0.99),
    }
}

/// A synthetic ORM^O01 for accession `i` (no real patient).
fn orm(i: usize) -> String {
    format!(
        "MSH|^~\\&|BENCH|SYNTH-HOSP|GenoBridge|LAB|20261203120000||ORM^O01^ORM_O01|BENCH{i:08}|P|2.5.1\r\
         PID|1||SYN-{i:06}^^^SYNTH-HOSP^MR||Synthetic^Bench||19800101|U\r\
         PV1|1|O\r\
         ORC|NW|PL-{i}^BENCH|BENCH-{i:08}^LAB|BENCH-{i:08}|||||20261203120000\r\
         OBR|1|PL-{i}^BENCH|S{i:08}^LAB|GB-PANEL^Panel^L|||20261203120000||||||||Blood"
    )
}

/// Sends every message over one connection, each waiting for its ACK; send-to-ACK times.
async fn send_all(port: u16, messages: &[String]) -> Result<(Vec<Duration>, f64), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("connecting to 127.0.0.1:{port}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut times = Vec::with_capacity(messages.len());
    let start = Instant::now();
    for m in messages {
        let t0 = Instant::now();
        stream
            .write_all(&mllp::frame(m))
            .await
            .map_err(|e| e.to_string())?;
        let reply = mllp::read_frame(&mut stream, &mut buf)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the receiver closed the connection")?;
        let a = ack::parse_ack(&reply)?;
        if a.code != "AA" {
            return Err(format!("{}: {}", a.code, a.text));
        }
        times.push(t0.elapsed());
    }
    Ok((times, start.elapsed().as_secs_f64()))
}

/// python-hl7's MLLP server (tests/peers/mllp_log_receiver.py) and its port.
fn start_peer(o: &Options, log: &Path) -> Result<(std::process::Child, u16), String> {
    let mut child = Command::new(&o.python)
        .arg("server/tests/peers/mllp_log_receiver.py")
        .arg(log)
        .args(["--lifetime", "3600"])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", o.python.display()))?;
    let mut line = String::new();
    use std::io::BufRead;
    std::io::BufReader::new(child.stdout.take().ok_or("no stdout")?)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let port = line
        .trim()
        .strip_prefix("listening ")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("the peer said {line:?}"))?;
    Ok((child, port))
}

fn config(dir: &Path, port: u16) -> Result<Config, String> {
    let text = format!(
        "database_url = \"\"\n[watch]\nruns_dir = \"{d}/runs\"\nvcf_dir = \"{d}/vcf\"\n\
         [lri_destination]\nhost = \"127.0.0.1\"\nport = {port}\nmax_attempts = 3\n",
        d = dir.display()
    );
    toml::from_str(&text).map_err(|e| e.to_string())
}

/// Intake into GenoBridge: the order listener on `store`.
async fn intake(
    store: &Store,
    dir: &Path,
    orms: &[String],
) -> Result<(Vec<Duration>, f64), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let engine = Engine::new(store.clone(), config(dir, 1)?);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(engine::pipeline::serve_orders(engine, listener, async {
        let _ = rx.await;
    }));
    let out = send_all(port, orms).await;
    let _ = tx.send(());
    let _ = task.await;
    out
}

/// `n` LRI messages stored in the outbox for `port`, from one real report of the fixture.
async fn fill_outbox(
    store: &Store,
    o: &Options,
    dir: &Path,
    port: u16,
    n: usize,
) -> Result<Vec<String>, String> {
    let engine = Engine::new(store.clone(), config(dir, port)?);
    let order = Order {
        accession: "BENCHOUT".into(),
        sample_id: "NB6TK328".into(),
        patient_mrn: "SYN-1".into(),
        patient_family: "Synthetic".into(),
        patient_given: "Bench".into(),
        birth_date: "1980-01-01".into(),
        sex: "U".into(),
        test_code: "P".into(),
        test_name: "Panel".into(),
        ..Order::default()
    };
    store
        .insert_order(&order)
        .await
        .map_err(|e| e.to_string())?;
    let vcf = dir.join("BENCHOUT_NB6TK328.vcf");
    std::fs::copy(o.fixtures.join("vcf/NB6TK328_filtered.vcf"), &vcf).map_err(|e| e.to_string())?;
    let VcfOutcome::Reported {
        report_id,
        messages,
    } = process_vcf(&engine, &vcf).await
    else {
        return Err("the fixture was not reported".into());
    };
    let first = store
        .message(messages[0])
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no message")?;
    let body = store
        .message_body(first.id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no body")?;
    let mut bodies = Vec::with_capacity(n);
    for i in 0..n {
        let control_id = format!("GBBENCH{i:08}L");
        let text = body.replace(&first.control_id, &control_id);
        let m = NewMessage {
            report_pk: report_id,
            kind: "lri".into(),
            control_id: control_id.clone(),
            destination: format!("mllp://127.0.0.1:{port}"),
            status: "pending".into(),
            body: text.clone(),
            mapping_name: first.mapping_name.clone(),
            mapping_sha256: first.mapping_sha256.clone(),
            idempotency_key: Some(control_id),
            order_key: format!("BENCH-{i}"),
        };
        store.insert_message(&m).await.map_err(|e| e.to_string())?;
        bodies.push(text);
    }
    // The fixture's own message stays queued too: the run sends n + 1.
    Ok(bodies)
}

/// Drains the outbox to `port`; every attempt's time.
async fn outbound(
    store: &Store,
    o: &Options,
    dir: &Path,
    port: u16,
) -> Result<(Vec<Duration>, f64), String> {
    fill_outbox(store, o, dir, port, o.messages).await?;
    let cfg = config(dir, port)?;
    let engine = Engine::new(store.clone(), cfg.clone());
    let q = outbox::MessageQueue::lri(cfg.lri_destination.as_ref().ok_or("no destination")?);
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < o.messages + 1 {
        if outbox::deliver_due_timed(&engine, &q, &mut times).await == 0 {
            return Err(format!("stalled after {} attempts", times.len()));
        }
    }
    Ok((times, start.elapsed().as_secs_f64()))
}

async fn open(url: &str) -> Result<Store, String> {
    Store::open(url).await.map_err(|e| e.to_string())
}

/// A fresh database for one measurement: SQLite in `dir`, or a new PostgreSQL database.
async fn fresh(o: &Options, backend: &str, dir: &Path, tag: &str) -> Result<Store, String> {
    match (backend, &o.postgres) {
        ("postgres", Some(admin)) => {
            let name = format!("gb_bench_{tag}_{}", std::process::id());
            let pool = sqlx::PgPool::connect(admin)
                .await
                .map_err(|e| e.to_string())?;
            for sql in [
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                format!("CREATE DATABASE {name}"),
            ] {
                sqlx::query(&sql)
                    .execute(&pool)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |b| b.0);
            open(&format!("{base}/{name}")).await
        }
        _ => {
            let db = dir.join(format!("{tag}.db"));
            let _ = std::fs::remove_file(&db);
            open(&format!("sqlite://{}", db.display())).await
        }
    }
}

pub async fn run(o: Options) -> Result<(), String> {
    let dir = std::fs::canonicalize(&o.dir)
        .or_else(|_| std::fs::create_dir_all(&o.dir).and_then(|_| std::fs::canonicalize(&o.dir)))
        .map_err(|e| e.to_string())?
        .join("mllp");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let n = o.messages;
    let mut rows = Vec::new();
    let (mut peer, peer_port) = start_peer(&o, &dir.join("peer.tsv"))?;

    let orms: Vec<String> = (0..n).map(orm).collect();
    let (t, s) = send_all(peer_port, &orms).await?;
    rows.push(row(
        "ORM^O01 intake",
        "python-hl7 server (nothing stored)",
        t,
        s,
    ));
    let mut backends = vec!["sqlite"];
    if o.postgres.is_some() {
        backends.push("postgres");
    }
    for b in &backends {
        let store = fresh(&o, b, &dir, "intake").await?;
        let (t, s) = intake(&store, &dir, &orms).await?;
        let what = format!("ORM^O01 intake, {b}");
        rows.push(row(&what, "genobridge (stored + audited, then AA)", t, s));
    }

    // Outbound: the peer's client first, on the messages GenoBridge then sends.
    let store = fresh(&o, "sqlite", &dir, "bodies").await?;
    let bodies = fill_outbox(&store, &o, &dir, peer_port, n).await?;
    let file = dir.join("oru.txt");
    std::fs::write(&file, bodies.join("\n")).map_err(|e| e.to_string())?;
    let out = Command::new(&o.python)
        .arg("server/tests/peers/bench_send.py")
        .arg(&file)
        .args(["--port", &peer_port.to_string()])
        .output()
        .map_err(|e| e.to_string())?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&out.stderr)))?;
    rows.push(Row {
        what: "ORU^R01 outbound".into(),
        tool: "python-hl7 client (nothing stored)",
        messages: v["messages"].as_u64().unwrap_or(0) as usize,
        seconds: v["seconds"].as_f64().unwrap_or(0.0),
        p50_ms: v["p50_ms"].as_f64().unwrap_or(0.0),
        p99_ms: v["p99_ms"].as_f64().unwrap_or(0.0),
    });
    // Our own receiver, answering AA at once: the engine's bound.
    let own = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let own_port = own.local_addr().map_err(|e| e.to_string())?.port();
    tokio::spawn(mllp::serve(own, |m| {
        Box::pin(async move { ack::build_ack(&m, "AA", "", "BENCHACK") })
    }));
    for b in &backends {
        for (port, to) in [
            (peer_port, "python-hl7 server"),
            (own_port, "in-process receiver"),
        ] {
            let store = fresh(&o, b, &dir, "out").await?;
            let (t, s) = outbound(&store, &o, &dir, port).await?;
            let what = format!("ORU^R01 outbound, {b}, to {to}");
            rows.push(row(
                &what,
                "genobridge (outbox: claim, send, ACK, audit, record)",
                t,
                s,
            ));
        }
    }
    let _ = peer.kill();
    let _ = peer.wait();

    println!("\nMLLP, {n} messages each, one connection, 127.0.0.1");
    println!(
        "{:<48} {:<54} {:>9} {:>8} {:>8}",
        "what", "tool", "msg/s", "p50 ms", "p99 ms"
    );
    for r in &rows {
        println!(
            "{:<48} {:<54} {:>9.0} {:>8.2} {:>8.2}",
            r.what,
            r.tool,
            r.messages as f64 / r.seconds.max(1e-9),
            r.p50_ms,
            r.p99_ms
        );
    }
    Ok(())
}
