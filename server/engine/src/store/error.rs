//! What can go wrong in the engine.

use std::path::PathBuf;
use std::sync::Arc;

use crate::domain::EventId;

/// A failure of the store, the dispatcher or a projection; refusals of bad input are the
/// domain's [`Domain::Refusal`]s instead.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not migrate the database: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("event schema problem: {0}")]
    Schema(String),
    #[error("could not create the data folder {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("stored event {id} cannot be read: {reason}")]
    Decode { id: EventId, reason: String },
    #[error("event {event} concerns an account but names none")]
    NoAccount { event: EventId },
    #[error("event {event} has an event type ({event_type_id}) this version does not know")]
    UnknownEventType { event: EventId, event_type_id: i64 },
    #[error("the entity {name} is a {stored}, not a {wanted}")]
    EntityKind {
        name: String,
        stored: String,
        wanted: &'static str,
    },
    #[error("stored event {event} has a payload that is not JSON: {source}")]
    Payload {
        event: EventId,
        source: serde_json::Error,
    },
    #[error("cannot rebuild {table}: {what}")]
    Rebuild { table: String, what: String },
    #[error("there is no projection called {0}")]
    UnknownProjection(String),
    #[error("could not start the appender's thread: {0}")]
    Thread(std::io::Error),
    #[error("the store has been closed")]
    Stopped,
    #[error("the batch of appends this one was in could not be stored: {0}")]
    Batch(Arc<StoreError>),
    /// A failure of the application's own code (a guard's, a projection's, a job's).
    #[error(transparent)]
    Domain(Box<dyn std::error::Error + Send + Sync>),
}
