//! Where emails go: files in an outbox folder (the default, so a fresh install needs no mail
//! server) or a real SMTP server (`SMTP_URL`), both through lettre. A failure says whether
//! trying again is safe.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Why an email did not go out, and whether it is safe to try again by itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendFailure {
    /// Nothing was delivered (the server could not be reached, or it said "not now"): safe to
    /// try again later.
    Retry(String),
    /// The server refused the email for good.
    Refused(String),
    /// The conversation broke off after it began: the email may or may not have arrived.
    Uncertain(String),
}

/// A place emails go.
pub enum Transport {
    Outbox {
        dir: PathBuf,
        transport: AsyncFileTransport<Tokio1Executor>,
    },
    Smtp {
        address: String,
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The whole conversation's limit (lettre's own timeout bounds only the connection).
        limit: Duration,
    },
}

/// The transport could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("could not create the outbox folder {path}: {source}")]
    Outbox { path: PathBuf, source: std::io::Error },
    #[error(
        "SMTP_URL is not a URL lettre can use ({0}); write smtp://host:port for plain SMTP on loopback, smtp://user:password@host:587?tls=required for STARTTLS, or smtps://… for TLS"
    )]
    SmtpUrl(String),
}

impl Transport {
    /// Writes each email as a `.eml` file in `dir`, created if missing.
    pub fn outbox(dir: &Path) -> Result<Self, TransportError> {
        std::fs::create_dir_all(dir).map_err(|source| TransportError::Outbox {
            path: dir.to_owned(),
            source,
        })?;
        Ok(Self::Outbox {
            dir: dir.to_owned(),
            transport: AsyncFileTransport::new(dir),
        })
    }

    /// Sends over SMTP to the server `url` names (`smtp://`, with `?tls=required` for
    /// STARTTLS, or `smtps://`), giving up on a conversation (connecting included) after
    /// `timeout`.
    pub fn smtp(url: &str, timeout: Duration) -> Result<Self, TransportError> {
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| TransportError::SmtpUrl(e.to_string()))?;
        let address = url::host_and_port(url);
        Ok(Self::Smtp {
            address,
            transport: builder.timeout(Some(timeout)).build(),
            limit: timeout,
        })
    }

    /// Where emails go, for people: "the outbox folder data/outbox" or "SMTP at host:port".
    pub fn describe(&self) -> String {
        match self {
            Self::Outbox { dir, .. } => format!("the outbox folder {}", dir.display()),
            Self::Smtp { address, .. } => format!("SMTP at {address}"),
        }
    }

    /// The longest a send can take before it counts as failed.
    pub fn limit(&self) -> Duration {
        match self {
            Self::Outbox { .. } => Duration::from_secs(30),
            Self::Smtp { limit, .. } => *limit,
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), SendFailure> {
        match self {
            Self::Outbox { transport, .. } => transport
                .send(message)
                .await
                .map(drop)
                .map_err(|e| SendFailure::Retry(format!("could not write to the outbox folder: {e}"))),
            Self::Smtp { transport, limit, .. } => {
                match tokio::time::timeout(*limit, transport.send(message)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(error)) => Err(classify(&error)),
                    Err(_) => Err(SendFailure::Uncertain(format!(
                        "the mail server took longer than {} s",
                        limit.as_secs()
                    ))),
                }
            }
        }
    }
}

/// Sorts an SMTP failure by whether the email can have reached the server.
fn classify(error: &lettre::transport::smtp::Error) -> SendFailure {
    let detail = error.to_string();
    if error.is_transient() {
        SendFailure::Retry(format!("the mail server said to try later ({detail})"))
    } else if error.is_permanent() {
        SendFailure::Refused(format!("the mail server refused the email ({detail})"))
    } else if error.is_tls() || detail.starts_with("Connection error") {
        // lettre reports a failure to connect (or to start TLS) before any mail is sent.
        SendFailure::Retry(format!("could not reach the mail server ({detail})"))
    } else if error.is_timeout() {
        SendFailure::Uncertain(format!("the mail server stopped answering ({detail})"))
    } else {
        SendFailure::Uncertain(format!("the connection to the mail server broke off ({detail})"))
    }
}

/// SMTP URLs, as the health view and the logs may show them.
mod url {
    /// `host:port` of an SMTP URL, without any credentials in it.
    pub fn host_and_port(url: &str) -> String {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let authority = rest.split(['/', '?']).next().unwrap_or(rest);
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host)
            .to_owned()
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn credentials_never_show() {
            assert_eq!(
                super::host_and_port("smtp://ada:secret@mail.example.com:587?tls=required"),
                "mail.example.com:587"
            );
            assert_eq!(super::host_and_port("smtp://127.0.0.1:2525"), "127.0.0.1:2525");
        }
    }
}
