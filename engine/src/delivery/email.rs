//! Alert notices by email over SMTP (lettre). A notice's body is stored as JSON with its
//! subject and text (`Mail`), so a retry sends the same words. The queue's rule is the
//! webhook's: a 5xx answer is permanent and dead-letters the notice at once; anything else
//! is retried with the backoff until the attempts run out.

use lettre::{
    message::{header::ContentType, Mailbox},
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[alerts.email]`: a mail relay and who is told.
///
/// ```toml
/// [alerts.email]
/// smtp_host = "smtp.lab.example"
/// smtp_port = 587                 # the default; 465 with security = "tls"
/// security = "starttls"           # the default; "tls", or "none" for a local relay only
/// from = "GenoBridge <genobridge@lab.example>"
/// to = ["integration-oncall@lab.example"]
/// username = "genobridge"         # optional; the password is read from this variable
/// password_env = "GENOBRIDGE_SMTP_PASSWORD"
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EmailNotices {
    pub smtp_host: String,
    #[serde(default = "default_port")]
    pub smtp_port: u16,
    #[serde(default)]
    pub security: SmtpSecurity,
    pub from: String,
    pub to: Vec<String>,
    #[serde(default)]
    pub username: Option<String>,
    /// The environment variable holding the password: never the password itself.
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Attempts before a notice is dead-lettered; the wait doubles from 1 s up to 5 min.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
}

fn default_port() -> u16 {
    587
}
fn default_timeout_ms() -> u64 {
    10_000
}
fn default_attempts() -> u32 {
    30
}

/// How the connection to the relay is protected.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded by STARTTLS, which must succeed (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No TLS: only for a relay on this host or a trusted network.
    None,
}

/// What is mailed for one notice.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub text: String,
}

/// One attempt's result.
#[derive(Debug, PartialEq, Eq)]
pub enum Sent {
    Accepted,
    /// The relay refused it for good (a 5xx): sending it again will not help.
    Refused(String),
    /// No connection, a timeout, a 4xx: worth another try.
    Transient(String),
}

impl EmailNotices {
    /// Addresses parse, there is someone to tell, and a username comes with its password's
    /// variable. Errors name the setting.
    pub fn validate(&self) -> Result<(), String> {
        self.from
            .parse::<Mailbox>()
            .map_err(|e| format!("alerts.email.from {:?}: {e}", self.from))?;
        if self.to.is_empty() {
            return Err("alerts.email.to: name at least one address".into());
        }
        for to in &self.to {
            to.parse::<Mailbox>()
                .map_err(|e| format!("alerts.email.to {to:?}: {e}"))?;
        }
        if self.username.is_some() != self.password_env.is_some() {
            return Err("alerts.email: give username and password_env together".into());
        }
        Ok(())
    }

    /// The transport. Fails when the password's variable is unset or TLS cannot be set up.
    pub fn mailer(&self) -> Result<Mailer, String> {
        let host = self.smtp_host.as_str();
        let tls = |required: bool| {
            TlsParameters::new(host.to_string())
                .map_err(|e| format!("alerts.email: TLS for {host}: {e}"))
                .map(|p| {
                    if required {
                        Tls::Required(p)
                    } else {
                        Tls::Wrapper(p)
                    }
                })
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(self.smtp_port)
            .timeout(Some(Duration::from_millis(self.timeout_ms)));
        builder = match self.security {
            SmtpSecurity::Starttls => builder.tls(tls(true)?),
            SmtpSecurity::Tls => builder.tls(tls(false)?),
            SmtpSecurity::None => builder.tls(Tls::None),
        };
        if let (Some(user), Some(var)) = (&self.username, &self.password_env) {
            let password = std::env::var(var)
                .map_err(|_| format!("alerts.email.password_env: {var} is not set"))?;
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Mailer {
            transport: builder.build(),
            from: self
                .from
                .parse()
                .map_err(|e| format!("alerts.email.from: {e}"))?,
            to: self
                .to
                .iter()
                .map(|t| t.parse().map_err(|e| format!("alerts.email.to: {e}")))
                .collect::<Result<_, String>>()?,
        })
    }
}

/// A ready SMTP transport and its envelope.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl Mailer {
    pub async fn send(&self, mail: &Mail) -> Sent {
        let mut message = Message::builder()
            .from(self.from.clone())
            .subject(&mail.subject)
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            message = message.to(to.clone());
        }
        let message = match message.body(mail.text.clone()) {
            Ok(m) => m,
            Err(e) => return Sent::Refused(format!("the mail cannot be built: {e}")),
        };
        match self.transport.send(message).await {
            Ok(_) => Sent::Accepted,
            Err(e) if e.is_permanent() => Sent::Refused(format!("the relay refused it: {e}")),
            Err(e) => Sent::Transient(format!("SMTP: {e}")),
        }
    }
}
