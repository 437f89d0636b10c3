//! `genobridge bench`: VCF → LRI + FHIR throughput and peak memory, measured in the same
//! run as the Python peer (vcf2fhir), on the same files. Prints figures; asserts nothing.

use engine::{
    formats::vcf::Assembly,
    messages::{
        stream::{self, Outputs},
        Envelope,
    },
    report::{open_report, Selection},
};
use std::{
    io::{BufRead, BufReader, BufWriter, Write},
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

/// Peak resident set size of this process, from the kernel.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Streams one VCF into both messages, written to files in `out_dir` (as the peer writes
/// its Bundle to a file); prints one JSON line.
pub fn convert_once(path: &Path, assembly: Option<Assembly>, out_dir: &Path) -> Result<(), String> {
    let start = Instant::now();
    let order = crate::demo::placeholder_order();
    let env = Envelope::new("GBBENCH");
    let selection = Selection::default();
    let plan =
        engine::mapping::report::Plan::compile(&engine::mapping::Mapping::default_report(), None)
            .map_err(|e| e.to_string())?;
    let (reader, head) =
        open_report(path, None, assembly, &selection).map_err(|e| e.to_string())?;
    let create = |name: &str| {
        std::fs::File::create(out_dir.join(name))
            .map(|f| BufWriter::with_capacity(64 * 1024, f))
            .map_err(|e| format!("{}: {e}", out_dir.join(name).display()))
    };
    let outputs = Outputs {
        lri: Some(create("out.hl7")?),
        fhir: Some(create("out.json")?),
    };
    let (tally, _) = stream::convert(
        path,
        reader,
        &head,
        &selection,
        &order,
        &env,
        &plan,
        outputs,
        |_, _, _| {},
    )
    .map_err(|e| e.to_string())?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({ "records": tally.records_read, "variants": tally.reported, "seconds": secs, "peak_rss_kb": peak_rss_kb() })
    );
    Ok(())
}

/// Writes `records` records made from the annotated fixture's real records at new
/// positions; every fifth is LowQual, so 80% PASS.
pub fn synthesize(template: &Path, out: &Path, records: u64) -> Result<(), String> {
    let f = std::fs::File::open(template).map_err(|e| format!("{}: {e}", template.display()))?;
    let mut header = Vec::new();
    let mut body = Vec::new();
    for line in BufReader::new(f).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.starts_with('#') {
            header.push(line)
        } else {
            body.push(line)
        }
    }
    let mut w =
        BufWriter::new(std::fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?);
    let io = |e: std::io::Error| e.to_string();
    for h in &header {
        writeln!(w, "{h}").map_err(io)?;
    }
    for i in 0..records {
        let base = &body[(i % body.len() as u64) as usize];
        let mut cols: Vec<&str> = base.split('\t').collect();
        let pos = 1_000_000 + i * 10;
        let pos_s = pos.to_string();
        cols[1] = &pos_s;
        cols[2] = ".";
        if i % 5 == 4 {
            cols[6] = "LowQual";
        }
        writeln!(w, "{}", cols.join("\t")).map_err(io)?;
    }
    w.flush().map_err(io)
}

fn run_child(exe: &Path, args: &[&str]) -> Result<serde_json::Value, String> {
    let out = Command::new(exe)
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("bench child output: {e}"))
}

const PEER: &str = r#"
import json, resource, sys, time, vcf2fhir
start = time.time()
c = vcf2fhir.Converter(vcf_filename=sys.argv[1], ref_build=sys.argv[2], patient_id='SYN', genomic_source_class='germline')
c.convert(sys.argv[3])
print(json.dumps({"seconds": time.time() - start, "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"#;

fn run_peer(
    python: &Path,
    vcf: &Path,
    build: &str,
    dir: &Path,
) -> Result<serde_json::Value, String> {
    let out = Command::new(python)
        .args(["-c", PEER])
        .arg(vcf)
        .arg(build)
        .arg(dir.join("peer-out.json"))
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("failed")
            .to_string());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or("")).map_err(|e| e.to_string())
}

/// What is measured beside this binary.
pub struct Peers {
    /// The Python with vcf2fhir installed.
    pub python: Option<PathBuf>,
    /// An earlier genobridge binary (its `bench-convert`).
    pub baseline: Option<PathBuf>,
}

/// One line of the results table.
struct Row {
    tool: &'static str,
    input: String,
    records: u64,
    per_second: f64,
    peak_rss_kb: u64,
}

impl Row {
    /// From the `{"seconds", "peak_rss_kb"}` a measured process printed.
    fn from_json(tool: &'static str, input: &str, records: u64, m: &serde_json::Value) -> Row {
        let secs = m["seconds"].as_f64().unwrap_or(0.0);
        Row {
            tool,
            input: input.to_string(),
            records,
            per_second: if secs > 0.0 {
                records as f64 / secs
            } else {
                0.0
            },
            peak_rss_kb: m["peak_rss_kb"].as_u64().unwrap_or(0),
        }
    }
}

/// Small inputs run this many times per tool, and the median run is kept: one run of a
/// few tens of milliseconds is at the mercy of whatever else the machine does.
const REPEATS: usize = 3;
/// Inputs at least this large run once.
const RUN_ONCE_FROM: u64 = 100_000;

/// The median of measurements (by seconds); `runs` is never empty.
fn median_of(mut runs: Vec<serde_json::Value>) -> serde_json::Value {
    runs.sort_by(|a, b| {
        let secs = |m: &serde_json::Value| m["seconds"].as_f64().unwrap_or(f64::MAX);
        secs(a).total_cmp(&secs(b))
    });
    runs.swap_remove(runs.len() / 2)
}

/// Measures GenoBridge on `file`, the baseline binary when given (runs alternate with
/// ours, so both meet the same machine), and the peer too when `peer` is given. Outputs
/// are deleted after each run, so gigabytes of them do not weigh on the next measurement.
#[allow(clippy::too_many_arguments)]
fn measure(
    rows: &mut Vec<Row>,
    input: &str,
    file: &Path,
    records: u64,
    assembly: &str,
    peer: Option<&Path>,
    baseline: Option<&Path>,
    dir: &Path,
) -> Result<(), String> {
    let repeats = if records >= RUN_ONCE_FROM { 1 } else { REPEATS };
    let clean = || {
        for f in ["out.hl7", "out.json", "peer-out.json"] {
            let _ = std::fs::remove_file(dir.join(f));
        }
    };
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let once = |exe: &Path| {
        let m = run_child(
            exe,
            &[
                "bench-convert",
                "--assembly",
                assembly,
                "--out-dir",
                &dir.to_string_lossy(),
                &file.to_string_lossy(),
            ],
        );
        clean();
        m
    };
    let mut ours = Vec::new();
    let mut before = Vec::new();
    for _ in 0..repeats {
        ours.push(once(&exe)?);
        if let Some(b) = baseline {
            before.push(once(b)?);
        }
    }
    let ours = median_of(ours);
    rows.push(Row::from_json("genobridge", input, records, &ours));
    if !before.is_empty() {
        rows.push(Row::from_json(
            "genobridge baseline",
            input,
            records,
            &median_of(before),
        ));
    }
    if let Some(py) = peer {
        let theirs = (0..repeats)
            .map(|_| {
                let m = run_peer(py, file, assembly, dir);
                clean();
                m
            })
            .collect::<Result<Vec<_>, _>>()
            .map(median_of);
        match theirs {
            Ok(p) => rows.push(Row::from_json("vcf2fhir 0.1.1", input, records, &p)),
            Err(e) => eprintln!("peer failed on {input}: {e}"),
        }
    }
    Ok(())
}

pub fn run(
    fixtures: &Path,
    dir: &Path,
    records: u64,
    peers: Peers,
    peer_records: u64,
) -> Result<(), String> {
    let peer = peers.python;
    let baseline = peers.baseline.as_deref();
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let template = fixtures.join("vcf/NB6TK328_filtered.vcf");
    let mut rows = Vec::new();
    // The real 1000 Genomes sample first, before the large synthetic runs fill the page cache.
    let hg = fixtures.join("vcf/HG00404_b37.vcf");
    measure(
        &mut rows,
        "HG00404_b37.vcf",
        &hg,
        5698,
        "GRCh37",
        peer.as_deref(),
        baseline,
        dir,
    )?;
    let mut sizes = vec![peer_records, records / 10, records];
    sizes.sort_unstable();
    sizes.dedup();
    for n in sizes {
        let file = dir.join(format!("synthetic_{n}.vcf"));
        if !file.exists() {
            eprintln!("writing {} ({n} records)…", file.display());
            synthesize(&template, &file, n)?;
        }
        let peer = peer.as_deref().filter(|_| n == peer_records);
        measure(
            &mut rows,
            &format!("synthetic {n}"),
            &file,
            n,
            "GRCh38",
            peer,
            baseline,
            dir,
        )?;
    }
    println!("| tool | input | records | records/s | peak RSS |");
    println!("|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {:.0} | {:.1} MB |",
            r.tool,
            r.input,
            r.records,
            r.per_second,
            r.peak_rss_kb as f64 / 1024.0
        );
    }
    for ours in rows.iter().filter(|r| r.tool == "genobridge") {
        for other in rows
            .iter()
            .filter(|r| r.input == ours.input && r.tool != ours.tool && r.per_second > 0.0)
        {
            let ratio = ours.per_second / other.per_second;
            if other.tool == "genobridge baseline" {
                println!(
                    "{}: genobridge is {:+.1}% against the baseline binary",
                    ours.input,
                    (ratio - 1.0) * 100.0
                );
            } else {
                println!(
                    "{}: genobridge is {ratio:.0}× the peer's throughput",
                    ours.input
                );
            }
        }
    }
    Ok(())
}
