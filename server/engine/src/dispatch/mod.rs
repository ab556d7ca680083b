//! The dispatcher: hands every event of the stream to every listener, in order, exactly once.
//!
//! Each projection has one listener task. In one write transaction it reads its checkpoint
//! (its row in `projections`), the events after it, applies them to its table and advances
//! the row, so a crash loses or repeats nothing, and a checkpoint rewound by a rebuild (or
//! moved by another process) is always seen. Appends commit one transaction at a time, in id
//! order (see [`crate::db::Pool::begin_write`]), so "every event after the checkpoint" never
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

mod health;
mod listener;
mod projection;

pub use health::{Health, ListenerHealth, RebuildProgress};
pub use listener::BATCH;
pub use projection::{Projection, Rebuild};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::db::Conn;
use crate::domain::{Domain, EventId};
use crate::store::{EventStore, StoreError};
use crate::{on, on_pool};
use listener::{Listener, Lock, begin_batch};

/// A listener that has not shown a sign of life for this many polls (and at least 5 s) is
/// reported as not responding. An idle listener beats once per poll.
const ALIVE_POLLS: u32 = 3;

/// How often a catch-up wait reads the `projections` table, for listeners in other processes.
pub const OTHER_PROCESSES_POLL: Duration = Duration::from_millis(25);

/// Whether a projection has applied an event, and where it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaughtUp {
    pub applied: bool,
    /// The projection's last applied event at the time of the answer.
    pub checkpoint: EventId,
}

async fn checkpoint_of<D: Domain>(store: &EventStore<D>, name: &str) -> Result<EventId, StoreError> {
    Ok(on_pool!(store.reader(), p => sqlx::query_scalar(
        "SELECT last_event_id FROM projections WHERE name = $1"
    )
    .bind(name)
    .fetch_one(p)
    .await)?)
}

/// How many events of the account bound as `$1` come after the last one the projection named
/// by `$2` applied: a scalar subquery, as a literal, for a page that reads its freshness in the
/// same statement as its rows (one statement reads one snapshot, on both databases).
#[macro_export]
macro_rules! behind_sql {
    () => {
        "(SELECT COUNT(*) FROM events WHERE events.account_id = $1 \
         AND events.id > (SELECT last_event_id FROM projections WHERE projections.name = $2))"
    };
}

/// The listeners of every projection, and what the web side asks of them.
pub struct Dispatcher<D: Domain> {
    store: Arc<EventStore<D>>,
    listeners: HashMap<&'static str, Arc<Listener<D>>>,
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

impl<D: Domain> Dispatcher<D> {
    /// Registers `projections` in the `projections` table and loads their checkpoints.
    pub async fn new(
        store: Arc<EventStore<D>>,
        projections: Vec<Arc<dyn Projection<D>>>,
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

    pub fn store(&self) -> &Arc<EventStore<D>> {
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

    fn listener(&self, projection: &str) -> Result<&Arc<Listener<D>>, StoreError> {
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

    /// The last event `projection` applied, and how many events of `account_id` come after
    /// it, in one statement on `conn`. Read as the first statement of a page's read
    /// transaction, the rows read after it are at least as new as it says.
    pub async fn behind(
        conn: Conn<'_>,
        projection: &str,
        account_id: i64,
    ) -> Result<(EventId, i64), StoreError> {
        Ok(on!(conn, c => sqlx::query_as(
            concat!("SELECT last_event_id, ", crate::behind_sql!(), " FROM projections WHERE name = $2")
        )
        .bind(account_id)
        .bind(projection)
        .fetch_one(c)
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
}
