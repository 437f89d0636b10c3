//! `genobridge bench search`: the message browser's search over a SQLite database of
//! `--messages` outbound messages (100,000 by default), each query timed through
//! `Store::search_messages` and, on the same file in the same run, as plain SQL by
//! Python's own sqlite3 (the peer: the floor any search on this schema can reach). Prints
//! p50/p95/max per query; asserts nothing. The target is a page in under 200 ms.

use engine::store::{Db, MessageQuery, Store};
use std::{path::Path, process::Command, time::Instant};

/// Seeded rows: two messages (an ORU and a Bundle) per report, one report per order.
const RUNS: i64 = 100;
const SAMPLES_PER_RUN: i64 = 96;

pub async fn run(dir: &Path, messages: usize, python: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = dir.join("search-bench.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    let store = Store::open(&format!("sqlite://{}", file.display()))
        .await
        .map_err(|e| e.to_string())?;
    let reports = (messages as i64 / 2).max(1);
    let started = Instant::now();
    seed(&store, reports).await?;
    println!(
        "seeded {} messages ({reports} reports) in {:.1} s: {}",
        reports * 2,
        started.elapsed().as_secs_f64(),
        file.display()
    );
    let mid = reports; // an id in the middle of the messages: a deep page
    let queries: Vec<(&str, MessageQuery)> = vec![
        ("newest page", MessageQuery::default()),
        ("sample", q(|q| q.sample = Some("S0042".into()))),
        (
            "accession",
            q(|q| q.accession = Some(format!("ACC-{:07}", reports / 3))),
        ),
        ("run", q(|q| q.run = Some("RUN-042".into()))),
        ("dead letters", q(|q| q.status = Some("dead_letter".into()))),
        (
            "LRI pending",
            q(|q| {
                q.flow = Some("vcf-to-lri".into());
                q.status = Some("pending".into());
            }),
        ),
        (
            "one day",
            q(|q| {
                q.from = Some("2026-06-15".into());
                q.to = Some("2026-06-15".into());
            }),
        ),
        (
            "MRN",
            q(|q| q.mrn = Some(format!("SYN-{:07}", reports / 2))),
        ),
        (
            "patient name",
            q(|q| q.patient = Some("synthetic42".into())),
        ),
        ("deep page", q(|q| q.before = Some(mid))),
        (
            "destination+status",
            q(|q| {
                q.destination = Some("ehr.example:2575".into());
                q.status = Some("delivered".into());
            }),
        ),
    ];
    let peer = peer_timings(python, &file, reports);
    println!(
        "{:<20} {:>8} {:>8} {:>8} {:>6} | {:>18}",
        "query", "p50 ms", "p95 ms", "max ms", "rows", "peer sqlite3 p50/p95"
    );
    for (name, query) in &queries {
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..30 {
            let t = Instant::now();
            let page = store
                .search_messages(query)
                .await
                .map_err(|e| e.to_string())?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            rows = page.rows.len();
        }
        times.sort_by(f64::total_cmp);
        let pick = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        let peer = peer
            .as_ref()
            .and_then(|v| v.get(*name))
            .map(|t| {
                format!(
                    "{:.2} / {:.2}",
                    t[0].as_f64().unwrap_or(0.0),
                    t[1].as_f64().unwrap_or(0.0)
                )
            })
            .unwrap_or_else(|| "-".into());
        println!(
            "{name:<20} {:>8.2} {:>8.2} {:>8.2} {rows:>6} | {peer:>18}",
            pick(0.5),
            pick(0.95),
            times[times.len() - 1]
        );
    }
    Ok(())
}

fn q(f: impl FnOnce(&mut MessageQuery)) -> MessageQuery {
    let mut q = MessageQuery::default();
    f(&mut q);
    q
}

/// Synthetic orders, reports, runs and messages in one transaction each, by recursive
/// CTEs (no patient is real). Dates spread over 2026; bodies are 3 KB like a short ORU.
async fn seed(store: &Store, reports: i64) -> Result<(), String> {
    let Db::Sqlite(pool) = store.db() else {
        return Err("bench search runs on SQLite".into());
    };
    let statements = [
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {reports}) \
             INSERT INTO orders (accession, sample_id, placer_number, filler_number, patient_mrn, patient_family, \
             patient_given, birth_date, sex, test_code, test_name, specimen_type, received_at) \
             SELECT printf('ACC-%07d', i), printf('S%04d', i % {samples}), printf('PL-%d', i), printf('FI-%d', i), \
             printf('SYN-%07d', i), printf('Synthetic%d', i % 5000), 'Alex', '1980-01-01', 'U', 'P', 'Panel', 'Blood', \
             '2026-01-01T00:00:00Z' FROM n",
            samples = RUNS * SAMPLES_PER_RUN
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {reports}) \
             INSERT INTO reports (sample_id, source_file, source_sha256, order_pk, status, records_read, \
             variants_reported, records_rejected, created_at, accession) \
             SELECT printf('S%04d', i % {samples}), printf('/vcf/ACC-%07d.vcf', i), printf('%064d', i), i, 'ready', \
             100, 10, 0, '2026-01-01T00:00:00Z', printf('ACC-%07d', i) FROM n",
            samples = RUNS * SAMPLES_PER_RUN
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {RUNS}) \
             INSERT INTO runs (run_id, flowcell, instrument, platform, folder, status, detected_at, record_json) \
             SELECT printf('RUN-%03d', i), 'FC', 'NovaSeq', 'illumina', '/runs', 'complete', '2026-01-01T00:00:00Z', '{{}}' FROM n"
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {total}) \
             INSERT INTO run_samples (run_pk, sample_id) SELECT i / {SAMPLES_PER_RUN} + 1, printf('S%04d', i) FROM n",
            total = RUNS * SAMPLES_PER_RUN - 1
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {total}) \
             INSERT INTO messages (report_pk, kind, control_id, destination, status, attempts, body, created_at, \
             updated_at, idempotency_key, order_key) \
             SELECT (i + 1) / 2, CASE i % 2 WHEN 1 THEN 'lri' ELSE 'fhir' END, printf('GB%08d%s', (i + 1) / 2, \
             CASE i % 2 WHEN 1 THEN 'L' ELSE 'F' END), \
             CASE i % 2 WHEN 1 THEN 'ehr.example:2575' ELSE 'fhir' END, \
             CASE WHEN i % 997 = 0 THEN 'dead_letter' WHEN i % 311 = 0 THEN 'pending' ELSE 'delivered' END, 1, \
             hex(randomblob(1500)), strftime('%Y-%m-%dT%H:%M:%SZ', '2026-01-01', printf('+%d seconds', i * 300)), \
             strftime('%Y-%m-%dT%H:%M:%SZ', '2026-01-01', printf('+%d seconds', i * 300)), printf('K%d', i), \
             printf('ACC-%07d', (i + 1) / 2) FROM n",
            total = reports * 2
        ),
        "ANALYZE".to_string(),
    ];
    for sql in statements {
        sqlx::query(&sql)
            .execute(pool)
            .await
            .map_err(|e| format!("seeding: {e}"))?;
    }
    Ok(())
}

/// The peer's p50/p95 per query name, or `None` (printed as `-`) when it cannot run.
fn peer_timings(python: &Path, file: &Path, reports: i64) -> Option<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/sqlite_search_peer.py");
    let out = Command::new(python)
        .arg(script)
        .arg(file)
        .arg(reports.to_string())
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "the sqlite3 peer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}
