//! The projection views that pages render, and the health of the workers behind them.
//!
//! Each page reads exactly one projection; its view says which one and how fresh it is, so the
//! page can wait for its own projection after a command.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::receipt::EventId;

/// The projections a page can be backed by and wait on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProjectionName {
    #[serde(rename = "projected_contacts")]
    Contacts,
}

impl ProjectionName {
    pub const ALL: &[ProjectionName] = &[ProjectionName::Contacts];

    /// The name in the `projections` table and in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contacts => "projected_contacts",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.as_str() == name)
    }
}

impl std::fmt::Display for ProjectionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far the projection behind a view has read the stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freshness {
    pub projection: ProjectionName,
    /// The last event the projection applied (0 before the first).
    pub last_event_id: EventId,
    pub last_updated_at: Option<DateTime<Utc>>,
}

/// One row of `projected_contacts`, as the pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactSummary {
    pub name: String,
    pub description: String,
    pub contact_method: String,
    pub last_interacted_on: Option<NaiveDate>,
    pub next_meeting_at: Option<DateTime<Utc>>,
    pub last_updated_at: DateTime<Utc>,
}

/// The contacts list page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactsView {
    pub contacts: Vec<ContactSummary>,
    pub freshness: Freshness,
}

/// One contact's page; `contact` is `None` when the account has no contact of that name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub contact: Option<ContactSummary>,
    pub freshness: Freshness,
}

/// The answer to "has this projection applied that event yet?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchUp {
    pub applied: bool,
    /// The projection's last applied event at the time of the answer.
    pub checkpoint: EventId,
}

/// The state of one background listener.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkerHealth {
    /// The projection the listener keeps.
    pub projection: String,
    /// Whether the listener has shown a sign of life recently.
    pub alive: bool,
    /// Seconds since its last sign of life, if it has shown any.
    pub seconds_since_heartbeat: Option<f64>,
    pub checkpoint: EventId,
    /// How many events of the stream it has yet to apply.
    pub behind: i64,
    /// The last failure, while it keeps failing.
    pub error: Option<String>,
}

/// The health of every background listener, shown when a wait takes too long.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthView {
    /// The newest event in the stream.
    pub head: EventId,
    pub workers: Vec<WorkerHealth>,
}
