//! One projection's listener: in one write transaction it reads its checkpoint, the events
//! after it, applies them and moves the checkpoint on, and it keeps its signs of life for the
//! health view.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::watch;

use super::Projection;
use crate::db::{Backend, Tx};
use crate::domain::{Domain, EventId};
use crate::on;
use crate::store::{EventStore, StoreError, StoredEvent};

/// Events applied in one transaction.
pub const BATCH: i64 = 500;

/// The advisory lock under which a PostgreSQL listener marks events processed: listeners of
/// different projections update the same `events` rows, and one at a time they cannot deadlock.
const PROCESSED_LOCK: i64 = 0x6b69_7470;

/// One projection's listener: its checkpoint and its signs of life.
pub(super) struct Listener<D: Domain> {
    pub(super) projection: Arc<dyn Projection<D>>,
    /// The last event applied, as far as this process knows (the table is the authority).
    pub(super) checkpoint: watch::Sender<EventId>,
    /// Held while a batch or a reset runs, so they never interleave in this process.
    pub(super) batch: tokio::sync::Mutex<()>,
    /// The statement marking events processed once every registered projection has them.
    pub(super) mark_processed: Arc<str>,
    pub(super) heartbeat: Mutex<Option<Instant>>,
    pub(super) error: Mutex<Option<String>>,
}

impl<D: Domain> Listener<D> {
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
    pub(super) async fn apply_batch(&self, store: &EventStore<D>) -> Result<usize, StoreError> {
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
    async fn apply_up_to(&self, store: &EventStore<D>, limit: i64) -> Result<usize, BatchFailure> {
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
        let batch: Vec<(&StoredEvent<D>, &D::Event)> = events.iter().zip(&decoded).collect();
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

    pub(super) async fn run(self: Arc<Self>, store: Arc<EventStore<D>>, poll: Duration) {
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
pub(super) enum Lock {
    SkipIfTaken,
    Wait,
}

/// Opens a projection's write transaction and reads its checkpoint there, locking its row:
/// on SQLite with the database's write lock, on PostgreSQL with a row lock. `None`: another
/// process holds the row and `lock` said to skip.
pub(super) async fn begin_batch<D: Domain>(
    store: &EventStore<D>,
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
