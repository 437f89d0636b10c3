//! The one error type that crosses the wire between server functions and the views.
//!
//! Variants are deliberately coarse: the browser learns *that* something was refused, never
//! details that could leak which usernames exist or what the database said.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No session, or the session's user no longer exists.
    #[error("please sign in")]
    Unauthorized,
    /// Signed in, but the role may not do this.
    #[error("your role does not allow this")]
    Forbidden,
    /// The per-session CSRF token was missing or wrong (for example a stale tab).
    #[error("your session has expired; reload the page and try again")]
    Csrf,
    /// Username or password wrong. One message for both so usernames cannot be probed.
    #[error("invalid username or password")]
    BadCredentials,
    /// Too many failed sign-ins for this username: no password is tried until the lock ends.
    #[error("too many failed sign-ins: try again in {0} s")]
    Locked(i64),
    /// A reprocess of a LIMS delivery or FHIR message that is not (or no longer) a dead
    /// letter.
    #[error("only a dead letter can be reprocessed; it may have been reprocessed already")]
    NotDeadLetter,
    /// A mapping workflow rule refused the request (state, authorship, signature, golden
    /// samples). The words are the rule's own, written for the person who asked.
    #[error("{0}")]
    Refused(String),
    /// The request names something that does not exist or does not parse.
    #[error("{0}")]
    Invalid(String),
    /// Database or session store failure; the details go to the server log only.
    #[error("internal error; see the server log")]
    Internal,
    /// Transport, encoding or routing failures reported by the server-function machinery.
    #[error("{0}")]
    ServerFn(ServerFnErrorErr),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::ServerFn(value)
    }
}
