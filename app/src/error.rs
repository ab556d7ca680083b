//! The errors and refusals that cross the boundary between browser and server.
//!
//! Expected outcomes of a command (bad input, a duplicate name, a contact that is gone) are
//! values: [`Rejection`] inside [`CommandOutcome`]. Only failures of the machinery itself (the
//! database, the network) are [`AppError`]s.

use leptos::server_fn::codec::JsonEncoding;
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

/// A failure of the machinery, not of the person's input. Every message says what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The database could not be read or written.
    #[error("The database is not answering right now ({0}). Your change was not saved; please try again.")]
    Storage(String),
    /// The request carries no valid session (never signed in, signed out, or expired).
    #[error("You are signed out. Sign in again to continue; nothing you saved is lost.")]
    SignedOut,
    /// The browser could not reach the server, or the answer was garbled.
    #[error("Could not reach the server ({0}). Check your connection and try again.")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}
