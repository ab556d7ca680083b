//! How fast the running listeners work through a backlog: events per second until every
//! projection has applied a stream appended while they were stopped (after an outage of the
//! workers, or when appends outrun them for a while).

use std::time::{Duration, Instant};

use app::views::ProjectionName;

use crate::support::{Error, append_stream, fresh_database};

/// Appends `events` about `events / 10` contacts with the listeners stopped, then starts them
/// and times until every projection has caught up. Returns events per second.
pub async fn backlog_rate(events: u64) -> Result<f64, Error> {
    let fresh = fresh_database().await?;
    let kith = &fresh.kith;
    append_stream(&fresh, events, (events / 10).max(1)).await?;
    let head = kith.dispatcher.store().head().await?;
    let started = Instant::now();
    let _listeners = kith.dispatcher.start(Duration::from_secs(1));
    for projection in ProjectionName::ALL {
        let caught_up = kith
            .dispatcher
            .catch_up(projection.as_str(), head, Duration::from_secs(600))
            .await?;
        if !caught_up.applied {
            return Err(format!("{} did not catch up within 10 minutes", projection.as_str()).into());
        }
    }
    Ok(head as f64 / started.elapsed().as_secs_f64())
}
