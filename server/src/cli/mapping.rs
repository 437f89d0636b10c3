//! `genobridge mapping …`: mapping versions from the command line, for CI pipelines.
//! `validate`, `targets`, and `test`/`diff` of files need no database.

use clap::Subcommand;
use engine::{
    mapping::{
        self, catalogue,
        sample::{self, SampleContext},
        versions::{ImportAction, APPROVED_FOR_CLINICAL_USE},
        Mapping,
    },
    store::{MappingVersion, Store, User},
};
use std::fmt::Write as _;
use std::io::BufRead;

/// `writeln!` into a String, which cannot fail.
macro_rules! w {
    ($out:ident, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum MappingCommand {
    /// Every version: name, version, state, kind, source, hash and author.
    List {
        /// Only this mapping's versions.
        name: Option<String>,
    },
    /// One version (the active one, else the newest): its signatures, golden samples and
    /// body.
    Show {
        name: String,
        #[arg(long)]
        version: Option<i64>,
    },
    /// Write a version's file (comment header, then the byte-stable body) to stdout.
    Export {
        name: String,
        #[arg(long)]
        version: Option<i64>,
    },
    /// Import a mapping file as a draft. A file naming a version that is not a draft must
    /// match it exactly. Acts as `--user` (password from GENOBRIDGE_PASSWORD or stdin).
    Import {
        file: PathBuf,
        #[arg(long)]
        user: String,
    },
    /// Check a mapping file (no database).
    Validate { file: PathBuf },
    /// Field-level differences: each side is a FILE, a NAME (its active version) or
    /// NAME@VERSION.
    Diff { old: String, new: String },
    /// Run a mapping (FILE, NAME or NAME@VERSION) on a sample file: the outputs, every
    /// error, and for each output field its source path and transforms.
    Test { mapping: String, sample: PathBuf },
    /// Submit a draft for approval (engineer or admin).
    Submit {
        name: String,
        version: i64,
        #[arg(long)]
        user: String,
    },
    /// Sign a submitted version (director): approve it, or with `--reject` reject it with
    /// `--meaning` as the reason. The password comes from GENOBRIDGE_PASSWORD or stdin.
    Approve {
        name: String,
        version: i64,
        #[arg(long)]
        user: String,
        #[arg(long, default_value = APPROVED_FOR_CLINICAL_USE)]
        meaning: String,
        #[arg(long)]
        reject: bool,
    },
    /// Activate an approved version (director or admin); activating an earlier one is a
    /// rollback.
    Activate {
        name: String,
        version: i64,
        #[arg(long)]
        user: String,
    },
    /// Retire an approved or rejected version (director or admin): it stays readable and
    /// signed, and can never be activated again.
    Retire {
        name: String,
        version: i64,
        #[arg(long)]
        user: String,
    },
    /// Add a golden sample to a mapping (director or engineer): the sample file, with the
    /// outputs that a version (NAME, its active one, or NAME@VERSION) gives on it as the
    /// expected outputs. Use synthetic or de-identified files only.
    GoldenAdd {
        mapping: String,
        sample: PathBuf,
        /// What the sample covers (shown and audited; no patient identifiers).
        #[arg(long)]
        label: String,
        #[arg(long)]
        user: String,
    },
    /// Make a version's actual output on a golden sample the expected output (director or
    /// engineer); prints what changed, and audits the keys.
    GoldenPromote {
        name: String,
        version: i64,
        #[arg(long)]
        label: String,
        #[arg(long)]
        user: String,
    },
    /// The report targets (LOINC codes) a rule can write, filtered by words.
    Targets { words: Vec<String> },
    /// Impact replay: run a version (FILE, NAME or NAME@VERSION) and the active one on the
    /// newest real inputs the engine has processed, and print, per input, which outputs
    /// would change and how. Nothing is stored or sent.
    Replay {
        mapping: String,
        /// How many of the newest inputs.
        #[arg(long, default_value_t = engine::mapping::replay::DEFAULT_INPUTS)]
        limit: usize,
    },
}

pub async fn run(
    command: MappingCommand,
    database_url: Option<String>,
    config: &Path,
) -> Result<i32, String> {
    let store = || super::open_store(database_url.clone(), config);
    match command {
        MappingCommand::Validate { file } => {
            let m = super::read_mapping(&file)?;
            println!(
                "{}: ok: mapping {:?} ({}, source {}), {} rules, sha256 {}",
                file.display(),
                m.name,
                m.kind_name(),
                m.source,
                m.rules.len(),
                m.sha256()
            );
            Ok(0)
        }
        MappingCommand::Targets { words } => {
            for t in catalogue::search(&words.join(" ")) {
                let unit = t.unit.map(|u| format!(" [{u}]")).unwrap_or_default();
                println!("{}\t{}\t{:?}{unit}", t.code, t.display, t.value_type);
                for a in t.answers {
                    println!("\t{}\t{}", a.code, a.display);
                }
            }
            Ok(0)
        }
        MappingCommand::List { name } => {
            let store = store().await?;
            let all = store
                .mapping_versions(name.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            if all.is_empty() {
                return Err(match name {
                    Some(n) => format!("no mapping named {n:?}"),
                    None => "no mappings".into(),
                });
            }
            println!("NAME\tVERSION\tSTATE\tKIND\tSOURCE\tSHA256\tAUTHOR");
            for v in all {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    v.name,
                    v.version,
                    v.state.as_str(),
                    v.kind,
                    v.source,
                    &v.sha256[..12.min(v.sha256.len())],
                    v.author
                );
            }
            Ok(0)
        }
        MappingCommand::Show { name, version } => {
            let store = store().await?;
            let v = current(&store, &name, version).await?;
            let sigs = store
                .mapping_signatures(v.id)
                .await
                .map_err(|e| e.to_string())?;
            println!("mapping:  {}", v.name);
            println!("version:  {}", v.version);
            println!("state:    {}", v.state.as_str());
            println!("kind:     {} (source {})", v.kind, v.source);
            println!("sha256:   {}", v.sha256);
            println!("author:   {}", v.author);
            println!("created:  {}", v.created_at);
            println!("updated:  {} (revision {})", v.updated_at, v.revision);
            if sigs.is_empty() {
                println!("signatures: none");
            }
            for s in &sigs {
                println!("signature: {}", s.manifest());
            }
            let golden = store
                .golden_samples(&v.name)
                .await
                .map_err(|e| e.to_string())?;
            for g in &golden {
                println!(
                    "golden sample: {:?} ({}), expected set by {} at {}",
                    g.label, g.file_name, g.promoted_by, g.promoted_at
                );
            }
            println!();
            print!("{}", v.body);
            Ok(0)
        }
        MappingCommand::Export { name, version } => {
            let store = store().await?;
            let v = current(&store, &name, version).await?;
            let text = store.export_mapping(&v).await.map_err(|e| e.to_string())?;
            emit(&text);
            Ok(0)
        }
        MappingCommand::Import { file, user } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
            // Check the file before asking for a password.
            Mapping::from_toml(&file.display().to_string(), &text).map_err(|e| e.to_string())?;
            let store = store().await?;
            let user = login(&store, &user).await?;
            let (action, v) = store
                .import_mapping(&user, &file.display().to_string(), &text)
                .await
                .map_err(|e| e.to_string())?;
            match action {
                ImportAction::Unchanged { .. } => {
                    println!("{}: unchanged ({})", v.label(), v.state.as_str())
                }
                ImportAction::UpdateDraft { .. } => {
                    println!("{}: draft updated (revision {})", v.label(), v.revision)
                }
                ImportAction::NewDraft => println!("{}: new draft", v.label()),
            }
            println!("sha256 {}", v.sha256);
            Ok(0)
        }
        MappingCommand::Diff { old, new } => {
            let db = Lazy::new(database_url.clone(), config);
            let a = resolve(&db, &old).await?;
            let b = resolve(&db, &new).await?;
            let changes = mapping::diff(&a, &b);
            if changes.is_empty() {
                println!("no differences");
            }
            for c in changes {
                let show = |v: &Option<serde_json::Value>| {
                    v.as_ref().map(|v| v.to_string()).unwrap_or_default()
                };
                match c.kind {
                    mapping::ChangeKind::Added => println!("+ {}: {}", c.key, show(&c.new)),
                    mapping::ChangeKind::Removed => println!("- {}: {}", c.key, show(&c.old)),
                    mapping::ChangeKind::Changed => {
                        println!("~ {}: {} -> {}", c.key, show(&c.old), show(&c.new))
                    }
                }
            }
            Ok(0)
        }
        MappingCommand::Replay { mapping, limit } => {
            let db = Lazy::new(database_url.clone(), config);
            let candidate = resolve(&db, &mapping).await?;
            let store = db.get().await?;
            let results = engine::mapping::replay::against_active(store, &candidate, limit)
                .await
                .map_err(|e| e.to_string())?;
            if results.is_empty() {
                println!("no inputs of source {:?} processed yet", candidate.source);
            }
            let changed = results.iter().filter(|r| !r.changes.is_empty()).count();
            for r in &results {
                match (&r.error, r.changes.len()) {
                    (Some(e), _) => println!("{}: not replayed: {e}", r.input),
                    (None, 0) => println!("{}: no change", r.input),
                    (None, n) => {
                        println!("{}: {n} output fields change", r.input);
                        for c in &r.changes {
                            println!(
                                "  {}: {} -> {}",
                                c.key,
                                c.expected.as_deref().unwrap_or("(absent)"),
                                c.actual.as_deref().unwrap_or("(absent)")
                            );
                        }
                    }
                }
            }
            println!("{changed} of {} inputs would change", results.len());
            Ok(0)
        }
        MappingCommand::Test { mapping, sample } => {
            let db = Lazy::new(database_url.clone(), config);
            let m = resolve(&db, &mapping).await?;
            test(&m, &sample)
        }
        MappingCommand::Submit {
            name,
            version,
            user,
        } => {
            let store = store().await?;
            let user = login(&store, &user).await?;
            let v = store
                .submit_mapping(&user, &name, version)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}: submitted (sha256 {})", v.label(), v.sha256);
            Ok(0)
        }
        MappingCommand::Approve {
            name,
            version,
            user,
            meaning,
            reject,
        } => {
            let store = store().await?;
            let signer = store
                .user_by_username(&user)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no user {user:?}"))?;
            let password = password()?;
            let v = if reject {
                if meaning == APPROVED_FOR_CLINICAL_USE {
                    return Err("a rejection needs --meaning with the reason".into());
                }
                store
                    .reject_mapping(&signer, &password, &name, version, &meaning)
                    .await
            } else {
                store
                    .approve_mapping(&signer, &password, &name, version, &meaning)
                    .await
            }
            .map_err(|e| e.to_string())?;
            let sigs = store
                .mapping_signatures(v.id)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}: {} (sha256 {})", v.label(), v.state.as_str(), v.sha256);
            if let Some(s) = sigs.last() {
                println!("signature: {}", s.manifest());
            }
            Ok(0)
        }
        MappingCommand::Retire {
            name,
            version,
            user,
        } => {
            let store = store().await?;
            let user = login(&store, &user).await?;
            let v = store
                .retire_mapping(&user, &name, version)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}: retired (sha256 {})", v.label(), v.sha256);
            Ok(0)
        }
        MappingCommand::GoldenAdd {
            mapping,
            sample,
            label,
            user,
        } => {
            let db = Lazy::new(database_url.clone(), config);
            let m = resolve(&db, &mapping).await?;
            let input = std::fs::read(&sample)
                .map_err(|e| format!("{}: cannot read: {e}", sample.display()))?;
            let run =
                sample::run(&m, &sample, &SampleContext::default()).map_err(|e| e.to_string())?;
            // With no output there is nothing to compare: every later version would pass.
            if engine::mapping::golden::field_count(&run.outputs) == 0 {
                return Err(format!(
                    "{}: {} gives no output for this sample, so it cannot guard later versions{}",
                    sample.display(),
                    m.name,
                    run.errors
                        .first()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default()
                ));
            }
            let store = db.get().await?;
            let user = login(store, &user).await?;
            let file_name = sample
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sample".into());
            store
                .add_golden_sample(&user, &m.name, &label, &file_name, &input, &run.outputs)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{}: golden sample {label:?} added ({} output fields expected)",
                m.name,
                engine::mapping::golden::field_count(&run.outputs)
            );
            Ok(0)
        }
        MappingCommand::GoldenPromote {
            name,
            version,
            label,
            user,
        } => {
            let store = store().await?;
            let user = login(&store, &user).await?;
            let diffs = store
                .promote_golden(&user, &name, version, &label)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{name} v{version}: golden sample {label:?} now expects this version's output ({} fields changed)",
                diffs.len()
            );
            for d in diffs {
                println!(
                    "  {}: {} -> {}",
                    d.key,
                    d.expected.as_deref().unwrap_or("(absent)"),
                    d.actual.as_deref().unwrap_or("(absent)")
                );
            }
            Ok(0)
        }
        MappingCommand::Activate {
            name,
            version,
            user,
        } => {
            let store = store().await?;
            let user = login(&store, &user).await?;
            let v = store
                .activate_mapping(&user, &name, version)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}: active (sha256 {})", v.label(), v.sha256);
            Ok(0)
        }
    }
}

/// The password: GENOBRIDGE_PASSWORD, else the first line of stdin.
fn password() -> Result<String, String> {
    if let Ok(p) = std::env::var("GENOBRIDGE_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("reading the password from stdin: {e}"))?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    if p.is_empty() {
        return Err("no password: set GENOBRIDGE_PASSWORD or pass it on stdin".into());
    }
    Ok(p)
}

async fn login(store: &Store, username: &str) -> Result<User, String> {
    let password = password()?;
    store
        .verify_login(username, &password)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the user name or password is wrong".to_string())
}

async fn current(
    store: &Store,
    name: &str,
    version: Option<i64>,
) -> Result<MappingVersion, String> {
    store
        .mapping_version_or_current(name, version)
        .await
        .map_err(|e| e.to_string())
}

/// The store, opened only when a command needs it.
struct Lazy<'a> {
    url: Option<String>,
    config: &'a Path,
    store: tokio::sync::OnceCell<Store>,
}

impl<'a> Lazy<'a> {
    fn new(url: Option<String>, config: &'a Path) -> Self {
        Lazy {
            url,
            config,
            store: tokio::sync::OnceCell::new(),
        }
    }

    async fn get(&self) -> Result<&Store, String> {
        self.store
            .get_or_try_init(|| super::open_store(self.url.clone(), self.config))
            .await
    }
}

/// A mapping file when `spec` is an existing path, else `NAME` (the active version, else
/// the newest) or `NAME@VERSION` from the store.
async fn resolve(db: &Lazy<'_>, spec: &str) -> Result<Mapping, String> {
    let path = Path::new(spec);
    if path.exists() {
        return super::read_mapping(path);
    }
    let (name, version) = match spec.rsplit_once('@') {
        Some((n, v)) => (
            n,
            Some(
                v.parse::<i64>()
                    .map_err(|_| format!("{spec:?}: not a file, NAME or NAME@VERSION"))?,
            ),
        ),
        None => (spec, None),
    };
    let store = db.get().await?;
    current(store, name, version)
        .await?
        .mapping()
        .map_err(|e| e.to_string())
}

fn test(m: &Mapping, sample: &Path) -> Result<i32, String> {
    let run = sample::run(m, sample, &SampleContext::default()).map_err(|e| e.to_string())?;
    let mut out = String::new();
    w!(
        out,
        "mapping {} ({}), sha256 {}, on {}",
        m.name,
        m.kind_name(),
        m.sha256(),
        sample.display()
    );
    if !run.outputs.lims.is_empty() {
        w!(out, "\n== LIMS documents ({}) ==", run.outputs.lims.len());
        for d in &run.outputs.lims {
            w!(
                out,
                "{}",
                serde_json::to_string_pretty(d).unwrap_or_default()
            );
        }
    }
    if let Some(lri) = &run.outputs.lri {
        w!(out, "\n== ORU^R01 ==");
        for seg in lri.split('\r').filter(|s| !s.is_empty()) {
            w!(out, "{seg}");
        }
    }
    if let Some(fhir) = &run.outputs.fhir {
        w!(out, "\n== FHIR Bundle ==");
        let pretty = serde_json::from_str::<serde_json::Value>(fhir)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| fhir.clone());
        w!(out, "{pretty}");
    }
    w!(out, "\n== errors ({}) ==", run.errors.len());
    for e in &run.errors {
        w!(out, "{e}");
    }
    w!(
        out,
        "\n== provenance: output field <- source path [transforms] =="
    );
    for p in &run.provenance {
        let source = p.source.as_deref().unwrap_or("(constant or default)");
        let transforms = if p.transforms.is_empty() {
            String::new()
        } else {
            format!(" [{}]", p.transforms.join(", "))
        };
        w!(
            out,
            "{} <- {source}{transforms} (rule {})",
            p.output,
            p.rule
        );
    }
    w!(
        out,
        "\n== source fields no rule reads ({}) ==",
        run.unread.len()
    );
    for u in &run.unread {
        w!(out, "{u}");
    }
    emit(&out);
    Ok(0)
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly.
fn emit(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush());
}
