//! `genobridge`: the server, the engine and the command line in one binary.
// The mapping page nests deep view types; the default limit (128) overflows at codegen.
#![recursion_limit = "256"]

mod bench;
mod bench_mllp;
mod bench_search;
mod cli;
mod demo;
mod progress;
mod web;

use clap::Parser;

/// Building messages allocates many small JSON and segment nodes; mimalloc handles that
/// pattern far better than glibc's malloc (see README, Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let args = cli::Cli::parse();
    // Logs go to stderr, so `parse` and `convert` output stays clean JSON/HL7 on stdout.
    // GENOBRIDGE_LOG_FORMAT=json gives one JSON object per line (for a log collector),
    // with the event's fields (flow, message_id, …) and its spans.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("GENOBRIDGE_LOG_FORMAT").as_deref() == Ok("json") {
        logs.json().with_current_span(true).init();
    } else {
        logs.init();
    }
    let code = match cli::run(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    };
    std::process::exit(code);
}
