//! The health view: how every listener and scheduled job is doing, whichever process runs
//! them.

use chrono::{DateTime, Utc};

use super::Dispatcher;
use crate::domain::{Domain, EventId};
use crate::jobs::JobStatus;
use crate::on_pool;
use crate::store::StoreError;

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

impl<D: Domain> Dispatcher<D> {
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
        let jobs = crate::jobs::health(self.store.reader(), D::JOBS, Utc::now()).await?;
        Ok(Health { head, workers, jobs })
    }
}
