//! VCF files: each becomes a report (once per file content and sample), then an LRI
//! ORU^R01 and a FHIR Bundle, each stored, audited and delivered.

use super::{watch::ScanState, Engine};
use crate::{
    formats::FormatError,
    messages::{self, Envelope},
    report::{build_report, Report},
    store::{NewAuditEvent, NewMessage, NewReport, Order},
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::{path::Path, time::Duration};

pub async fn scan(engine: &Engine, state: &mut ScanState) {
    let Ok(entries) = std::fs::read_dir(&engine.config.watch.vcf_dir) else {
        return;
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && crate::formats::is_vcf_name(p))
        .collect();
    files.sort();
    let settle = Duration::from_millis(engine.config.watch.settle_ms);
    for path in files {
        if state.done.contains(&path) || !state.settled(&path, settle) {
            continue;
        }
        // A store that cannot be reached is not the file's fault: the file is looked at
        // again on the next scan, and nothing is quarantined.
        if let VcfOutcome::Retry { reason } = process_vcf(engine, &path).await {
            tracing::warn!(file = %path.display(), %reason, "VCF not finished; will retry");
            continue;
        }
        state.done.insert(path);
    }
    let paused = orders_paused(engine).await;
    let resumed = state.orders_paused && !paused;
    state.orders_paused = paused;
    if resumed
        || state
            .last_sweep
            .is_none_or(|t| t.elapsed() >= SWEEP_INTERVAL)
    {
        state.last_sweep = Some(std::time::Instant::now());
        recover_missing_messages(engine, state).await;
        if !paused {
            release_held(engine).await;
        }
    }
}

/// Whether order intake is paused: orders are stored and acknowledged, but no report is
/// linked to one until it resumes.
async fn orders_paused(engine: &Engine) -> bool {
    engine
        .store
        .flow_paused(super::intake::ORDERS_IN)
        .await
        .unwrap_or(false)
}

/// Releases waiting reports whose order is stored: those held while intake was paused,
/// and any whose order arrived between the report's lookup and its insert.
async fn release_held(engine: &Engine) {
    let Ok(waiting) = engine.store.reports_needing_order(200).await else {
        return;
    };
    let mut seen = std::collections::HashSet::new();
    for r in waiting {
        let Some(acc) = r.accession else { continue };
        if !seen.insert((acc.clone(), r.sample_id.clone())) {
            continue;
        }
        if let Ok(Some(order)) = engine.store.order_for(&acc, &r.sample_id).await {
            release_waiting(engine, &order).await;
        }
    }
}

/// How often reports linked to an order but short of messages are looked for.
const SWEEP_INTERVAL: Duration = Duration::from_secs(30);

/// Builds the messages of reports that have an order but lack some (the store failed
/// between the report and its messages, here or when an order released it), from the
/// report's source file. Each report is tried once per process when its file is gone.
async fn recover_missing_messages(engine: &Engine, state: &mut ScanState) {
    let store = &engine.store;
    let missing = match store
        .reports_missing_messages(MESSAGE_KINDS.len() as i64, 20)
        .await
    {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "looking for reports without their messages failed");
            return;
        }
    };
    for (report_id, source_file, sample_id) in missing {
        if !state.unrecoverable.insert(report_id) && !Path::new(&source_file).exists() {
            continue;
        }
        let owned = std::path::PathBuf::from(&source_file);
        let selection = engine.config.selection.clone();
        let built = tokio::task::spawn_blocking(move || {
            build_report(&owned, Some(&sample_id), None, &selection, |_, _, _| {})
        })
        .await;
        match built {
            Ok(Ok(report)) => {
                state.unrecoverable.remove(&report_id);
                finish_report(engine, report_id, &report).await;
            }
            Ok(Err(e)) => {
                tracing::error!(report_id, error = %e, "a report lacks its messages and its file cannot be read")
            }
            Err(e) => tracing::error!(report_id, error = %e, "rebuilding a report failed"),
        }
    }
}

pub(super) fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex::encode(h.finalize()))
}

/// What became of one VCF.
#[derive(Debug, PartialEq, Eq)]
pub enum VcfOutcome {
    Reported {
        report_id: i64,
        messages: Vec<i64>,
    },
    NeedsOrder {
        report_id: i64,
    },
    AlreadyReported,
    Quarantined {
        reason: String,
    },
    /// The store could not be reached: nothing was lost or quarantined, and the file is
    /// looked at again.
    Retry {
        reason: String,
    },
}

pub async fn process_vcf(engine: &Engine, path: &Path) -> VcfOutcome {
    let store = &engine.store;
    let source = path.display().to_string();
    let owned = path.to_path_buf();
    let selection = engine.config.selection.clone();
    let built = tokio::task::spawn_blocking(move || -> Result<(String, Report), FormatError> {
        let sha = sha256_file(&owned)
            .map_err(|e| FormatError::new(&owned, None, format!("cannot read: {e}")))?;
        let report = build_report(&owned, None, None, &selection, |_, _, _| {})?;
        Ok((sha, report))
    })
    .await;
    let (sha, report) = match built {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return quarantine(engine, &source, e.to_string()).await,
        Err(e) => {
            return quarantine(
                engine,
                &source,
                format!("internal error while reading: {e}"),
            )
            .await
        }
    };
    let accession = engine.config.watch.accession_of(path);
    let intake_paused = orders_paused(engine).await;
    let order = match &accession {
        Some(_) if intake_paused => None,
        Some(acc) => match store.order_for(acc, &report.head.sample_id).await {
            Ok(o) => o,
            Err(e) => {
                return VcfOutcome::Retry {
                    reason: format!("looking up the order: {e}"),
                }
            }
        },
        None => None,
    };
    let status = if order.is_some() {
        "ready"
    } else {
        "needs_order"
    };
    let new = NewReport {
        sample_id: report.head.sample_id.clone(),
        accession: accession.clone(),
        // The full path, so a report waiting for its order can be rebuilt when it arrives.
        source_file: source.clone(),
        source_sha256: sha.clone(),
        order_pk: order.as_ref().map(|o| o.id),
        status: status.into(),
        records_read: report.tally.records_read as i64,
        variants_reported: report.variants.len() as i64,
        records_rejected: report.tally.rejected_total as i64,
    };
    let report_id = match store.insert_report(&new).await {
        Ok(Some(id)) => id,
        Ok(None) => return finish_reported(engine, &sha, &report).await,
        Err(e) => {
            return VcfOutcome::Retry {
                reason: format!("storing the report: {e}"),
            }
        }
    };
    tracing::info!(
        flow = "vcf-report",
        report_id,
        variants = report.variants.len(),
        rejected = report.tally.rejected_total,
        status,
        "report built"
    );
    let rejected: Vec<_> = report
        .tally
        .rejected
        .iter()
        .map(|r| json!({ "line": r.line, "reason": r.reason }))
        .collect();
    // Why a report waits, for whoever looks at the audit trail.
    let waiting = match (&accession, status) {
        (None, _) => Some("the file name carries no accession (watch.vcf_accession_pattern)"),
        (Some(_), "needs_order") if intake_paused => {
            Some("order intake is paused: its order is linked once it resumes")
        }
        (Some(_), "needs_order") => Some("no order with this accession and sample yet"),
        _ => None,
    };
    let detail = json!({
        "report_id": report_id, "source_file": report.head.source_file, "sha256": sha, "status": status,
        "accession": accession, "waiting": waiting,
        "records_read": report.tally.records_read, "variants_reported": report.variants.len(), "rejected": rejected,
        "header_warnings": report.head.header_warnings,
    });
    engine
        .audit(NewAuditEvent::system(
            "report.created",
            "sample",
            &report.head.sample_id,
            detail,
        ))
        .await;
    let Some(order) = order else {
        return VcfOutcome::NeedsOrder { report_id };
    };
    match build_and_send(engine, report_id, &report, &order, &[]).await {
        Ok(messages) => VcfOutcome::Reported {
            report_id,
            messages,
        },
        Err(reason) => VcfOutcome::Retry { reason },
    }
}

/// A file reported before: nothing to do, unless the process stopped after the report
/// was stored and before all of its messages were (or after its order was linked and
/// before they were). Then the missing messages are built now, as they would have been.
async fn finish_reported(engine: &Engine, sha: &str, report: &Report) -> VcfOutcome {
    match engine
        .store
        .report_for_source(sha, &report.head.sample_id)
        .await
    {
        Ok(Some((report_id, status, Some(_)))) if status == "ready" => {
            finish_report(engine, report_id, report).await
        }
        Ok(_) => VcfOutcome::AlreadyReported,
        Err(e) => VcfOutcome::Retry {
            reason: format!("looking up the report: {e}"),
        },
    }
}

/// Builds whichever messages a ready report lacks.
async fn finish_report(engine: &Engine, report_id: i64, report: &Report) -> VcfOutcome {
    let store = &engine.store;
    let retry = |what: &str, e: crate::store::StoreError| VcfOutcome::Retry {
        reason: format!("{what}: {e}"),
    };
    let have = match store.message_kinds(report_id).await {
        Ok(k) => k,
        Err(e) => return retry("reading the report's messages", e),
    };
    if MESSAGE_KINDS.iter().all(|k| have.iter().any(|h| h == k)) {
        return VcfOutcome::AlreadyReported;
    }
    let order = match store.order_of_report(report_id).await {
        Ok(Some(o)) => o,
        Ok(None) => return VcfOutcome::AlreadyReported,
        Err(e) => return retry("reading the report's order", e),
    };
    tracing::warn!(
        report_id,
        "a report stored without all its messages; building them"
    );
    engine
        .audit(NewAuditEvent::system(
            "report.messages_recovered",
            "sample",
            &report.head.sample_id,
            json!({ "report_id": report_id, "had": have }),
        ))
        .await;
    match build_and_send(engine, report_id, report, &order, &have).await {
        Ok(messages) => VcfOutcome::Reported {
            report_id,
            messages,
        },
        Err(reason) => VcfOutcome::Retry { reason },
    }
}

/// The messages every report with an order gets.
const MESSAGE_KINDS: [&str; 2] = ["lri", "fhir"];

/// Builds and sends the reports that were waiting for this order (same accession and
/// sample).
pub async fn release_waiting(engine: &Engine, order: &Order) {
    let store = &engine.store;
    let sample_id = order.sample_id.as_str();
    let Ok(waiting) = store.reports_waiting(&order.accession, sample_id).await else {
        return;
    };
    for (report_id, path) in waiting {
        let selection = engine.config.selection.clone();
        let owned = std::path::PathBuf::from(&path);
        let sample = sample_id.to_string();
        let built = tokio::task::spawn_blocking(move || {
            build_report(&owned, Some(&sample), None, &selection, |_, _, _| {})
        })
        .await;
        let report = match built {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                engine
                    .audit(NewAuditEvent::system(
                        "report.rebuild_failed",
                        "sample",
                        sample_id,
                        json!({ "report_id": report_id, "reason": e.to_string() }),
                    ))
                    .await;
                continue;
            }
            Err(_) => continue,
        };
        if !matches!(store.attach_order(report_id, order.id).await, Ok(true)) {
            continue;
        }
        engine
            .audit(NewAuditEvent::system(
                "report.order_linked",
                "sample",
                sample_id,
                json!({ "report_id": report_id, "order_id": order.id }),
            ))
            .await;
        // A failure here is mended by the sweep for reports short of messages.
        if let Err(reason) = build_and_send(engine, report_id, &report, order, &[]).await {
            tracing::warn!(report_id, %reason, "messages of a released report not stored yet");
        }
    }
}

/// Builds and queues the report's messages (but the kinds in `have`). Fails, after
/// storing what it could, when a message could not be stored.
async fn build_and_send(
    engine: &Engine,
    report_id: i64,
    report: &Report,
    order: &Order,
    have: &[String],
) -> Result<Vec<i64>, String> {
    let store = &engine.store;
    let mut ids = Vec::new();
    let plan = engine.report_plan().await;
    // Variants the mapping refuses (a required rule without a value, a value that is no
    // answer of its target) stay out of both messages; each is audited with its line, the
    // rule and the reason, never silently dropped.
    let rejected = messages::map_report(report, &Envelope::new(""), &plan).rejected;
    if !rejected.is_empty() {
        tracing::warn!(report_id, variants = rejected.len(), mapping = %plan.name, "variants refused by the report mapping");
        let detail = json!({ "report_id": report_id, "mapping": plan.name, "mapping_sha256": plan.sha256,
            "rejected": rejected.iter().take(100).map(|r| json!({ "line": r.line, "reason": r.reason })).collect::<Vec<_>>(),
            "rejected_total": rejected.len() });
        engine
            .audit(NewAuditEvent::system(
                "report.mapping_rejected",
                "sample",
                &report.head.sample_id,
                detail,
            ))
            .await;
    }
    // `have`: kinds already stored (a restart finishing a report), not built twice.
    for kind in MESSAGE_KINDS {
        if have.iter().any(|h| h == kind) {
            continue;
        }
        let Some(builder) = messages::kind(kind) else {
            continue;
        };
        let control_id = format!("GB{report_id:08}{}", if kind == "lri" { "L" } else { "F" });
        let env = Envelope::new(&control_id);
        let body = builder.build(report, order, &env, &plan);
        let (destination, status, idempotency_key) = route(engine, kind, &control_id);
        let msg = NewMessage {
            report_pk: report_id,
            kind: kind.into(),
            control_id: control_id.clone(),
            destination: destination.clone(),
            status: status.into(),
            body,
            mapping_name: plan.name.clone(),
            mapping_sha256: plan.sha256.clone(),
            idempotency_key: idempotency_key.clone(),
            order_key: report_order_key(report, order),
        };
        let id = match store.insert_message(&msg).await {
            Ok(id) => id,
            // The report stays without it until a later scan builds it again.
            Err(e) => return Err(format!("storing the {kind} message: {e}")),
        };
        let detail = json!({ "message_id": id, "kind": kind, "control_id": control_id, "destination": destination, "status": status, "idempotency_key": idempotency_key, "report_id": report_id, "mapping": plan.name, "mapping_sha256": plan.sha256 });
        engine
            .audit(NewAuditEvent::system(
                "message.created",
                "sample",
                &report.head.sample_id,
                detail,
            ))
            .await;
        ids.push(id);
    }
    Ok(ids)
}

/// Where a new message of `kind` goes: its destination, first status and idempotency key.
/// A message is queued for its destination, or only stored when none is configured:
/// nothing would ever send it, so it is not shown as on its way.
pub(super) fn route(
    engine: &Engine,
    kind: &str,
    control_id: &str,
) -> (String, &'static str, Option<String>) {
    match (
        kind,
        &engine.config.lri_destination,
        &engine.config.fhir_destination,
    ) {
        // The MSH-10 is the LRI message's key: a receiver drops a resend by it.
        ("lri", Some(d), _) => (d.address(), "pending", Some(control_id.to_string())),
        ("fhir", _, Some(d)) => (
            d.name.clone(),
            "pending",
            Some(crate::delivery::fhir::idempotency_key(&d.name, control_id)),
        ),
        _ => ("none".to_string(), "stored", None),
    }
}

/// Results for one accession keep their order at an ordered destination.
pub(super) fn report_order_key(report: &Report, order: &Order) -> String {
    if order.accession.is_empty() {
        report.head.sample_id.clone()
    } else {
        order.accession.clone()
    }
}

/// Records, keeps a copy of, and audits a VCF that cannot be reported.
async fn quarantine(engine: &Engine, source: &str, reason: String) -> VcfOutcome {
    super::quarantine::quarantine_input(engine, Path::new(source), "vcf", &reason).await;
    VcfOutcome::Quarantined { reason }
}
