//! The event store on SQLite: opening and migrating the database, the entities that cause
//! events, appending validated events durably, and reading the stream in order; with the
//! command side's own records (contact names, interactions, morning email deliveries).

mod appender;
pub mod deliveries;
mod guards;
mod schemas;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use app::backend::Actor;
use app::error::Rejection;
use app::events::{DecodeError, EVENT_TYPES, Event, EventType};
use app::receipt::{EventId, EventReceipt};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::SqliteConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::watch;

use appender::{Appender, CheckedEvent};
use schemas::Schemas;

/// A failure of the store itself; refusals of bad input are [`Rejection`]s instead.
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
    #[error("stored event {id} cannot be read: {source}")]
    Decode { id: EventId, source: DecodeError },
    #[error("the stored data breaks an invariant: {0}")]
    Inconsistent(String),
    #[error("there is no projection called {0}")]
    UnknownProjection(String),
    #[error("could not start the appender's thread: {0}")]
    Thread(std::io::Error),
    #[error("the store has been closed")]
    Stopped,
    #[error("the batch of appends this one was in could not be stored: {0}")]
    Batch(Arc<StoreError>),
}

/// An event as stored in the stream.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    pub id: EventId,
    pub event_type: EventType,
    /// The payload as stored: JSON text, read into a typed event by [`StoredEvent::decode`].
    pub payload: String,
    pub entity_id: i64,
    /// The account whose data the event is about.
    pub account_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl StoredEvent {
    /// The account the event is about; an event that concerns one but names none breaks an
    /// invariant of the stream.
    pub fn account(&self) -> Result<i64, StoreError> {
        self.account_id.ok_or_else(|| {
            StoreError::Inconsistent(format!("event {} concerns an account but names none", self.id))
        })
    }

    /// The typed event, as listeners see it.
    pub fn decode(&self) -> Result<Event, StoreError> {
        Event::from_payload_text(self.event_type.name, self.event_type.version, &self.payload)
            .map_err(|source| StoreError::Decode { id: self.id, source })
    }
}

/// A row of `events`, as read.
#[derive(sqlx::FromRow)]
struct EventRow {
    id: EventId,
    event_type_id: i64,
    payload: String,
    entity_id: i64,
    account_id: Option<i64>,
    created_at: DateTime<Utc>,
}

/// The event store: a writer pool of one connection (SQLite has one writer at a time, so
/// appends and projection updates queue here instead of failing as busy), the appender that
/// commits appends in batches on it, and a reader pool.
pub struct EventStore {
    options: SqliteConnectOptions,
    writer: SqlitePool,
    appender: Appender,
    reader: SqlitePool,
    schemas: Schemas,
    head: Arc<watch::Sender<EventId>>,
}

/// Where the database lives: a path, or a `sqlite:` URL.
fn database_path(location: &str) -> PathBuf {
    let path = location
        .strip_prefix("sqlite://")
        .or_else(|| location.strip_prefix("sqlite:"))
        .unwrap_or(location);
    PathBuf::from(path.split('?').next().unwrap_or(path))
}

impl EventStore {
    /// Opens (creating and migrating on first use) the SQLite database at `location` and
    /// registers the event types. WAL with `synchronous=FULL`: a receipt means the event is on disk.
    pub async fn open(location: &str) -> Result<Self, StoreError> {
        let path = database_path(location);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let head = Arc::new(watch::Sender::new(0));
        let (writer, appender) = appender::start(options.clone(), head.clone()).await?;
        sqlx::migrate!("../migrations/sqlite").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone().read_only(true))
            .await?;
        let schemas = Schemas::register(&mut *writer.acquire().await?, EVENT_TYPES).await?;
        let newest = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events")
            .fetch_one(&reader)
            .await?;
        advance(&head, newest);
        Ok(Self {
            options,
            writer,
            appender,
            reader,
            schemas,
            head,
        })
    }

    /// The pool that writes: appends, and listeners updating their projections.
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// The pool that reads: the stream, and queries of projections.
    pub fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// A connection of its own to the database, outside both pools (a rebuild keeps its
    /// tables beside the live ones in this connection's temporary schema).
    pub async fn connect(&self) -> Result<SqliteConnection, StoreError> {
        use sqlx::ConnectOptions;
        Ok(self.options.connect().await?)
    }

    /// The newest event id appended by this process, to wake listeners.
    pub fn subscribe(&self) -> watch::Receiver<EventId> {
        self.head.subscribe()
    }

    /// The newest event in the stream (appended by any process).
    pub async fn head(&self) -> Result<EventId, StoreError> {
        Ok(sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events")
            .fetch_one(&self.reader)
            .await?)
    }

    /// Appends a typed event caused by `actor`.
    pub async fn append(
        &self,
        actor: Actor,
        event: &Event,
    ) -> Result<Result<EventReceipt, Rejection>, StoreError> {
        let event_type = event.event_type();
        self.append_payload(actor, event_type.name, event_type.version, event.to_payload())
            .await
    }

    /// Appends a payload of the event type `name` v`version` caused by `actor`, once it matches
    /// the type's schema and the account's contacts allow it. Returns once the event is durably
    /// stored, committed together with the appends that arrived with it (see [`appender`]); a
    /// refusal stores nothing.
    pub async fn append_payload(
        &self,
        actor: Actor,
        name: &str,
        version: i32,
        payload: Value,
    ) -> Result<Result<EventReceipt, Rejection>, StoreError> {
        let checked = match self.check(actor, name, version, payload)? {
            Ok(checked) => checked,
            Err(rejection) => return Ok(Err(rejection)),
        };
        self.appender.append(checked).await
    }

    /// Checks and appends an event inside the caller's write transaction, so it commits (or
    /// not) together with the caller's own rows. Call [`EventStore::appended`] after the commit.
    pub async fn append_in(
        &self,
        tx: &mut SqliteConnection,
        actor: Actor,
        name: &str,
        version: i32,
        payload: Value,
    ) -> Result<Result<EventReceipt, Rejection>, StoreError> {
        match self.check(actor, name, version, payload)? {
            Ok(checked) => appender::store_checked(tx, &checked).await,
            Err(rejection) => Ok(Err(rejection)),
        }
    }

    /// Checks a payload against its event type's schema and reads it into the typed event.
    fn check(
        &self,
        actor: Actor,
        name: &str,
        version: i32,
        payload: Value,
    ) -> Result<Result<CheckedEvent, Rejection>, StoreError> {
        let event_type_id = match self.schemas.check(name, version, &payload) {
            Ok(id) => id,
            Err(rejection) => return Ok(Err(rejection)),
        };
        let text = payload.to_string();
        let event = Event::from_payload(name, version, payload).map_err(|e| {
            StoreError::Schema(format!(
                "the schema of {name} v{version} accepts what its payload type refuses: {e}"
            ))
        })?;
        Ok(Ok(CheckedEvent {
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

    /// Up to `limit` events after `after`, in stream order, read on `conn` (a listener reads
    /// them inside the transaction that applies them).
    pub async fn events_after(
        &self,
        conn: &mut sqlx::SqliteConnection,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT id, event_type_id, payload, entity_id, account_id, created_at \
             FROM events WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(conn)
        .await?;
        rows.into_iter().map(|row| self.stored_event(row)).collect()
    }

    fn stored_event(&self, row: EventRow) -> Result<StoredEvent, StoreError> {
        let EventRow {
            id,
            event_type_id,
            payload,
            entity_id,
            account_id,
            created_at,
        } = row;
        let event_type = self.schemas.by_id(event_type_id).ok_or_else(|| {
            StoreError::Inconsistent(format!(
                "event {id} has an event type ({event_type_id}) this version does not know"
            ))
        })?;
        Ok(StoredEvent {
            id,
            event_type,
            payload,
            entity_id,
            account_id,
            created_at,
        })
    }

    /// The system process called `name` (the dispatcher, the mailer) as an entity that can
    /// cause events, created on first use.
    pub async fn ensure_process(&self, name: &str) -> Result<i64, StoreError> {
        let mut conn = self.writer.acquire().await?;
        ensure_entity(&mut conn, "process", name).await
    }

    /// A new account and its entity, inside the caller's write transaction.
    pub async fn create_account(
        &self,
        tx: &mut SqliteConnection,
        display_name: &str,
    ) -> Result<Actor, StoreError> {
        let now = Utc::now();
        let entity_id: i64 = sqlx::query_scalar(
            "INSERT INTO entities (kind, name, created_at) \
             VALUES ('account', 'account-' || lower(hex(randomblob(8))), $1) RETURNING id",
        )
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let account_id = sqlx::query_scalar(
            "INSERT INTO accounts (entity_id, display_name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(entity_id)
        .bind(display_name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        Ok(Actor {
            entity_id,
            account_id,
        })
    }
}

async fn ensure_entity(conn: &mut sqlx::SqliteConnection, kind: &str, name: &str) -> Result<i64, StoreError> {
    sqlx::query("INSERT OR IGNORE INTO entities (kind, name, created_at) VALUES ($1, $2, $3)")
        .bind(kind)
        .bind(name)
        .bind(Utc::now())
        .execute(&mut *conn)
        .await?;
    let (id, stored_kind): (i64, String) = sqlx::query_as("SELECT id, kind FROM entities WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *conn)
        .await?;
    if stored_kind != kind {
        return Err(StoreError::Inconsistent(format!(
            "the entity {name} is a {stored_kind}, not a {kind}"
        )));
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
