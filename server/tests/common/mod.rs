//! Helpers shared by the tests that run the real `genobridge` binary beside peers that are
//! not our code: fixture and venv paths, free ports, child processes killed when a test
//! ends, their output read line by line, and the Python EHR that sends an order.
#![allow(dead_code)]

pub mod fleet;
pub mod web;

use serde_json::Value;
use std::{
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
    process::Child,
    sync::mpsc,
    time::{Duration, Instant},
};

/// Generous: the first start migrates a new database, and CI machines are slow.
pub const WAIT: Duration = Duration::from_secs(90);

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    std::env::var_os("GENOBRIDGE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../../shared/fixtures"))
}

/// The project's venv (scripts/setup.sh makes it from validators/requirements.txt).
pub fn python() -> PathBuf {
    let p = manifest_dir().join("../.venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup.sh (it installs hl7 and hl7apy)",
        p.display()
    );
    p
}

pub fn peer(script: &str) -> PathBuf {
    manifest_dir().join("tests/peers").join(script)
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A child process, killed when the test ends however it ends.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every line `out` prints, read on a thread so the pipe is drained for as long as the
/// child lives (a child writing to a closed pipe would fail).
pub fn lines(out: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The lines up to and including the first that starts with `prefix`.
pub fn until(rx: &mpsc::Receiver<String>, prefix: &str, what: &str) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let done = line.starts_with(prefix);
                seen.push(line);
                if done {
                    return seen;
                }
            }
            Err(e) => panic!("{what} never printed {prefix:?} ({e}); it printed {seen:?}"),
        }
    }
}

/// The last lines of a log file, for failure messages.
pub fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// A synthetic ORM^O01 sent by the `hl7` package's MLLP client (tests/peers/send_order.py);
/// its ACK, as JSON.
pub async fn send_order(port: u16, accession: &str, sample: &str) -> Value {
    let run = tokio::process::Command::new(python())
        .arg(peer("send_order.py"))
        .args(["--port", &port.to_string()])
        .args(["--accession", accession, "--sample", sample])
        .args(["--timeout", "30"])
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(WAIT, run)
        .await
        .expect("send_order.py did not finish")
        .expect("starting send_order.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "send_order.py failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}
