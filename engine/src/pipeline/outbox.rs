//! The outbox's delivery loop, one per message kind: claim the due messages with a lease,
//! send each, record the outcome. The schedule lives in the database (`store::outbox`), so
//! a restart, or another node once the lease has run out, resumes where a send stopped,
//! with the same MSH-10 or idempotency key.

use super::Engine;
use crate::{
    config::Config,
    delivery::{
        fhir::FhirDestination,
        lims::{RestClient, Step},
        MllpDestination, LEASE_MARGIN_MS,
    },
    store::{now_ms, ClaimRule, ClaimedMessage},
};
use std::time::Duration;

/// Messages claimed per pass.
const BATCH: i64 = 50;

enum Sender {
    Mllp(MllpDestination),
    Fhir(Box<(FhirDestination, RestClient)>),
}

/// One kind's queue and the destination it drains to.
pub struct MessageQueue {
    /// `lri` or `fhir`.
    pub kind: &'static str,
    /// The flow's name in logs and metrics.
    pub flow: &'static str,
    ordered: bool,
    /// The longest one attempt may take: a claim is held for two.
    attempt_ms: i64,
    poll_ms: u64,
    sender: Sender,
}

impl MessageQueue {
    pub fn lri(dest: &MllpDestination) -> Self {
        MessageQueue {
            kind: "lri",
            flow: "vcf-to-lri",
            ordered: dest.ordered,
            attempt_ms: dest.lease_ms(),
            poll_ms: dest.poll_interval_ms,
            sender: Sender::Mllp(dest.clone()),
        }
    }

    /// Fails when the destination's client cannot be built (a bad URL, an unset secret).
    pub fn fhir(dest: &FhirDestination) -> Result<Self, String> {
        Ok(MessageQueue {
            kind: "fhir",
            flow: "vcf-to-fhir",
            ordered: dest.ordered,
            attempt_ms: (dest.timeout_ms + LEASE_MARGIN_MS) as i64,
            poll_ms: dest.poll_interval_ms,
            sender: Sender::Fhir(Box::new((
                dest.clone(),
                dest.client().map_err(|e| e.to_string())?,
            ))),
        })
    }

    /// The queues of every destination the configuration names. A destination whose
    /// client cannot be built is logged and left out: its messages wait as `pending`.
    pub fn configured(config: &Config) -> Vec<MessageQueue> {
        let mut out = Vec::new();
        if let Some(d) = &config.lri_destination {
            out.push(MessageQueue::lri(d));
        }
        if let Some(d) = &config.fhir_destination {
            match MessageQueue::fhir(d) {
                Ok(q) => out.push(q),
                Err(e) => tracing::error!("FHIR delivery disabled: {e}"),
            }
        }
        out
    }

    async fn attempt(&self, engine: &Engine, c: &ClaimedMessage) -> Step {
        match &self.sender {
            Sender::Mllp(dest) => super::mllp::attempt(engine, dest, c).await,
            Sender::Fhir(d) => super::fhir::attempt(engine, &d.0, &d.1, c).await,
        }
    }
}

/// One pass: claims up to a batch of due messages and sends them one after another.
/// Returns how many it claimed.
///
/// A transient failure (no connection, no answer) ends the pass: the destination is
/// probably down, so the rest of the batch is given back, due when the failed message's
/// retry is. So is what the lease would not cover, so no other node sends it meanwhile.
pub async fn deliver_due(engine: &Engine, q: &MessageQueue) -> usize {
    deliver_due_timed(engine, q, &mut Vec::new()).await
}

/// [`deliver_due`], adding each attempt's duration (send, ACK, audit, record) to `times`:
/// what `genobridge bench mllp` reports as latency.
pub async fn deliver_due_timed(
    engine: &Engine,
    q: &MessageQueue,
    times: &mut Vec<std::time::Duration>,
) -> usize {
    let store = &engine.store;
    // A paused flow claims nothing: its queue holds until an operator resumes it.
    if store.flow_paused(q.flow).await.unwrap_or(false) {
        return 0;
    }
    let node = engine.config.node.as_str();
    let rule = ClaimRule {
        kind: q.kind,
        ordered: q.ordered,
        node,
    };
    let now = now_ms();
    let lease_until = now + 2 * q.attempt_ms;
    let claimed = match store.claim_messages(rule, now, lease_until, BATCH).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(flow = q.flow, error = %e, "claiming due messages failed");
            return 0;
        }
    };
    for (i, c) in claimed.iter().enumerate() {
        let give_back_from = if now_ms() + q.attempt_ms > lease_until {
            Some((i, now_ms()))
        } else {
            let started = std::time::Instant::now();
            let step = q.attempt(engine, c).await;
            times.push(started.elapsed());
            engine.note_destination(q.kind, &step).await;
            (step.status == "pending").then_some((i + 1, step.next_attempt_ms))
        };
        if let Some((from, due)) = give_back_from {
            let rest: Vec<i64> = claimed[from..].iter().map(|c| c.id).collect();
            if let Err(e) = store.unclaim_messages(&rest, node, due).await {
                // Their leases run out by themselves: late, not lost.
                tracing::warn!(flow = q.flow, error = %e, "giving back claims failed");
            }
            break;
        }
    }
    claimed.len()
}

/// Sends due messages until `shutdown` resolves.
pub async fn run_forever(
    engine: Engine,
    q: MessageQueue,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(q.poll_ms.max(10)));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        // A full batch means more may be due: keep going before waiting again.
        while deliver_due(&engine, &q).await == BATCH as usize {}
    }
}
