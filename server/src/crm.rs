//! The CRM as the engine knows it: [`Crm`], the engine's [`Domain`] (the contract's events,
//! refusals and actors, the migrations, the scheduled jobs), the engine's types for it, and
//! the CRM's own failures ([`CrmError`]) as the engine carries them.

use app::backend::Actor;
use app::error::{FieldError, Rejection};
use app::events::{EVENT_TYPES, Event};
use app::receipt::EventId;
use engine::db::Backend;
use engine::domain::{Cause, Domain, EventType, FieldProblem};
use serde_json::Value;
use sqlx::migrate::Migrator;

pub use engine::dispatch::{Listeners, Projection, Rebuild};
pub use engine::store::{Guard, StoreError, WRITER_THREAD};

/// The CRM, as the engine's [`Domain`].
#[derive(Clone, Copy, Debug)]
pub struct Crm;

/// The event store of the CRM's events.
pub type EventStore = engine::store::EventStore<Crm>;
/// A CRM event as stored in the stream.
pub type StoredEvent = engine::store::StoredEvent<Crm>;
/// The listeners of the CRM's projections.
pub type Dispatcher = engine::dispatch::Dispatcher<Crm>;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

impl Domain for Crm {
    type Event = Event;
    type Refusal = Rejection;
    type Actor = Actor;

    const JOBS: &'static [&'static str] = &[crate::meetings::mailer::JOB];

    fn event_types() -> Vec<EventType> {
        EVENT_TYPES
            .iter()
            .map(|t| EventType {
                name: t.name,
                version: t.version,
                schema: t.schema,
            })
            .collect()
    }

    fn event_type(event: &Event) -> (&'static str, i32) {
        let event_type = event.event_type();
        (event_type.name, event_type.version)
    }

    fn encode(event: &Event) -> Value {
        event.to_payload()
    }

    fn decode(name: &str, version: i32, payload: Value) -> Result<Event, String> {
        Event::from_payload(name, version, payload).map_err(|error| error.to_string())
    }

    fn decode_text(name: &str, version: i32, text: &str) -> Result<Event, String> {
        Event::from_payload_text(name, version, text).map_err(|error| error.to_string())
    }

    fn refusal(problems: Vec<FieldProblem>) -> Rejection {
        Rejection {
            errors: problems
                .into_iter()
                .map(|problem| FieldError::new(problem.field, problem.message))
                .collect(),
        }
    }

    fn cause(actor: &Actor) -> Cause {
        Cause {
            entity_id: actor.entity_id,
            account_id: actor.account_id,
        }
    }

    fn migrator(backend: Backend) -> &'static Migrator {
        match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// A failure of the CRM's own code, carried through the engine as [`StoreError::Domain`].
#[derive(Debug, thiserror::Error)]
pub enum CrmError {
    #[error("{what} names an unknown time zone {zone:?}")]
    UnknownTimeZone { what: String, zone: String },
    #[error("event {event} renames {from:?} to {to:?}, which exists")]
    RenameOntoExisting {
        event: EventId,
        from: String,
        to: String,
    },
    #[error("row {id} of {table} cannot be read: {what}")]
    Row {
        table: &'static str,
        id: i64,
        what: String,
    },
    #[error("a kept form could not be written or read: {0}")]
    Echo(serde_json::Error),
    #[error("the server's own {event_type} event was refused: {rejection}")]
    OwnEventRefused {
        event_type: String,
        rejection: Rejection,
    },
    #[error("password hashing failed: {0}")]
    Password(String),
}

impl From<CrmError> for StoreError {
    fn from(error: CrmError) -> Self {
        StoreError::Domain(Box::new(error))
    }
}
