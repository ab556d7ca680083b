//! Scheduled jobs' runs (`jobs`): each run records when it ran, what came of it and when the
//! next is due, so the health view shows a stopped scheduler instead of it failing silently.

use chrono::{DateTime, Utc};

use crate::db::Pool;
use crate::on_pool;

/// A job overdue by more than this is reported as not running. A run can take a while (a job
/// that talks to another server waits for its answers).
const GRACE: chrono::Duration = chrono::Duration::minutes(5);

/// One run of a job.
pub struct JobRun<'a> {
    pub name: &'a str,
    pub runner: &'a str,
    pub ran_at: DateTime<Utc>,
    pub result: String,
    pub error: Option<String>,
    pub next_run_at: DateTime<Utc>,
}

pub async fn record(pool: &Pool, run: &JobRun<'_>) -> Result<(), sqlx::Error> {
    on_pool!(pool, p => sqlx::query(
        "INSERT INTO jobs (name, runner, last_run_at, last_result, last_error, next_run_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (name) DO UPDATE SET runner = excluded.runner, last_run_at = excluded.last_run_at, \
             last_result = excluded.last_result, last_error = excluded.last_error, \
             next_run_at = excluded.next_run_at",
    )
    .bind(run.name)
    .bind(run.runner)
    .bind(run.ran_at)
    .bind(&run.result)
    .bind(&run.error)
    .bind(run.next_run_at)
    .execute(p)
    .await
    .map(drop))
}

/// How a job is doing, from its last run: all of it, for the operator (`server status`).
#[derive(Clone, Debug, PartialEq)]
pub struct JobStatus {
    pub name: String,
    /// Who ran it last, e.g. "pid 4242 on kith-1".
    pub runner: Option<String>,
    /// `None` until it first runs.
    pub last_run_at: Option<DateTime<Utc>>,
    /// What the last run did, e.g. "sent 2, failed 0, given up 0" (for every account).
    pub last_result: Option<String>,
    /// Why the last run failed, if it did.
    pub last_error: Option<String>,
    pub next_run_at: Option<DateTime<Utc>>,
    /// False when the job has never run or is overdue: its scheduler has stopped.
    pub running: bool,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    name: String,
    runner: String,
    last_run_at: DateTime<Utc>,
    last_result: String,
    last_error: Option<String>,
    next_run_at: DateTime<Utc>,
}

/// How each of `jobs` is doing at `now`, whether or not it has run yet.
pub async fn health(pool: &Pool, jobs: &[&str], now: DateTime<Utc>) -> Result<Vec<JobStatus>, sqlx::Error> {
    let rows: Vec<JobRow> = on_pool!(pool, p =>
        sqlx::query_as("SELECT name, runner, last_run_at, last_result, last_error, next_run_at FROM jobs")
            .fetch_all(p)
            .await)?;
    Ok(jobs
        .iter()
        .map(|&name| match rows.iter().find(|row| row.name == name) {
            Some(row) => JobStatus {
                name: name.to_owned(),
                runner: Some(row.runner.clone()),
                last_run_at: Some(row.last_run_at),
                last_result: Some(row.last_result.clone()),
                last_error: row.last_error.clone(),
                next_run_at: Some(row.next_run_at),
                running: now <= row.next_run_at + GRACE,
            },
            None => JobStatus {
                name: name.to_owned(),
                runner: None,
                last_run_at: None,
                last_result: None,
                last_error: None,
                next_run_at: None,
                running: false,
            },
        })
        .collect())
}
