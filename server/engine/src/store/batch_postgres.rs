//! A batch of appends on PostgreSQL in one statement, one round trip however many events it
//! holds: `append_batch.sql` takes the write lock and runs each event's checks, insert and
//! records in order (the guard's SQL form, see [`PostgresGuard`]), then notifies the listening
//! processes once.

use sqlx::types::Json;

use super::appender::CheckedEvent;
use super::{Outcome, PostgresGuard, StoreError};
use crate::db::WRITE_LOCK;
use crate::domain::{Domain, EventId, Receipt};

/// The SQL function that stores a batch on PostgreSQL, given a guard's functions.
const APPEND_BATCH: &str = include_str!("append_batch.sql");

/// Stores a batch on PostgreSQL in one statement, of its own transaction: the guard's checks
/// and records run as SQL functions (see `append_batch.sql`), so the batch costs one round trip
/// however many events it holds. `conn` must not be in a transaction.
pub async fn store_batch<D: Domain>(
    conn: &mut sqlx::PgConnection,
    guard: &dyn PostgresGuard<D>,
    batch: &[CheckedEvent<D>],
) -> Result<Vec<Outcome<D>>, StoreError> {
    let stored_at = crate::db::now();
    let mut payloads = Vec::with_capacity(batch.len());
    let mut event_type_ids = Vec::with_capacity(batch.len());
    let mut entity_ids = Vec::with_capacity(batch.len());
    let mut account_ids = Vec::with_capacity(batch.len());
    let mut facts = Vec::with_capacity(batch.len());
    for checked in batch {
        let cause = D::cause(&checked.actor);
        payloads.push(checked.payload.get());
        event_type_ids.push(checked.event_type_id);
        entity_ids.push(cause.entity_id);
        account_ids.push(cause.account_id);
        facts.push(guard.facts(&checked.event).to_string());
    }
    let answers: Vec<(Option<EventId>, Option<Json<serde_json::Value>>)> =
        sqlx::query_as("SELECT event_id, refusal FROM kith_append_batch($1, $2, $3, $4, $5, $6, $7)")
            .bind(WRITE_LOCK)
            .bind(&payloads)
            .bind(&event_type_ids)
            .bind(&entity_ids)
            .bind(&account_ids)
            .bind(&facts)
            .bind(stored_at)
            .fetch_all(conn)
            .await?;
    if answers.len() != batch.len() {
        return Err(unreadable(format!(
            "{} answers for a batch of {} events",
            answers.len(),
            batch.len()
        )));
    }
    answers
        .into_iter()
        .map(|answer| match answer {
            (Some(event_id), _) => Ok(Ok(Receipt {
                event_id,
                created_at: stored_at,
            })),
            (None, Some(Json(refusal))) => guard.refusal(&refusal).map(Err).map_err(unreadable),
            (None, None) => Err(unreadable("neither an event nor a refusal".to_owned())),
        })
        .collect()
}

/// The batch append answered what the store cannot read.
fn unreadable(what: String) -> StoreError {
    StoreError::Domain(format!("the batch append on PostgreSQL answered {what}").into())
}

/// Defines the SQL function that stores a batch of appends, and the guard's functions it calls,
/// as this version has them. Call it in the transaction that holds the write lock, so processes
/// starting together define them in turn.
pub async fn define(
    conn: &mut sqlx::PgConnection,
    guard: &dyn PostgresGuard<impl Domain>,
) -> Result<(), StoreError> {
    for sql in guard.functions().iter().chain([&APPEND_BATCH]) {
        sqlx::raw_sql(*sql).execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_batch_notifies_the_events_channel() {
        let notify = format!("pg_notify('{}', newest::text)", super::super::EVENTS_CHANNEL);
        assert!(super::APPEND_BATCH.contains(&notify));
    }
}
