//! The event store, on SQLite or PostgreSQL: opening and migrating the database, the entities
//! that cause events, appending validated events durably (each checked by the application's
//! [`Guard`]), and reading the stream in order.

mod appender;
mod batch_postgres;
mod error;
mod open;
mod schemas;
mod stream;

use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;
use tokio::sync::watch;

use crate::db::{Backend, Conn, Pool};
use crate::domain::{Domain, EventId, Receipt};
use crate::on;

pub use appender::WRITER_THREAD;
use appender::{Appender, CheckedEvent};
pub use error::StoreError;
use open::Source;
use schemas::Schemas;
pub use stream::StoredEvent;

/// What an append comes to: a receipt, or the application's refusal of bad input.
pub type Outcome<D> = Result<Receipt, <D as Domain>::Refusal>;

/// The command side's checks, which the application gives the store: run for each event in
/// its append's write transaction, in stream order, before it is stored (a refusal stores
/// nothing), then told the event's id once it is.
#[async_trait::async_trait]
pub trait Guard<D: Domain>: Send + Sync + 'static {
    /// Checks `event` against what the command side has recorded, and records its effect.
    async fn check(
        &self,
        conn: Conn<'_>,
        account_id: i64,
        event: &D::Event,
    ) -> Result<Result<(), D::Refusal>, sqlx::Error>;

    /// Records what an accepted event, now stored as `event_id`, adds to the command side.
    async fn record_stored(
        &self,
        conn: Conn<'_>,
        account_id: i64,
        event_id: EventId,
        event: &D::Event,
    ) -> Result<(), sqlx::Error>;

    /// The same checks as SQL functions, if the guard has them: on PostgreSQL the appender
    /// then stores a whole batch in one round trip instead of a few per event.
    fn postgres(&self) -> Option<&dyn PostgresGuard<D>> {
        None
    }
}

/// A guard's checks as PostgreSQL functions, which the batch append calls for each event in
/// its transaction (`append_batch.sql` states their contract). They must refuse and record
/// exactly what [`Guard::check`] and [`Guard::record_stored`] do: the appender uses them, while
/// an append inside the caller's own transaction ([`EventStore::append_in`]) runs the guard.
pub trait PostgresGuard<D: Domain>: Send + Sync + 'static {
    /// The SQL that (re)defines `kith_guard_check` and `kith_guard_record`, run as each store
    /// opens, so the database always has this version's.
    fn functions(&self) -> &'static [&'static str];

    /// What the functions need to know of `event` (say, a name already folded as the
    /// application folds names), as a JSON object.
    fn facts(&self, event: &D::Event) -> Value;

    /// The refusal `kith_guard_check` answered, or why it cannot be read.
    fn refusal(&self, answer: &Value) -> Result<D::Refusal, String>;
}

/// The event store: the writer pool (on SQLite one connection, as SQLite has one writer at a
/// time, so appends and projection updates queue here instead of failing as busy), the appender
/// that commits appends in batches, and a reader pool (on PostgreSQL, the same pool).
pub struct EventStore<D: Domain> {
    options: Source,
    writer: Pool,
    appender: Appender<D>,
    reader: Pool,
    schemas: Schemas,
    guard: Arc<dyn Guard<D>>,
    head: Arc<watch::Sender<EventId>>,
}

impl<D: Domain> EventStore<D> {
    /// The pool that writes: appends, and listeners updating their projections.
    pub fn writer(&self) -> &Pool {
        &self.writer
    }

    /// The pool that reads: the stream, and queries of projections.
    pub fn reader(&self) -> &Pool {
        &self.reader
    }

    pub fn backend(&self) -> Backend {
        self.writer.backend()
    }

    /// The newest event id appended by this process, to wake listeners.
    pub fn subscribe(&self) -> watch::Receiver<EventId> {
        self.head.subscribe()
    }

    /// Appends a typed event caused by `actor`.
    pub async fn append(&self, actor: D::Actor, event: &D::Event) -> Result<Outcome<D>, StoreError> {
        let (name, version) = D::event_type(event);
        self.append_payload(actor, name, version, D::encode(event)).await
    }

    /// Appends `events`, caused by `actor`, in order and in one transaction (a refused one is
    /// left out, the others stored): for many events at once, such as an import.
    pub async fn append_all(
        &self,
        actor: D::Actor,
        events: &[D::Event],
    ) -> Result<Vec<Outcome<D>>, StoreError> {
        let mut outcomes: Vec<Option<Outcome<D>>> = Vec::with_capacity(events.len());
        let mut checked = Vec::with_capacity(events.len());
        for event in events {
            let (name, version) = D::event_type(event);
            match self.check(actor, name, version, D::encode(event))? {
                Ok(event) => {
                    checked.push(event);
                    outcomes.push(None);
                }
                Err(refusal) => outcomes.push(Some(Err(refusal))),
            }
        }
        let mut conn = self.writer.acquire().await?;
        let mut stored = appender::store_batch(conn.conn(), &checked).await?.into_iter();
        if let Some(newest) = appender::newest_stored(stored.as_slice()) {
            advance(&self.head, newest);
        }
        Ok(outcomes
            .into_iter()
            .map(|outcome| outcome.or_else(|| stored.next()).expect("one outcome per event"))
            .collect())
    }

    /// Appends a payload of the event type `name` v`version` caused by `actor`, once it matches
    /// the type's schema and the application's guard allows it. Returns once the event is durably
    /// stored, committed together with the appends that arrived with it (see [`appender`]); a
    /// refusal stores nothing.
    pub async fn append_payload(
        &self,
        actor: D::Actor,
        name: &str,
        version: i32,
        payload: Value,
    ) -> Result<Outcome<D>, StoreError> {
        let checked = match self.check(actor, name, version, payload)? {
            Ok(checked) => checked,
            Err(rejection) => return Ok(Err(rejection)),
        };
        self.appender.append(checked).await
    }

    /// Checks and appends a typed event caused by `actor` inside the caller's write
    /// transaction, so it commits (or not) together with the caller's own rows. Call
    /// [`EventStore::appended`] after the commit.
    pub async fn append_in(
        &self,
        tx: Conn<'_>,
        actor: D::Actor,
        event: &D::Event,
    ) -> Result<Outcome<D>, StoreError> {
        let (name, version) = D::event_type(event);
        match self.check(actor, name, version, D::encode(event))? {
            Ok(checked) => Ok(appender::store_checked(tx, &checked, true).await?),
            Err(rejection) => Ok(Err(rejection)),
        }
    }

    /// Checks a payload against its event type's schema and reads it into the typed event.
    fn check(
        &self,
        actor: D::Actor,
        name: &str,
        version: i32,
        payload: Value,
    ) -> Result<Result<CheckedEvent<D>, D::Refusal>, StoreError> {
        let event_type_id = match self.schemas.check(name, version, &payload) {
            Ok(id) => id,
            Err(problems) => return Ok(Err(D::refusal(problems))),
        };
        let text = serde_json::value::to_raw_value(&payload)
            .map_err(|e| StoreError::Schema(format!("the payload of {name} v{version} is not JSON: {e}")))?;
        let event = D::decode(name, version, payload).map_err(|e| {
            StoreError::Schema(format!(
                "the schema of {name} v{version} accepts what its payload type refuses: {e}"
            ))
        })?;
        Ok(Ok(CheckedEvent {
            guard: self.guard.clone(),
            actor,
            event_type_id,
            event,
            payload: text,
        }))
    }

    /// The runtime of the thread that writes (see [`appender`]): the listeners run there.
    pub fn writer_runtime(&self) -> &tokio::runtime::Handle {
        self.appender.runtime()
    }

    /// How many commits the appender has made for the appends of this process: fewer than the
    /// appends when they arrived together.
    pub fn append_commits(&self) -> u64 {
        self.appender.commits()
    }

    /// Wakes the listeners for an event committed by this process outside the appender (in
    /// the caller's own transaction, see [`EventStore::append_in`]).
    pub fn appended(&self, event_id: EventId) {
        advance(&self.head, event_id);
    }

    /// The system process called `name` (a dispatcher, a scheduled job) as an entity that can
    /// cause events, created on first use.
    pub async fn ensure_process(&self, name: &str) -> Result<i64, StoreError> {
        let mut conn = self.writer.acquire().await?;
        ensure_entity(conn.conn(), "process", name).await
    }
}

async fn ensure_entity(conn: Conn<'_>, kind: &'static str, name: &str) -> Result<i64, StoreError> {
    let (id, stored_kind): (i64, String) = on!(conn, c => {
        sqlx::query("INSERT INTO entities (kind, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(kind)
            .bind(name)
            .bind(Utc::now())
            .execute(&mut *c)
            .await?;
        sqlx::query_as("SELECT id, kind FROM entities WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *c)
            .await?
    });
    if stored_kind != kind {
        return Err(StoreError::EntityKind {
            name: name.to_owned(),
            stored: stored_kind,
            wanted: kind,
        });
    }
    Ok(id)
}

/// Moves the newest event id this process knows of to `event_id`, if that is newer, waking the
/// listeners.
fn advance(head: &watch::Sender<EventId>, event_id: EventId) {
    head.send_if_modified(|head| {
        let newer = event_id > *head;
        *head = (*head).max(event_id);
        newer
    });
}

/// The PostgreSQL channel every append notifies as it commits.
pub const EVENTS_CHANNEL: &str = "kith_events";
