//! The dispatcher: hands every event of the stream to every listener, in order, exactly once.
//!
//! Each projection has one listener task. In one write transaction it reads its checkpoint
//! (its row in `projections`), the events after it, applies them to its table and advances
//! the row, so a crash loses or repeats nothing, and a checkpoint rewound by a rebuild (or
//! moved by another process) is always seen. Appends commit one transaction at a time, in id
//! order (see [`engine::db::Pool::begin_write`]), so "every event after the checkpoint" never
//! misses one that commits later.
//!
//! Several processes may run listeners for the same projection. On SQLite their batches take
//! the database's write lock in turn. On PostgreSQL a batch locks its projection's row with
//! `FOR UPDATE SKIP LOCKED`: while one process applies a batch, the others skip that projection
//! instead of waiting, and the next batch starts from the checkpoint the first one committed.
//! A process killed mid-batch never commits it, so its row lock goes with its connection and
//! the batch is applied, once, by whoever comes next.
//!
//! Listeners sleep until an append wakes them: appends by this process at once, and on
//! PostgreSQL those of other processes too, through the store's LISTEN; a slow poll covers the
//! rest.

mod projection;

pub use projection::{Projection, Rebuild};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::events::Event;
use app::receipt::EventId;
use chrono::{DateTime, Utc};
use engine::jobs::JobStatus;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::store::{EventStore, StoreError, StoredEvent};
use engine::db::{Backend, Tx};
use engine::{on, on_pool};

/// Events applied in one transaction.
pub const BATCH: i64 = 500;

/// A listener that has not shown a sign of life for this many polls (and at least 5 s) is
/// reported as not responding. An idle listener beats once per poll.
const ALIVE_POLLS: u32 = 3;

/// How often a catch-up wait reads the `projections` table, for listeners in other processes.
pub const OTHER_PROCESSES_POLL: Duration = Duration::from_millis(25);

/// The advisory lock under which a PostgreSQL listener marks events processed: listeners of
/// different projections update the same `events` rows, and one at a time they cannot deadlock.
const PROCESSED_LOCK: i64 = 0x6b69_7470;

/// One projection's listener: its checkpoint and its signs of life.
struct Listener {
    projection: Arc<dyn Projection>,
    /// The last event applied, as far as this process knows (the table is the authority).
    checkpoint: watch::Sender<EventId>,
    /// Held while a batch or a reset runs, so they never interleave in this process.
    batch: tokio::sync::Mutex<()>,
    /// The statement marking events processed once every registered projection has them.
    mark_processed: Arc<str>,
    heartbeat: Mutex<Option<Instant>>,
    error: Mutex<Option<String>>,
}

impl Listener {
    fn beat(&self) {
        *self.heartbeat.lock().expect("heartbeat lock") = Some(Instant::now());
    }

    fn report(&self, error: Option<String>) {
        *self.error.lock().expect("error lock") = error;
    }

    /// Applies the next batch of events after the checkpoint; returns how many were applied.
    ///
    /// When an event cannot be applied, the events before it in the batch are applied and the
    /// listener stops there with the error: it never skips the event, and the error shows on
    /// the health view until the event can be applied.
    async fn apply_batch(&self, store: &EventStore) -> Result<usize, StoreError> {
        let _exclusive = self.batch.lock().await;
        match self.apply_up_to(store, BATCH).await {
            Err(BatchFailure { error, at }) if at > 0 => {
                let before = i64::try_from(at).unwrap_or(BATCH);
                self.apply_up_to(store, before)
                    .await
                    .map_err(|failure| failure.error)?;
                Err(error)
            }
            outcome => outcome.map_err(|failure| failure.error),
        }
    }

    /// Applies up to `limit` events after the checkpoint in one transaction.
    ///
    /// The checkpoint is read inside the write transaction, so the `projections` table, not
    /// this process's memory, decides where the batch starts: a rebuild may have rewound it.
    async fn apply_up_to(&self, store: &EventStore, limit: i64) -> Result<usize, BatchFailure> {
        let name = self.projection.name();
        let (mut tx, checkpoint) = begin_batch(store, name, Lock::SkipIfTaken).await?;
        // Another process is applying a batch to this projection.
        let Some(from) = checkpoint else {
            tx.rollback().await?;
            return Ok(0);
        };
        let events = store.events_after(tx.conn(), from, limit).await?;
        let Some(last) = events.last() else {
            tx.rollback().await?;
            self.checkpoint.send_replace(from);
            return Ok(0);
        };
        let mut decoded = Vec::with_capacity(events.len());
        for (at, stored) in events.iter().enumerate() {
            match stored.decode() {
                Ok(event) => decoded.push(event),
                Err(error) => {
                    tx.rollback().await?;
                    return Err(BatchFailure { error, at });
                }
            }
        }
        let batch: Vec<(&StoredEvent, &Event)> = events.iter().zip(&decoded).collect();
        if let Err((at, error)) = self.projection.apply_batch(tx.conn(), &batch).await {
            // At once, not when the connection is next used: until then, the row lock would
            // keep the next attempt (on another connection) out.
            tx.rollback().await?;
            return Err(BatchFailure { error, at });
        }
        let now = Utc::now();
        let backend = tx.backend();
        on!(tx.conn(), c => {
            sqlx::query(
                "UPDATE projections SET last_event_id = $1, last_event_at = $2, last_updated_at = $3 \
                 WHERE name = $4",
            )
            .bind(last.id)
            .bind(last.created_at)
            .bind(now)
            .bind(name)
            .execute(&mut *c)
            .await?;
            if backend == Backend::Postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(PROCESSED_LOCK)
                    .execute(&mut *c)
                    .await?;
            }
            sqlx::query(sqlx::AssertSqlSafe(self.mark_processed.to_string()))
                .bind(now)
                .execute(&mut *c)
                .await?;
        });
        tx.commit().await?;
        self.checkpoint.send_replace(last.id);
        Ok(events.len())
    }

    async fn run(self: Arc<Self>, store: Arc<EventStore>, poll: Duration) {
        let mut appended = store.subscribe();
        let mut failures = 0u32;
        loop {
            self.beat();
            appended.borrow_and_update();
            match self.apply_batch(&store).await {
                Ok(applied) => {
                    failures = 0;
                    self.report(None);
                    if applied == 0 {
                        let _ = tokio::time::timeout(poll, appended.changed()).await;
                    }
                }
                Err(error) => {
                    // Never skip an event: report, wait, and try the same batch again.
                    failures += 1;
                    let name = self.projection.name();
                    tracing::error!(projection = %name, %error, failures, "listener failed; retrying");
                    self.report(Some(error.to_string()));
                    let pause = Duration::from_millis(100 * 2u64.pow(failures.min(8)));
                    tokio::time::sleep(pause.min(Duration::from_secs(30))).await;
                }
            }
        }
    }
}

/// A batch that failed, and at which of its events (0 when before any).
struct BatchFailure {
    error: StoreError,
    at: usize,
}

impl From<StoreError> for BatchFailure {
    fn from(error: StoreError) -> Self {
        Self { error, at: 0 }
    }
}

impl From<sqlx::Error> for BatchFailure {
    fn from(error: sqlx::Error) -> Self {
        StoreError::from(error).into()
    }
}

/// What a batch does when another process holds the projection's row (PostgreSQL).
#[derive(Clone, Copy, PartialEq)]
enum Lock {
    SkipIfTaken,
    Wait,
}

/// Opens a projection's write transaction and reads its checkpoint there, locking its row:
/// on SQLite with the database's write lock, on PostgreSQL with a row lock. `None`: another
/// process holds the row and `lock` said to skip.
async fn begin_batch(
    store: &EventStore,
    name: &str,
    lock: Lock,
) -> Result<(Tx<'static>, Option<EventId>), StoreError> {
    let (mut tx, sql) = match store.backend() {
        Backend::Sqlite => (
            store.writer().begin_write().await?,
            "SELECT last_event_id FROM projections WHERE name = $1",
        ),
        Backend::Postgres if lock == Lock::SkipIfTaken => (
            store.writer().begin().await?,
            "SELECT last_event_id FROM projections WHERE name = $1 FOR UPDATE SKIP LOCKED",
        ),
        Backend::Postgres => (
            store.writer().begin().await?,
            "SELECT last_event_id FROM projections WHERE name = $1 FOR UPDATE",
        ),
    };
    let checkpoint = on!(tx.conn(), c => sqlx::query_scalar(sql).bind(name).fetch_optional(c).await)?;
    if checkpoint.is_none() && lock == Lock::Wait {
        return Err(StoreError::UnknownProjection(name.to_owned()));
    }
    Ok((tx, checkpoint))
}

/// Whether a projection has applied an event, and where it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaughtUp {
    pub applied: bool,
    /// The projection's last applied event at the time of the answer.
    pub checkpoint: EventId,
}

/// How one listener is doing, all of it: for the operator (`server status`), and for the
/// account-sized view the pages show.
#[derive(Clone, Debug, PartialEq)]
pub struct ListenerHealth {
    pub projection: String,
    /// Whether it has shown a sign of life recently.
    pub alive: bool,
    pub seconds_since_heartbeat: Option<f64>,
    pub checkpoint: EventId,
    /// Events of the stream it has yet to apply.
    pub behind: i64,
    /// Its last failure, while it keeps failing.
    pub error: Option<String>,
    pub last_updated_at: Option<DateTime<Utc>>,
    /// A rebuild beside the live tables, while one runs.
    pub rebuilding: Option<RebuildProgress>,
}

/// How far a rebuild beside the live tables has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RebuildProgress {
    pub done: i64,
    /// Events in the stream when it began.
    pub total: i64,
    pub started_at: DateTime<Utc>,
}

/// How every listener and scheduled job is doing, and the newest event in the stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Health {
    pub head: EventId,
    pub workers: Vec<ListenerHealth>,
    pub jobs: Vec<JobStatus>,
}

/// A row of `projections`, as the health view reads it.
#[derive(sqlx::FromRow)]
struct ProjectionRow {
    name: String,
    last_event_id: EventId,
    last_updated_at: Option<DateTime<Utc>>,
    rebuild_done: Option<i64>,
    rebuild_total: Option<i64>,
    rebuild_started_at: Option<DateTime<Utc>>,
}

async fn checkpoint_of(store: &EventStore, name: &str) -> Result<EventId, StoreError> {
    Ok(on_pool!(store.reader(), p => sqlx::query_scalar(
        "SELECT last_event_id FROM projections WHERE name = $1"
    )
    .bind(name)
    .fetch_one(p)
    .await)?)
}

/// The listeners of every projection, and what the web side asks of them.
pub struct Dispatcher {
    store: Arc<EventStore>,
    listeners: HashMap<&'static str, Arc<Listener>>,
    /// How long a listener may be silent before it is reported as not responding.
    alive_within: Mutex<Duration>,
}

/// The running listener tasks of [`Dispatcher::start`]; dropping it stops them.
#[must_use = "the listeners stop when this is dropped"]
pub struct Listeners(Vec<JoinHandle<()>>);

impl Listeners {
    /// No listeners: another process keeps the projections.
    pub fn none() -> Self {
        Self(Vec::new())
    }
}

impl Drop for Listeners {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

impl Dispatcher {
    /// Registers `projections` in the `projections` table and loads their checkpoints.
    pub async fn new(
        store: Arc<EventStore>,
        projections: Vec<Arc<dyn Projection>>,
    ) -> Result<Self, StoreError> {
        // An event is processed once every registered projection has applied it. The names are
        // the projections' own, from the code, never from input.
        let names: Vec<String> = projections.iter().map(|p| format!("'{}'", p.name())).collect();
        let mark_processed: Arc<str> = format!(
            "UPDATE events SET processed_at = $1 WHERE processed_at IS NULL AND id <= \
             (SELECT MIN(last_event_id) FROM projections WHERE name IN ({}))",
            names.join(", ")
        )
        .into();
        let mut listeners = HashMap::new();
        for projection in projections {
            let name = projection.name();
            on_pool!(store.writer(), p => sqlx::query(
                "INSERT INTO projections (name) VALUES ($1) ON CONFLICT DO NOTHING"
            )
            .bind(name)
            .execute(p)
            .await.map(drop))?;
            let checkpoint = checkpoint_of(&store, name).await?;
            let listener = Listener {
                projection,
                checkpoint: watch::Sender::new(checkpoint),
                batch: tokio::sync::Mutex::new(()),
                mark_processed: mark_processed.clone(),
                heartbeat: Mutex::new(None),
                error: Mutex::new(None),
            };
            listeners.insert(name, Arc::new(listener));
        }
        Ok(Self {
            store,
            listeners,
            alive_within: Mutex::new(Duration::from_secs(5)),
        })
    }

    pub fn store(&self) -> &Arc<EventStore> {
        &self.store
    }

    /// Starts one listener task per projection, each polling every `poll` at the slowest. They
    /// run on the store's writer thread: nearly everything a listener does is a statement on the
    /// one writing connection, and there each costs a few microseconds instead of tens (see
    /// [`crate::store`]'s appender). They stop when the returned [`Listeners`] is dropped.
    pub fn start(&self, poll: Duration) -> Listeners {
        *self.alive_within.lock().expect("alive lock") = (poll * ALIVE_POLLS).max(Duration::from_secs(5));
        let runtime = self.store.writer_runtime();
        Listeners(
            self.listeners
                .values()
                .map(|listener| runtime.spawn(listener.clone().run(self.store.clone(), poll)))
                .collect(),
        )
    }

    fn listener(&self, projection: &str) -> Result<&Arc<Listener>, StoreError> {
        self.listeners
            .get(projection)
            .ok_or_else(|| StoreError::UnknownProjection(projection.to_owned()))
    }

    /// Applies everything in the stream to every projection, without background tasks
    /// (tests and command-line tools).
    pub async fn run_until_caught_up(&self) -> Result<(), StoreError> {
        for listener in self.listeners.values() {
            while listener.apply_batch(&self.store).await? > 0 {}
        }
        Ok(())
    }

    /// Empties `projection` and rewinds its checkpoint, so its listener rebuilds it from the
    /// start of the stream.
    pub async fn reset(&self, projection: &str) -> Result<(), StoreError> {
        let listener = self.listener(projection)?;
        let _exclusive = listener.batch.lock().await;
        let (mut tx, _) = begin_batch(&self.store, projection, Lock::Wait).await?;
        listener.projection.reset(tx.conn()).await?;
        on!(tx.conn(), c => sqlx::query(
            "UPDATE projections SET last_event_id = 0, last_event_at = NULL, last_updated_at = $1 WHERE name = $2",
        )
        .bind(Utc::now())
        .bind(projection)
        .execute(c)
        .await.map(drop))?;
        tx.commit().await?;
        listener.checkpoint.send_replace(0);
        Ok(())
    }

    /// The last event `projection` applied and when it last moved.
    pub async fn freshness(&self, projection: &str) -> Result<(EventId, Option<DateTime<Utc>>), StoreError> {
        Ok(on_pool!(self.store.reader(), p => sqlx::query_as(
            "SELECT last_event_id, last_updated_at FROM projections WHERE name = $1"
        )
        .bind(projection)
        .fetch_one(p)
        .await)?)
    }

    /// Waits up to `wait` for `projection` to have applied `event_id`. This process's listener
    /// signals at once; a listener in another process (`server worker` beside
    /// `serve --without-listeners`) is seen in the `projections` table, read every
    /// [`OTHER_PROCESSES_POLL`] while waiting.
    pub async fn catch_up(
        &self,
        projection: &str,
        event_id: EventId,
        wait: Duration,
    ) -> Result<CaughtUp, StoreError> {
        let mut checkpoint = self.listener(projection)?.checkpoint.subscribe();
        let deadline = tokio::time::Instant::now() + wait;
        let applied = |applied_up_to: EventId| CaughtUp {
            applied: applied_up_to >= event_id,
            checkpoint: applied_up_to,
        };
        loop {
            let applied_up_to = *checkpoint.borrow_and_update();
            if applied_up_to >= event_id {
                return Ok(applied(applied_up_to));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                break;
            }
            match tokio::time::timeout_at(deadline.min(now + OTHER_PROCESSES_POLL), checkpoint.changed())
                .await
            {
                // This process's listener moved on.
                Ok(Ok(())) => {}
                // It is gone.
                Ok(Err(_)) => break,
                // Time to look at what every process's listener has done.
                Err(_) => {
                    let (applied_up_to, _) = self.freshness(projection).await?;
                    if applied_up_to >= event_id {
                        return Ok(applied(applied_up_to));
                    }
                }
            }
        }
        let (applied_up_to, _) = self.freshness(projection).await?;
        Ok(applied(applied_up_to))
    }

    /// How every listener and scheduled job is doing. Checkpoints, last updates and rebuilds
    /// come from the `projections` table, so they are true whichever process moved them.
    pub async fn health(&self) -> Result<Health, StoreError> {
        let head = self.store.head().await?;
        let rows: Vec<ProjectionRow> = on_pool!(self.store.reader(), p => sqlx::query_as(
            "SELECT name, last_event_id, last_updated_at, rebuild_done, rebuild_total, rebuild_started_at \
             FROM projections",
        )
        .fetch_all(p)
        .await)?;
        let alive_within = *self.alive_within.lock().expect("alive lock");
        let mut workers: Vec<ListenerHealth> = self
            .listeners
            .iter()
            .map(|(&projection, listener)| {
                let since = listener
                    .heartbeat
                    .lock()
                    .expect("heartbeat lock")
                    .map(|beat| beat.elapsed());
                let row = rows.iter().find(|row| row.name == projection);
                let checkpoint = row.map_or_else(|| *listener.checkpoint.borrow(), |row| row.last_event_id);
                let rebuilding =
                    row.and_then(
                        |row| match (row.rebuild_done, row.rebuild_total, row.rebuild_started_at) {
                            (Some(done), Some(total), Some(started_at)) => Some(RebuildProgress {
                                done,
                                total,
                                started_at,
                            }),
                            _ => None,
                        },
                    );
                ListenerHealth {
                    projection: projection.to_owned(),
                    alive: since.is_some_and(|since| since < alive_within),
                    seconds_since_heartbeat: since.map(|since| since.as_secs_f64()),
                    checkpoint,
                    behind: (head - checkpoint).max(0),
                    error: listener.error.lock().expect("error lock").clone(),
                    last_updated_at: row.and_then(|row| row.last_updated_at),
                    rebuilding,
                }
            })
            .collect();
        workers.sort_by(|a, b| a.projection.cmp(&b.projection));
        let jobs = engine::jobs::health(self.store.reader(), crate::JOBS, Utc::now()).await?;
        Ok(Health { head, workers, jobs })
    }
}
