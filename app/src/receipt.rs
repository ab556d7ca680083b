//! The event receipt: what a command hands back once its event is durably in the stream.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The position of an event in the stream. Ids only grow, in the order events were committed.
pub type EventId = i64;

/// Proof that an event was stored: its position in the stream and when it was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventReceipt {
    pub event_id: EventId,
    #[serde(with = "chrono::serde::ts_microseconds")]
    pub created_at: DateTime<Utc>,
}
