//! The event store, on SQLite or PostgreSQL: opening and migrating the database, the entities
//! that cause events, appending validated events durably (each checked by the features'
//! guards, see [`crate::guards`]), and reading the stream in order.

mod appender;
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
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::watch;

use engine::db::{Backend, Conn, OwnConn, Pool};
use engine::{on, on_pool};

pub use appender::WRITER_THREAD;
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
    #[error("stored event {event} has a payload that is not JSON: {source}")]
    Payload {
        event: EventId,
        source: serde_json::Error,
    },
    #[error("a kept form could not be written or read: {0}")]
    Echo(serde_json::Error),
    #[error("the server's own {event_type} event was refused: {rejection}")]
    OwnEventRefused {
        event_type: String,
        rejection: Rejection,
    },
    #[error("cannot rebuild {table}: {what}")]
    Rebuild { table: String, what: String },
    #[error("there is no projection called {0}")]
    UnknownProjection(String),
    #[error("could not start the appender's thread: {0}")]
    Thread(std::io::Error),
    #[error("the store has been closed")]
    Stopped,
    #[error("password hashing failed: {0}")]
    Password(String),
    #[error("the batch of appends this one was in could not be stored: {0}")]
    Batch(Arc<StoreError>),
}

/// The command side's checks, which the application gives the store: run for each event in
/// its append's write transaction, in stream order, before it is stored (a refusal stores
/// nothing), then told the event's id once it is.
#[async_trait::async_trait]
pub trait Guard: Send + Sync + 'static {
    /// Checks `event` against what the command side has recorded, and records its effect.
    async fn check(
        &self,
        conn: Conn<'_>,
        account_id: i64,
        event: &Event,
    ) -> Result<Result<(), Rejection>, sqlx::Error>;

    /// Records what an accepted event, now stored as `event_id`, adds to the command side.
    async fn record_stored(
        &self,
        conn: Conn<'_>,
        account_id: i64,
        event_id: EventId,
        event: &Event,
    ) -> Result<(), sqlx::Error>;
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
        self.account_id.ok_or(StoreError::NoAccount { event: self.id })
    }

    /// The typed event, as listeners see it.
    pub fn decode(&self) -> Result<Event, StoreError> {
        Event::from_payload_text(self.event_type.name, self.event_type.version, &self.payload)
            .map_err(|source| StoreError::Decode { id: self.id, source })
    }
}

/// A row of `events`, as read (the payload as JSON text, whatever the column's type).
#[derive(sqlx::FromRow)]
struct EventRow {
    id: EventId,
    event_type_id: i64,
    payload: String,
    entity_id: i64,
    account_id: Option<i64>,
    created_at: DateTime<Utc>,
}

/// How to open another connection of the store's own (see [`EventStore::connect`]).
#[derive(Clone, Debug)]
pub enum Source {
    Sqlite(SqliteConnectOptions),
    Postgres(PgConnectOptions),
}

/// The event store: the writer pool (on SQLite one connection, as SQLite has one writer at a
/// time, so appends and projection updates queue here instead of failing as busy), the appender
/// that commits appends in batches, and a reader pool (on PostgreSQL, the same pool).
pub struct EventStore {
    options: Source,
    writer: Pool,
    appender: Appender,
    reader: Pool,
    schemas: Schemas,
    guard: Arc<dyn Guard>,
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
    /// Opens (creating and migrating on first use) the database at `location`, a PostgreSQL URL
    /// or a SQLite file path or URL (see [`Backend::of`]), and registers the event types.
    /// Every append is checked by `guard`.
    pub async fn open(location: &str, guard: Arc<dyn Guard>) -> Result<Self, StoreError> {
        match Backend::of(location) {
            Backend::Sqlite => Self::open_sqlite(location, guard).await,
            Backend::Postgres => Self::open_postgres(location, guard).await,
        }
    }

    /// SQLite in WAL mode with `synchronous=FULL`: a receipt means the event is on disk.
    async fn open_sqlite(location: &str, guard: Arc<dyn Guard>) -> Result<Self, StoreError> {
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
        let (writer, appender) = appender::start_sqlite(options.clone(), head.clone()).await?;
        on_pool!(&writer, p => sqlx::migrate!("../migrations/sqlite").run(p).await)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone().read_only(true))
            .await?;
        Self::ready(
            Source::Sqlite(options),
            writer,
            appender,
            Pool::Sqlite(reader),
            guard,
            head,
        )
        .await
    }

    /// PostgreSQL, shared by any number of processes; a commit is durable there.
    async fn open_postgres(location: &str, guard: Arc<dyn Guard>) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(location)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        let head = Arc::new(watch::Sender::new(0));
        let pool = Pool::Postgres(pool);
        let appender = appender::start_postgres(pool.clone(), head.clone());
        let store = Self::ready(
            Source::Postgres(options),
            pool.clone(),
            appender,
            pool,
            guard,
            head,
        )
        .await?;
        store.hear_other_processes().await?;
        Ok(store)
    }

    async fn ready(
        options: Source,
        writer: Pool,
        appender: Appender,
        reader: Pool,
        guard: Arc<dyn Guard>,
        head: Arc<watch::Sender<EventId>>,
    ) -> Result<Self, StoreError> {
        let schemas = {
            // Processes starting together register the types one after the other.
            let mut tx = writer.begin_write().await?;
            let schemas = Schemas::register(tx.conn(), EVENT_TYPES).await?;
            tx.commit().await?;
            schemas
        };
        let newest = newest_event(&reader).await?;
        advance(&head, newest);
        Ok(Self {
            options,
            writer,
            appender,
            reader,
            schemas,
            guard,
            head,
        })
    }

    /// On PostgreSQL, every append transaction notifies the channel [`EVENTS_CHANNEL`] with its
    /// newest event id as it commits; a task of this store listens there and wakes this
    /// process's listeners, so they hear the appends of every process at once instead of at
    /// their next poll. Notifications sent while its connection is being re-established are
    /// lost, so after that it reads the head from the table.
    async fn hear_other_processes(&self) -> Result<(), StoreError> {
        let Pool::Postgres(pool) = &self.reader else {
            return Ok(());
        };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        let reader = self.reader.clone();
        let head = Arc::downgrade(&self.head);
        // Ends with the store: its `head` goes, and with it this receiver's sender.
        let mut appended = self.head.subscribe();
        tokio::spawn(async move {
            let store_closed = async move { while appended.changed().await.is_ok() {} };
            tokio::pin!(store_closed);
            loop {
                let heard = tokio::select! {
                    heard = listener.try_recv() => heard,
                    () = &mut store_closed => break,
                };
                let Some(head) = head.upgrade() else { break };
                let newest = match heard {
                    Ok(Some(notification)) => notification.payload().parse().ok(),
                    Ok(None) => None,
                    Err(error) => {
                        tracing::warn!(%error, "lost the notifications of appends; listening again");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        None
                    }
                };
                let newest = match newest {
                    Some(newest) => Ok(newest),
                    None => newest_event(&reader).await,
                };
                match newest {
                    Ok(newest) => advance(&head, newest),
                    Err(error) => tracing::warn!(%error, "could not read the newest event"),
                }
            }
        });
        Ok(())
    }

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

    /// A connection of its own to the database, outside both pools (a rebuild keeps its
    /// tables beside the live ones in this connection's temporary schema).
    pub async fn connect(&self) -> Result<OwnConn, StoreError> {
        Ok(match &self.options {
            Source::Sqlite(options) => OwnConn::Sqlite(options.connect().await?),
            Source::Postgres(options) => OwnConn::Postgres(options.connect().await?),
        })
    }

    /// The newest event id appended by this process, to wake listeners.
    pub fn subscribe(&self) -> watch::Receiver<EventId> {
        self.head.subscribe()
    }

    /// The newest event in the stream (appended by any process).
    pub async fn head(&self) -> Result<EventId, StoreError> {
        Ok(newest_event(&self.reader).await?)
    }

    /// The account the event `event_id` concerns: `Some(None)` for an event of no account,
    /// `None` when there is no such event.
    pub async fn owner(&self, event_id: EventId) -> Result<Option<Option<i64>>, StoreError> {
        Ok(
            on_pool!(&self.reader, p => sqlx::query_scalar("SELECT account_id FROM events WHERE id = $1")
            .bind(event_id)
            .fetch_optional(p)
            .await)?,
        )
    }

    /// How many events concerning `account_id` come after `event_id` in the stream.
    pub async fn count_after(&self, account_id: i64, event_id: EventId) -> Result<i64, StoreError> {
        Ok(on_pool!(&self.reader, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM events WHERE account_id = $1 AND id > $2"
        )
        .bind(account_id)
        .bind(event_id)
        .fetch_one(p)
        .await)?)
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

    /// Checks and appends a typed event caused by `actor` inside the caller's write
    /// transaction, so it commits (or not) together with the caller's own rows. Call
    /// [`EventStore::appended`] after the commit.
    pub async fn append_in(
        &self,
        mut tx: Conn<'_>,
        actor: Actor,
        event: &Event,
    ) -> Result<Result<EventReceipt, Rejection>, StoreError> {
        let event_type = event.event_type();
        match self.check(actor, event_type.name, event_type.version, event.to_payload())? {
            Ok(checked) => {
                let outcome = appender::store_checked(tx.re(), &checked).await?;
                if let Ok(receipt) = &outcome {
                    appender::notify_appended(tx, receipt.event_id).await?;
                }
                Ok(outcome)
            }
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
        let text = serde_json::value::to_raw_value(&payload)
            .map_err(|e| StoreError::Schema(format!("the payload of {name} v{version} is not JSON: {e}")))?;
        let event = Event::from_payload(name, version, payload).map_err(|e| {
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

    /// Up to `limit` events after `after`, in stream order, read on `conn` (a listener reads
    /// them inside the transaction that applies them).
    pub async fn events_after(
        &self,
        conn: Conn<'_>,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows: Vec<EventRow> = on!(conn, c => sqlx::query_as(
            "SELECT id, event_type_id, CAST(payload AS TEXT) AS payload, entity_id, account_id, created_at \
             FROM events WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(c)
        .await)?;
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
        let event_type = self
            .schemas
            .by_id(event_type_id)
            .ok_or(StoreError::UnknownEventType {
                event: id,
                event_type_id,
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
        ensure_entity(conn.conn(), "process", name).await
    }

    /// A new account and its entity, inside the caller's write transaction.
    pub async fn create_account(&self, tx: Conn<'_>, display_name: &str) -> Result<Actor, StoreError> {
        let now = Utc::now();
        let (entity_id, account_id) = on!(tx, c => {
            let entity_id: i64 = sqlx::query_scalar(
                "INSERT INTO entities (kind, name, created_at) VALUES ('account', $1, $2) RETURNING id",
            )
            .bind(format!("account-{}", random_hex(8)))
            .bind(now)
            .fetch_one(&mut *c)
            .await?;
            let account_id: i64 = sqlx::query_scalar(
                "INSERT INTO accounts (entity_id, display_name, created_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(entity_id)
            .bind(display_name)
            .bind(now)
            .fetch_one(&mut *c)
            .await?;
            (entity_id, account_id)
        });
        Ok(Actor {
            entity_id,
            account_id,
        })
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

/// The newest event in the stream, 0 when it is empty.
async fn newest_event(pool: &Pool) -> Result<EventId, sqlx::Error> {
    on_pool!(pool, p => sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events").fetch_one(p).await)
}

/// `bytes` random bytes, as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}
