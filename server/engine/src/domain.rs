//! What the engine knows of the application built on it, through [`Domain`]: its event types
//! and how their payloads are written and read, how it refuses bad input, who causes its
//! events, its migrations and its scheduled jobs. And the plain data the engine hands back.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::migrate::Migrator;

use crate::db::Backend;

/// The position of an event in the stream. Ids only grow, in the order events were committed.
pub type EventId = i64;

/// An application built on the engine. The engine keeps its events, checks them against
/// their schemas, hands them to its projections and rebuilds those; what the events mean is
/// the application's business alone.
pub trait Domain: Send + Sync + 'static {
    /// A typed event: one variant per event type, in its latest version.
    type Event: Send + Sync + 'static;
    /// A refusal of bad input, naming the fields at fault (a schema's or a guard's).
    type Refusal: std::fmt::Debug + Send + Sync + 'static;
    /// Whoever causes an event.
    type Actor: Copy + Send + Sync + 'static;

    /// Every scheduled job, as the health view lists them (whether or not they have run yet).
    const JOBS: &'static [&'static str];

    /// Every event type in every version the application can read.
    fn event_types() -> Vec<EventType>;

    /// The type and version `event` is written in.
    fn event_type(event: &Self::Event) -> (&'static str, i32);

    /// The payload as stored in the stream.
    fn encode(event: &Self::Event) -> Value;

    /// A payload of the type `name` v`version` read back into a typed event (an older version
    /// lifted to the latest first); the error says why it cannot be.
    fn decode(name: &str, version: i32, payload: Value) -> Result<Self::Event, String>;

    /// The same from the payload's JSON text, as the stream keeps it.
    fn decode_text(name: &str, version: i32, text: &str) -> Result<Self::Event, String>;

    /// The refusal of a payload with these problems (at least one).
    fn refusal(problems: Vec<FieldProblem>) -> Self::Refusal;

    /// The entity recorded with an event `actor` causes, and the account it concerns.
    fn cause(actor: &Self::Actor) -> Cause;

    /// The migrations of the database: the engine's tables (`events`, `event_types`,
    /// `entities`, `projections`, `jobs`) and the application's.
    fn migrator(backend: Backend) -> &'static Migrator;
}

/// A named, versioned event type and its JSON Schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventType {
    pub name: &'static str,
    pub version: i32,
    pub schema: &'static str,
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} v{}", self.name, self.version)
    }
}

/// What is wrong with one field of a payload (`field` is "" for the payload as a whole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Who an event is recorded as caused by: an entity, acting for an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cause {
    pub entity_id: i64,
    pub account_id: i64,
}

/// Proof that an event was stored: its position in the stream and when it was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub event_id: EventId,
    pub created_at: DateTime<Utc>,
}
