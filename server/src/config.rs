//! Configuration, from the environment (and the command line, which can override it).

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;

use crate::accounts::throttle::SignUpLimits;
use crate::meetings::mailer::{MailerSettings, Transport, TransportError};

/// Where the embedded database lives unless `DATABASE_URL` says otherwise.
pub const DEFAULT_DATABASE: &str = "data/kith.sqlite3";

/// Where emails are written unless `SMTP_URL` names a mail server.
pub const DEFAULT_OUTBOX: &str = "data/outbox";

#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// The database: a SQLite file path or `sqlite:` URL, or a `postgres://` URL.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE)]
    pub database_url: String,

    /// How often listeners look for events appended by other processes, in milliseconds.
    /// Appends by this process wake them at once.
    #[arg(long, env = "KITH_POLL_MS", default_value_t = 1000)]
    pub poll_ms: u64,

    /// The mail server for the morning emails: smtp://host:port (plain, for loopback),
    /// smtp://user:password@host:587?tls=required (STARTTLS) or smtps://host (TLS). Without
    /// it, emails are written to the outbox folder.
    #[arg(long, env = "SMTP_URL")]
    pub smtp_url: Option<String>,

    /// The folder emails are written to when no SMTP_URL is set.
    #[arg(long, env = "KITH_OUTBOX", default_value = DEFAULT_OUTBOX)]
    pub outbox: PathBuf,

    /// Who the morning emails are from.
    #[arg(long, env = "KITH_MAIL_FROM", default_value = "Kith <kith@localhost>")]
    pub mail_from: Mailbox,

    /// How often the mailer looks for emails to send, in milliseconds.
    #[arg(long, env = "KITH_MAIL_INTERVAL_MS", default_value_t = 60_000)]
    pub mail_interval_ms: u64,

    /// How long one email's SMTP conversation may take, connecting included, in seconds.
    #[arg(long, env = "KITH_SMTP_TIMEOUT_SECS", default_value_t = 60)]
    pub smtp_timeout_secs: u64,

    /// Sign-ups accepted per hour from one client address.
    #[arg(long, env = "KITH_SIGN_UPS_PER_ADDRESS", default_value_t = 10)]
    pub sign_ups_per_address: i64,

    /// Sign-ups accepted per hour from everyone together.
    #[arg(long, env = "KITH_SIGN_UPS_PER_HOUR", default_value_t = 100)]
    pub sign_ups_per_hour: i64,

    /// How long a connection may take to send a request's headers, and may stay open idle
    /// between requests, in seconds.
    #[arg(long, env = "KITH_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
}

impl Config {
    pub fn sign_ups(&self) -> SignUpLimits {
        SignUpLimits {
            per_address: self.sign_ups_per_address,
            overall: self.sign_ups_per_hour,
        }
    }

    pub fn poll(&self) -> Duration {
        Duration::from_millis(self.poll_ms.max(10))
    }

    /// Where the morning emails go: the SMTP server, or else the outbox folder.
    pub fn mail_transport(&self) -> Result<Transport, TransportError> {
        match &self.smtp_url {
            Some(url) => Transport::smtp(url, Duration::from_secs(self.smtp_timeout_secs.max(1))),
            None => Transport::outbox(&self.outbox),
        }
    }

    /// The mailer's settings, run by this process.
    pub fn mailer(&self) -> MailerSettings {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "this machine".to_owned());
        MailerSettings {
            from: self.mail_from.clone(),
            interval: Duration::from_millis(self.mail_interval_ms.max(10)),
            runner: format!("pid {} on {host}", std::process::id()),
            catch_up: Duration::from_secs(5),
        }
    }
}
