//! Replay: rebuilding a projection from the whole stream beside the live one, then swapping it
//! in, so the app keeps serving the old tables all along.
//!
//! The rebuild runs on a connection of its own. It creates the projection's tables (and their
//! indexes) beside the live ones, under the same names, so the projection's unchanged handler
//! writes there: on SQLite in the connection's temporary schema (`temp` tables are found before
//! `main` ones), on PostgreSQL in a schema of the connection's own, first on its search path.
//! Writing there takes no lock on the live tables, so appends and the live listener go on
//! meanwhile. The swap is one command-side write transaction that also locks the projection's
//! row: apply what arrived since to the rebuilt tables, put them in the live ones' place, and
//! move the checkpoint; the live listener carries on from there. PostgreSQL moves the rebuilt
//! tables, indexes and all, into `public` (`ALTER TABLE … SET SCHEMA`, no row copied); SQLite
//! cannot move a table between schemas, so there the rebuilt rows are first copied beside the
//! live tables in `main`, in short steps, and the swap renames them ([`sqlite`]). A replay only
//! runs projections, which write their own tables: it causes nothing outside them and appends
//! nothing.
//!
//! A rebuild is a long conversation between the async task and SQLite's worker thread: every
//! statement hands work to that thread and waits for its answer. When the two threads sit on
//! different CPUs of a virtual machine, each hand-over costs tens of microseconds of wake-ups
//! between CPUs; on one CPU it costs a few. `server replay` therefore runs on one CPU (see
//! [`crate::cpu::pin_to_one_cpu`]), which leaves the other CPUs to a server running meanwhile.

use std::time::{Duration, Instant};

use chrono::Utc;

use crate::db::{Backend, Conn};
use crate::dispatch::{Projection, Rebuild};
use crate::domain::{Domain, EventId};
use crate::store::{EventStore, StoreError};
use crate::{on, on_pool};

mod beside;
mod sqlite;

use beside::{Definition, create_beside, open_beside};

/// Events applied per transaction while rebuilding.
const BATCH: i64 = 5_000;

/// How far a rebuild has got.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub done: u64,
    /// Events in the stream when the rebuild began (more may arrive).
    pub total: u64,
    pub elapsed: Duration,
}

impl Progress {
    /// Events per second so far.
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Time left at the rate so far.
    pub fn left(&self) -> Duration {
        let rate = self.rate();
        if rate <= 0.0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64(self.total.saturating_sub(self.done) as f64 / rate)
    }
}

/// What a rebuild did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rebuilt {
    /// Events applied, those that arrived during the rebuild included.
    pub events: u64,
    /// The projection's checkpoint after the swap.
    pub checkpoint: EventId,
    /// Time spent applying events beside the live tables.
    pub building: Duration,
    /// Time the swap held the write lock.
    pub swapping: Duration,
    /// The longest any other step of the rebuild held the write lock: on SQLite the copies
    /// into `main`, their index builds and the drop after the swap; zero on PostgreSQL.
    pub longest_step: Duration,
}

/// Applies the events after `after` (up to `limit`) to `fold` when there is one, or else with
/// the projection's handler to the tables this connection sees.
async fn apply_after<D: Domain>(
    store: &EventStore<D>,
    mut conn: Conn<'_>,
    projection: &dyn Projection<D>,
    fold: Option<&mut (dyn Rebuild<D> + 'static)>,
    after: EventId,
    limit: i64,
) -> Result<(usize, EventId), StoreError> {
    let events = store.events_after(conn.re(), after, limit).await?;
    let decoded = events
        .iter()
        .map(|stored| stored.decode())
        .collect::<Result<Vec<_>, _>>()?;
    match fold {
        Some(fold) => {
            for (stored, event) in events.iter().zip(&decoded) {
                fold.apply(stored, event)?;
            }
        }
        None => {
            let batch: Vec<_> = events.iter().zip(&decoded).collect();
            projection
                .apply_batch(conn.re(), &batch)
                .await
                .map_err(|(_, error)| error)?;
        }
    }
    Ok((events.len(), events.last().map_or(after, |stored| stored.id)))
}

/// Records a rebuild's progress on the projection's row (`None`: no rebuild runs).
async fn record<D: Domain>(
    store: &EventStore<D>,
    name: &str,
    progress: Option<(Progress, chrono::DateTime<Utc>)>,
) -> Result<(), StoreError> {
    let (done, total, started_at) = match progress {
        Some((p, at)) => (
            Some(i64::try_from(p.done).unwrap_or(i64::MAX)),
            Some(i64::try_from(p.total).unwrap_or(i64::MAX)),
            Some(at),
        ),
        None => (None, None, None),
    };
    on_pool!(store.writer(), p => sqlx::query(
        "UPDATE projections SET rebuild_done = $1, rebuild_total = $2, rebuild_started_at = $3 WHERE name = $4"
    )
    .bind(done)
    .bind(total)
    .bind(started_at)
    .bind(name)
    .execute(p)
    .await.map(drop))?;
    Ok(())
}

/// Rebuilds `projection` from the whole stream beside its live tables and swaps the result in,
/// calling `progress` after each batch (and showing it on the status page).
pub async fn rebuild<D: Domain>(
    store: &EventStore<D>,
    projection: &dyn Projection<D>,
    progress: impl FnMut(Progress),
) -> Result<Rebuilt, StoreError> {
    rebuild_in_batches(store, projection, BATCH, progress).await
}

/// [`rebuild`], applying `batch` events per transaction.
pub async fn rebuild_in_batches<D: Domain>(
    store: &EventStore<D>,
    projection: &dyn Projection<D>,
    batch: i64,
    progress: impl FnMut(Progress),
) -> Result<Rebuilt, StoreError> {
    let outcome = rebuild_beside(store, projection, batch, progress).await;
    if outcome.is_err() {
        // The status view must not show a rebuild that has stopped as still running.
        let _ = record(store, projection.name(), None).await;
    }
    outcome
}

async fn rebuild_beside<D: Domain>(
    store: &EventStore<D>,
    projection: &dyn Projection<D>,
    batch: i64,
    mut progress: impl FnMut(Progress),
) -> Result<Rebuilt, StoreError> {
    let started = Instant::now();
    let started_at = Utc::now();
    let mut own = store.connect().await?;
    let mut conn = own.conn();
    let backend = store.backend();
    let main = backend.main_schema();
    let beside = open_beside(conn.re()).await?;
    let _replay_lock = match conn.re() {
        Conn::Sqlite(c) => {
            let lock = sqlite::lock(c).await?;
            for table in projection.tables() {
                sqlite::clear_leftovers(c, table).await?;
            }
            Some(lock)
        }
        Conn::Postgres(_) => None,
    };
    // A projection that can fold the stream in memory writes its rows at the end, before its
    // indexes; one that cannot applies each event to indexed tables.
    let mut fold = projection.rebuilder();
    for table in projection.tables() {
        create_beside(conn.re(), table, Definition::Table, &beside).await?;
        if fold.is_none() {
            create_beside(conn.re(), table, Definition::Indexes, &beside).await?;
        }
    }
    let total: i64 = on!(conn.re(), c => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {main}.events"
    )))
    .fetch_one(c)
    .await)?;
    let total = u64::try_from(total).unwrap_or_default();
    let begun = Progress {
        done: 0,
        total,
        elapsed: started.elapsed(),
    };
    record(store, projection.name(), Some((begun, started_at))).await?;
    let mut done = 0u64;
    let mut last: EventId = 0;
    loop {
        // A read of the stream and writes to `temp` only: no lock that holds anyone up.
        let mut tx = conn.re().begin().await?;
        let (applied, upto) =
            apply_after(store, tx.conn(), projection, fold.as_deref_mut(), last, batch).await?;
        tx.commit().await?;
        if applied == 0 {
            break;
        }
        done += applied as u64;
        last = upto;
        let now = Progress {
            done,
            total: total.max(done),
            elapsed: started.elapsed(),
        };
        record(store, projection.name(), Some((now, started_at))).await?;
        progress(now);
    }
    if let Some(fold) = fold {
        let mut tx = conn.re().begin().await?;
        fold.write(tx.conn()).await?;
        if backend == Backend::Postgres {
            for table in projection.tables() {
                create_beside(tx.conn(), table, Definition::Indexes, &beside).await?;
            }
        }
        tx.commit().await?;
    }
    let mut longest_step = Duration::ZERO;
    if let Conn::Sqlite(c) = conn.re() {
        for table in projection.tables() {
            longest_step = longest_step.max(sqlite::copy_beside(c, table).await?);
        }
    }
    if backend == Backend::Postgres {
        // The moved tables bring their statistics: the planner knows them from the first read.
        let analyze: String = projection
            .tables()
            .iter()
            .map(|table| format!("ANALYZE {beside}.{table};"))
            .collect();
        on!(conn.re(), c => sqlx::raw_sql(sqlx::AssertSqlSafe(analyze)).execute(c).await.map(drop))?;
    }
    let building = started.elapsed();

    let swap_started = Instant::now();
    let mut tx = conn.re().begin_write().await?;
    // The live listener (of any process) has finished its batch and starts none until the swap
    // is done.
    if backend == Backend::Postgres {
        on!(tx.conn(), c => sqlx::query("SELECT name FROM projections WHERE name = $1 FOR UPDATE")
            .bind(projection.name())
            .execute(c)
            .await.map(drop))?;
    }
    if let Conn::Sqlite(c) = tx.conn() {
        for table in projection.tables() {
            sqlite::rename_into_place(c, table).await?;
        }
    }
    // What was appended since the last batch, now that nothing more can be: on SQLite to the
    // tables just renamed, on PostgreSQL to those beside.
    loop {
        let (applied, upto) = apply_after(store, tx.conn(), projection, None, last, BATCH).await?;
        if applied == 0 {
            break;
        }
        done += applied as u64;
        last = upto;
    }
    on!(tx.conn(), c => {
        if backend == Backend::Postgres {
            let moves: String = projection
                .tables()
                .iter()
                .map(|table| format!("DROP TABLE {main}.{table}; ALTER TABLE {beside}.{table} SET SCHEMA {main};"))
                .collect();
            sqlx::raw_sql(sqlx::AssertSqlSafe(moves)).execute(&mut *c).await?;
        }
        let last_event_at: Option<chrono::DateTime<Utc>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT created_at FROM {main}.events WHERE id = $1"
        )))
        .bind(last)
        .fetch_optional(&mut *c)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {main}.projections SET last_event_id = $1, last_event_at = $2, last_updated_at = $3, \
                 rebuild_done = NULL, rebuild_total = NULL, rebuild_started_at = NULL \
             WHERE name = $4"
        )))
        .bind(last)
        .bind(last_event_at)
        .bind(Utc::now())
        .bind(projection.name())
        .execute(&mut *c)
        .await?;
    });
    tx.commit().await?;
    let swapping = swap_started.elapsed();
    match conn.re() {
        Conn::Sqlite(c) => {
            longest_step = longest_step.max(sqlite::drop_stale(c, projection.tables()).await?);
        }
        Conn::Postgres(c) => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {beside} CASCADE")))
                .execute(&mut *c)
                .await?;
        }
    }
    own.close().await?;
    progress(Progress {
        done,
        total: total.max(done),
        elapsed: started.elapsed(),
    });
    Ok(Rebuilt {
        events: done,
        checkpoint: last,
        building,
        swapping,
        longest_step,
    })
}
