//! Replay rate: events per second rebuilding `projected_contacts` beside the live tables, as
//! `server replay projected_contacts` does: on one CPU, on a runtime of one thread.
//!
//! The stream is written straight into `events` in large transactions first (it is the replay
//! being measured, not the appends).

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use engine::replay;
use engine::{cpu, on};
use server::projections;

use crate::support::{Error, event, fresh_database};

pub struct Replayed {
    pub events: u64,
    pub rate: f64,
    /// Reading and folding the stream.
    pub reading: Duration,
    /// Writing the rows and their indexes.
    pub writing: Duration,
    /// How long the swap held the write lock.
    pub swapping: Duration,
    /// The longest any other step held the write lock (SQLite's copy beside the live tables).
    pub longest_step: Duration,
}

/// Rebuilds `projected_contacts` from a stream of `total` events, on a thread of its own kept
/// on one CPU.
pub fn rebuild(total: u64) -> Result<Replayed, Error> {
    std::thread::spawn(move || {
        cpu::pin_to_one_cpu()?;
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(fill_and_rebuild(total))
    })
    .join()
    .map_err(|_| "the replay thread panicked")?
}

async fn fill_and_rebuild(total: u64) -> Result<Replayed, Error> {
    let fresh = fresh_database().await?;
    let store = fresh.kith.dispatcher.store().clone();
    let contacts = (total / 10).max(1);
    let mut tx = store.writer().begin().await?;
    let mut type_ids = HashMap::new();
    for i in 0..total {
        let event = event(i, contacts);
        let event_type = event.event_type();
        let type_id: i64 = match type_ids.get(event_type.name) {
            Some(id) => *id,
            None => {
                let id = on!(tx.conn(), c => sqlx::query_scalar(
                    "SELECT id FROM event_types WHERE name = $1 AND version = $2"
                )
                .bind(event_type.name)
                .bind(event_type.version)
                .fetch_one(c)
                .await)?;
                type_ids.insert(event_type.name, id);
                id
            }
        };
        on!(tx.conn(), c => sqlx::query(
            "INSERT INTO events (payload, event_type_id, entity_id, account_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(sqlx::types::Json(event.to_payload()))
        .bind(type_id)
        .bind(fresh.account.entity_id)
        .bind(fresh.account.account_id)
        .bind(Utc::now())
        .execute(c)
        .await.map(drop))?;
        if i % 100_000 == 99_999 {
            tx.commit().await?;
            tx = store.writer().begin().await?;
        }
    }
    tx.commit().await?;

    let contacts_projection = projections::all()
        .into_iter()
        .find(|p| p.name() == "projected_contacts")
        .ok_or("projected_contacts is registered")?;
    // The progress after the last batch read tells when the stream was read and folded; the
    // rest of the build is writing the rows and their indexes.
    let mut batches = Vec::new();
    let rebuilt = replay::rebuild(&store, contacts_projection.as_ref(), |p| batches.push(p.elapsed)).await?;
    let reading = match batches[..] {
        [.., read, _] => read,
        _ => rebuilt.building,
    };
    Ok(Replayed {
        events: rebuilt.events,
        rate: rebuilt.events as f64 / rebuilt.building.as_secs_f64(),
        reading,
        writing: rebuilt.building.saturating_sub(reading),
        swapping: rebuilt.swapping,
        longest_step: rebuilt.longest_step,
    })
}
