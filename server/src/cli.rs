//! The command-line contract: `serve`, `parse`, `convert`, `audit verify`, `mapping …`. Bad
//! input gives a message naming the file and line or field, and a non-zero exit; never a
//! panic.

mod mapping;

use clap::{Parser, Subcommand, ValueEnum};
use engine::{
    config::Config,
    formats::{self, vcf::Assembly},
    mapping::{report::Plan, Mapping},
    messages::{
        stream::{self, Outputs},
        Envelope,
    },
    report::{open_report, Selection},
    store::{AuditVerification, Order, Store},
};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "genobridge",
    version,
    about = "Clinical genomics integration: instruments → LIMS → EHR"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web UI, the REST API and the engine.
    Serve {
        /// Configuration file (TOML). See engine/src/config.rs for every setting.
        #[arg(long, env = "GENOBRIDGE_CONFIG", default_value = "genobridge.toml")]
        config: PathBuf,
        /// Seed demo data: a synthetic order, and the fixtures' run and VCF in the watched folders.
        #[arg(long)]
        demo: bool,
    },
    /// Detect a file's format and print its record tree as JSON (warnings on stderr).
    Parse {
        /// An instrument export, a run folder, a sample sheet or a VCF.
        path: PathBuf,
        /// Print the tree's fields (path, type, example) instead of the tree.
        #[arg(long)]
        schema: bool,
        /// Use this connector instead of detecting one (e.g. `quantstudio`, or a
        /// `[[connectors.delimited]]` name).
        #[arg(long)]
        format: Option<String>,
        /// Configuration with `[[connectors.delimited]]` formats and completion rules
        /// (default: genobridge.toml when it exists).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Convert a VCF to an HL7 v2 LRI ORU^R01 or a FHIR Bundle and print it.
    Convert {
        #[arg(long = "to", value_enum)]
        to: Target,
        /// The order (JSON, fields as in engine::store::Order) supplying patient and order fields.
        /// Without it a synthetic placeholder patient is used, and said so on stderr.
        #[arg(long)]
        order: Option<PathBuf>,
        /// The sample column to report, when the VCF has several.
        #[arg(long)]
        sample: Option<String>,
        /// GRCh37 or GRCh38, for VCFs whose header does not say.
        #[arg(long)]
        assembly: Option<Assembly>,
        /// BED file of the regions studied: only variants inside are reported, and the FHIR
        /// Bundle gains a GenomicStudy pointing at the file.
        #[arg(long)]
        regions: Option<PathBuf>,
        /// HGNC's complete-set export (hgnc_complete_set.txt), for the HGNC ids of genes the
        /// annotation names by symbol only (SnpEff). `data/hgnc_demo.tsv` has a few.
        #[arg(long)]
        hgnc: Option<PathBuf>,
        /// Medication name → RxNorm RxCUI table (tab-separated, `name` and `rxcui` columns),
        /// to code the drugs of ClinVar drug-response assertions.
        #[arg(long)]
        rxnorm: Option<PathBuf>,
        /// A report mapping file (default: the shipped `vcf-report`).
        #[arg(long)]
        mapping: Option<PathBuf>,
        path: PathBuf,
    },
    /// Measure VCF → LRI + FHIR throughput and peak memory (`bench`, `bench vcf`), durable
    /// MLLP intake and delivery (`bench mllp`), or the message browser's search over
    /// `--messages` stored messages (`bench search --messages 100000`), beside the peers.
    Bench {
        #[arg(value_enum, default_value_t = BenchKind::Vcf)]
        what: BenchKind,
        /// `bench mllp`: messages per measurement.
        #[arg(long, default_value_t = 5_000)]
        messages: usize,
        /// `bench mllp`: also measure on PostgreSQL (an admin URL; a database is made).
        #[arg(long)]
        postgres: Option<String>,
        /// `bench mllp`: the Python with python-hl7 (scripts/setup.sh's venv).
        #[arg(long, default_value = ".venv/bin/python")]
        mllp_python: PathBuf,
        /// Records in the largest synthetic VCF.
        #[arg(long, default_value_t = 1_000_000)]
        records: u64,
        /// Records in the file both tools convert (the peer is slow).
        #[arg(long, default_value_t = 5_000)]
        peer_records: u64,
        /// The Python with vcf2fhir 0.1.1 installed (see scripts/bench.sh).
        #[arg(long)]
        peer_python: Option<PathBuf>,
        #[arg(long, default_value = "../shared/fixtures")]
        fixtures: PathBuf,
        #[arg(long, default_value = "target/bench")]
        dir: PathBuf,
        /// An earlier `genobridge` binary, measured beside this one on the same files
        /// (scripts/bench.sh --baseline COMMIT builds one).
        #[arg(long)]
        baseline: Option<PathBuf>,
    },
    /// (internal) One streamed conversion, for `bench` to measure in a fresh process.
    #[command(hide = true)]
    BenchConvert {
        #[arg(long)]
        assembly: Option<Assembly>,
        /// Folder for the two outputs (`out.hl7`, `out.json`).
        #[arg(long)]
        out_dir: PathBuf,
        path: PathBuf,
    },
    /// Audit log commands.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
        /// Database URL (default: the one in the config file, else .data/genobridge.db).
        #[arg(long, env = "DATABASE_URL", global = true)]
        database_url: Option<String>,
        #[arg(
            long,
            env = "GENOBRIDGE_CONFIG",
            default_value = "genobridge.toml",
            global = true
        )]
        config: PathBuf,
    },
    /// Delete delivered messages older than `[retention] delivered_after`, once, and print
    /// how many (`serve` does this every `[retention] interval`). Queued, stored and
    /// dead-lettered messages are never deleted.
    Prune {
        #[arg(long, env = "GENOBRIDGE_CONFIG", default_value = "genobridge.toml")]
        config: PathBuf,
    },
    /// Mapping versions: list, show, export, import, validate, diff, test, submit, approve,
    /// activate, and the report targets.
    Mapping {
        #[command(subcommand)]
        command: mapping::MappingCommand,
        /// Database URL (default: the one in the config file, else .data/genobridge.db).
        #[arg(long, env = "DATABASE_URL", global = true)]
        database_url: Option<String>,
        #[arg(
            long,
            env = "GENOBRIDGE_CONFIG",
            default_value = "genobridge.toml",
            global = true
        )]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain and its anchors; exit 1 naming the first broken event.
    Verify {
        /// An anchor file kept outside the database (default: `[audit] anchor_file`).
        #[arg(long)]
        anchor_file: Option<PathBuf>,
    },
    /// Anchor the chain's head now (in the database, and in `[audit] anchor_file`).
    Anchor,
    /// Export the events a query selects as events.csv, events.json and manifest.json
    /// (counts, ids, the chain head, each file's SHA-256), for an inspector to re-check
    /// with scripts/audit_recheck.py.
    Export {
        /// The folder to write (created if missing).
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        sample: Option<String>,
        #[arg(long)]
        run: Option<String>,
        #[arg(long)]
        accession: Option<String>,
        #[arg(long)]
        user: Option<String>,
        /// An event kind, or a family with a trailing dot (`phi.`).
        #[arg(long)]
        action: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Target {
    Lri,
    Fhir,
}

pub fn load_config(path: &std::path::Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the configuration: {e}", path.display()))?;
    Config::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub async fn run(cli: Cli) -> Result<i32, String> {
    match cli.command {
        Command::Serve { config, demo } => {
            let cfg = load_config(&config)?;
            crate::demo::serve(cfg, demo).await.map(|_| 0)
        }
        Command::Bench {
            what: BenchKind::Mllp,
            messages,
            postgres,
            mllp_python,
            fixtures,
            dir,
            ..
        } => crate::bench_mllp::run(crate::bench_mllp::Options {
            messages,
            postgres,
            python: mllp_python,
            fixtures,
            dir,
        })
        .await
        .map(|_| 0),
        Command::Bench {
            what: BenchKind::Search,
            messages,
            mllp_python,
            dir,
            ..
        } => crate::bench_search::run(&dir, messages, &mllp_python)
            .await
            .map(|_| 0),
        Command::Bench {
            records,
            peer_records,
            peer_python,
            fixtures,
            dir,
            baseline,
            ..
        } => crate::bench::run(
            &fixtures,
            &dir,
            records,
            crate::bench::Peers {
                python: peer_python,
                baseline,
            },
            peer_records,
        )
        .map(|_| 0),
        Command::BenchConvert {
            assembly,
            out_dir,
            path,
        } => crate::bench::convert_once(&path, assembly, &out_dir).map(|_| 0),
        Command::Parse {
            path,
            schema,
            format,
            config,
        } => parse(&path, schema, format.as_deref(), config),
        Command::Convert {
            to,
            order,
            sample,
            assembly,
            regions,
            hgnc,
            rxnorm,
            mapping,
            path,
        } => {
            let selection = Selection {
                regions_bed: regions,
                hgnc_table: hgnc,
                rxnorm_table: rxnorm,
                ..Selection::default()
            };
            let mapping = match mapping {
                Some(p) => read_mapping(&p)?,
                None => Mapping::default_report(),
            };
            convert(to, order, sample, assembly, selection, &mapping, path)
        }
        Command::Mapping {
            command,
            database_url,
            config,
        } => mapping::run(command, database_url, &config).await,
        Command::Prune { config } => prune(&config).await,
        Command::Audit {
            command: AuditCommand::Anchor,
            database_url,
            config,
        } => {
            let store = open_store(database_url, &config).await?;
            let cfg = load_config(&config).ok();
            let engine_cfg = cfg.unwrap_or_else(|| {
                Config::from_toml("[watch]\nruns_dir = \".\"\nvcf_dir = \".\"\n")
                    .expect("the minimal configuration parses")
            });
            let engine = engine::pipeline::Engine::new(store, engine_cfg);
            match engine::pipeline::anchors::anchor_once(&engine).await? {
                Some(a) => println!("anchored event {} ({}) at {}", a.event_id, a.hash, a.at),
                None => println!("nothing new to anchor"),
            }
            Ok(0)
        }
        Command::Audit {
            command:
                AuditCommand::Export {
                    out,
                    from,
                    to,
                    sample,
                    run,
                    accession,
                    user,
                    action,
                },
            database_url,
            config,
        } => {
            let store = open_store(database_url, &config).await?;
            let q = engine::store::AuditQuery {
                from,
                to,
                sample,
                run,
                accession,
                user,
                action,
                ..Default::default()
            };
            let m = engine::audit_export::export(&store, &q, &out).await?;
            let detail = serde_json::json!({
                "query": m.query, "events": m.events, "first_id": m.first_id, "last_id": m.last_id,
                "files": m.files, "via": "cli",
            });
            store
                .append_audit(engine::store::NewAuditEvent::system(
                    "audit.exported",
                    "audit",
                    "export",
                    detail,
                ))
                .await
                .map_err(|e| format!("auditing the export: {e}"))?;
            println!(
                "exported {} events ({}) to {}",
                m.events,
                match (m.first_id, m.last_id) {
                    (Some(a), Some(b)) => format!("ids {a}–{b}"),
                    _ => "none".into(),
                },
                out.display()
            );
            Ok(0)
        }
        Command::Audit {
            command: AuditCommand::Verify { anchor_file },
            database_url,
            config,
        } => {
            let store = open_store(database_url, &config).await?;
            let file = anchor_file.or_else(|| {
                load_config(&config)
                    .ok()
                    .and_then(|c| c.audit.anchor_file)
                    .filter(|f| f.exists())
            });
            let mut anchors = store.audit_anchors().await.map_err(|e| e.to_string())?;
            if let Some(f) = &file {
                anchors.extend(engine::pipeline::anchors::read_anchor_file(f)?);
            }
            match store
                .verify_audit_against(&anchors)
                .await
                .map_err(|e| e.to_string())?
            {
                AuditVerification::Intact { events } => {
                    println!(
                        "audit chain intact: {events} events, {} anchors matched{}",
                        anchors.len(),
                        file.map(|f| format!(" (with {})", f.display()))
                            .unwrap_or_default()
                    );
                    Ok(0)
                }
                AuditVerification::Broken { event_id, reason } => {
                    println!("audit chain broken at event {event_id}: {reason}");
                    Ok(1)
                }
            }
        }
    }
}

/// `genobridge prune`: one pruning by the configuration's `[retention]`.
async fn prune(config: &std::path::Path) -> Result<i32, String> {
    let cfg = load_config(config)?;
    let Some(retention) = cfg.retention.clone() else {
        return Err(format!(
            "{}: there is no [retention] table, so nothing is ever pruned",
            config.display()
        ));
    };
    let store = Store::open(&cfg.database_url)
        .await
        .map_err(|e| format!("{}: {e}", cfg.database_url))?;
    let engine = engine::pipeline::Engine::new(store, cfg);
    let pruned =
        engine::pipeline::retention::prune_once(&engine, &retention, std::time::SystemTime::now())
            .await?;
    println!(
        "pruned {} delivered messages, {} LIMS deliveries and {} alert notices older than {}",
        pruned.messages,
        pruned.lims_deliveries,
        pruned.alert_notices,
        humantime::format_duration(retention.delivered_after)
    );
    Ok(0)
}

/// The store at `--database-url`, else the configuration's, else `.data/genobridge.db`.
pub async fn open_store(
    database_url: Option<String>,
    config: &std::path::Path,
) -> Result<Store, String> {
    let url = match database_url {
        Some(u) => u,
        None => load_config(config)
            .map(|c| c.database_url)
            .unwrap_or_else(|_| "sqlite://.data/genobridge.db".into()),
    };
    Store::open(&url).await.map_err(|e| format!("{url}: {e}"))
}

/// `genobridge parse`: the connectors of the configuration (when there is one) and the
/// built-in ones.
fn parse(
    path: &std::path::Path,
    schema: bool,
    format: Option<&str>,
    config: Option<PathBuf>,
) -> Result<i32, String> {
    let registry = match config {
        Some(c) => load_config(&c)?.registry(),
        None => match load_config(std::path::Path::new("genobridge.toml")) {
            Ok(cfg) => cfg.registry(),
            Err(_) => formats::Registry::builtin(),
        },
    };
    let parsed = registry.parse(path, format).map_err(|e| e.to_string())?;
    for w in &parsed.warnings {
        eprintln!("warning: {w}");
    }
    let out = if schema {
        serde_json::to_value(formats::record::schema(&parsed.tree)).unwrap_or_default()
    } else {
        parsed.tree
    };
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    Ok(0)
}

/// Reads and checks a mapping file; errors name the file, the rule and the reason.
pub fn read_mapping(p: &std::path::Path) -> Result<Mapping, String> {
    let text =
        std::fs::read_to_string(p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
    Mapping::from_toml(&p.display().to_string(), &text).map_err(|e| e.to_string())
}

fn convert(
    to: Target,
    order: Option<PathBuf>,
    sample: Option<String>,
    assembly: Option<Assembly>,
    selection: Selection,
    mapping: &Mapping,
    path: PathBuf,
) -> Result<i32, String> {
    let order: Order = match order {
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
            serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{}: line {}, column {}: {e}",
                    p.display(),
                    e.line(),
                    e.column()
                )
            })?
        }
        None => {
            eprintln!("note: no --order given; using a synthetic placeholder patient (never send this output)");
            crate::demo::placeholder_order()
        }
    };
    let selection = selection.load().map_err(|e| e.to_string())?;
    let plan =
        Plan::compile(mapping, selection.genes_by_symbol.clone()).map_err(|e| e.to_string())?;
    let (reader, head) =
        open_report(&path, sample.as_deref(), assembly, &selection).map_err(|e| e.to_string())?;
    for w in &head.header_warnings {
        eprintln!("{}: warning: {w}", path.display());
    }
    let env = Envelope::new(format!("GBCLI{}", std::process::id()));
    let stdout = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout());
    let outputs = match to {
        Target::Lri => Outputs {
            lri: Some(SegmentPerLine(stdout)),
            fhir: None,
        },
        Target::Fhir => Outputs {
            lri: None,
            fhir: Some(SegmentPerLine(stdout)),
        },
    };
    let progress = crate::progress::Progress::new();
    // Streams: memory stays flat whatever the file size.
    let (tally, _) = stream::convert(
        &path,
        reader,
        &head,
        &selection,
        &order,
        &env,
        &plan,
        outputs,
        |r, v, x| progress.update(r, v, x),
    )
    .map_err(|e| e.to_string())?;
    progress.finish();
    println!();
    for r in &tally.rejected {
        eprintln!(
            "{}: line {}: rejected: {}",
            path.display(),
            r.line,
            r.reason
        );
    }
    Ok(0)
}

/// Segments are separated by CR on the wire; a terminal wants one per line. (JSON never
/// holds a raw CR, so the FHIR output passes through unchanged.)
struct SegmentPerLine<W: std::io::Write>(W);

impl<W: std::io::Write> std::io::Write for SegmentPerLine<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for (i, part) in buf.split(|b| *b == b'\r').enumerate() {
            if i > 0 {
                self.0.write_all(b"\n")?;
            }
            self.0.write_all(part)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// What `bench` measures.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BenchKind {
    /// VCF → LRI + FHIR conversion.
    Vcf,
    /// MLLP intake and outbound delivery, durable.
    Mllp,
    /// The message browser's search over `--messages` stored messages (SQLite).
    Search,
}
