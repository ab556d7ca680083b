//! The stream as the store reads it: stored events in order, the newest event, and whose
//! events come after a point.

use std::marker::PhantomData;

use chrono::{DateTime, Utc};

use super::{EventStore, StoreError};
use crate::db::{Conn, Pool};
use crate::domain::{Domain, EventId, EventType};
use crate::{on, on_pool};

/// An event as stored in the stream, of the domain `D`.
pub struct StoredEvent<D> {
    pub id: EventId,
    pub event_type: EventType,
    /// The payload as stored: JSON text, read into a typed event by [`StoredEvent::decode`].
    pub payload: String,
    pub entity_id: i64,
    /// The account whose data the event is about.
    pub account_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    domain: PhantomData<fn() -> D>,
}

impl<D> Clone for StoredEvent<D> {
    fn clone(&self) -> Self {
        Self {
            payload: self.payload.clone(),
            ..*self
        }
    }
}

impl<D> std::fmt::Debug for StoredEvent<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredEvent")
            .field("id", &self.id)
            .field("event_type", &self.event_type)
            .field("payload", &self.payload)
            .field("entity_id", &self.entity_id)
            .field("account_id", &self.account_id)
            .field("created_at", &self.created_at)
            .finish()
    }
}

impl<D: Domain> StoredEvent<D> {
    /// An event as read from the stream.
    pub(super) fn new(
        id: EventId,
        event_type: EventType,
        payload: String,
        entity_id: i64,
        account_id: Option<i64>,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            event_type,
            payload,
            entity_id,
            account_id,
            created_at,
            domain: PhantomData,
        }
    }

    /// The account the event is about; an event that concerns one but names none breaks an
    /// invariant of the stream.
    pub fn account(&self) -> Result<i64, StoreError> {
        self.account_id.ok_or(StoreError::NoAccount { event: self.id })
    }

    /// The typed event, as listeners see it.
    pub fn decode(&self) -> Result<D::Event, StoreError> {
        D::decode_text(self.event_type.name, self.event_type.version, &self.payload)
            .map_err(|reason| StoreError::Decode { id: self.id, reason })
    }
}

/// A row of `events`, as read (the payload as JSON text, whatever the column's type).
#[derive(sqlx::FromRow)]
struct EventRow {
    id: EventId,
    event_type_id: i64,
    payload: String,
    entity_id: i64,
    account_id: Option<i64>,
    created_at: DateTime<Utc>,
}

impl<D: Domain> EventStore<D> {
    /// The newest event in the stream (appended by any process).
    pub async fn head(&self) -> Result<EventId, StoreError> {
        Ok(newest_event(&self.reader).await?)
    }

    /// The account the event `event_id` concerns: `Some(None)` for an event of no account,
    /// `None` when there is no such event.
    pub async fn owner(&self, event_id: EventId) -> Result<Option<Option<i64>>, StoreError> {
        Ok(
            on_pool!(&self.reader, p => sqlx::query_scalar("SELECT account_id FROM events WHERE id = $1")
            .bind(event_id)
            .fetch_optional(p)
            .await)?,
        )
    }

    /// How many events concerning `account_id` come after `event_id` in the stream.
    pub async fn count_after(&self, account_id: i64, event_id: EventId) -> Result<i64, StoreError> {
        Ok(on_pool!(&self.reader, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM events WHERE account_id = $1 AND id > $2"
        )
        .bind(account_id)
        .bind(event_id)
        .fetch_one(p)
        .await)?)
    }

    /// Up to `limit` events after `after`, in stream order, read on `conn` (a listener reads
    /// them inside the transaction that applies them).
    pub async fn events_after(
        &self,
        conn: Conn<'_>,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<StoredEvent<D>>, StoreError> {
        let rows: Vec<EventRow> = on!(conn, c => sqlx::query_as(
            "SELECT id, event_type_id, CAST(payload AS TEXT) AS payload, entity_id, account_id, created_at \
             FROM events WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(|row| self.stored_event(row)).collect()
    }

    fn stored_event(&self, row: EventRow) -> Result<StoredEvent<D>, StoreError> {
        let EventRow {
            id,
            event_type_id,
            payload,
            entity_id,
            account_id,
            created_at,
        } = row;
        let event_type = self
            .schemas
            .by_id(event_type_id)
            .ok_or(StoreError::UnknownEventType {
                event: id,
                event_type_id,
            })?;
        Ok(StoredEvent::new(
            id, event_type, payload, entity_id, account_id, created_at,
        ))
    }
}

/// The newest event in the stream, 0 when it is empty.
pub(super) async fn newest_event(pool: &Pool) -> Result<EventId, sqlx::Error> {
    on_pool!(pool, p => sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events").fetch_one(p).await)
}
