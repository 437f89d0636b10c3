//! MLLP: each HL7 v2 message travels as 0x0B, the message, 0x1C 0x0D, and the receiver
//! answers with an ACK framed the same way.

use super::{ack, lims::Step, MllpDestination, Outcome};
use std::time::Duration;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    time::timeout,
};

pub const START: u8 = 0x0B;
pub const END: [u8; 2] = [0x1C, 0x0D];
/// Refuse frames larger than this: a runaway peer must not exhaust memory.
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

pub fn frame(message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 3);
    out.push(START);
    out.extend_from_slice(message.as_bytes());
    out.extend_from_slice(&END);
    out
}

/// Reads one frame; `Ok(None)` when the peer closed the connection between frames.
pub async fn read_frame(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<String>> {
    let invalid = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    loop {
        if let Some(start) = buf.iter().position(|b| *b == START) {
            if let Some(end) = buf[start..].windows(2).position(|w| w == END) {
                let body = buf[start + 1..start + end].to_vec();
                buf.drain(..start + end + 2);
                return String::from_utf8(body)
                    .map(Some)
                    .map_err(|_| invalid("frame is not UTF-8"));
            }
        }
        if buf.len() > MAX_FRAME_BYTES {
            return Err(invalid("frame larger than 16 MiB"));
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return if buf.iter().all(|b| b.is_ascii_whitespace()) {
                Ok(None)
            } else {
                Err(invalid("connection closed mid-frame"))
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// One attempt: connect, send, wait for the ACK and check it answers this message. The
/// ACK's text, whatever it says, is left in `ack_text` for the attempt history.
pub async fn send_once(
    dest: &MllpDestination,
    message: &str,
    control_id: &str,
    ack_text: &mut Option<String>,
) -> Outcome {
    let limit = Duration::from_millis(dest.timeout_ms);
    let transient = |reason: String| Outcome::Transient { reason };
    let addr = format!("{}:{}", dest.host, dest.port);
    let mut stream = match timeout(limit, TcpStream::connect(&addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return transient(format!("cannot connect to {addr}: {e}")),
        Err(_) => {
            return transient(format!(
                "no connection to {addr} within {} ms",
                dest.timeout_ms
            ))
        }
    };
    if let Err(e) = stream.write_all(&frame(message)).await {
        return transient(format!("send failed: {e}"));
    }
    let mut buf = Vec::new();
    let text = match timeout(limit, read_frame(&mut stream, &mut buf)).await {
        Ok(Ok(Some(t))) => t,
        Ok(Ok(None)) => {
            return transient("the receiver closed the connection without an ACK".into())
        }
        Ok(Err(e)) => return transient(format!("reading the ACK failed: {e}")),
        Err(_) => return transient(format!("no ACK within {} ms", dest.timeout_ms)),
    };
    *ack_text = Some(text.chars().take(4096).collect());
    let ack = match ack::parse_ack(&text) {
        Ok(a) => a,
        Err(e) => return transient(e),
    };
    if ack.control_id != control_id {
        return transient(format!(
            "the ACK answers message {:?}, not {control_id:?}",
            ack.control_id
        ));
    }
    match ack.code.as_str() {
        "AA" | "CA" => Outcome::Accepted,
        "AE" | "AR" | "CE" | "CR" => Outcome::Refused {
            code: ack.code.clone(),
            reason: if ack.text.is_empty() {
                format!("{} without a reason", ack.code)
            } else {
                ack.text
            },
        },
        other => transient(format!("unknown acknowledgment code {other:?}")),
    }
}

/// The queue's rule for an MLLP attempt, as [`super::lims::next_step`] is for REST: AA
/// delivered; AE/AR dead-lettered at once (the same message would be refused again);
/// anything else retried after the backoff until `attempt` reaches `max_attempts`.
/// Returns the step and the ACK's code.
pub fn next_step(
    outcome: Outcome,
    attempt: i64,
    dest: &MllpDestination,
    now_ms: i64,
) -> (Step, Option<String>) {
    let max = i64::from(dest.max_attempts.max(1));
    let step = |status, next_attempt_ms, error| Step {
        status,
        next_attempt_ms,
        http_status: None,
        error,
        body: None,
        unanswered: false,
    };
    let no_ack = |s: Step| Step {
        unanswered: true,
        ..s
    };
    match outcome {
        Outcome::Accepted => (step("delivered", 0, None), Some("AA".into())),
        Outcome::Refused { code, reason } => (step("dead_letter", 0, Some(reason)), Some(code)),
        Outcome::Transient { reason } if attempt >= max => (
            no_ack(step(
                "dead_letter",
                0,
                Some(format!("gave up after {attempt} attempts: {reason}")),
            )),
            None,
        ),
        Outcome::Transient { reason } => {
            let wait = dest.backoff_ms(u32::try_from(attempt).unwrap_or(u32::MAX));
            (
                no_ack(step(
                    "pending",
                    now_ms.saturating_add(wait as i64),
                    Some(reason),
                )),
                None,
            )
        }
    }
}

/// Serves MLLP on `listener`, answering each frame with `respond(message)`. Used by
/// the demo EHR and the tests; order intake uses [`serve_until`].
pub async fn serve<F>(listener: TcpListener, respond: F)
where
    F: Fn(String) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>>
        + Send
        + Sync
        + 'static,
{
    serve_until(listener, respond, std::future::pending()).await
}

/// Serves MLLP on `listener` until `shutdown` resolves, answering each frame with
/// `respond(message)`. At shutdown it stops accepting, closes idle connections, and lets
/// a message already received be answered before its connection closes; a frame only
/// partly received is dropped unanswered, so the sender sends it again.
pub async fn serve_until<F>(
    listener: TcpListener,
    respond: F,
    shutdown: impl std::future::Future<Output = ()>,
) where
    F: Fn(String) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>>
        + Send
        + Sync
        + 'static,
{
    let respond = std::sync::Arc::new(respond);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            // Reap finished connections, so the set does not grow for ever.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        let mut stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // E.g. out of file descriptors: do not spin while it lasts.
                tracing::warn!(error = %e, "MLLP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let respond = respond.clone();
        let mut stop = stop_rx.clone();
        connections.spawn(async move {
            let mut buf = Vec::new();
            loop {
                let read = tokio::select! {
                    biased;
                    _ = stop.wait_for(|s| *s) => break,
                    read = read_frame(&mut stream, &mut buf) => read,
                };
                let Ok(Some(msg)) = read else { break };
                let reply = respond(msg).await;
                if stream.write_all(&frame(&reply)).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    while connections.join_next().await.is_some() {}
}
