//! The errors and refusals that cross the boundary between browser and server.
//!
//! Expected outcomes of a command (bad input, a duplicate name, a contact that is gone) are
//! values: [`Rejection`] inside [`CommandOutcome`]. Only failures of the machinery itself (the
//! database, the network) are [`AppError`]s.

use leptos::server_fn::codec::PostcardEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::receipt::EventReceipt;

/// One problem with one input field, phrased for the person who filled it in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field (and payload property) the problem is about.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Why a command was refused. Nothing was stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub errors: Vec<FieldError>,
}

impl Rejection {
    pub fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            errors: vec![FieldError::new(field, message)],
        }
    }

    /// The message for `field`, if there is one.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.errors.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}

/// What a command returns: the receipt of the stored event, or why nothing was stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandOutcome {
    Accepted(EventReceipt),
    Rejected(Rejection),
}

impl CommandOutcome {
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Self::Accepted(_) => None,
            Self::Rejected(rejection) => Some(rejection),
        }
    }
}

/// An outcome that may be a refusal of the person's input.
pub trait Refusable {
    fn refusal(&self) -> Option<&Rejection>;
}

impl Refusable for CommandOutcome {
    fn refusal(&self) -> Option<&Rejection> {
        self.rejection()
    }
}

impl From<Rejection> for CommandOutcome {
    fn from(rejection: Rejection) -> Self {
        Self::Rejected(rejection)
    }
}

/// The most a request may carry, in bytes: a form with the longest notes allowed, in any
/// script, percent-encoded, fits with room to spare.
pub const BODY_LIMIT: usize = 512 * 1024;

/// A failure of the machinery, or a request the server could not read, rather than a refusal
/// of the person's input. Every message says what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The server failed (most often, the database could not be read or written). What failed
    /// is in the server's log under `reference`, never in the answer.
    #[error(
        "Something went wrong on the server, and nothing was saved. Please try again; if it keeps \
         happening, quote reference {reference}."
    )]
    Storage { reference: String },
    /// The request carries no valid session (never signed in, signed out, or expired).
    #[error("You are signed out. Sign in again to continue; nothing you saved is lost.")]
    SignedOut,
    /// The browser could not reach the server, or the answer was garbled.
    #[error("Could not reach the server ({0}). Check your connection and try again.")]
    Transport(String),
    /// The request's arguments could not be read: a field missing, malformed or not text.
    #[error("The server could not read what was sent: {0}. Reload the page and try again.")]
    BadRequest(String),
    /// The request was larger than [`BODY_LIMIT`].
    #[error("That is too much to send at once (at most {} KB). Shorten the text and try again.", BODY_LIMIT / 1024)]
    TooLarge,
}

impl FromServerFnError for AppError {
    type Encoder = PostcardEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server: a request whose arguments cannot be read (one too large never gets
            // this far: the web server refuses it first).
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::Deserialization(message)
                if cfg!(feature = "ssr") =>
            {
                Self::BadRequest(message)
            }
            ServerFnErrorErr::MissingArg(field) if cfg!(feature = "ssr") => {
                Self::BadRequest(format!("the field “{field}” is missing"))
            }
            other => Self::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// A failure of the server's machinery, logged here (the one place it is logged) with what
    /// failed and a short reference; the person is shown the reference only.
    pub fn failure(error: &dyn std::error::Error) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static FAILURES: AtomicU32 = AtomicU32::new(0);
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let reference = format!(
            "{:05x}-{}",
            seconds & 0xf_ffff,
            FAILURES.fetch_add(1, Ordering::Relaxed) + 1
        );
        tracing::error!(%reference, %error, "request failed");
        Self::Storage { reference }
    }

    /// The HTTP status a server function answers this error with.
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Self::Storage { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::SignedOut => StatusCode::UNAUTHORIZED,
            Self::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }
}
