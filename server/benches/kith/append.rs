//! Append throughput: validated, durable events per second, one event per command, with
//! 1 and with 8 concurrent writers; the listeners not running, so appends have the database to
//! themselves.

use std::time::Instant;

use app::events::{ContactCreated, Event, InteractionRecorded};
use chrono::NaiveDate;

use crate::support::{Error, fresh_database};

pub struct Appended {
    pub rate: f64,
    /// Events stored per durable commit, on average.
    pub per_commit: f64,
}

/// Events per second with `writers` tasks appending `events` in all.
pub async fn rate(writers: usize, events: usize) -> Result<Appended, Error> {
    let fresh = fresh_database().await?;
    let (store, account) = (fresh.kith.dispatcher.store().clone(), fresh.account);
    let bob = Event::from(ContactCreated {
        name: "Bob".into(),
        description: String::new(),
        contact_method: None,
    });
    store.append(account, &bob).await?.map_err(|r| r.to_string())?;
    let commits_before = store.append_commits();
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in (writer..events).step_by(writers) {
                    let event = Event::from(InteractionRecorded {
                        contact: "Bob".into(),
                        occurred_on: NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"),
                        kind: "coffee".into(),
                        note: format!("append {i}"),
                    });
                    store.append(account, &event).await?.map_err(|r| r.to_string())?;
                }
                Ok::<(), Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let rate = events as f64 / started.elapsed().as_secs_f64();
    Ok(Appended {
        rate,
        per_commit: events as f64 / (store.append_commits() - commits_before) as f64,
    })
}

/// The commits per second the database itself manages for the same durability, in the same
/// run: `writers` connections each committing one-row `INSERT`s in a loop (on PostgreSQL
/// what `pgbench` does with that many clients and a one-`INSERT` script; on SQLite one
/// connection in WAL mode with `synchronous=FULL`, as Kith's store opens it, since SQLite
/// commits one writer at a time).
pub async fn baseline(writers: usize, commits: usize) -> Result<f64, Error> {
    use sqlx::Connection;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    let dir = tempfile::tempdir()?;
    let insert = "INSERT INTO baseline (note) VALUES ($1)";
    let create =
        "CREATE TABLE baseline (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note TEXT NOT NULL)";
    let Some(database) = crate::support::fresh_postgres_database().await? else {
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("baseline.sqlite3"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
        sqlx::query("CREATE TABLE baseline (id INTEGER PRIMARY KEY, note TEXT NOT NULL)")
            .execute(&mut conn)
            .await?;
        let started = Instant::now();
        for i in 0..commits {
            sqlx::query(insert)
                .bind(format!("append {i}"))
                .execute(&mut conn)
                .await?;
        }
        return Ok(commits as f64 / started.elapsed().as_secs_f64());
    };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(writers as u32)
        .connect(database.url())
        .await?;
    sqlx::query(create).execute(&pool).await?;
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut conn = pool.acquire().await?;
                for i in (writer..commits).step_by(writers) {
                    sqlx::query(insert)
                        .bind(format!("append {i}"))
                        .execute(&mut *conn)
                        .await?;
                }
                Ok::<(), Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let rate = commits as f64 / started.elapsed().as_secs_f64();
    pool.close().await;
    Ok(rate)
}
