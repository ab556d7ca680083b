//! Replay: rebuilding a projection from the whole stream beside the live one, then swapping it
//! in, so the app keeps serving the old tables all along.
//!
//! The rebuild runs on a connection of its own. It creates the projection's tables (and their
//! indexes) beside the live ones, under the same names, so the projection's unchanged handler
//! writes there: on SQLite in the connection's temporary schema (`temp` tables are found before
//! `main` ones), on PostgreSQL in a schema of the connection's own, first on its search path.
//! Writing there takes no lock on the live tables, so appends and the live listener go on
//! meanwhile. The swap is one command-side write transaction that also locks the projection's
//! row: apply what arrived since, put the rebuilt tables in the live ones' place, and move the
//! checkpoint; the live listener carries on from there. PostgreSQL moves the rebuilt tables,
//! indexes and all, into `public` (`ALTER TABLE … SET SCHEMA`, no row copied); SQLite cannot
//! move a table between schemas, so there the live rows are replaced by the rebuilt ones. A
//! replay only runs projections, which write their own tables: it causes nothing outside them
//! and appends nothing.
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
}

/// What of a table [`create_beside`] creates.
#[derive(Clone, Copy, PartialEq)]
enum Definition {
    Table,
    Indexes,
}

/// Where this connection's rebuild writes, and makes it so: SQLite's `temp`; on PostgreSQL
/// `kith_rebuild_<backend pid>`, first on the connection's search path. Such schemas left by
/// rebuilds whose connection has gone (a process that stopped) are dropped first.
async fn open_beside(conn: Conn<'_>) -> Result<String, StoreError> {
    let Conn::Postgres(c) = conn else {
        return Ok("temp".to_owned());
    };
    let left: Vec<String> = sqlx::query_scalar(
        "SELECT format('DROP SCHEMA %I CASCADE', nspname) FROM pg_namespace \
         WHERE nspname LIKE 'kith\\_rebuild\\_%' \
         AND substr(nspname, 14) NOT IN (SELECT pid::text FROM pg_stat_activity)",
    )
    .fetch_all(&mut *c)
    .await?;
    for drop_schema in left {
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop_schema))
            .execute(&mut *c)
            .await?;
    }
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *c)
        .await?;
    let schema = format!("kith_rebuild_{pid}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path = {schema}, public"
    )))
    .execute(&mut *c)
    .await?;
    Ok(schema)
}

/// Creates `table` or its indexes in the schema `beside`, as they are in the live one (on
/// PostgreSQL its keys too, so that the table can take the live one's place). Rows written in
/// bulk go in before the indexes, which are then built in one pass.
async fn create_beside(
    mut conn: Conn<'_>,
    table: &str,
    what: Definition,
    beside: &str,
) -> Result<(), StoreError> {
    let inconsistent = |what: &str| StoreError::Rebuild {
        table: table.to_owned(),
        what: what.to_owned(),
    };
    let backend = conn.backend();
    if what == Definition::Table {
        on!(conn.re(), c => sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS {beside}.{table}")))
            .execute(c)
            .await.map(drop))?;
    }
    let ddl: Vec<(String, String)> = match backend {
        Backend::Sqlite => on!(conn.re(), c => sqlx::query_as(
            "SELECT type, sql FROM main.sqlite_master WHERE tbl_name = $1 AND sql IS NOT NULL \
             ORDER BY type = 'index'",
        )
        .bind(table)
        .fetch_all(c)
        .await)?,
        Backend::Postgres => on!(conn.re(), c => sqlx::query_as(
            "SELECT kind, sql FROM ( \
               SELECT 0 AS step, 'table' AS kind, format('CREATE TABLE %I.%I (LIKE public.%I \
                 INCLUDING ALL EXCLUDING INDEXES)', $2::text, tablename, tablename) AS sql \
               FROM pg_tables WHERE schemaname = 'public' AND tablename = $1 \
               UNION ALL SELECT 1, 'index', indexdef FROM pg_indexes \
               WHERE schemaname = 'public' AND tablename = $1 \
               UNION ALL SELECT 2, 'key', format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s USING INDEX %I', \
                 $2::text, $1::text, k.conname, CASE k.contype WHEN 'p' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END, \
                 i.relname) \
               FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class i ON i.oid = k.conindid \
               WHERE t.relnamespace = 'public'::regnamespace AND t.relname = $1 AND k.contype IN ('p', 'u') \
             ) definitions ORDER BY step",
        )
        .bind(table)
        .bind(beside)
        .fetch_all(c)
        .await)?,
    };
    if !ddl.iter().any(|(kind, _)| kind == "table") {
        return Err(inconsistent("the table does not exist"));
    }
    for (kind, sql) in ddl {
        let rewritten = match (kind.as_str(), backend, what) {
            ("table", Backend::Sqlite, Definition::Table) => {
                sql.replacen("CREATE TABLE ", "CREATE TEMP TABLE ", 1)
            }
            ("index", Backend::Sqlite, Definition::Indexes) => sql
                .replacen("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX temp.", 1)
                .replacen("CREATE INDEX ", "CREATE INDEX temp.", 1),
            ("index", Backend::Postgres, Definition::Indexes) => {
                sql.replacen(" ON public.", &format!(" ON {beside}."), 1)
            }
            // Written for the schema beside by the query itself.
            ("table", Backend::Postgres, Definition::Table)
            | ("key", Backend::Postgres, Definition::Indexes) => {
                on!(conn.re(), c => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(c).await.map(drop))?;
                continue;
            }
            _ => continue,
        };
        if rewritten == sql {
            return Err(inconsistent(&format!("unexpected definition {sql:?}")));
        }
        on!(conn.re(), c => sqlx::query(sqlx::AssertSqlSafe(rewritten)).execute(c).await.map(drop))?;
    }
    Ok(())
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
        for table in projection.tables() {
            create_beside(tx.conn(), table, Definition::Indexes, &beside).await?;
        }
        tx.commit().await?;
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
    // What was appended since the last batch, now that nothing more can be.
    loop {
        let (applied, upto) = apply_after(store, tx.conn(), projection, None, last, BATCH).await?;
        if applied == 0 {
            break;
        }
        done += applied as u64;
        last = upto;
    }
    on!(tx.conn(), c => {
        for table in projection.tables() {
            let swap = match backend {
                Backend::Postgres => {
                    format!("DROP TABLE {main}.{table}; ALTER TABLE {beside}.{table} SET SCHEMA {main}")
                }
                Backend::Sqlite => format!(
                    "DELETE FROM {main}.{table}; INSERT INTO {main}.{table} SELECT * FROM {beside}.{table}"
                ),
            };
            sqlx::raw_sql(sqlx::AssertSqlSafe(swap)).execute(&mut *c).await?;
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
    let tidy = match backend {
        Backend::Postgres => format!("DROP SCHEMA {beside} CASCADE"),
        Backend::Sqlite => projection
            .tables()
            .iter()
            .map(|table| format!("DROP TABLE {beside}.{table};"))
            .collect(),
    };
    on!(conn.re(), c => sqlx::raw_sql(sqlx::AssertSqlSafe(tidy)).execute(c).await.map(drop))?;
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
    })
}
