//! Group commit: one writer task stores the appends that arrive together in one durable
//! transaction, and answers each caller once that transaction is on disk.
//!
//! A durable commit costs an fsync, and the disk manages a few thousand of those a second; a
//! commit per command would cap the store there however many people write at once. Callers
//! check their payloads against the schemas themselves, in parallel, then queue the checked
//! event here. The writer task takes everything queued (up to [`MAX_BATCH`]), runs the
//! command-side checks and inserts for each in order, in one `BEGIN IMMEDIATE` transaction, and
//! commits once. Each event still sees every event before it, in the batch or not, so the
//! checks refuse exactly what they would refuse one commit at a time. Writers that keep
//! appending come back a moment after their answer, so a batch waits up to [`STRAGGLERS`] for
//! them; without that, eight such writers settled into two groups of four taking turns, four
//! events a commit instead of eight.
//!
//! A refused event must leave nothing behind, yet its checks may already have written (a
//! command-side record, say) before refusing. So a refusal rolls the batch back, and the batch
//! runs again with each event in a savepoint of its own; refusals are rare, and the savepoints
//! cost two statements an event, so only such a batch pays for them. A database failure fails the whole batch: every caller in it gets the error, and
//! none of its events is stored.
//!
//! On PostgreSQL the writer task runs on the caller's runtime and keeps one connection for
//! itself. Each statement there is a round trip, so when the guard has an SQL form the whole
//! batch is one statement (see [`super::batch_postgres`]); otherwise the transaction takes the
//! command side's advisory lock in the message that begins it (see [`Pool::begin_write`], which
//! explains how that keeps ids visible in order) and the batch's last insert also notifies the
//! listening processes. The rest of this note is about SQLite.
//!
//! The writer task runs on a thread of its own, kept on one CPU together with the worker thread
//! of the connection it writes on (see [`crate::cpu`]): a batch is a dozen statements, each a
//! hand-over between the two threads, and on one CPU those cost a few microseconds instead of
//! tens. The listeners run on this thread too (see [`Appender::runtime`]), for the same reason.
//! Every other writer of this process (scheduled jobs, the application's own transactions) shares the same single connection,
//! so they queue for it instead of failing as busy.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::types::Json;
use tokio::sync::{mpsc, oneshot, watch};

use super::{EVENTS_CHANNEL, Guard, Outcome, StoreError};
use crate::db::{Backend, Conn, Pool, PoolConn};
use crate::domain::{Domain, EventId, Receipt};
use crate::on;

/// How long a batch waits for the callers the last commit answered, when fewer have queued: they
/// are usually about to queue their next append, and each that makes it into this batch saves a
/// commit of its own. A caller that keeps appending alone does not wait.
const STRAGGLERS: Duration = Duration::from_micros(100);

/// The name of the thread that writes (SQLite): appends and the listeners run there.
pub const WRITER_THREAD: &str = "kith-appender";

/// The most appends stored in one transaction.
pub const MAX_BATCH: usize = 256;

/// An event whose payload has passed its schema, waiting to be stored.
pub struct CheckedEvent<D: Domain> {
    /// The command side's checks it must pass (the store's).
    pub guard: Arc<dyn Guard<D>>,
    pub actor: D::Actor,
    pub event_type_id: i64,
    pub event: D::Event,
    /// The payload as it will be stored.
    pub payload: Box<RawValue>,
}

struct Append<D: Domain> {
    checked: CheckedEvent<D>,
    reply: oneshot::Sender<Result<Outcome<D>, StoreError>>,
}

/// The queue of the writer task.
pub struct Appender<D: Domain> {
    queue: mpsc::Sender<Append<D>>,
    commits: Arc<AtomicU64>,
    runtime: tokio::runtime::Handle,
}

/// Starts the writer thread and opens the store's SQLite writing connection on it. Returns the
/// pool of that one connection, for the store's other writers, and the appender that queues to
/// it. The appender moves `head` to each batch's last event once it is committed, which wakes
/// the listeners.
pub async fn start_sqlite<D: Domain>(
    options: SqliteConnectOptions,
    head: Arc<watch::Sender<EventId>>,
) -> Result<(Pool, Appender<D>), StoreError> {
    let (ready, started) = oneshot::channel();
    std::thread::Builder::new()
        .name(WRITER_THREAD.into())
        .spawn(move || writer_thread(options, head, ready))
        .map_err(StoreError::Thread)?;
    started.await.map_err(|_| StoreError::Stopped)?
}

fn writer_thread<D: Domain>(
    options: SqliteConnectOptions,
    head: Arc<watch::Sender<EventId>>,
    ready: oneshot::Sender<Result<(Pool, Appender<D>), StoreError>>,
) {
    if let Err(error) = crate::cpu::pin_to_one_cpu() {
        tracing::warn!(%error, "could not keep the appender on one CPU; appends will be slower");
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(StoreError::Thread(error)));
            return;
        }
    };
    runtime.block_on(async move {
        // The connection is opened here, so its worker thread starts on this thread's CPU; it
        // is kept for the life of the store, never closed for being idle or old. (Should it
        // break, sqlx opens another wherever it is next wanted: that works, only slower if it
        // lands on the other CPU.)
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options)
            .await;
        let writer = match writer {
            Ok(writer) => Pool::Sqlite(writer),
            Err(error) => {
                let _ = ready.send(Err(error.into()));
                return;
            }
        };
        let (appender, appends, commits) = Appender::on_this_runtime();
        if ready.send(Ok((writer.clone(), appender))).is_ok() {
            write_batches(&writer, appends, &commits, &head).await;
        }
    });
}

/// Starts the writer task on the current runtime, writing to the PostgreSQL `pool`.
pub fn start_postgres<D: Domain>(pool: Pool, head: Arc<watch::Sender<EventId>>) -> Appender<D> {
    let (appender, appends, commits) = Appender::on_this_runtime();
    tokio::spawn(async move { write_batches(&pool, appends, &commits, &head).await });
    appender
}

impl<D: Domain> Appender<D> {
    /// An appender whose writer task runs on the current runtime, with the queue that task
    /// reads and the count of its commits.
    fn on_this_runtime() -> (Self, mpsc::Receiver<Append<D>>, Arc<AtomicU64>) {
        let (queue, appends) = mpsc::channel(MAX_BATCH);
        let commits = Arc::new(AtomicU64::new(0));
        let appender = Self {
            queue,
            commits: commits.clone(),
            runtime: tokio::runtime::Handle::current(),
        };
        (appender, appends, commits)
    }

    /// Stores `checked` with the next batch; returns once it is durably stored, or refused.
    pub async fn append(&self, checked: CheckedEvent<D>) -> Result<Outcome<D>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Append { checked, reply })
            .await
            .map_err(|_| StoreError::Stopped)?;
        answer.await.map_err(|_| StoreError::Stopped)?
    }

    /// The runtime of the writer thread: tasks that mostly write run there, beside the
    /// connection's worker. It runs them until the store closes.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// How many batches the writer task has committed so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }
}

/// The writer task's connection. On SQLite it is the pool's one connection, which the store's
/// other writers share, so the task takes it for each batch; on PostgreSQL the task keeps one of
/// the pool's from batch to batch (sqlx checks a connection with a round trip each time it comes
/// back), and gives it up after a failure.
struct WriterConn {
    pool: Pool,
    kept: Option<PoolConn>,
}

impl WriterConn {
    async fn store_batch<D: Domain>(
        &mut self,
        batch: &[CheckedEvent<D>],
    ) -> Result<Vec<Outcome<D>>, StoreError> {
        let mut conn = match self.kept.take() {
            Some(conn) => conn,
            None => self.pool.acquire().await?,
        };
        let stored = store_batch(conn.conn(), batch).await;
        if stored.is_ok() && self.pool.backend() == Backend::Postgres {
            self.kept = Some(conn);
        }
        stored
    }
}

/// The writer task: stores whatever has queued up, batch after batch, until the store closes.
async fn write_batches<D: Domain>(
    writer: &Pool,
    mut appends: mpsc::Receiver<Append<D>>,
    commits: &AtomicU64,
    head: &watch::Sender<EventId>,
) {
    let mut writer = WriterConn {
        pool: writer.clone(),
        kept: None,
    };
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut last_size = 0;
    loop {
        // Appends already queued when a batch has just been answered come from other callers
        // than that batch's: those are still on their way back.
        let others_queued = !appends.is_empty();
        if appends.recv_many(&mut batch, MAX_BATCH).await == 0 {
            break;
        }
        let expected = if others_queued {
            batch.len() + last_size
        } else {
            last_size
        };
        wait_for_stragglers(&mut appends, &mut batch, expected.min(MAX_BATCH));
        last_size = batch.len();
        let (checked, replies): (Vec<_>, Vec<_>) = batch.drain(..).map(|a| (a.checked, a.reply)).unzip();
        match writer.store_batch(&checked).await {
            Ok(outcomes) => {
                if let Some(newest) = newest_stored(&outcomes) {
                    commits.fetch_add(1, Ordering::Relaxed);
                    super::advance(head, newest);
                }
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            // Each caller's request logs the failure, under a reference of its own.
            Err(error) => {
                let error = Arc::new(error);
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Batch(error.clone())));
                }
            }
        }
    }
}

/// The newest event a batch stored, if it stored any.
pub fn newest_stored<R>(outcomes: &[Result<Receipt, R>]) -> Option<EventId> {
    outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .map(|r| r.event_id)
        .max()
}

/// Takes appends into `batch` as they queue, until it holds `expected` or [`STRAGGLERS`] has
/// passed.
fn wait_for_stragglers<D: Domain>(
    appends: &mut mpsc::Receiver<Append<D>>,
    batch: &mut Vec<Append<D>>,
    expected: usize,
) {
    let deadline = Instant::now() + STRAGGLERS;
    while batch.len() < expected && Instant::now() < deadline {
        // Too short a wait for a timer: give the CPU to whoever is about to queue.
        std::thread::yield_now();
        while batch.len() < MAX_BATCH
            && let Ok(append) = appends.try_recv()
        {
            batch.push(append);
        }
    }
}

/// Stores the events of a batch in one write transaction on `conn`, in order, leaving out
/// those refused.
pub async fn store_batch<D: Domain>(
    conn: Conn<'_>,
    batch: &[CheckedEvent<D>],
) -> Result<Vec<Outcome<D>>, StoreError> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = match (conn, batch[0].guard.postgres()) {
        (Conn::Postgres(c), Some(guard)) => return super::batch_postgres::store_batch(c, guard, batch).await,
        (conn, _) => conn,
    };
    let mut tx = conn.re().begin_write().await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for (at, checked) in batch.iter().enumerate() {
        // Until a refusal, every event is stored, so the last is the newest.
        let notify = at + 1 == batch.len();
        match store_checked(tx.conn(), checked, notify).await? {
            Ok(receipt) => outcomes.push(Ok(receipt)),
            Err(_) => {
                tx.rollback().await?;
                return store_batch_with_refusals(conn, batch).await;
            }
        }
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// The same, for a batch with a refusal in it: each event in a savepoint of its own, so a
/// refused one leaves nothing behind. Two statements more per event, so only once a refusal
/// has been seen.
async fn store_batch_with_refusals<D: Domain>(
    conn: Conn<'_>,
    batch: &[CheckedEvent<D>],
) -> Result<Vec<Outcome<D>>, StoreError> {
    let mut tx = conn.begin_write().await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for checked in batch {
        let mut savepoint = tx.conn().begin().await?;
        let outcome = store_checked(savepoint.conn(), checked, false).await?;
        if outcome.is_ok() {
            savepoint.commit().await?;
        } else {
            savepoint.rollback().await?;
        }
        outcomes.push(outcome);
    }
    if let Some(newest) = newest_stored(&outcomes) {
        notify_appended(tx.conn(), newest).await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// Tells every process listening (on PostgreSQL) that the caller's write transaction appended
/// events up to `newest`: PostgreSQL delivers the notification on [`EVENTS_CHANNEL`] when it
/// commits. Once per transaction is enough.
async fn notify_appended(conn: Conn<'_>, newest: EventId) -> Result<(), StoreError> {
    if let Conn::Postgres(c) = conn {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(EVENTS_CHANNEL)
            .bind(newest.to_string())
            .execute(c)
            .await?;
    }
    Ok(())
}

/// How an event is stored.
const INSERT_EVENT: &str = "INSERT INTO events (payload, event_type_id, entity_id, account_id, created_at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id";

/// The same on PostgreSQL, telling the processes listening on [`EVENTS_CHANNEL`] of the new
/// event when the transaction commits, in the same round trip (see [`notify_appended`]).
const INSERT_EVENT_AND_NOTIFY: &str = "WITH stored AS (\
     INSERT INTO events (payload, event_type_id, entity_id, account_id, created_at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id) \
     SELECT id, pg_notify('kith_events', id::text)::text FROM stored";

/// Runs the command-side checks of a checked event and inserts it, in the caller's write
/// transaction (see [`Pool::begin_write`]). With `notify`, the insert itself notifies the
/// listening processes on PostgreSQL; otherwise the caller calls [`notify_appended`] once it
/// has stored its events.
pub async fn store_checked<D: Domain>(
    mut conn: Conn<'_>,
    checked: &CheckedEvent<D>,
    notify: bool,
) -> Result<Outcome<D>, StoreError> {
    let CheckedEvent {
        guard,
        actor,
        event_type_id,
        event,
        payload,
    } = checked;
    let cause = D::cause(actor);
    if let Err(refusal) = guard.check(conn.re(), cause.account_id, event).await? {
        return Ok(Err(refusal));
    }
    let created_at = crate::db::now();
    let insert = match conn.backend() {
        Backend::Postgres if notify => INSERT_EVENT_AND_NOTIFY,
        _ => INSERT_EVENT,
    };
    let event_id: EventId = on!(conn.re(), c => sqlx::query_scalar(insert)
        .bind(Json(&**payload))
        .bind(event_type_id)
        .bind(cause.entity_id)
        .bind(cause.account_id)
        .bind(created_at)
        .fetch_one(c)
        .await)?;
    guard
        .record_stored(conn, cause.account_id, event_id, event)
        .await?;
    Ok(Ok(Receipt { event_id, created_at }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notifying_insert_notifies_the_events_channel() {
        assert!(INSERT_EVENT_AND_NOTIFY.contains(&format!("pg_notify('{EVENTS_CHANNEL}', id::text)")));
        assert!(INSERT_EVENT_AND_NOTIFY.contains(INSERT_EVENT.trim_end_matches(" RETURNING id")));
    }
}
