//! VCF to messages in one streaming pass, for files of any size: the reader runs on the
//! calling thread and each message writer on a thread of its own, fed batches of chosen
//! variants. Memory stays flat (bounded queues), and on a multi-core machine reading,
//! LRI and FHIR proceed side by side.

use super::{fhir::BundleWriter, lri::OruWriter, Envelope};
use crate::{
    formats::{
        vcf::{tree::VariantView, Rejection, Variant, VcfReader},
        FormatError,
    },
    mapping::report::{Fields, Plan},
    report::{stream_variants, ReportHead, Selection, Tally, MAX_KEPT_REJECTIONS},
    store::Order,
};
use std::{io::Write, path::Path, sync::mpsc, sync::Arc};

/// Variants per batch handed to the writers: large enough that the queue costs nothing
/// per variant. Batches hold mapped fields, so 512 in flight stay within the CPU's
/// caches; 4,096 (512 × 8) measured 14% slower with the same instruction count.
const BATCH: usize = 128;
/// Batches in flight per writer before the reader waits.
const QUEUE: usize = 4;

/// Where each message goes; `None` skips that message.
pub struct Outputs<L, F> {
    pub lri: Option<L>,
    pub fhir: Option<F>,
}

/// Variants with their mapped fields: the mapping runs once, on the reading thread.
type Batch = Arc<Vec<(Variant, Fields<'static>)>>;

fn writer_thread<'s, W: Write + Send + 's, S: Send + 's>(
    scope: &'s std::thread::Scope<'s, '_>,
    mut sink: S,
    mut write: impl FnMut(&mut S, &Variant, &Fields<'static>) -> std::io::Result<()> + Send + 's,
    finish: impl FnOnce(S) -> std::io::Result<W> + Send + 's,
) -> (
    mpsc::SyncSender<Batch>,
    std::thread::ScopedJoinHandle<'s, std::io::Result<W>>,
) {
    let (tx, rx) = mpsc::sync_channel::<Batch>(QUEUE);
    let handle = scope.spawn(move || {
        for batch in rx {
            for (v, f) in batch.iter() {
                write(&mut sink, v, f)?;
            }
        }
        finish(sink)
    });
    (tx, handle)
}

/// Converts the VCF `reader` (opened with `open_report`) into the requested messages,
/// each variant mapped by `plan`; a variant the mapping rejects is counted as rejected
/// with the rule and reason. `progress` gets (records read, reported, rejected) after
/// every record.
#[allow(clippy::too_many_arguments)]
pub fn convert<L, F>(
    path: &Path,
    mut reader: VcfReader,
    head: &ReportHead,
    selection: &Selection,
    order: &Order,
    env: &Envelope,
    plan: &Plan,
    outputs: Outputs<L, F>,
    progress: impl FnMut(u64, u64, u64),
) -> Result<(Tally, Outputs<L, F>), FormatError>
where
    L: Write + Send,
    F: Write + Send,
{
    let io_err = |what: &str, e: std::io::Error| {
        FormatError::new(path, None, format!("writing the {what} message: {e}"))
    };
    std::thread::scope(|s| {
        let lri = match outputs.lri {
            Some(out) => {
                let w =
                    OruWriter::start(out, head, order, env, None).map_err(|e| io_err("LRI", e))?;
                Some(writer_thread(s, w, |w, _, f| w.variant(f), |w| w.finish()))
            }
            None => None,
        };
        let fhir = match outputs.fhir {
            Some(out) => {
                let w =
                    BundleWriter::start(out, head, order, env).map_err(|e| io_err("FHIR", e))?;
                Some(writer_thread(
                    s,
                    w,
                    |w, v, f| w.variant(v, f),
                    |w| w.finish(),
                ))
            }
            None => None,
        };
        let senders: Vec<&mpsc::SyncSender<Batch>> = lri
            .iter()
            .map(|x| &x.0)
            .chain(fhir.iter().map(|x| &x.0))
            .collect();
        let mut batch = Vec::with_capacity(BATCH);
        let facts = super::facts(head, env);
        let mut mapping_rejected: Vec<Rejection> = Vec::new();
        let mut mapping_rejected_total = 0u64;
        // A writer that stopped (its output failed) drops its receiver; reading stops too
        // and the writer's own error is reported below.
        let send = |batch: &mut Vec<(Variant, Fields<'static>)>| -> Result<(), FormatError> {
            let full = Arc::new(std::mem::replace(batch, Vec::with_capacity(BATCH)));
            for tx in &senders {
                tx.send(full.clone())
                    .map_err(|_| FormatError::new(path, None, "a message writer stopped early"))?;
            }
            Ok(())
        };
        let read = stream_variants::<FormatError>(
            &mut reader,
            selection,
            |mut v| {
                let mapped = plan
                    .evaluate(&VariantView::new(&v, facts, &plan.choice))
                    .map(Fields::into_owned);
                match mapped {
                    Ok(fields) => {
                        // The writers read the mapped fields, not the raw columns: the
                        // record's text (kilobytes of ANN) is freed here, not queued.
                        v.raw = None;
                        batch.push((v, fields));
                        if batch.len() == BATCH {
                            send(&mut batch)?;
                        }
                    }
                    Err(e) => {
                        mapping_rejected_total += 1;
                        if mapping_rejected.len() < MAX_KEPT_REJECTIONS {
                            mapping_rejected.push(Rejection::new(v.line, e.to_string()));
                        }
                    }
                }
                Ok(())
            },
            progress,
        )
        .and_then(|t| send(&mut batch).map(|_| t))
        .map(|mut t| {
            t.reported -= mapping_rejected_total;
            t.rejected_total += mapping_rejected_total;
            let room = MAX_KEPT_REJECTIONS.saturating_sub(t.rejected.len());
            t.rejected.extend(mapping_rejected.drain(..).take(room));
            t.rejected.sort_by_key(|r| r.line);
            t
        });
        drop(senders);
        fn join<T>(
            path: &Path,
            h: std::thread::ScopedJoinHandle<'_, std::io::Result<T>>,
            what: &str,
        ) -> Result<T, FormatError> {
            h.join()
                .map_err(|_| FormatError::new(path, None, format!("the {what} writer failed")))?
                .map_err(|e| {
                    FormatError::new(path, None, format!("writing the {what} message: {e}"))
                })
        }
        let lri = lri
            .map(|(tx, h)| {
                drop(tx);
                join(path, h, "LRI")
            })
            .transpose();
        let fhir = fhir
            .map(|(tx, h)| {
                drop(tx);
                join(path, h, "FHIR")
            })
            .transpose();
        // The writers' errors explain a reader that stopped early, so they come first.
        let (lri, fhir) = (lri?, fhir?);
        Ok((read?, Outputs { lri, fhir }))
    })
}
